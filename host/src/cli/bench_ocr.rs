//! `folio bench ocr`: the OCR numbers in BENCHMARKS.md, measured side by side
//! in one run on the same prepared page images, model and Tesseract variables:
//!
//! 1. OCR CPU time per page: the default engine (tesseract-wasm in wasmtime,
//!    warm instance, thread CPU time of the recognise call) against the
//!    `tesseract` command-line program (`OMP_THREAD_LIMIT=1`, child CPU time;
//!    also minus its start-up, measured on a blank page) and, built with
//!    `--features native-tesseract`, libtesseract in-process measured like the
//!    wasm engine. Word recall of each against the ground truth.
//! 2. Pipeline overhead outside OCR for a document (decode, convert, scale,
//!    assemble) relative to the OCR time.
//! 3. Throughput of a 2-page document with 2 engines against 1.
//! 4. Memory per page at 300 DPI (the engine's linear memory; process peak RSS).
//!
//! Run on a release build on an otherwise idle machine:
//! `cargo run --release -p folio-host -- bench ocr`.

use crate::input::{InputDocument, InputOptions, PageContent, RasterPage};
use crate::ocr::pool::{EnginePool, OcrBackend, OcrInstance};
use crate::ocr::tesseract_wasm::{TesseractWasm, WasmLimits};
use crate::ocr::{OcrParams, OcrProfile, word_recall};
use crate::pipeline::{Pipeline, ProcessOptions};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct Args {
    /// The document page (ground truth next to it as invoice.gt.txt).
    #[arg(long, default_value = "../shared/prototypes/tesseract-wasm-shim/testdata/invoice-300.png")]
    invoice: PathBuf,
    /// SROIE receipt image(s); ground truth from ../box/<name>.csv (repeatable).
    #[arg(long = "receipt", default_value = "../shared/datasets/sroie-dev/img/000.jpg")]
    receipts: Vec<PathBuf>,
    /// Runs per measurement (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// The `tesseract` program to compare with.
    #[arg(long, default_value = "tesseract")]
    tesseract_cli: String,
    /// Instead of the benchmark: compare segmentation modes and scaling by word
    /// recall on a SROIE-style directory (img/*.jpg, box/*.csv).
    #[arg(long, value_name = "DIR")]
    segmentation_study: Option<PathBuf>,
    /// Before each measurement, wait up to this long for an idle machine.
    #[arg(long, default_value_t = 300)]
    max_wait_secs: u64,
}

/// Targets from the OCR issue.
const CPU_RATIO_TARGET: f64 = 1.25;
const OVERHEAD_TARGET: f64 = 0.10;
const SPEEDUP_TARGET: f64 = 1.7;

struct Sample {
    name: String,
    raster: RasterPage,
    profile: OcrProfile,
    ground_truth: String,
}

