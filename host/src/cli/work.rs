//! `folio work --edge URL --token TOKEN [--concurrency N]`: serve jobs for an edge.

use crate::pipeline::{Extractor, PageAdmission, Pipeline, ProcessOptions};
use crate::plugins::{PluginHost, SandboxConfig};
use crate::runner::{JobError, JobProcessor, ProcessedJob, Runner, RunnerConfig};
use anyhow::Context;
use folio_core::jobs::JobOptions;
use folio_core::jobs::ServedType;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    /// Base URL of the Folio edge (e.g. http://127.0.0.1:8787 or https://folio.example.com).
    #[arg(long, env = "FOLIO_EDGE_URL")]
    edge: String,
    /// The edge's host token (its HOST_TOKEN secret).
    #[arg(long, env = "FOLIO_HOST_TOKEN", hide_env_values = true)]
    token: String,
    /// Documents processed at once (pages of one document are OCR'd in parallel anyway).
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Name reported to the edge; defaults to hostname-pid.
    #[arg(long)]
    host_id: Option<String>,
    /// Long-poll wait per lease request, in seconds.
    #[arg(long, default_value_t = 20)]
    wait_seconds: u32,
    /// Serve Prometheus metrics at http://ADDR/metrics (e.g. 127.0.0.1:9464).
    #[arg(long, env = "FOLIO_METRICS_ADDR")]
    metrics_addr: Option<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let host_id = args.host_id.unwrap_or_else(default_host_id);
    let processor = pipeline_processor()?;
    let runner = Runner::new(RunnerConfig {
        edge_url: args.edge,
        token: args.token,
        concurrency: args.concurrency,
        host_id,
        wait_seconds: args.wait_seconds.min(folio_core::jobs::MAX_LEASE_WAIT_SECONDS),
        min_backoff: Duration::from_millis(250),
        max_backoff: Duration::from_secs(30),
    });
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, runner.stop_flag())?;
    }
    if let Some(addr) = &args.metrics_addr {
        let bound = crate::runner::metrics::serve(addr, runner.metrics())?;
        crate::runner::log::info("metrics listening", &[("url", format!("http://{bound}/metrics").into())]);
    }
    runner.run(processor)?;
    Ok(ExitCode::SUCCESS)
}

fn default_host_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname").map(|s| s.trim().to_string()).unwrap_or_else(|_| "host".into());
    format!("{host}-{}", std::process::id())
}

/// The OCR + plugin pipeline as the runner's job processor.
struct PipelineProcessor {
    pipeline: Pipeline,
    /// Types to lease; empty = any (a generic fallback plugin is installed).
    lease_types: Vec<String>,
    /// Every named type with the plugin serving it, reported to the edge.
    serves: Vec<ServedType>,
}

impl JobProcessor for PipelineProcessor {
    fn process(
        &self,
        doc_id: &str,
        file_name: &str,
        bytes: &[u8],
        options: &JobOptions,
        admit: &PageAdmission<'_>,
    ) -> Result<ProcessedJob, JobError> {
        let outputs = options.outputs.clone();
        let options = ProcessOptions {
            document_type: options.document_type.clone(),
            language: options.language.clone(),
            extract_tables: options.extract_tables,
            ocr_engine: options.ocr_engine,
            ..ProcessOptions::default()
        };
        let (result, _, document) = self.pipeline.process_document(doc_id, bytes.to_vec(), &options, admit)?;
        // The same OCR pass makes every output asked for.
        let outputs = crate::outputs::make_all(&outputs, &document, bytes, file_name)?;
        // Previews are for the review page only: without them the result still stands.
        let previews = crate::outputs::preview::previews(&document, bytes).unwrap_or_else(|e| {
            crate::runner::log::warn("no page previews", &[("docId", doc_id.into()), ("error", e.message.as_str().into())]);
            Vec::new()
        });
        Ok(ProcessedJob { result, outputs, previews })
    }

    fn document_types(&self) -> Vec<String> {
        self.lease_types.clone()
    }

    fn serves(&self) -> Vec<ServedType> {
        self.serves.clone()
    }
}

fn pipeline_processor() -> anyhow::Result<Arc<dyn JobProcessor>> {
    let plugins = PluginHost::with_default_plugins(SandboxConfig::default()).context("loading extractor plugins")?;
    let lease_types =
        if plugins.plugin_for(folio_core::document::DEFAULT_DOCUMENT_TYPE).is_some() { Vec::new() } else { plugins.document_types() };
    let serves: Vec<ServedType> = plugins
        .document_types()
        .into_iter()
        .filter_map(|t| {
            let p = plugins.plugin_for(&t)?;
            Some(ServedType { document_type: t, plugin: p.name.clone(), version: p.version.clone() })
        })
        .collect();
    let extractor: Arc<dyn Extractor> = Arc::new(plugins);
    let pipeline = Pipeline::with_default_engine(Some(extractor)).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    Ok(Arc::new(PipelineProcessor { pipeline, lease_types, serves }))
}
