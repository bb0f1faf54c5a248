//! A multipart body streamed in arbitrary chunks through the part-header scan.
#![no_main]

use imgql::files::multipart::PartHeaderScan;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the chunk size, so chunk borders move around.
    let Some((&size, body)) = data.split_first() else {
        return;
    };
    let mut scan = PartHeaderScan::new("b0undary");
    for chunk in body.chunks(usize::from(size).max(1)) {
        if scan.feed(chunk).is_err() {
            break;
        }
    }
});
