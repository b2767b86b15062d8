//! `/metrics` in the Prometheus text format: requests and latency by route,
//! launches by outcome, and database pool use. A small in-process registry:
//! the numbers are few, so no metrics framework is needed.

use super::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
pub struct Metrics {
    /// (method, route, status) → requests
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// (method, route) → latency
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
    /// outcome:reason → launches
    launches: Mutex<BTreeMap<(String, String), u64>>,
    /// Sign-ins refused by the per-address throttle.
    sign_ins_throttled: std::sync::atomic::AtomicU64,
}

impl Metrics {
    pub fn record_launch(&self, outcome: &str, reason: &str) {
        let mut launches = self.launches.lock().expect("metrics lock");
        *launches.entry((outcome.to_string(), reason.to_string())).or_default() += 1;
    }

    pub fn record_sign_in_throttled(&self) {
        self.sign_ins_throttled.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn record_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let key = (method.to_string(), route.to_string());
        *self.requests.lock().expect("metrics lock").entry((key.0.clone(), key.1.clone(), status)).or_default() += 1;
        let mut latency = self.latency.lock().expect("metrics lock");
        let h = latency.entry(key).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    fn render(&self, pool: (u32, usize)) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP myapps_http_requests_total HTTP requests by method, route and status.\n# TYPE myapps_http_requests_total counter\n",
        );
        for ((method, route, status), n) in self.requests.lock().expect("metrics lock").iter() {
            let _ = writeln!(out, "myapps_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}", escape(route));
        }
        out.push_str("# HELP myapps_http_request_duration_seconds Time to answer, by method and route.\n# TYPE myapps_http_request_duration_seconds histogram\n");
        for ((method, route), h) in self.latency.lock().expect("metrics lock").iter() {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(out, "myapps_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}", h.counts[i]);
            }
            let _ = writeln!(out, "myapps_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "myapps_http_request_duration_seconds_sum{{{labels}}} {}", h.sum);
            let _ = writeln!(out, "myapps_http_request_duration_seconds_count{{{labels}}} {}", h.count);
        }
        out.push_str("# HELP myapps_launches_total App launches by outcome and reason code.\n# TYPE myapps_launches_total counter\n");
        for ((outcome, reason), n) in self.launches.lock().expect("metrics lock").iter() {
            let _ = writeln!(out, "myapps_launches_total{{outcome=\"{outcome}\",reason=\"{reason}\"}} {n}");
        }
        out.push_str("# HELP myapps_sign_ins_throttled_total Sign-ins refused because their address made too many failed ones.\n# TYPE myapps_sign_ins_throttled_total counter\n");
        let _ = writeln!(out, "myapps_sign_ins_throttled_total {}", self.sign_ins_throttled.load(std::sync::atomic::Ordering::Relaxed));
        let (size, idle) = pool;
        out.push_str("# HELP myapps_db_pool_connections Database connections by state.\n# TYPE myapps_db_pool_connections gauge\n");
        let _ = writeln!(out, "myapps_db_pool_connections{{state=\"idle\"}} {idle}");
        let _ = writeln!(out, "myapps_db_pool_connections{{state=\"in_use\"}} {}", (size as usize).saturating_sub(idle));
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Counts every request under its route template (never the raw path, so
/// ids in URLs do not explode the label set).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "(unmatched)".into());
    let res = next.run(req).await;
    state.metrics.record_request(&method, &route, res.status().as_u16(), started.elapsed().as_secs_f64());
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
    let body = state.metrics.render(state.pool_stats.as_ref()());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.record_request("GET", "/launch/{app_id}", 303, 0.004);
        m.record_request("GET", "/launch/{app_id}", 303, 0.2);
        m.record_launch("failure", "not_assigned");
        m.record_sign_in_throttled();
        let text = m.render((5, 3));
        assert!(text.contains("myapps_http_requests_total{method=\"GET\",route=\"/launch/{app_id}\",status=\"303\"} 2"));
        assert!(text.contains("myapps_http_request_duration_seconds_bucket{method=\"GET\",route=\"/launch/{app_id}\",le=\"0.005\"} 1"));
        assert!(text.contains("le=\"+Inf\"} 2"));
        assert!(text.contains("myapps_launches_total{outcome=\"failure\",reason=\"not_assigned\"} 1"));
        assert!(text.contains("myapps_db_pool_connections{state=\"in_use\"} 2"));
        assert!(text.contains("myapps_sign_ins_throttled_total 1"));
    }
}
