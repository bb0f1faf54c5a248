//! A client frame of either WebSocket subprotocol.
#![no_main]

use async_graphql::http::WebSocketProtocols;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for protocol in [
        WebSocketProtocols::GraphQLWS,
        WebSocketProtocols::SubscriptionsTransportWS,
    ] {
        let _ = imgql::graphql::ws::protocol::parse_client_message(data, protocol);
    }
});
