//! Connections that hold the server without finishing their requests.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::spawn_app_with;

/// Read until the server answers or closes; `None` when it does neither
/// within `wait` (the connection is still being held open).
async fn outcome(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(wait, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&received).into_owned())
}

#[tokio::test]
async fn unfinished_request_headers_are_cut_off() {
    let app = spawn_app_with(|config| config.header_timeout = 1).await;
    // Half a request line; nothing at all; the start of an HTTP/2 preface
    // (where the version sniffing waits for more).
    for start in ["GET /healthz HT", "", "PRI * HTTP/2"] {
        let mut stream = TcpStream::connect(app.addr).await.expect("connect");
        stream.write_all(start.as_bytes()).await.expect("write");
        let answer = outcome(&mut stream, Duration::from_secs(8))
            .await
            .unwrap_or_else(|| panic!("{start:?}: connection still open after 8 s"));
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "{start:?}: unexpected answer {answer:?}"
        );
    }
    // A client that is slow but finishes within the timeout is served.
    let mut stream = TcpStream::connect(app.addr).await.expect("connect");
    stream.write_all(b"GET /healthz HT").await.expect("write");
    tokio::time::sleep(Duration::from_millis(200)).await;
    stream
        .write_all(b"TP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let answer = outcome(&mut stream, Duration::from_secs(8))
        .await
        .expect("answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
}

#[tokio::test]
async fn shutdown_returns_with_idle_connections_open_and_stops_accepting() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let config = imgql::Config::for_tests(data_dir.path().to_path_buf(), None);
    let state = imgql::AppState::new(config).await.expect("app state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(imgql::serve(listener, state, async {
        let _ = stopped.await;
    }));
    // An idle kept-alive connection must not hold the shutdown up.
    let http = reqwest::Client::new();
    let health = http
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .expect("served before shutdown");
    assert_eq!(health.status(), 200);
    stop.send(()).expect("server listening for shutdown");
    let result = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("serve returned after shutdown")
        .expect("serve task");
    assert!(result.is_ok(), "{result:?}");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer accepting"
    );
}
