//! A bearer token through verification (header, signature, claims).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let keys = imgql::auth::TokenKeys::new(b"fuzzing-secret-fuzzing-secret-fuzzing", "imgql", 3600);
    if let Ok(token) = std::str::from_utf8(data) {
        let _ = keys.verify(token);
        if let Ok(good) = keys.issue("alice") {
            // Mutations of a valid token reach the claim checks.
            let mut mutated = good.into_bytes();
            for (i, b) in data.iter().enumerate().take(mutated.len()) {
                mutated[i] ^= b;
            }
            if let Ok(mutated) = String::from_utf8(mutated) {
                let _ = keys.verify(&mutated);
            }
        }
    }
});
