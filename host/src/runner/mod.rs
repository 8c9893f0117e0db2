//! `folio work`: lease jobs from a Folio edge, process them, report back.
//!
//! Each of `concurrency` worker threads long-polls the edge for a lease,
//! downloads the file, runs the [`JobProcessor`] (the OCR + plugin pipeline)
//! while a heartbeat thread keeps the lease alive, uploads the outputs asked
//! for (searchable PDF, hOCR, ...: `PUT .../artifacts/{name}`), then posts
//! the result naming them, or a precise error. The edge owns all state: a host that dies simply stops
//! heartbeating, its lease expires and another host gets the job. So the
//! runner keeps nothing on disk and many runners can serve one edge.
//!
//! Shutdown (SIGTERM/SIGINT): stop leasing, let jobs in progress finish and
//! report, give back (release) any lease that arrives after the signal, exit.

pub mod client;
pub mod log;
pub mod metrics;

pub use crate::outputs::MadeOutput;
use client::{EdgeClient, EdgeError};
use folio_core::jobs::{JobOptions, Lease, LeaseRequest};
use folio_core::{ApiError, DocumentStatus, ErrorCode, ProcessingResult};
use metrics::Metrics;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What the runner does with a leased file. The production implementation is
/// the OCR + plugin pipeline; tests can plug in anything real.
pub trait JobProcessor: Send + Sync {
    /// Processes one file; `admit` must be asked with the page count before
    /// any page is processed (its error ends the job).
    fn process(
        &self,
        doc_id: &str,
        file_name: &str,
        bytes: &[u8],
        options: &JobOptions,
        admit: &crate::pipeline::PageAdmission<'_>,
    ) -> Result<ProcessedJob, JobError>;
    /// Document types this host can extract (sent with lease requests).
    fn document_types(&self) -> Vec<String>;
    /// The types its plugins serve, with the serving plugin (reported to the
    /// edge with every lease request, so the API accepts them).
    fn serves(&self) -> Vec<folio_core::jobs::ServedType> {
        Vec::new()
    }
}

/// What processing one file made: the result and the outputs asked for
/// (`JobOptions::outputs`) and the page previews (PDF and TIFF), uploaded
/// before the result.
#[derive(Clone, Debug)]
pub struct ProcessedJob {
    pub result: ProcessingResult,
    pub outputs: Vec<crate::outputs::MadeOutput>,
    pub previews: Vec<crate::outputs::preview::PagePreview>,
}

/// A processing failure and whether another attempt could succeed.
#[derive(Debug)]
pub struct JobError {
    pub error: ApiError,
    /// Transient (e.g. an internal error): the edge re-queues while attempts remain.
    pub retryable: bool,
}

impl From<ApiError> for JobError {
    fn from(error: ApiError) -> Self {
        let retryable = error.code == ErrorCode::InternalError;
        Self { error, retryable }
    }
}

#[derive(Clone, Debug)]
pub struct RunnerConfig {
    pub edge_url: String,
    pub token: String,
    pub concurrency: usize,
    pub host_id: String,
    /// Long-poll wait per lease request.
    pub wait_seconds: u32,
    /// Backoff bounds when the edge is unreachable.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
}

pub struct Runner {
    cfg: RunnerConfig,
    client: Arc<EdgeClient>,
    metrics: Arc<Metrics>,
    stop: Arc<AtomicBool>,
    busy: Arc<AtomicUsize>,
}

impl Runner {
    pub fn new(cfg: RunnerConfig) -> Self {
        let client = Arc::new(EdgeClient::new(&cfg.edge_url, &cfg.token));
        Self {
            cfg,
            client,
            metrics: Arc::new(Metrics::default()),
            stop: Arc::new(AtomicBool::new(false)),
            busy: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// The flag that stops the runner; SIGTERM/SIGINT set it.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Runs until the stop flag is set, then waits for jobs in progress.
    pub fn run(&self, processor: Arc<dyn JobProcessor>) -> anyhow::Result<()> {
        log::info(
            "runner started",
            &[
                ("edge", self.cfg.edge_url.as_str().into()),
                ("hostId", self.cfg.host_id.as_str().into()),
                ("concurrency", self.cfg.concurrency.into()),
            ],
        );
        let mut handles = Vec::new();
        for i in 0..self.cfg.concurrency.max(1) {
            let w = Worker {
                cfg: self.cfg.clone(),
                client: self.client.clone(),
                metrics: self.metrics.clone(),
                stop: self.stop.clone(),
                busy: self.busy.clone(),
                processor: processor.clone(),
            };
            handles.push(std::thread::Builder::new().name(format!("worker-{i}")).spawn(move || w.run())?);
        }
        while !self.stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(100));
        }
        log::info("stopping: finishing jobs in progress", &[("busy", self.busy.load(Ordering::SeqCst).into())]);
        // Workers idle in a long-poll are not waited for: if the edge hands
        // them a job after we exit, its lease simply expires and is re-queued.
        while self.busy.load(Ordering::SeqCst) > 0 {
            std::thread::sleep(Duration::from_millis(50));
        }
        for h in handles {
            if h.is_finished() {
                let _ = h.join();
            }
        }
        log::info("runner stopped", &[]);
        Ok(())
    }
}

