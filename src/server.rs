//! The HTTP server loop: accept TCP connections and serve each one with
//! hyper-util's connection builder, with a bound on how long a client may take
//! to send its request headers, graceful shutdown and WebSocket upgrades.
//!
//! `axum::serve` offers no header read timeout, so a client that opens a
//! connection and never finishes its headers would hold it (and its task)
//! forever. Here hyper's `header_read_timeout` covers every request of an
//! HTTP/1 connection, and a deadline of our own covers the time before the
//! first request, which hyper-util spends sniffing for an HTTP/2 preface and
//! where hyper's timer is not yet running (a client that sends nothing, or the
//! start of a preface, would otherwise wait there without end).

use std::{net::SocketAddr, pin::pin, sync::Arc, time::Duration};

use axum::{extract::ConnectInfo, Router};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto::Builder,
};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{watch, Notify},
};
use tower::ServiceExt;

/// Serve `router` on `listener` until `shutdown` resolves, then stop accepting,
/// let every connection finish its request in flight, and return once all have
/// closed (upgraded WebSockets are handed off and do not hold this up).
///
/// A connection whose request headers (the first request's included) do not
/// arrive in full within `header_timeout` is closed without an answer.
/// Handlers can read the peer address as [`ConnectInfo<SocketAddr>`].
pub async fn serve_router(
    listener: TcpListener,
    router: Router,
    header_timeout: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Dropping the receiver tells every connection (they wait on `closed()`).
    let (signal_tx, signal_rx) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        tracing::debug!("shutdown: no new connections");
        drop(signal_rx);
    });
    // Each connection holds a receiver; `closed()` resolves when all are gone.
    let (close_tx, close_rx) = watch::channel(());
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let connection = ConnectionSetup {
        builder,
        router,
        header_timeout,
        signal: signal_tx.clone(),
    };
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    accept_error(err).await;
                    continue;
                }
            },
            () = signal_tx.closed() => break,
        };
        let close_rx = close_rx.clone();
        let served = connection.serve(stream, remote);
        tokio::spawn(async move {
            served.await;
            drop(close_rx);
        });
    }
    drop(close_rx);
    drop(listener);
    tracing::debug!(
        connections = close_tx.receiver_count(),
        "shutdown: waiting for open connections"
    );
    close_tx.closed().await;
    Ok(())
}

/// What every connection is served with.
struct ConnectionSetup {
    builder: Builder<TokioExecutor>,
    router: Router,
    header_timeout: Duration,
    signal: watch::Sender<()>,
}

impl ConnectionSetup {
    /// The future serving one accepted connection to its end.
    fn serve(
        &self,
        stream: TcpStream,
        remote: SocketAddr,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let builder = self.builder.clone();
        let router = self.router.clone();
        let header_timeout = self.header_timeout;
        let signal = self.signal.clone();
        let first_request = Arc::new(Notify::new());
        let service = {
            let first_request = first_request.clone();
            hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                first_request.notify_one();
                request.extensions_mut().insert(ConnectInfo(remote));
                router.clone().oneshot(request)
            })
        };
        async move {
            let mut conn =
                pin!(builder.serve_connection_with_upgrades(TokioIo::new(stream), service));
            let mut first_deadline = pin!(tokio::time::sleep(header_timeout));
            let mut awaiting_first = true;
            let mut shutting_down = false;
            loop {
                tokio::select! {
                    result = conn.as_mut() => {
                        if let Err(err) = result {
                            tracing::trace!(error = %err, %remote, "connection ended with an error");
                        }
                        break;
                    }
                    () = signal.closed(), if !shutting_down => {
                        shutting_down = true;
                        conn.as_mut().graceful_shutdown();
                    }
                    () = first_request.notified(), if awaiting_first => awaiting_first = false,
                    () = &mut first_deadline, if awaiting_first => {
                        tracing::debug!(%remote, "no request headers in time: closing");
                        break;
                    }
                }
            }
        }
    }
}

/// After a failed `accept`: per-connection errors are skipped; anything else
/// (out of file descriptors, say) is logged and waited out for a second so the
/// loop does not spin.
async fn accept_error(err: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %err, "accept failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
