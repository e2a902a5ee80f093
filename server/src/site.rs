//! The browser bundle on disk (`--site-root`): the start-up check that it is there, the names of
//! its files (content-hashed when cargo-leptos built it with `hash-files = true`), and serving it
//! precompressed with the right caching.

use std::io::Write;
use std::path::{Path, PathBuf};

use axum::http::{HeaderValue, header};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeader;

/// The files every page needs: without them pages render unstyled and never hydrate. The WASM
/// name follows Leptos' own rule: `powerdeck.wasm` when the server was compiled with
/// `LEPTOS_OUTPUT_NAME` set (cargo-leptos and `.cargo/config.toml` set it), else `_bg.wasm`.
/// A hashed build names them `pkg/powerdeck.<hash>.js` and so on, which is just as good.
pub const REQUIRED_FILES: [&str; 3] = [
    "pkg/powerdeck.js",
    if option_env!("LEPTOS_OUTPUT_NAME").is_some() {
        "pkg/powerdeck.wasm"
    } else {
        "pkg/powerdeck_bg.wasm"
    },
    "pkg/powerdeck.css",
];

/// How long a browser keeps a file whose name carries its content hash: a year, never
/// revalidated (a new build has new names).
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Everything else (unhashed files, favicon) is revalidated on every use: a second visit gets
/// `304 Not Modified` when the file did not change.
pub const REVALIDATE: &str = "no-cache";

#[derive(Debug, thiserror::Error)]
#[error(
    "the site root {root} has no browser bundle (missing {missing}); build it with `cargo leptos build --release --split --precompress` in the checkout, or pass --site-root (POWERDECK_SITE_ROOT) the directory that holds pkg/"
)]
pub struct MissingBundle {
    pub root: String,
    pub missing: String,
}

/// The bundle found in a site root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// For a hashed bundle, the hash of each file in the format of cargo-leptos' `hash.txt`
    /// (`js: …`, `wasm: …`, `css: …`, and `manifest: …`/`split: …` for a split bundle), which
    /// is what Leptos' `HydrationScripts` and `HashedStylesheet` read. `None`: plain names.
    pub hashes: Option<String>,
}

/// Refuses a site root without the bundle, naming the absolute directory it looked in and every
/// missing file, so that `serve` started from another directory fails at once instead of serving
/// a console that looks broken. Each file may be there under its plain name or with a content
/// hash (`pkg/powerdeck.<hash>.js`); the hashes are read from the names in `pkg/` itself, so any
/// server binary (debug or release, wherever it was built) serves the bundle it is pointed at.
pub fn check_bundle(site_root: &Path) -> Result<Bundle, MissingBundle> {
    let pkg_names = pkg_file_names(site_root);
    let mut missing = Vec::new();
    let mut hashes = Vec::new();
    let mut plain = 0;
    for file in REQUIRED_FILES {
        if site_root.join(file).is_file() {
            plain += 1;
            continue;
        }
        let (stem, ext) = stem_and_ext(file);
        // A hashed build always names the WASM after the output name (no `_bg`).
        let stem = stem.trim_end_matches("_bg");
        match find_hash(&pkg_names, stem, ext) {
            Some(hash) => hashes.push(format!("{ext}: {hash}\n")),
            None => missing.push(file),
        }
    }
    if !missing.is_empty() {
        let root = std::path::absolute(site_root).unwrap_or_else(|_| PathBuf::from(site_root));
        return Err(MissingBundle {
            root: root.display().to_string(),
            missing: missing.join(", "),
        });
    }
    if plain == REQUIRED_FILES.len() {
        return Ok(Bundle { hashes: None });
    }
    // The split bundle's loader and manifest (cargo-leptos' `--split`), when there.
    if let Some(hash) = find_hash(&pkg_names, "__wasm_split_manifest", "json") {
        hashes.push(format!("manifest: {hash}\n"));
    }
    if let Some(hash) = find_hash(&pkg_names, "__wasm_split", "js") {
        hashes.push(format!("split: {hash}\n"));
    }
    Ok(Bundle {
        hashes: Some(hashes.concat()),
    })
}

/// Writes a hashed bundle's hash file where Leptos can read it for the life of the server, and
/// returns it (the file is removed when the handle is dropped). `LeptosOptions::hash_file` takes
/// its absolute path: Leptos joins it to the binary's directory, and joining an absolute path
/// gives that path. cargo-leptos' own `hash.txt` is not used: it is written beside the release
/// binary of the shared build directory, where another checkout's build may replace it and the
/// debug binary does not look.
pub fn write_hash_file(hashes: &str) -> std::io::Result<tempfile::NamedTempFile> {
    let mut file = tempfile::Builder::new()
        .prefix("powerdeck-bundle-hashes-")
        .suffix(".txt")
        .tempfile()?;
    file.write_all(hashes.as_bytes())?;
    file.flush()?;
    Ok(file)
}