struct Worker {
    cfg: RunnerConfig,
    client: Arc<EdgeClient>,
    metrics: Arc<Metrics>,
    stop: Arc<AtomicBool>,
    busy: Arc<AtomicUsize>,
    processor: Arc<dyn JobProcessor>,
}

impl Worker {
    fn run(&self) {
        let req = LeaseRequest {
            host_id: self.cfg.host_id.clone(),
            wait_seconds: self.cfg.wait_seconds,
            document_types: self.processor.document_types(),
            serves: self.processor.serves(),
        };
        let mut backoff = Backoff::new(self.cfg.min_backoff, self.cfg.max_backoff);
        while !self.stop.load(Ordering::SeqCst) {
            match self.client.lease(&req) {
                Ok(None) => backoff.reset(),
                Ok(Some(lease)) => {
                    backoff.reset();
                    self.busy.fetch_add(1, Ordering::SeqCst);
                    if self.stop.load(Ordering::SeqCst) {
                        self.release(&lease);
                    } else {
                        self.handle(lease);
                    }
                    self.busy.fetch_sub(1, Ordering::SeqCst);
                }
                Err(e) => {
                    self.metrics.edge_errors.fetch_add(1, Ordering::Relaxed);
                    let wait = backoff.next();
                    log::warn(
                        "lease request failed; backing off",
                        &[("error", e.to_string().into()), ("retryInMs", (wait.as_millis() as u64).into())],
                    );
                    self.sleep_unless_stopped(wait);
                }
            }
        }
    }

    fn release(&self, lease: &Lease) {
        match self.client.release(&lease.lease_id) {
            Ok(_) => {
                self.metrics.jobs_released.fetch_add(1, Ordering::Relaxed);
                log::info("released lease on shutdown", &[("docId", lease.doc_id.as_str().into())]);
            }
            Err(e) => log::warn(
                "release failed; the lease will expire",
                &[("docId", lease.doc_id.as_str().into()), ("error", e.to_string().into())],
            ),
        }
    }

