//! The browser bundle on disk (`--site-root`): the start-up check that it is there, and serving it
//! precompressed with cache validators.

use std::path::{Path, PathBuf};

use axum::http::{HeaderValue, header};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeader;

/// The files every page needs: without them pages render unstyled and never hydrate. The WASM
/// name follows Leptos' own rule: `powerdeck.wasm` when the server was compiled with
/// `LEPTOS_OUTPUT_NAME` set (cargo-leptos and `.cargo/config.toml` set it), else `_bg.wasm`.
pub const REQUIRED_FILES: [&str; 3] = [
    "pkg/powerdeck.js",
    if option_env!("LEPTOS_OUTPUT_NAME").is_some() {
        "pkg/powerdeck.wasm"
    } else {
        "pkg/powerdeck_bg.wasm"
    },
    "pkg/powerdeck.css",
];

#[derive(Debug, thiserror::Error)]
#[error(
    "the site root {root} has no browser bundle (missing {missing}); build it with `cargo leptos build --release` in the checkout, or pass --site-root (POWERDECK_SITE_ROOT) the directory that holds pkg/"
)]
pub struct MissingBundle {
    pub root: String,
    pub missing: String,
}

/// Refuses a site root without the bundle, naming the absolute directory it looked in and every
/// missing file, so that `serve` started from another directory fails at once instead of serving
/// a console that looks broken.
pub fn check_bundle(site_root: &Path) -> Result<(), MissingBundle> {
    let missing: Vec<&str> = REQUIRED_FILES
        .iter()
        .copied()
        .filter(|file| !site_root.join(file).is_file())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let root = std::path::absolute(site_root).unwrap_or_else(|_| PathBuf::from(site_root));
    Err(MissingBundle {
        root: root.display().to_string(),
        missing: missing.join(", "),
    })
}

/// The static files of `site_root`. A `.br` or `.gz` twin written at build time is sent when the
/// browser accepts it (the 2 MB WASM is ~0.6 MB in brotli). Names are not content-hashed, so
/// browsers must revalidate (`no-cache`): a second visit gets `304 Not Modified` for every file
/// that did not change and downloads only what did.
pub fn static_files(site_root: &Path) -> SetResponseHeader<ServeDir, HeaderValue> {
    let files = ServeDir::new(site_root)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(false);
    SetResponseHeader::overriding(
        files,
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    )
}
