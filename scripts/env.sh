# Sourced by every script: one place for cache locations and tool paths.
# Everything expensive lives under FOLIO_CACHE so a CI run on the same machine
# reuses it; nothing here depends on tools installed by hand.
FOLIO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FOLIO_ROOT
export FOLIO_CACHE="${FOLIO_CACHE:-$HOME/.cache/folio}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$FOLIO_CACHE/target}"
# OCR engine and models, fetched by scripts/setup (pinned by sha256).
export FOLIO_DATA_DIR="${FOLIO_DATA_DIR:-$FOLIO_CACHE/data}"
# Cargo-installed tools (wasm-bindgen-cli, worker-build).
export FOLIO_TOOLS="$FOLIO_CACHE/tools"
export PATH="$FOLIO_TOOLS/bin:$FOLIO_ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Built first-party plugins (wasm32-wasip2 components).
export FOLIO_BUILTIN_PLUGINS="${FOLIO_BUILTIN_PLUGINS:-$CARGO_TARGET_DIR/wasm32-wasip2/release}"
# 2 cores: more jobs only thrash.
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
