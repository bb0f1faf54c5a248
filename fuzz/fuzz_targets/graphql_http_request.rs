//! A GraphQL-over-HTTP JSON body, then its query text through the parser.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = imgql::graphql::http::parse_json_request(data) {
        let _ = async_graphql::parser::parse_query(&request.query);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = async_graphql::parser::parse_query(text);
    }
});
