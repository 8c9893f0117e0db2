//! Runner metrics in the Prometheus text format, served over HTTP.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the job-duration histogram buckets.
const BUCKETS: &[f64] = &[0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

#[derive(Default)]
pub struct Metrics {
    pub jobs_leased: AtomicU64,
    pub jobs_completed: AtomicU64,
    pub jobs_failed: AtomicU64,
    pub jobs_released: AtomicU64,
    pub leases_lost: AtomicU64,
    pub pages_processed: AtomicU64,
    pub edge_errors: AtomicU64,
    pub in_flight: AtomicU64,
    durations: Mutex<Histogram>,
}

#[derive(Default)]
struct Histogram {
    counts: [u64; 10],
    sum: f64,
    count: u64,
}

impl Metrics {
    pub fn observe_job(&self, d: Duration) {
        let s = d.as_secs_f64();
        let mut h = self.durations.lock().unwrap_or_else(|p| p.into_inner());
        for (i, b) in BUCKETS.iter().enumerate() {
            if s <= *b {
                h.counts[i] += 1;
            }
        }
        h.sum += s;
        h.count += 1;
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, v: &AtomicU64| {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n", v.load(Ordering::Relaxed)));
        };
        out.push_str("# HELP folio_jobs_total Jobs by outcome.\n# TYPE folio_jobs_total counter\n");
        for (outcome, v) in [
            ("leased", &self.jobs_leased),
            ("completed", &self.jobs_completed),
            ("failed", &self.jobs_failed),
            ("released", &self.jobs_released),
            ("lease_lost", &self.leases_lost),
        ] {
            out.push_str(&format!("folio_jobs_total{{outcome=\"{outcome}\"}} {}\n", v.load(Ordering::Relaxed)));
        }
        counter(&mut out, "folio_pages_processed_total", "Pages processed (OCR or PDF text layer).", &self.pages_processed);
        counter(&mut out, "folio_edge_errors_total", "Failed calls to the edge (transport or 5xx).", &self.edge_errors);
        out.push_str(&format!(
            "# HELP folio_jobs_in_flight Jobs being processed now.\n# TYPE folio_jobs_in_flight gauge\nfolio_jobs_in_flight {}\n",
            self.in_flight.load(Ordering::Relaxed)
        ));
        let h = self.durations.lock().unwrap_or_else(|p| p.into_inner());
        out.push_str("# HELP folio_job_duration_seconds Time from lease to complete/fail.\n# TYPE folio_job_duration_seconds histogram\n");
        for (i, b) in BUCKETS.iter().enumerate() {
            out.push_str(&format!("folio_job_duration_seconds_bucket{{le=\"{b}\"}} {}\n", h.counts[i]));
        }
        out.push_str(&format!("folio_job_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", h.count));
        out.push_str(&format!("folio_job_duration_seconds_sum {}\nfolio_job_duration_seconds_count {}\n", h.sum, h.count));
        out
    }
}

/// Serves `GET /metrics` on `addr` from a background thread; returns the bound address.
pub fn serve(addr: &str, metrics: std::sync::Arc<Metrics>) -> anyhow::Result<std::net::SocketAddr> {
    let server = tiny_http::Server::http(addr).map_err(|e| anyhow::anyhow!("metrics listener on {addr}: {e}"))?;
    let bound = server.server_addr().to_ip().ok_or_else(|| anyhow::anyhow!("metrics listener has no IP address"))?;
    std::thread::Builder::new().name("metrics".into()).spawn(move || {
        for req in server.incoming_requests() {
            let resp = if req.url() == "/metrics" {
                let header = tiny_http::Header::from_bytes("Content-Type", "text/plain; version=0.0.4").expect("static header");
                tiny_http::Response::from_string(metrics.render()).with_header(header)
            } else {
                tiny_http::Response::from_string("not found\n").with_status_code(404)
            };
            let _ = req.respond(resp);
        }
    })?;
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histogram() {
        let m = Metrics::default();
        m.jobs_completed.fetch_add(2, Ordering::Relaxed);
        m.observe_job(Duration::from_millis(300));
        m.observe_job(Duration::from_secs(3));
        let text = m.render();
        assert!(text.contains("folio_jobs_total{outcome=\"completed\"} 2"), "{text}");
        assert!(text.contains("folio_job_duration_seconds_bucket{le=\"0.5\"} 1"), "{text}");
        assert!(text.contains("folio_job_duration_seconds_bucket{le=\"5\"} 2"), "{text}");
        assert!(text.contains("folio_job_duration_seconds_count 2"), "{text}");
    }
}
