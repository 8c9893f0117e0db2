//! `folio plugins list | check | run`: inspect and try extractor plugins.

use crate::plugins::cache::CacheStatus;
use crate::plugins::{PluginHost, PluginInfo, SandboxConfig, sample};
use anyhow::{Context, Result, bail};
use folio_core::ErrorCode;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// List the built-in plugins ($FOLIO_BUILTIN_PLUGINS) and those in
    /// $FOLIO_PLUGINS_DIR, and the files that failed to load.
    List(ListArgs),
    /// Validate a plugin file, print its metadata and run it once on a sample
    /// document. Exits non-zero with the reason when the plugin is refused.
    Check(CheckArgs),
    /// Run a plugin file on a plain-text document (no OCR) and print what it
    /// extracts as JSON.
    Run(RunArgs),
}

#[derive(clap::Args)]
pub struct ListArgs {
    /// Also load the plugins in this directory (repeatable).
    #[arg(long = "dir", value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct CheckArgs {
    /// The plugin component (`target/wasm32-wasip2/release/<crate>.wasm`).
    path: PathBuf,
    /// Only validate; skip the sample extraction.
    #[arg(long)]
    no_smoke_test: bool,
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// The plugin component.
    path: PathBuf,
    /// A text file: each line becomes an OCR line; a form feed (\f) starts a new page.
    #[arg(long, value_name = "FILE")]
    text: PathBuf,
    /// The document type to ask for (default: the plugin's first type).
    #[arg(long = "type", value_name = "TYPE")]
    document_type: Option<String>,
    /// A caller hint such as currency=EUR (repeatable).
    #[arg(long = "hint", value_name = "KEY=VALUE", value_parser = parse_hint)]
    hints: Vec<(String, String)>,
    /// Whether the document asks for tables (`extractTables` of the API).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    extract_tables: bool,
}

pub fn run(c: Command) -> Result<ExitCode> {
    match c {
        Command::List(a) => list(a),
        Command::Check(a) => check(a),
        Command::Run(a) => run_plugin(a),
    }
}

