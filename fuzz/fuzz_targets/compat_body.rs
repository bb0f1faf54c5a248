//! A compat JSON body, read as every route's body type.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    imgql::compat::messages::parse_every_body(data);
    imgql::compat::users::parse_every_body(data);
    imgql::compat::groups::parse_every_body(data);
    imgql::compat::extras::parse_every_body(data);
});