    fn handle(&self, lease: Lease) {
        let started = Instant::now();
        self.metrics.jobs_leased.fetch_add(1, Ordering::Relaxed);
        self.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
        log::info(
            "job leased",
            &[
                ("docId", lease.doc_id.as_str().into()),
                ("attempt", lease.attempt.into()),
                ("type", lease.options.document_type.as_str().into()),
            ],
        );
        let lost = AtomicBool::new(false);
        let refused = AtomicBool::new(false);
        let outcome = std::thread::scope(|s| {
            let (done_tx, done_rx) = mpsc::channel::<()>();
            s.spawn(|| self.heartbeat_until_done(&lease, done_rx, &lost));
            let outcome = self.fetch_and_process(&lease, &lost, &refused);
            // Outputs go up while the heartbeat still runs (a large PDF may
            // take a while): the completion lists them, and the edge lists
            // only what it stored.
            let uploaded = match &outcome {
                Ok(job) if !lost.load(Ordering::SeqCst) => Some(self.upload_outputs(&lease, job)),
                _ => None,
            };
            drop(done_tx);
            (outcome, uploaded)
        });
        let (outcome, uploaded) = outcome;
        self.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
        if lost.load(Ordering::SeqCst) {
            self.metrics.leases_lost.fetch_add(1, Ordering::Relaxed);
            log::warn("lease lost while processing; result dropped", &[("docId", lease.doc_id.as_str().into())]);
            return;
        }
        let doc = lease.doc_id.as_str();
        if refused.load(Ordering::SeqCst) {
            // The edge failed the document when it heard the page count.
            self.metrics.jobs_failed.fetch_add(1, Ordering::Relaxed);
            let reason = outcome.err().map(|e| e.error.to_string()).unwrap_or_default();
            log::warn("job refused at re-admission", &[("docId", doc.into()), ("error", reason.into())]);
            return;
        }
        // A refused upload (too large) fails the job.
        let outcome = match outcome {
            Ok(job) => match uploaded.unwrap_or(Ok(())) {
                Ok(()) => Ok(job),
                Err(EdgeError::Api { error, .. }) => Err(JobError { error, retryable: false }),
                Err(e) => {
                    if matches!(e, EdgeError::LeaseLost(_)) {
                        self.metrics.leases_lost.fetch_add(1, Ordering::Relaxed);
                    }
                    log::warn(
                        "could not upload outputs; the lease will expire and the job be retried",
                        &[("docId", doc.into()), ("error", e.to_string().into())],
                    );
                    return;
                }
            },
            Err(e) => Err(e),
        };
        let report = match outcome {
            Ok(ProcessedJob { result, outputs, .. }) => {
                let pages = result.pages_processed;
                let names: Vec<folio_core::OutputName> = outputs.iter().map(|o| o.name).collect();
                let r = self.with_retries(|| self.client.complete(&lease.lease_id, result.clone(), names.clone()));
                match &r {
                    Ok(outcome) if outcome.status == DocumentStatus::Failed => {
                        // The edge refused to keep the result (too large).
                        self.metrics.jobs_failed.fetch_add(1, Ordering::Relaxed);
                        log::warn("job failed at the edge: result not kept", &[("docId", doc.into()), ("pages", pages.into())]);
                    }
                    Ok(_) => {
                        self.metrics.jobs_completed.fetch_add(1, Ordering::Relaxed);
                        self.metrics.pages_processed.fetch_add(pages as u64, Ordering::Relaxed);
                        log::info(
                            "job completed",
                            &[("docId", doc.into()), ("pages", pages.into()), ("ms", (started.elapsed().as_millis() as u64).into())],
                        );
                    }
                    Err(_) => {}
                }
                r.map(|_| ())
            }
            Err(JobError { error, retryable }) => {
                let r = self.with_retries(|| self.client.fail(&lease.lease_id, error.clone(), retryable));
                if r.is_ok() {
                    self.metrics.jobs_failed.fetch_add(1, Ordering::Relaxed);
                    log::warn(
                        "job failed",
                        &[
                            ("docId", doc.into()),
                            ("code", error.code.as_str().into()),
                            ("message", error.message.as_str().into()),
                            ("retryable", retryable.into()),
                        ],
                    );
                }
                r.map(|_| ())
            }
        };
        self.metrics.observe_job(started.elapsed());
        if let Err(e) = report {
            if matches!(e, EdgeError::LeaseLost(_)) {
                self.metrics.leases_lost.fetch_add(1, Ordering::Relaxed);
            }
            log::warn(
                "could not report job; the lease will expire and the job be retried",
                &[("docId", doc.into()), ("error", e.to_string().into())],
            );
        }
    }

    /// Uploads each output (retried on transport errors; a retried upload
    /// overwrites the same object and is recorded once).
    fn upload_outputs(&self, lease: &Lease, job: &ProcessedJob) -> Result<(), EdgeError> {
        for out in &job.outputs {
            let artifact = folio_core::outputs::Artifact::Output(out.name);
            self.with_retries(|| self.client.put_artifact(&lease.lease_id, &artifact, &out.bytes))?;
        }
        self.upload_previews(lease, job)
    }

