//! A pool of loaded OCR engine instances, shared by every thread of the host.
//!
//! Creating an instance (instantiate the module, load a 4 MB model) costs far
//! more than a small page, so instances are kept and reused across pages and
//! documents. The pool holds at most `capacity` instances (default: one per
//! core, since each recognises on one thread); callers beyond that wait. An
//! instance that failed in a way that may have left it broken (trap, deadline,
//! memory cap) is dropped and a fresh one is created on demand.

use super::{GrayImage, OcrEngine, OcrError, OcrParams, Upright, check_language};
use crate::model::Line;
use std::sync::{Condvar, Mutex, MutexGuard};

/// Something that can create OCR instances for a language.
pub trait OcrBackend: Send + Sync + 'static {
    type Instance: OcrInstance;
    /// See [`OcrEngine::version`].
    fn version(&self) -> String;
    /// See [`OcrEngine::installed_languages`].
    fn installed_languages(&self) -> Vec<String>;
    /// A ready instance with the model for `language` (ISO 639-1) loaded.
    fn new_instance(&self, language: &str) -> Result<Self::Instance, OcrError>;
    /// Whether instances implement [`OcrInstance::recognize_upright`].
    fn orients_pages(&self) -> bool {
        false
    }
}

/// One loaded engine; used by one thread at a time.
pub trait OcrInstance: Send {
    fn recognize(&mut self, image: &GrayImage, params: &OcrParams) -> Result<Vec<Line>, OcrError>;
    /// See [`OcrEngine::recognize_upright`]; called only when the backend
    /// [`orients_pages`](OcrBackend::orients_pages) (the default reads the page as it is).
    fn recognize_upright(&mut self, image: &GrayImage, params: &OcrParams) -> Result<Upright, OcrError> {
        self.recognize(image, params).map(|lines| Upright { lines, rotation: super::Rotation::None })
    }
}

/// Counters, for tests and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Instances created so far.
    pub created: u64,
    /// Instances dropped after a failure.
    pub discarded: u64,
    /// Instances alive now (idle or in use).
    pub live: usize,
    pub idle: usize,
}

struct Idle<I> {
    language: String,
    instance: I,
}

struct State<I> {
    idle: Vec<Idle<I>>,
    live: usize,
    created: u64,
    discarded: u64,
}

pub struct EnginePool<B: OcrBackend> {
    backend: B,
    capacity: usize,
    state: Mutex<State<B::Instance>>,
    returned: Condvar,
}

/// The number of OCR instances worth running at once on this machine.
pub fn default_capacity() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

impl<B: OcrBackend> EnginePool<B> {
    pub fn new(backend: B, capacity: usize) -> Self {
        Self {
            backend,
            capacity: capacity.max(1),
            state: Mutex::new(State { idle: Vec::new(), live: 0, created: 0, discarded: 0 }),
            returned: Condvar::new(),
        }
    }

    pub fn backend(&self) -> &B {
        &self.backend
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn stats(&self) -> PoolStats {
        let s = self.lock();
        PoolStats { created: s.created, discarded: s.discarded, live: s.live, idle: s.idle.len() }
    }

    /// Creates instances for `language` until `count` are idle (at most the capacity),
    /// so the first pages don't pay for instantiation.
    pub fn warm(&self, language: &str, count: usize) -> Result<(), OcrError> {
        let leases = (0..count.min(self.capacity)).map(|_| self.checkout(language)).collect::<Result<Vec<_>, _>>()?;
        drop(leases);
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, State<B::Instance>> {
        // A panic while holding the lock leaves only counters behind; keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn checkout(&self, language: &str) -> Result<Lease<'_, B>, OcrError> {
        let mut state = self.lock();
        loop {
            if let Some(i) = state.idle.iter().position(|x| x.language == language) {
                let idle = state.idle.swap_remove(i);
                return Ok(Lease { pool: self, language: idle.language, instance: Some(idle.instance) });
            }
            if state.live < self.capacity {
                state.live += 1;
                state.created += 1;
                drop(state);
                // Created outside the lock: this takes a while.
                return match self.backend.new_instance(language) {
                    Ok(instance) => Ok(Lease { pool: self, language: language.to_string(), instance: Some(instance) }),
                    Err(e) => {
                        self.lock().live -= 1;
                        self.returned.notify_one();
                        Err(e)
                    }
                };
            }
            // Full: make room by dropping an idle instance of another language, else wait.
            if !state.idle.is_empty() {
                state.idle.swap_remove(0);
                state.live -= 1;
                continue;
            }
            state = self.returned.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}

impl<B: OcrBackend> EnginePool<B> {
    /// Runs `f` on an instance for the language; an instance that failed in a
    /// way that may have broken it is discarded.
    fn with_instance<T>(&self, params: &OcrParams, f: impl FnOnce(&mut B::Instance) -> Result<T, OcrError>) -> Result<T, OcrError> {
        let spec = check_language(self, &params.language).map_err(OcrError::UnsupportedLanguage)?;
        // Each instance holds one model (see `tesseract_wasm`): lists and `auto` are the pipeline's to split.
        let [lang] = spec.languages() else {
            return Err(OcrError::UnsupportedLanguage(folio_core::ApiError::new(
                folio_core::ErrorCode::UnsupportedLanguage,
                format!("one OCR pass reads one language, not {:?}", params.language),
            )));
        };
        let mut lease = self.checkout(lang.code())?;
        let result = f(lease.instance());
        if let Err(e) = &result
            && e.poisons_instance()
        {
            lease.discard();
        }
        result
    }
}

/// An instance taken from the pool; goes back on drop unless discarded.
struct Lease<'p, B: OcrBackend> {
    pool: &'p EnginePool<B>,
    language: String,
    instance: Option<B::Instance>,
}

impl<B: OcrBackend> Lease<'_, B> {
    fn instance(&mut self) -> &mut B::Instance {
        self.instance.as_mut().expect("lease holds an instance until dropped")
    }

    fn discard(mut self) {
        self.instance = None;
    }
}

impl<B: OcrBackend> Drop for Lease<'_, B> {
    fn drop(&mut self) {
        let mut state = self.pool.lock();
        match self.instance.take() {
            // A panic mid-recognition may have left the instance half-way: drop it.
            Some(instance) if !std::thread::panicking() => state.idle.push(Idle { language: std::mem::take(&mut self.language), instance }),
            _ => {
                state.live -= 1;
                state.discarded += 1;
            }
        }
        drop(state);
        self.pool.returned.notify_one();
    }
}

impl<B: OcrBackend> OcrEngine for EnginePool<B> {
    fn version(&self) -> String {
        self.backend.version()
    }