fn list(args: ListArgs) -> Result<ExitCode> {
    let mut host = PluginHost::with_default_plugins(SandboxConfig::default())?;
    for dir in &args.dirs {
        host.load_dir(dir)?;
    }
    let plugins = host.plugins();
    if args.json {
        let failed: Vec<_> = host
            .failed_loads()
            .iter()
            .map(|r| serde_json::json!({"path": r.path, "error": r.result.as_ref().err().map(|e| e.to_string())}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({"plugins": plugins, "failed": failed}))?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("built-in plugins: {}", crate::config::builtin_plugins_dir().display());
    for dir in crate::config::extra_plugin_dirs().iter().chain(&args.dirs) {
        println!("extra plugins:    {}", dir.display());
    }
    if plugins.is_empty() {
        println!("\nno plugins loaded (build the built-ins with scripts/build-plugins)");
    } else {
        // A type two plugins declare is served by one (the later loaded):
        // say which, next to the other.
        let types = |p: &PluginInfo| {
            p.document_types
                .iter()
                .map(|t| match host.plugin_for(t) {
                    Some(server) if server.name != p.name && t != "*" => format!("{t} (served by {})", server.name),
                    _ => t.clone(),
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        let rows: Vec<[String; 5]> = plugins
            .iter()
            .map(|p| [p.name.clone(), p.version.clone(), p.contract_version.clone(), types(p), p.path.display().to_string()])
            .collect();
        println!();
        print_table(&["NAME", "VERSION", "CONTRACT", "TYPES", "PATH"], &rows);
        match host.plugin_for(folio_core::document::DEFAULT_DOCUMENT_TYPE) {
            Some(p) => println!("\nother document types fall back to: {}", p.name),
            None => println!("\nno generic fallback: documents of other types are refused"),
        }
        // The edge accepts its DOCUMENT_TYPES setting and the types hosts report
        // serving; naming them in the setting accepts them before any host has.
        println!("edge setting for these types (optional, hosts report them): DOCUMENT_TYPES={}", host.document_types().join(","));
    }
    if !host.failed_loads().is_empty() {
        println!("\nnot loaded:");
        for report in host.failed_loads() {
            if let Err(e) = &report.result {
                println!("  {e}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The sample `plugins check` runs a plugin on (printed with the result).
const SMOKE_SAMPLE: &str = "Folio plugin check\nInvoice Number: CHECK-1\nDate: 2024-01-31\nTotal: 12.50 EUR";

/// Prints what it checked as it goes and the verdict last: `ok: ...` and
/// exit 0, or the reason on stderr and a non-zero exit.
fn check(args: CheckArgs) -> Result<ExitCode> {
    let mut host = PluginHost::new(SandboxConfig::default())?;
    println!("checking {}", args.path.display());
    let info = host.load_file(&args.path).map_err(|e| anyhow::anyhow!("plugin refused: {e}"))?;
    print_info(&info);
    let verdict = || println!("ok: {} is a valid Folio extractor plugin", args.path.display());
    if args.no_smoke_test {
        verdict();
        return Ok(ExitCode::SUCCESS);
    }
    let document_type = smoke_test_type(&info);
    let mut doc = sample::document(&document_type, &[SMOKE_SAMPLE]);
    doc.id = "doc_plugin_check".into();
    println!(
        "  sample:      a {}-line {document_type} document (try your own with `folio plugins run --text FILE`):",
        doc.pages[0].lines.len()
    );
    for line in SMOKE_SAMPLE.lines() {
        println!("                 | {line}");
    }
    match host.extract(&doc) {
        Ok(x) => {
            println!(
                "  smoke test:  ok: {} keys, confidence {} in {:.2} ms",
                x.extracted_data.len(),
                x.confidence,
                x.elapsed.as_secs_f64() * 1000.0
            );
        }
        // The plugin is allowed to turn the sample down; only crashes count.
        Err(e) if e.code != ErrorCode::PluginFailed => {
            println!("  smoke test:  ok: the plugin declined the sample ({}: {})", e.code, e.message);
        }
        Err(e) => {
            println!("  smoke test:  FAILED");
            bail!("smoke test failed: {e}");
        }
    }
    verdict();
    Ok(ExitCode::SUCCESS)
}

fn run_plugin(args: RunArgs) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&args.text).with_context(|| format!("reading {}", args.text.display()))?;
    let mut host = PluginHost::new(SandboxConfig::default())?;
    let info = host.load_file(&args.path).map_err(|e| anyhow::anyhow!("plugin refused: {e}"))?;
    let document_type = args.document_type.unwrap_or_else(|| smoke_test_type(&info));
    let pages: Vec<&str> = text.split('\x0c').collect();
    let mut doc = sample::document(&document_type, &pages);
    doc.hints = args.hints;
    doc.extract_tables = args.extract_tables;
    match host.extract(&doc) {
        Ok(x) => {
            println!("{}", serde_json::to_string_pretty(&x)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("{}", serde_json::to_string_pretty(&e.envelope())?);
            Ok(ExitCode::FAILURE)
        }
    }
}

fn print_info(info: &PluginInfo) {
    println!("  name:        {}", info.name);
    println!("  version:     {}", info.version);
    println!("  contract:    folio:extractor@{} (this host: {})", info.contract_version, crate::plugins::contract::supported_versions());
    println!("  types:       {}", info.document_types.join(", "));
    println!("  description: {}", info.description);
    println!("  sha256:      {}", info.sha256);
    let compiled = match &info.cache {
        CacheStatus::Hit => "loaded from the compiled-plugin cache".to_string(),
        CacheStatus::Compiled => "compiled now, cached for next time".to_string(),
        CacheStatus::Recompiled { reason } => format!("compiled now, replacing an unusable cache entry ({reason})"),
        CacheStatus::CompiledNotStored { reason } => format!("compiled now, not cached ({reason})"),
        CacheStatus::Disabled => "compiled now (cache disabled)".to_string(),
    };
    println!("  compiled:    {compiled}");
}

/// The type to try a plugin with: its first declared type, `generic` for `*`.
fn smoke_test_type(info: &PluginInfo) -> String {
    info.document_types.iter().find(|t| *t != "*").cloned().unwrap_or_else(|| folio_core::document::DEFAULT_DOCUMENT_TYPE.to_string())
}

fn parse_hint(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("{s:?} is not KEY=VALUE")),
    }
}

fn print_table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) {
    let mut widths = header.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// The directory with the example and test plugins built by scripts/build-plugins:
/// `$FOLIO_TEST_PLUGINS`, else `$CARGO_TARGET_DIR/wasm32-wasip2/test-plugins`.
pub fn test_plugins_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("FOLIO_TEST_PLUGINS") {
        return Some(PathBuf::from(d));
    }
    std::env::var_os("CARGO_TARGET_DIR").map(|t| Path::new(&t).join("wasm32-wasip2/test-plugins"))
}