    /// Uploads the page previews. Only a lost lease (or deleted document)
    /// stops the job: previews are for the review page, and a document
    /// without them still completes. The edge refusing one for the
    /// document's size budget stops the rest (they would be refused too).
    fn upload_previews(&self, lease: &Lease, job: &ProcessedJob) -> Result<(), EdgeError> {
        for p in &job.previews {
            let artifact = folio_core::outputs::Artifact::Preview { page: p.page };
            match self.with_retries(|| self.client.put_artifact(&lease.lease_id, &artifact, &p.png)) {
                Ok(_) => {}
                Err(e @ EdgeError::LeaseLost(_)) => return Err(e),
                Err(e) => {
                    let over_budget = matches!(&e, EdgeError::Api { error, .. } if error.code == ErrorCode::OutputTooLarge);
                    log::warn(
                        "page preview not stored",
                        &[("docId", lease.doc_id.as_str().into()), ("page", p.page.into()), ("error", e.to_string().into())],
                    );
                    if over_budget {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// Reports the page count to the edge; a refusal (credits, page cap)
    /// means the edge already failed the document.
    fn admit_pages(&self, lease: &Lease, pages: u32, lost: &AtomicBool, refused: &AtomicBool) -> Result<(), ApiError> {
        match self.with_retries(|| self.client.pages(&lease.lease_id, pages)) {
            Ok(_) => Ok(()),
            Err(EdgeError::Api { error, .. }) => {
                refused.store(true, Ordering::SeqCst);
                Err(error)
            }
            Err(EdgeError::LeaseLost(message)) => {
                lost.store(true, Ordering::SeqCst);
                Err(ApiError::new(ErrorCode::LeaseLost, message))
            }
            Err(EdgeError::Transport(e)) => Err(ApiError::new(ErrorCode::InternalError, format!("could not report the page count: {e}"))),
        }
    }

    fn fetch_and_process(&self, lease: &Lease, lost: &AtomicBool, refused: &AtomicBool) -> Result<ProcessedJob, JobError> {
        let bytes = self.with_retries(|| self.client.fetch_file(lease)).map_err(|e| JobError {
            error: ApiError::new(ErrorCode::InternalError, format!("could not download the file: {e}")),
            retryable: true,
        })?;
        let processor = self.processor.clone();
        // A panic in processing must not take the worker (or the lease) down with it.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let admit = |pages: u32| self.admit_pages(lease, pages, lost, refused);
            processor.process(&lease.doc_id, &lease.file.file_name, &bytes, &lease.options, &admit)
        }))
        .unwrap_or_else(|_| Err(JobError { error: ApiError::new(ErrorCode::InternalError, "processing panicked"), retryable: true }))
    }

    fn heartbeat_until_done(&self, lease: &Lease, done: mpsc::Receiver<()>, lost: &AtomicBool) {
        let every = Duration::from_secs((lease.lease_seconds / 3).max(1) as u64);
        loop {
            match done.recv_timeout(every) {
                Err(mpsc::RecvTimeoutError::Timeout) => match self.client.heartbeat(&lease.lease_id) {
                    Ok(_) => {}
                    Err(EdgeError::LeaseLost(_)) => {
                        lost.store(true, Ordering::SeqCst);
                        return;
                    }
                    Err(e) => log::warn("heartbeat failed", &[("docId", lease.doc_id.as_str().into()), ("error", e.to_string().into())]),
                },
                _ => return,
            }
        }
    }

    /// Retries transport failures a few times; API answers are final.
    fn with_retries<T>(&self, mut f: impl FnMut() -> Result<T, EdgeError>) -> Result<T, EdgeError> {
        let mut backoff = Backoff::new(self.cfg.min_backoff, self.cfg.max_backoff);
        let mut tries = 0;
        loop {
            match f() {
                Err(EdgeError::Transport(e)) if tries < 5 => {
                    tries += 1;
                    self.metrics.edge_errors.fetch_add(1, Ordering::Relaxed);
                    log::warn("edge call failed; retrying", &[("error", e.into()), ("try", tries.into())]);
                    std::thread::sleep(backoff.next());
                }
                r => return r,
            }
        }
    }

    fn sleep_unless_stopped(&self, d: Duration) {
        let until = Instant::now() + d;
        while Instant::now() < until && !self.stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50).min(until - Instant::now()));
        }
    }
}

/// Exponential backoff with full jitter.
struct Backoff {
    min: Duration,
    max: Duration,
    current: Duration,
}

impl Backoff {
    fn new(min: Duration, max: Duration) -> Self {
        Self { min, max, current: min }
    }
    fn reset(&mut self) {
        self.current = self.min;
    }
    fn next(&mut self) -> Duration {
        let cap = self.current;
        self.current = (self.current * 2).min(self.max);
        let jitter = (folio_core::ids::random_u64() % 1000) as f64 / 1000.0;
        self.min.max(cap.mul_f64(0.5 + 0.5 * jitter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let waits: Vec<_> = (0..8).map(|_| b.next()).collect();
        assert!(waits.iter().all(|w| *w >= Duration::from_millis(100) && *w <= Duration::from_secs(2)), "{waits:?}");
        assert!(waits[7] >= Duration::from_secs(1), "{waits:?}");
        b.reset();
        assert!(b.next() <= Duration::from_millis(100));
    }
}