    fn installed_languages(&self) -> Vec<String> {
        self.backend.installed_languages()
    }

    fn recognize(&self, image: &GrayImage, params: &OcrParams) -> Result<Vec<Line>, OcrError> {
        self.with_instance(params, |instance| instance.recognize(image, params))
    }

    fn recognize_upright(&self, image: &GrayImage, params: &OcrParams) -> Option<Result<Upright, OcrError>> {
        // No instance is checked out just to learn that it cannot tell.
        if !self.backend.orients_pages() {
            return None;
        }
        Some(self.with_instance(params, |instance| instance.recognize_upright(image, params)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocr::OcrProfile;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// A backend whose instances echo the image width, fail on width 13 and
    /// count how many run at once.
    #[derive(Default)]
    struct Fake {
        running: AtomicUsize,
        max_running: AtomicUsize,
    }

    struct FakeInstance(Arc<Fake>);

    impl OcrBackend for Arc<Fake> {
        type Instance = FakeInstance;
        fn version(&self) -> String {
            "fake".into()
        }
        fn installed_languages(&self) -> Vec<String> {
            vec!["de".into(), "en".into()]
        }
        fn new_instance(&self, _language: &str) -> Result<FakeInstance, OcrError> {
            Ok(FakeInstance(self.clone()))
        }
    }

    impl OcrInstance for FakeInstance {
        fn recognize(&mut self, image: &GrayImage, _: &OcrParams) -> Result<Vec<Line>, OcrError> {
            let now = self.0.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.0.max_running.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(20));
            self.0.running.fetch_sub(1, Ordering::SeqCst);
            if image.width() == 13 {
                return Err(OcrError::Engine("boom".into()));
            }
            Ok(vec![crate::ocr::line_from_words(vec![crate::ocr::word_from_ltrb(&image.width().to_string(), [0.0; 4], 1.0)])])
        }
    }

    fn params(lang: &str) -> OcrParams {
        OcrParams::new(lang, Some(300), OcrProfile::Document)
    }

    #[test]
    fn reuses_instances_and_never_exceeds_capacity() {
        let fake = Arc::new(Fake::default());
        let pool = EnginePool::new(fake.clone(), 2);
        std::thread::scope(|s| {
            for i in 0..8 {
                let pool = &pool;
                s.spawn(move || {
                    let out = pool.recognize(&GrayImage::new(20 + i, 1), &params("en")).unwrap();
                    assert_eq!(out[0].text, (20 + i).to_string());
                });
            }
        });
        assert!(fake.max_running.load(Ordering::SeqCst) <= 2);
        let stats = pool.stats();
        assert_eq!(stats.created, 2, "{stats:?}");
        assert_eq!(stats.idle, 2);
    }

    #[test]
    fn discards_failed_instances_and_replaces_them() {
        let pool = EnginePool::new(Arc::new(Fake::default()), 1);
        assert!(pool.recognize(&GrayImage::new(13, 1), &params("en")).is_err());
        assert_eq!(pool.stats().discarded, 1);
        assert_eq!(pool.stats().live, 0);
        pool.recognize(&GrayImage::new(5, 1), &params("en")).unwrap();
        assert_eq!(pool.stats().created, 2);
    }

    #[test]
    fn switches_language_by_evicting_idle_instances() {
        let pool = EnginePool::new(Arc::new(Fake::default()), 1);
        pool.recognize(&GrayImage::new(5, 1), &params("en")).unwrap();
        pool.recognize(&GrayImage::new(5, 1), &params("de")).unwrap();
        assert_eq!(pool.stats().live, 1);
        assert_eq!(pool.stats().created, 2);
    }

    #[test]
    fn unknown_language_is_refused_before_checkout() {
        let pool = EnginePool::new(Arc::new(Fake::default()), 1);
        let err = pool.recognize(&GrayImage::new(5, 1), &params("fr")).unwrap_err();
        let api = err.to_api_error();
        assert_eq!(api.code, folio_core::ErrorCode::UnsupportedLanguage);
        assert!(api.message.contains("installed: de, en"), "{}", api.message);
        assert_eq!(pool.stats().created, 0);
    }
}
