//! Prometheus metrics: what `/metrics` shows.
//!
//! Recorded with the `metrics` facade into one process-wide Prometheus
//! recorder (installed on first use; several servers in one test process
//! share it). Names:
//!
//! * `imgql_graphql_requests_total{field}` and `imgql_graphql_errors_total{field}`:
//!   root fields run (HTTP and WebSocket), and those that failed;
//! * `imgql_graphql_field_seconds{field}`: how long root fields took;
//! * `imgql_messages_sent_total`: messages sent (committed and published);
//! * `imgql_deliveries_total`: messages handed to live subscribers;
//! * `imgql_open_sockets`, `imgql_live_subscriptions`: open WebSockets and live feeds;
//! * `imgql_gap_fills_total{reason}`: live feeds reading from the database
//!   (`gap`: a sequence was missing, `lagged`: a topic fell behind,
//!   `resync`: the bus resynced);
//! * `imgql_bus_*`: the Redis bus (published, received, failures, resyncs,
//!   and `imgql_bus_lag_seconds`, publish to receipt across instances, which
//!   the bus records itself through the facade);
//! * `imgql_db_ping_seconds`: database round trip, sampled every 5 s.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering::Relaxed},
        OnceLock,
    },
    time::Duration,
};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Latency buckets in seconds (0.1 ms to 10 s).
const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    10.0,
];

/// The recorder's handle, installing it on first use (`None` if another
/// recorder was installed first).
fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new().set_buckets(BUCKETS).ok()?;
            builder.install_recorder().ok()
        })
        .as_ref()
}

/// Install the recorder (call once at start; later calls do nothing).
pub fn install() {
    handle();
}

/// Deliveries so far: counted here, and copied into the registry when the
/// metrics are read, because a registry lookup per delivery (hashing the key
/// under a lock) showed in the profile of a group send to a thousand members.
static DELIVERIES: AtomicU64 = AtomicU64::new(0);

/// The metrics in Prometheus text format.
pub fn render() -> String {
    match handle() {
        Some(handle) => {
            metrics::counter!("imgql_deliveries_total").absolute(DELIVERIES.load(Relaxed));
            handle.run_upkeep();
            handle.render()
        }
        None => String::new(),
    }
}

/// A root field ran; `failed` when it answered an error.
pub fn root_field(field: &str, failed: bool, took: Duration) {
    metrics::counter!("imgql_graphql_requests_total", "field" => field.to_owned()).increment(1);
    if failed {
        metrics::counter!("imgql_graphql_errors_total", "field" => field.to_owned()).increment(1);
    }
    metrics::histogram!("imgql_graphql_field_seconds", "field" => field.to_owned())
        .record(took.as_secs_f64());
}

/// `n` messages were sent.
pub fn sent(n: usize) {
    metrics::counter!("imgql_messages_sent_total").increment(n as u64);
}

/// A message was handed to a live subscriber.
pub fn delivered() {
    DELIVERIES.fetch_add(1, Relaxed);
}

/// A live feed read from the database, for `reason`.
pub fn gap_fill(reason: &'static str) {
    metrics::counter!("imgql_gap_fills_total", "reason" => reason).increment(1);
}

/// A WebSocket opened (`1`) or closed (`-1`).
pub fn sockets(delta: f64) {
    metrics::gauge!("imgql_open_sockets").increment(delta);
}

/// A live feed started (`1`) or ended (`-1`).
pub fn subscriptions(delta: f64) {
    metrics::gauge!("imgql_live_subscriptions").increment(delta);
}

/// The database answered a ping in `took`.
pub fn db_ping(took: Duration) {
    metrics::histogram!("imgql_db_ping_seconds").record(took.as_secs_f64());
}

/// Counters of the Redis bus, copied at scrape time.
pub fn bus_counters(stats: &crate::realtime::BusStats) {
    metrics::gauge!("imgql_bus_published_total").set(stats.published.load(Relaxed) as f64);
    metrics::gauge!("imgql_bus_received_total").set(stats.received.load(Relaxed) as f64);
    metrics::gauge!("imgql_bus_publish_failures_total")
        .set(stats.publish_failures.load(Relaxed) as f64);
    metrics::gauge!("imgql_bus_resyncs_total").set(stats.resyncs.load(Relaxed) as f64);
}

/// Counts one open thing for as long as it lives.
pub struct Gauge(fn(f64));

impl Gauge {
    /// Count one more with `record`, one less when dropped.
    pub fn hold(record: fn(f64)) -> Self {
        record(1.0);
        Self(record)
    }
}

impl Drop for Gauge {
    fn drop(&mut self) {
        (self.0)(-1.0);
    }
}