fn pkg_file_names(site_root: &Path) -> Vec<String> {
    std::fs::read_dir(site_root.join("pkg"))
        .map(|entries| {
            entries
                .flatten()
                .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
                .filter_map(|entry| entry.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default()
}

fn stem_and_ext(file: &str) -> (&str, &str) {
    let name = file.rsplit('/').next().unwrap_or(file);
    name.rsplit_once('.').unwrap_or((name, ""))
}

/// The hash in `<stem>.<hash>.<ext>` among `names`, if exactly one such file is there.
fn find_hash<'a>(names: &'a [String], stem: &str, ext: &str) -> Option<&'a str> {
    let mut found = names.iter().filter_map(|name| {
        let hash = name
            .strip_prefix(stem)?
            .strip_prefix('.')?
            .strip_suffix(ext)?
            .strip_suffix('.')?;
        is_content_hash(hash).then_some(hash)
    });
    let hash = found.next()?;
    found.next().is_none().then_some(hash)
}

/// cargo-leptos' content hashes: the MD5 of the file in unpadded URL-safe base64 (22 characters).
fn is_content_hash(segment: &str) -> bool {
    segment.len() == 22
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether a request path names a file whose name carries its content hash
/// (`/pkg/powerdeck.<hash>.wasm`, `/pkg/__wasm_split.<hash>.js`, a split chunk): such a file never
/// changes, so browsers may keep it for a year without asking again.
pub fn is_hashed_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut parts = name.split('.');
    parts.next();
    let segments: Vec<&str> = parts.collect();
    // `<stem>.<hash>.<ext>`: the hash is the segment before the extension.
    segments.len() >= 2 && is_content_hash(segments[segments.len() - 2])
}

/// The static files of `site_root`. A `.br` or `.gz` twin written at build time is sent when the
/// browser accepts it (the WASM shrinks to about a quarter in brotli). Files with a content hash
/// in their name (`hash-files = true`) are cached for a year as immutable; everything else must
/// be revalidated (`no-cache`): a second visit gets `304 Not Modified` for every file that did not
/// change and downloads only what did.
pub fn static_files(
    site_root: &Path,
    request_path: &str,
) -> SetResponseHeader<ServeDir, HeaderValue> {
    let files = ServeDir::new(site_root)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(false);
    let cache = if is_hashed_path(request_path) {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    SetResponseHeader::overriding(
        files,
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache),
    )
}

/// The outermost layer of the served router: a hashed bundle file (`/pkg/…`, immutable, cached
/// for a year) needs no validators and no CORS headers, and it is most of what a first visit
/// downloads (about 100 WASM chunks): without `last-modified`, `vary` and the CORS headers the
/// first page moves ~18 KB less. Everything else is left as it is.
pub async fn lean_asset_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let asset = request.uri().path().starts_with("/pkg/");
    let mut response = next.run(request).await;
    if asset && response.status().is_success() {
        let headers = response.headers_mut();
        for name in [
            axum::http::header::LAST_MODIFIED,
            axum::http::header::VARY,
            axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
            axum::http::header::ACCESS_CONTROL_EXPOSE_HEADERS,
        ] {
            headers.remove(name);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "AbCdEfGhIjKlMnOpQrSt_-";

    #[test]
    fn hashed_paths_are_told_from_plain_ones() {
        assert!(is_hashed_path(&format!("/pkg/powerdeck.{HASH}.wasm")));
        assert!(is_hashed_path(&format!("/pkg/__wasm_split.{HASH}.js")));
        assert!(is_hashed_path(&format!("/pkg/chunk_3.{HASH}.wasm")));
        assert!(!is_hashed_path("/pkg/powerdeck.wasm"));
        assert!(!is_hashed_path("/favicon.svg"));
        assert!(!is_hashed_path("/pkg/powerdeck.tooshort.js"));
    }

    #[test]
    fn a_hashed_bundle_is_found_and_described_for_leptos() {
        let site = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(site.path().join("pkg")).unwrap();
        for name in [
            format!("powerdeck.{HASH}.js"),
            format!("powerdeck.{HASH}.wasm"),
            format!("powerdeck.{HASH}.css"),
            format!("powerdeck.{HASH}.wasm.br"),
            format!("__wasm_split.{HASH}.js"),
            format!("__wasm_split_manifest.{HASH}.json"),
        ] {
            std::fs::write(site.path().join("pkg").join(name), "x").unwrap();
        }
        let bundle = check_bundle(site.path()).unwrap();
        assert_eq!(
            bundle.hashes.as_deref(),
            Some(
                format!("js: {HASH}\nwasm: {HASH}\ncss: {HASH}\nmanifest: {HASH}\nsplit: {HASH}\n")
                    .as_str()
            )
        );
    }

    #[test]
    fn a_plain_bundle_has_no_hashes_and_a_missing_file_is_named() {
        let site = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(site.path().join("pkg")).unwrap();
        for file in REQUIRED_FILES {
            std::fs::write(site.path().join(file), "x").unwrap();
        }
        assert_eq!(check_bundle(site.path()).unwrap().hashes, None);
        std::fs::remove_file(site.path().join("pkg/powerdeck.css")).unwrap();
        let err = check_bundle(site.path()).unwrap_err();
        assert_eq!(err.missing, "pkg/powerdeck.css");
    }
}
