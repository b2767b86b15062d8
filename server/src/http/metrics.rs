//! `/metrics` in the Prometheus text format: requests and latency by route,
//! launches by outcome, sign-in throttling and password-check load, and
//! database pool use.
//!
//! Recording goes through the `metrics` crate into a
//! `metrics-exporter-prometheus` recorder: lock-free counters and histogram
//! buckets, so the hot paths take no global lock. Each server instance has
//! its own recorder (entered with `with_local_recorder` around each
//! recording), so two servers in one process — integration tests — never
//! share counts.

use super::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use std::time::Instant;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

impl Default for Metrics {
    fn default() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full("myapps_http_request_duration_seconds".into()), &BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        let metrics = Metrics { recorder, handle };
        metrics.record(|| {
            metrics::describe_counter!("myapps_http_requests_total", "HTTP requests by method, route and status.");
            metrics::describe_histogram!(
                "myapps_http_request_duration_seconds",
                metrics::Unit::Seconds,
                "Time to answer, by method and route."
            );
            metrics::describe_counter!("myapps_launches_total", "App launches by outcome and reason code.");
            metrics::describe_counter!(
                "myapps_remembered_sessions_total",
                "Launches decided from this server's memory of the session: confirmed when written, or changed and decided again."
            );
            metrics::describe_counter!(
                "myapps_sign_ins_throttled_total",
                "Sign-ins refused because their address made too many failed ones."
            );
            metrics::describe_counter!(
                "myapps_password_checks_refused_total",
                "Sign-ins and password changes answered 503 because password checks were saturated."
            );
            metrics::describe_gauge!("myapps_password_checks", "Password checks running and waiting for a core.");
            metrics::describe_gauge!("myapps_db_pool_connections", "Database connections by state.");
            // Present from the start, so a dashboard sees a zero, not a gap.
            counter!("myapps_sign_ins_throttled_total").absolute(0);
            counter!("myapps_password_checks_refused_total").absolute(0);
        });
        metrics
    }
}

impl Metrics {
    fn record(&self, f: impl FnOnce()) {
        metrics::with_local_recorder(&self.recorder, f)
    }

    pub fn record_launch(&self, outcome: &'static str, reason: &'static str) {
        self.record(|| counter!("myapps_launches_total", "outcome" => outcome, "reason" => reason).increment(1));
    }

    /// A launch decided from this server's memory of the session: confirmed
    /// at write, or found changed (then decided again from a fresh read).
    pub fn record_remembered_session(&self, outcome: &'static str) {
        self.record(|| counter!("myapps_remembered_sessions_total", "outcome" => outcome).increment(1));
    }

    pub fn record_sign_in_throttled(&self) {
        self.record(|| counter!("myapps_sign_ins_throttled_total").increment(1));
    }

    pub fn record_password_check_refused(&self) {
        self.record(|| counter!("myapps_password_checks_refused_total").increment(1));
    }

    fn record_request(&self, method: &Method, route: &str, status: StatusCode, seconds: f64) {
        let method = method_label(method);
        self.record(|| {
            counter!("myapps_http_requests_total", "method" => method, "route" => route.to_owned(), "status" => status_label(status))
                .increment(1);
            histogram!("myapps_http_request_duration_seconds", "method" => method, "route" => route.to_owned()).record(seconds);
        });
    }

    /// Drains histogram samples into their buckets; call every few seconds
    /// so a busy server's samples never pile up.
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }

    fn render(&self, pool: (u32, usize), passwords: (usize, usize)) -> String {
        let (size, idle) = pool;
        let (running, waiting) = passwords;
        self.record(|| {
            gauge!("myapps_db_pool_connections", "state" => "idle").set(idle as f64);
            gauge!("myapps_db_pool_connections", "state" => "in_use").set(size.saturating_sub(idle as u32) as f64);
            gauge!("myapps_password_checks", "state" => "running").set(running as f64);
            gauge!("myapps_password_checks", "state" => "waiting").set(waiting as f64);
        });
        self.handle.render()
    }
}

/// The method as a label without allocating (anything unusual is "other",
/// so clients cannot invent label values).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_label(status: StatusCode) -> &'static str {
    static LABELS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| (0..600).map(|s| s.to_string()).collect());
    LABELS.get(status.as_u16() as usize).map(String::as_str).unwrap_or("other")
}

/// Counts every request under its route template (never the raw path, so
/// ids in URLs do not explode the label set).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let res = next.run(req).await;
    // Not an answer: the session middleware runs the request again.
    if res.extensions().get::<super::session::SessionChanged>().is_some() {
        return res;
    }
    let route = route.as_ref().map(MatchedPath::as_str).unwrap_or("(unmatched)");
    state.metrics.record_request(&method, route, res.status(), started.elapsed().as_secs_f64());
    res
}

/// GET /metrics. Open unless MYAPPS_METRICS_TOKEN is set; then it needs
/// `Authorization: Bearer <token>`.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = state.metrics_token.as_deref() {
        let presented = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        if !presented.is_some_and(|p| crate::security::constant_time_eq(p, token)) {
            return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")]).into_response();
        }
    }
    let passwords = (state.passwords.running(), state.passwords.waiting());
    let body = state.metrics.render(state.pool_stats.as_ref()(), passwords);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.record_request(&Method::GET, "/launch/{app_id}", StatusCode::SEE_OTHER, 0.004);
        m.record_request(&Method::GET, "/launch/{app_id}", StatusCode::SEE_OTHER, 0.2);
        m.record_launch("failure", "not_assigned");
        m.record_sign_in_throttled();
        m.upkeep();
        let text = m.render((5, 3), (2, 7));
        assert!(text.contains("myapps_http_requests_total{method=\"GET\",route=\"/launch/{app_id}\",status=\"303\"} 2"), "{text}");
        assert!(text.contains("myapps_http_request_duration_seconds_bucket{method=\"GET\",route=\"/launch/{app_id}\",le=\"0.005\"} 1"));
        assert!(text.contains("le=\"+Inf\"} 2"));
        assert!(text.contains("myapps_launches_total{outcome=\"failure\",reason=\"not_assigned\"} 1"));
        assert!(text.contains("myapps_db_pool_connections{state=\"in_use\"} 2"));
        assert!(text.contains("myapps_password_checks{state=\"waiting\"} 7"));
        assert!(text.contains("myapps_sign_ins_throttled_total 1"));
        assert!(text.contains("myapps_password_checks_refused_total 0"));
        assert!(text.contains("# TYPE myapps_http_request_duration_seconds histogram"));
    }

    #[test]
    fn two_servers_keep_their_own_counts() {
        let (a, b) = (Metrics::default(), Metrics::default());
        a.record_sign_in_throttled();
        assert!(a.render((0, 0), (0, 0)).contains("myapps_sign_ins_throttled_total 1"));
        assert!(b.render((0, 0), (0, 0)).contains("myapps_sign_ins_throttled_total 0"));
    }
}