impl Sample {
    /// Word recall of `text`; case-insensitive for receipts (SROIE labels).
    fn recall(&self, text: &str) -> f64 {
        match self.profile {
            OcrProfile::Receipt => word_recall(&self.ground_truth.to_lowercase(), &text.to_lowercase()),
            OcrProfile::Document => word_recall(&self.ground_truth, text),
        }
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    // libtesseract's OpenMP reads its thread limit at process start: re-run with it set.
    if cfg!(feature = "native-tesseract") && std::env::var_os("OMP_THREAD_LIMIT").is_none() {
        let status = Command::new(std::env::current_exe()?).args(std::env::args_os().skip(1)).env("OMP_THREAD_LIMIT", "1").status()?;
        return Ok(if status.success() { ExitCode::SUCCESS } else { ExitCode::FAILURE });
    }
    if cfg!(debug_assertions) {
        eprintln!("warning: debug build; numbers are only meaningful with --release");
    }
    let mut samples = Vec::new();
    if args.segmentation_study.is_none() {
        samples.push(load_sample(&args.invoice, OcrProfile::Document, read_gt(&args.invoice.with_file_name("invoice.gt.txt"))?)?);
        for r in &args.receipts {
            samples.push(load_sample(r, OcrProfile::Receipt, sroie_gt(r)?)?);
        }
    }
    if let Some(dir) = &args.segmentation_study {
        return segmentation_study(dir);
    }
    let runs = args.runs.max(1);
    let wasm = TesseractWasm::from_data_dir(WasmLimits::default()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let tessdata = crate::config::data_dir().join("tessdata");
    println!(
        "OCR benchmark: median of {runs} runs; model {}; {} cores",
        tessdata.join("eng.traineddata").display(),
        crate::ocr::pool::default_capacity()
    );
    let mut met = true;

    // 1. CPU time per page.
    let workdir = std::env::temp_dir().join(format!("folio-bench-ocr-{}", std::process::id()));
    std::fs::create_dir_all(&workdir)?;
    let blank = workdir.join("blank.png");
    crate::ocr::GrayImage::from_pixel(200, 200, image::Luma([255])).save(&blank)?;
    let folio_exe = std::env::current_exe()?;
    let mut whole_rows = Vec::new();
    let mut warm_rows = Vec::new();
    let mut wasm_instance = wasm.new_instance("en").map_err(|e| anyhow::anyhow!("{e}"))?;
    #[cfg(feature = "native-tesseract")]
    let mut native_instance =
        crate::ocr::native_tesseract::NativeTesseract::from_data_dir().new_instance("en").map_err(|e| anyhow::anyhow!("{e}"))?;
    for s in &samples {
        let params = OcrParams::new("en", s.raster.dpi_known.then_some(s.raster.dpi), s.profile);
        // Exactly the raster the engines get (8-bit gray, same size), with its resolution.
        let png = workdir.join(format!("{}.png", s.name));
        std::fs::write(&png, png_with_dpi(&s.raster)?).with_context(|| format!("writing {}", png.display()))?;
        quiet_cpu(args.max_wait_secs);
        let (mut folio_t, mut cli_t, mut startup_t, mut wasm_t) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut wasm_text, mut cli_text) = (String::new(), String::new());
        // Filled only with the native-tesseract feature.
        #[allow(unused_mut)]
        let (mut native_t, mut native_text): (Vec<Duration>, String) = (Vec::new(), String::new());
        // Everything takes turns, so a busy neighbour slows all alike.
        for _ in 0..runs {
            folio_t.push(folio_process_cpu(&folio_exe, &png, s.profile)?);
            let (cpu, out) = cli_run(&args.tesseract_cli, &tessdata, &png, &params)?;
            cli_text = out;
            cli_t.push(cpu);
            startup_t.push(cli_run(&args.tesseract_cli, &tessdata, &blank, &params)?.0);
            let start = thread_cpu();
            wasm_text = ocr_text(&mut wasm_instance, &s.raster, &params)?;
            wasm_t.push(thread_cpu().saturating_sub(start));
            #[cfg(feature = "native-tesseract")]
            {
                let start = thread_cpu();
                native_text = ocr_text(&mut native_instance, &s.raster, &params)?;
                native_t.push(thread_cpu().saturating_sub(start));
            }
        }
        let (folio_cpu, cli_cpu, cli_startup, wasm_cpu) = (median(folio_t), median(cli_t), median(startup_t), median(wasm_t));
        let ratio = folio_cpu.as_secs_f64() / cli_cpu.as_secs_f64();
        met &= ratio <= CPU_RATIO_TARGET;
        let page = format!(
            "{} | {}x{} @{} DPI | {}",
            s.name,
            s.raster.image.width(),
            s.raster.image.height(),
            s.raster.dpi,
            s.profile.segmentation().psm()
        );
        whole_rows.push(format!(
            "| {page} | {} | {} | **{ratio:.2}** (target <= {CPU_RATIO_TARGET}) | {:.1}% / {:.1}% |",
            secs(folio_cpu),
            secs(cli_cpu),
            100.0 * s.recall(&wasm_text),
            100.0 * s.recall(&cli_text),
        ));
        let cli_ocr = cli_cpu.saturating_sub(cli_startup);
        let native = if native_t.is_empty() {
            "(build with --features native-tesseract) | -".to_string()
        } else {
            let cpu = median(native_t);
            format!("{} | {:.2}", secs(cpu), wasm_cpu.as_secs_f64() / cpu.as_secs_f64())
        };
        let _ = &native_text;
        warm_rows.push(format!(
            "| {page} | {} | {native} | {} | {:.2} |",
            secs(wasm_cpu),
            secs(cli_ocr),
            wasm_cpu.as_secs_f64() / cli_ocr.as_secs_f64().max(1e-9)
        ));
    }
    println!(
        "\n1a. CPU per page, whole process, same gray PNG (median of {runs}; user+sys of `folio process FILE --ocr-only` and of `tesseract FILE stdout`, OMP_THREAD_LIMIT=1)"
    );
    println!("| page | size | PSM | folio process | tesseract CLI | folio / CLI | word recall folio / CLI |");
    println!("|---|---|---|---|---|---|---|");
    whole_rows.iter().for_each(|r| println!("{r}"));
    println!("\n1b. CPU per page inside a running host (warm engine, thread CPU of the recognise call)");
    println!(
        "| page | size | PSM | wasm engine | libtesseract in-process | wasm / native | CLI minus its start-up on a blank page | wasm / that |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    warm_rows.iter().for_each(|r| println!("{r}"));

    // 2. Pipeline overhead outside OCR.
    println!("\n2. Pipeline overhead outside OCR (wall time, warm engine, 1 page worker)");
    println!("| document | total | OCR | outside OCR | overhead |");
    println!("|---|---|---|---|---|");
    let pool1: Arc<EnginePool<TesseractWasm>> =
        Arc::new(EnginePool::new(TesseractWasm::from_data_dir(WasmLimits::default()).map_err(|e| anyhow::anyhow!("{e}"))?, 1));
    pool1.warm("en", 1).map_err(|e| anyhow::anyhow!("{e}"))?;
    let pipeline1 = Pipeline::new(pool1.clone(), None, 1);
    let scanned = args.invoice.with_file_name("invoice-scanned.pdf");
    for (path, is_target) in [(&args.invoice, true), (&scanned, false)] {
        let bytes = std::fs::read(path).with_context(|| path.display().to_string())?;
        let opts = ProcessOptions { document_type: "invoice".into(), ..ProcessOptions::default() };
        quiet_cpu(args.max_wait_secs);
        let mut totals = Vec::new();
        for _ in 0..runs {
            let (_, t) = pipeline1.read_document("doc_bench", bytes.clone(), &opts).map_err(|e| anyhow::anyhow!("{e}"))?;
            totals.push((t.total, t.ocr));
        }
        totals.sort();
        let (total, ocr) = totals[totals.len() / 2];
        let outside = total.saturating_sub(ocr);
        let overhead = outside.as_secs_f64() / ocr.as_secs_f64();
        if is_target {
            met &= overhead <= OVERHEAD_TARGET;
        }
        let target = if is_target { format!(" (target <= {:.0}%)", OVERHEAD_TARGET * 100.0) } else { String::new() };
        println!("| {} | {} | {} | {} | **{:.1}%**{target} |", file_name(path), secs(total), secs(ocr), secs(outside), overhead * 100.0);
    }

    // 3. Throughput: 2 pages with 2 engines against 1.
    let two_pages = two_page_tiff(&samples[0].raster)?;
    let pool2: Arc<EnginePool<TesseractWasm>> =
        Arc::new(EnginePool::new(TesseractWasm::from_data_dir(WasmLimits::default()).map_err(|e| anyhow::anyhow!("{e}"))?, 2));
    pool2.warm("en", 2).map_err(|e| anyhow::anyhow!("{e}"))?;
    let pipeline2 = Pipeline::new(pool2, None, 2);
    let opts = ProcessOptions { document_type: "invoice".into(), ..ProcessOptions::default() };
    let time_doc = |p: &Pipeline| -> Result<Duration> {
        let started = Instant::now();
        p.read_document("doc_bench", two_pages.clone(), &opts).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(started.elapsed())
    };
    quiet_cpu(args.max_wait_secs);
    let mut one = Vec::new();
    let mut two = Vec::new();
    for _ in 0..runs {
        one.push(time_doc(&pipeline1)?);
        two.push(time_doc(&pipeline2)?);
    }
    let (one, two) = (median(one), median(two));
    let speedup = one.as_secs_f64() / two.as_secs_f64();
    met &= speedup >= SPEEDUP_TARGET;
    println!("\n3. Throughput, 2-page document (the invoice page twice, TIFF), wall time");
    println!("| engines | time | pages/s | speed-up |");
    println!("|---|---|---|---|");
    println!("| 1 | {} | {:.2} | 1.00 |", secs(one), 2.0 / one.as_secs_f64());
    println!("| 2 | {} | {:.2} | **{speedup:.2}** (target >= {SPEEDUP_TARGET}) |", secs(two), 2.0 / two.as_secs_f64());

    // 4. Memory per page.
    let mut fresh = wasm.new_instance("en").map_err(|e| anyhow::anyhow!("{e}"))?;
    let loaded = fresh.memory_bytes();
    let params = OcrParams::new("en", 300, OcrProfile::Document);
    fresh.recognize(&samples[0].raster.image, &params).map_err(|e| anyhow::anyhow!("{e}"))?;
    let after_page = fresh.memory_bytes();
    let raster_bytes = samples[0].raster.image.as_raw().len() as u64;
    println!(
        "\n4. Memory per page at 300 DPI ({}, {}x{})",
        samples[0].name,
        samples[0].raster.image.width(),
        samples[0].raster.image.height()
    );
    println!("| engine linear memory, model loaded | after the page | host raster (8-bit gray) | process peak RSS (whole benchmark) |");
    println!("|---|---|---|---|");
    println!(
        "| {} MiB | {} MiB | {:.1} MiB | {} MiB |",
        loaded >> 20,
        after_page >> 20,
        raster_bytes as f64 / (1 << 20) as f64,
        peak_rss_kib() >> 10
    );

    let _ = std::fs::remove_dir_all(&workdir);
    println!("\n{}", if met { "all OCR targets met" } else { "some OCR targets missed" });
    Ok(if met { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn load_sample(path: &Path, profile: OcrProfile, ground_truth: String) -> Result<Sample> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let doc = InputDocument::open(bytes, InputOptions { profile, ..InputOptions::default() })
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let PageContent::Raster(raster) = doc.page(0).map_err(|e| anyhow::anyhow!("{e}"))? else {
        bail!("{} has a text layer; the OCR benchmark needs an image", path.display())
    };
    Ok(Sample { name: file_name(path), raster, profile, ground_truth })
}

fn read_gt(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading ground truth {}", path.display()))
}

/// SROIE `box/NNN.csv`: `x1,y1,x2,y2,x3,y3,x4,y4,TEXT` per line. Its labels
/// are mostly upper case whatever the receipt prints, so receipts are scored
/// case-insensitively (see [`recall`]).
fn sroie_gt(image: &Path) -> Result<String> {
    let stem = image.file_stem().context("receipt file name")?.to_string_lossy().into_owned();
    let csv = image.parent().and_then(Path::parent).context("SROIE layout img/ box/")?.join("box").join(format!("{stem}.csv"));
    let text = read_gt(&csv)?;
    Ok(text.lines().filter_map(|l| l.splitn(9, ',').nth(8)).collect::<Vec<_>>().join("\n"))
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn ocr_text(instance: &mut impl OcrInstance, raster: &RasterPage, params: &OcrParams) -> Result<String> {
    let lines = instance.recognize(&raster.image, params).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n"))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn children_cpu() -> Duration {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills one rusage.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn peak_rss_kib() -> u64 {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills one rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    ru.ru_maxrss as u64
}

/// Runs the CLI on `image` with the same variables; returns (CPU time, stdout).
fn cli_run(cli: &str, tessdata: &Path, image: &Path, params: &OcrParams) -> Result<(Duration, String)> {
    let mut cmd = Command::new(cli);
    cmd.arg(image).arg("stdout").arg("--tessdata-dir").arg(tessdata).arg("-l").arg("eng").env("OMP_THREAD_LIMIT", "1");
    for (name, value) in params.tesseract_variables() {
        cmd.arg("-c").arg(format!("{name}={value}"));
    }
    let before = children_cpu();
    let out = cmd.output().with_context(|| format!("running {cli} (apt-get install tesseract-ocr)"))?;
    let cpu = children_cpu().saturating_sub(before);
    if !out.status.success() {
        bail!("{cli} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok((cpu, String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// CPU time of `folio process PNG --ocr-only` as a child process: start-up,
/// compiled module from the cache, model load, decode, OCR, JSON.
fn folio_process_cpu(exe: &Path, png: &Path, profile: OcrProfile) -> Result<Duration> {
    let before = children_cpu();
    let out = Command::new(exe)
        .args(["process", "--ocr-only", "--ocr-profile", profile.as_str(), "--jobs", "1"])
        .arg(png)
        .output()
        .context("running folio process")?;
    let cpu = children_cpu().saturating_sub(before);
    if !out.status.success() {
        bail!("folio process failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(cpu)
}

/// The raster as PNG with its resolution in a `pHYs` chunk (if known).
fn png_with_dpi(raster: &RasterPage) -> Result<Vec<u8>> {
    let mut png = Vec::new();
    raster.image.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    if raster.dpi_known {
        let ppm = (raster.dpi as f64 / 0.0254).round() as u32;
        let mut data = Vec::with_capacity(9);
        data.extend_from_slice(&ppm.to_be_bytes());
        data.extend_from_slice(&ppm.to_be_bytes());
        data.push(1); // unit: metre
        let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
        let body: Vec<u8> = b"pHYs".iter().chain(&data).copied().collect();
        chunk.extend_from_slice(&body);
        chunk.extend_from_slice(&crc32(&body).to_be_bytes());
        // After the signature (8 bytes) and IHDR (25 bytes).
        png.splice(33..33, chunk);
    }
    Ok(png)
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A 2-page TIFF with `raster` on both pages.
fn two_page_tiff(raster: &RasterPage) -> Result<Vec<u8>> {
    use tiff::encoder::{TiffEncoder, colortype::Gray8};
    let mut out = std::io::Cursor::new(Vec::new());
    let mut enc = TiffEncoder::new(&mut out)?;
    let (w, h) = raster.image.dimensions();
    for _ in 0..2 {
        let mut img = enc.new_image::<Gray8>(w, h)?;
        img.resolution(tiff::tags::ResolutionUnit::Inch, tiff::encoder::Rational { n: raster.dpi, d: 1 });
        img.write_data(raster.image.as_raw())?;
    }
    Ok(out.into_inner())
}

/// Waits (up to `max_wait_secs`) until the machine is mostly idle, so other
/// people's builds don't distort the numbers; reports how idle it was.
fn quiet_cpu(max_wait_secs: u64) {
    let idle_fraction = || -> Option<f64> {
        let read = || -> Option<(u64, u64)> {
            let stat = std::fs::read_to_string("/proc/stat").ok()?;
            let v: Vec<u64> = stat.lines().next()?.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
            Some((v.get(3)? + v.get(4).unwrap_or(&0), v.iter().sum()))
        };
        let (i0, t0) = read()?;
        std::thread::sleep(Duration::from_millis(500));
        let (i1, t1) = read()?;
        Some((i1 - i0) as f64 / (t1 - t0).max(1) as f64)
    };
    let started = Instant::now();
    while let Some(idle) = idle_fraction() {
        if idle >= 0.9 || started.elapsed() > Duration::from_secs(max_wait_secs) {
            if idle < 0.9 {
                eprintln!("note: machine only {:.0}% idle; numbers may be inflated", idle * 100.0);
            }
            break;
        }
    }
}

/// Mean word recall and OCR time per configuration over every receipt in `dir`.
/// `FOLIO_STUDY_CONFIGS=0,2` runs only those rows.
fn segmentation_study(dir: &Path) -> Result<ExitCode> {
    use crate::ocr::Segmentation;
    let mut images: Vec<PathBuf> = std::fs::read_dir(dir.join("img"))?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    images.sort();
    let pool = EnginePool::new(
        TesseractWasm::from_data_dir(WasmLimits::default()).map_err(|e| anyhow::anyhow!("{e}"))?,
        crate::ocr::pool::default_capacity(),
    );
    // (name, segmentation, prepared by the pipeline (else: decoded with `image`, gray as it converts, as uploaded))
    let configs: [(&str, Segmentation, bool); 4] = [
        ("PSM 3 (document profile)", Segmentation::Auto, true),
        ("PSM 4", Segmentation::SingleColumn, true),
        ("PSM 6 (receipt profile)", Segmentation::SingleBlock, true),
        ("PSM 6, image as uploaded (control)", Segmentation::SingleBlock, false),
    ];
    let only: Option<Vec<usize>> = std::env::var("FOLIO_STUDY_CONFIGS").ok().map(|v| v.split(',').filter_map(|x| x.parse().ok()).collect());
    println!("Segmentation study: {} receipts in {}", images.len(), dir.display());
    println!("| configuration | mean word recall (case-insensitive) | median OCR wall time per receipt |");
    println!("|---|---|---|");
    for (index, (name, segmentation, prepared)) in configs.into_iter().enumerate() {
        if only.as_ref().is_some_and(|o| !o.contains(&index)) {
            continue;
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        let results = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..pool.capacity() {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(path) = images.get(i) else { break };
                        let r = (|| -> Result<(f64, Duration)> {
                            let sample = load_sample(path, OcrProfile::Receipt, sroie_gt(path)?)?;
                            let (image, dpi) = if prepared {
                                (sample.raster.image.clone(), sample.raster.dpi_known.then_some(sample.raster.dpi))
                            } else {
                                (image::open(path)?.to_luma8(), None)
                            };
                            let params = OcrParams { language: "en".into(), dpi, segmentation };
                            let started = Instant::now();
                            let lines = crate::ocr::OcrEngine::recognize(&pool, &image, &params).map_err(|e| anyhow::anyhow!("{e}"))?;
                            let text = lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n");
                            Ok((sample.recall(&text), started.elapsed()))
                        })();
                        results.lock().unwrap_or_else(|e| e.into_inner()).push(r);
                    }
                });
            }
        });
        let results: Vec<(f64, Duration)> = results.into_inner().unwrap_or_else(|e| e.into_inner()).into_iter().collect::<Result<_>>()?;
        let mean = results.iter().map(|r| r.0).sum::<f64>() / results.len().max(1) as f64;
        let time = median(results.iter().map(|r| r.1).collect());
        println!("| {name} | {:.1}% | {} |", mean * 100.0, secs(time));
    }
    Ok(ExitCode::SUCCESS)
}
