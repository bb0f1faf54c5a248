//! Unit tests of the protocol rules, no socket involved.

use super::*;

const TRANSPORT: WebSocketProtocols = WebSocketProtocols::GraphQLWS;
const LEGACY: WebSocketProtocols = WebSocketProtocols::SubscriptionsTransportWS;

fn parse_ok(text: &str, protocol: WebSocketProtocols) -> ClientMessage {
    parse_client_message(text.as_bytes(), protocol).expect("a valid message")
}

fn parse_err(text: &str, protocol: WebSocketProtocols) -> Close {
    parse_client_message(text.as_bytes(), protocol).expect_err("an invalid message")
}

#[test]
fn every_transport_ws_client_message_parses() {
    assert!(matches!(
        parse_ok(r#"{"type":"connection_init"}"#, TRANSPORT),
        ClientMessage::ConnectionInit(Value::Null)
    ));
    assert!(matches!(
        parse_ok(r#"{"type":"connection_init","payload":{"token":"t"}}"#, TRANSPORT),
        ClientMessage::ConnectionInit(Value::Object(p)) if p["token"] == "t"
    ));
    assert!(matches!(
        parse_ok(r#"{"type":"ping"}"#, TRANSPORT),
        ClientMessage::Ping(None)
    ));
    assert!(matches!(
        parse_ok(r#"{"type":"ping","payload":{"at":1}}"#, TRANSPORT),
        ClientMessage::Ping(Some(_))
    ));
    assert!(matches!(
        parse_ok(r#"{"type":"pong","payload":null}"#, TRANSPORT),
        ClientMessage::Pong
    ));
    match parse_ok(
        r#"{"type":"subscribe","id":"1","payload":{"query":"{a}","variables":{"x":1},"operationName":"A"}}"#,
        TRANSPORT,
    ) {
        ClientMessage::Subscribe { id, request } => {
            assert_eq!(id, "1");
            assert_eq!(request.query, "{a}");
            assert_eq!(request.operation_name.as_deref(), Some("A"));
        }
        other => panic!("expected subscribe, got {other:?}"),
    }
    assert!(matches!(
        parse_ok(
            r#"{"type":"subscribe","id":"1","payload":{"query":"{a}","variables":null,"extensions":null,"operationName":null}}"#,
            TRANSPORT
        ),
        ClientMessage::Subscribe { .. }
    ));
    assert!(matches!(
        parse_ok(r#"{"type":"complete","id":"1"}"#, TRANSPORT),
        ClientMessage::Complete { id } if id == "1"
    ));
}

#[test]
fn every_legacy_graphql_ws_client_message_parses() {
    assert!(matches!(
        parse_ok(
            r#"{"type":"connection_init","payload":{"authToken":"t"}}"#,
            LEGACY
        ),
        ClientMessage::ConnectionInit(Value::Object(_))
    ));
    // Legacy clients were never held to an object payload.
    assert!(matches!(
        parse_ok(r#"{"type":"connection_init","payload":5}"#, LEGACY),
        ClientMessage::ConnectionInit(Value::Number(_))
    ));
    assert!(matches!(
        parse_ok(r#"{"type":"start","id":"7","payload":{"query":"{a}"}}"#, LEGACY),
        ClientMessage::Subscribe { id, .. } if id == "7"
    ));
    assert!(matches!(
        parse_ok(r#"{"type":"stop","id":"7"}"#, LEGACY),
        ClientMessage::Complete { id } if id == "7"
    ));
    assert!(matches!(
        parse_ok(r#"{"type":"connection_terminate"}"#, LEGACY),
        ClientMessage::Terminate
    ));
}

#[test]
fn malformed_json_closes_with_4400() {
    for text in [
        "nope",
        "",
        "[1,2]",
        r#""connection_init""#,
        r#"{"type":"ping""#,
    ] {
        let close = parse_err(text, TRANSPORT);
        assert_eq!(close.code, close_code::BAD_REQUEST, "{text:?}");
        assert_eq!(close.reason, "Invalid message received: not a JSON object");
    }
    assert_eq!(parse_err("nope", LEGACY).code, close_code::BAD_REQUEST);
}

#[test]
fn a_missing_or_unknown_type_closes_with_4400() {
    let close = parse_err(r#"{"id":"1"}"#, TRANSPORT);
    assert_eq!(close.code, close_code::BAD_REQUEST);
    assert_eq!(close.reason, "Invalid message received: missing type");
    assert_eq!(
        parse_err(r#"{"type":5}"#, TRANSPORT).code,
        close_code::BAD_REQUEST
    );
    // Each protocol's own messages are unknown to the other one.
    for (text, protocol) in [
        (r#"{"type":"bogus"}"#, TRANSPORT),
        (
            r#"{"type":"start","id":"1","payload":{"query":"{a}"}}"#,
            TRANSPORT,
        ),
        (r#"{"type":"stop","id":"1"}"#, TRANSPORT),
        (r#"{"type":"connection_terminate"}"#, TRANSPORT),
        (
            r#"{"type":"subscribe","id":"1","payload":{"query":"{a}"}}"#,
            LEGACY,
        ),
        (r#"{"type":"complete","id":"1"}"#, LEGACY),
        (r#"{"type":"ping"}"#, LEGACY),
        (r#"{"type":"pong"}"#, LEGACY),
    ] {
        let close = parse_err(text, protocol);
        assert_eq!(close.code, close_code::BAD_REQUEST, "{text}");
        assert_eq!(
            close.reason, "Invalid message received: unknown type",
            "{text}"
        );
    }
}

#[test]
fn a_missing_or_empty_id_closes_with_4400() {
    for (text, protocol) in [
        (
            r#"{"type":"subscribe","payload":{"query":"{a}"}}"#,
            TRANSPORT,
        ),
        (
            r#"{"type":"subscribe","id":"","payload":{"query":"{a}"}}"#,
            TRANSPORT,
        ),
        (
            r#"{"type":"subscribe","id":1,"payload":{"query":"{a}"}}"#,
            TRANSPORT,
        ),
        (r#"{"type":"complete"}"#, TRANSPORT),
        (r#"{"type":"start","payload":{"query":"{a}"}}"#, LEGACY),
        (r#"{"type":"stop"}"#, LEGACY),
    ] {
        let close = parse_err(text, protocol);
        assert_eq!(close.code, close_code::BAD_REQUEST, "{text}");
        assert_eq!(
            close.reason, "Invalid message received: missing id",
            "{text}"
        );
    }
}

#[test]
fn bad_payloads_close_with_4400() {
    for text in [
        r#"{"type":"subscribe","id":"1","payload":{}}"#,
        r#"{"type":"subscribe","id":"1"}"#,
        r#"{"type":"subscribe","id":"1","payload":{"query":5}}"#,
        r#"{"type":"subscribe","id":"1","payload":{"query":"{a}","variables":[]}}"#,
        r#"{"type":"subscribe","id":"1","payload":{"query":"{a}","operationName":1}}"#,
        r#"{"type":"subscribe","id":"1","payload":{"query":"{a}","extensions":"x"}}"#,
    ] {
        let close = parse_err(text, TRANSPORT);
        assert_eq!(close.code, close_code::BAD_REQUEST, "{text}");
        assert_eq!(
            close.reason,
            "Invalid message received: invalid subscribe payload"
        );
    }
    assert_eq!(
        parse_err(r#"{"type":"connection_init","payload":5}"#, TRANSPORT).reason,
        "Invalid message received: connection_init payload"
    );
    assert_eq!(
        parse_err(r#"{"type":"ping","payload":"x"}"#, TRANSPORT).reason,
        "Invalid message received: payload must be an object"
    );
}

#[test]
fn close_reasons_are_cut_to_123_bytes_on_a_char_boundary() {
    assert_eq!(truncate_reason("short"), "short");
    let exact = "a".repeat(MAX_CLOSE_REASON_BYTES);
    assert_eq!(truncate_reason(&exact), exact);
    let over = "a".repeat(MAX_CLOSE_REASON_BYTES + 1);
    assert_eq!(truncate_reason(&over).len(), MAX_CLOSE_REASON_BYTES);
    // 'é' is two bytes: 61 of them fit in 122, the 62nd would straddle 123.
    let two_byte = "é".repeat(100);
    assert_eq!(truncate_reason(&two_byte), "é".repeat(61));
    // '€' is three bytes: 41 fit exactly in 123.
    let three_byte = "€".repeat(50);
    assert_eq!(truncate_reason(&three_byte), "€".repeat(41));
    // A four-byte char starting at byte 121 is dropped whole.
    let mixed = format!("{}🦀🦀", "a".repeat(121));
    assert_eq!(truncate_reason(&mixed), "a".repeat(121));
}

#[test]
fn close_frames_carry_truncated_reasons() {
    let long_id = "x".repeat(200);
    let close = Close::subscriber_exists(&long_id);
    assert_eq!(close.code, close_code::SUBSCRIBER_EXISTS);
    assert!(close.reason.len() > MAX_CLOSE_REASON_BYTES);
    assert_eq!(close.frame_reason().len(), MAX_CLOSE_REASON_BYTES);
    assert!(close.frame_reason().starts_with("Subscriber for xxx"));

    let refused = Close::forbidden(&"ü".repeat(80));
    assert_eq!(refused.code, close_code::FORBIDDEN);
    assert_eq!(refused.frame_reason(), "ü".repeat(61));
    assert_eq!(Close::forbidden("").reason, "Forbidden");
    assert_eq!(Close::forbidden("bad token").reason, "bad token");
}

#[test]
fn close_codes_match_the_graphql_ws_protocol() {
    assert_eq!(Close::normal().code, 1000);
    assert_eq!(Close::keepalive_timeout().code, 1001);
    assert_eq!(Close::message_too_big().code, 1009);
    assert_eq!(Close::internal_error().code, 1011);
    assert_eq!(Close::bad_request("x").code, 4400);
    assert_eq!(Close::unauthorized().code, 4401);
    assert_eq!(Close::forbidden("x").code, 4403);
    assert_eq!(Close::init_timeout().code, 4408);
    assert_eq!(Close::subscriber_exists("1").code, 4409);
    assert_eq!(Close::too_many_init().code, 4429);
}

#[test]
fn negotiation_prefers_graphql_transport_ws_whatever_the_client_order() {
    let pick = |offered: &[&str]| select_subprotocol(offered.iter().map(|p| p.as_bytes()));
    assert_eq!(
        pick(&["graphql-ws", "graphql-transport-ws"]),
        Some("graphql-transport-ws")
    );
    assert_eq!(
        pick(&["graphql-transport-ws", "graphql-ws"]),
        Some("graphql-transport-ws")
    );
    assert_eq!(pick(&["soap", "graphql-ws"]), Some("graphql-ws"));
    assert_eq!(pick(&["soap"]), None);
    assert_eq!(pick(&[]), None);
}

#[test]
fn subprotocol_names_map_to_async_graphql_protocols() {
    assert_eq!(protocol_named(b"graphql-ws"), Some(LEGACY));
    assert_eq!(protocol_named(b"graphql-transport-ws"), Some(TRANSPORT));
    assert_eq!(protocol_named(b"GraphQL-WS"), Some(LEGACY));
    assert_eq!(protocol_named(b"soap"), None);
    for name in SUBPROTOCOLS {
        let protocol = protocol_named(name.as_bytes()).expect("one of ours");
        assert_eq!(protocol.sec_websocket_protocol(), name);
    }
}

#[test]
fn server_messages_use_each_protocols_names() {
    let encode = |protocol, kind, id| {
        encode_server_message(protocol, kind, id, NO_PAYLOAD).expect("encodes")
    };
    assert_eq!(
        encode(TRANSPORT, ServerKind::ConnectionAck, None),
        r#"{"type":"connection_ack"}"#
    );
    assert_eq!(
        encode(TRANSPORT, ServerKind::KeepAlive, None),
        r#"{"type":"ping"}"#
    );
    assert_eq!(
        encode(LEGACY, ServerKind::KeepAlive, None),
        r#"{"type":"ka"}"#
    );
    assert_eq!(
        encode(TRANSPORT, ServerKind::Complete, Some("3")),
        r#"{"type":"complete","id":"3"}"#
    );
    assert_eq!(ServerKind::Next.name(TRANSPORT), "next");
    assert_eq!(ServerKind::Next.name(LEGACY), "data");
    assert_eq!(ServerKind::Pong.name(TRANSPORT), "pong");
    assert_eq!(ServerKind::Error.name(LEGACY), "error");
    assert_eq!(ServerKind::ConnectionError.name(LEGACY), "connection_error");

    let payload = json!({ "data": { "a": 1 } });
    assert_eq!(
        encode_server_message(LEGACY, ServerKind::Next, Some("1"), Some(&payload))
            .expect("encodes"),
        r#"{"type":"data","id":"1","payload":{"data":{"a":1}}}"#
    );
    let errors = too_many_subscriptions(2);
    assert_eq!(errors[0]["extensions"]["code"], "RATE_LIMITED");
    assert_eq!(
        errors[0]["message"],
        "Too many active subscriptions (at most 2)"
    );
    assert_eq!(connection_error("no")["message"], "no");
}
