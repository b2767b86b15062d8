//! The site's files: the browser bundle, the stylesheet and `public/`.
//!
//! `scripts/build.sh` names the bundle and stylesheet after their content
//! (`myapps.<16 hex digits>.<ext>`), writes `pkg/manifest.json` with those
//! names, and compresses every text and wasm file with brotli and gzip next
//! to it (`.br`, `.gz`). Here they are served without spending CPU per
//! request: the precompressed variant the client accepts (`Accept-Encoding`),
//! with `Vary: Accept-Encoding`; content-named files are cached for a year
//! (`immutable`: a new build has new names), anything else is revalidated.
//! Files are served outside the session middleware: they are the same for
//! everyone and need no database.

use app::assets::AssetNames;
use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, VARY};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use std::path::Path;
use tower_http::services::{ServeDir, ServeFile};

/// Cache-Control of a file whose name carries its content hash.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache-Control of any other file: keep it, but ask before using it.
pub const REVALIDATE: &str = "no-cache";

#[derive(serde::Deserialize)]
struct Manifest {
    css: String,
    js: String,
    wasm: String,
    #[serde(default)]
    icon: Option<String>,
}

/// The names pages link to: from `SITE_ROOT/pkg/manifest.json`, or the
/// unhashed names of a site built another way (`cargo leptos`).
pub fn asset_names(site_root: &str) -> AssetNames {
    let pkg = Path::new(site_root).join("pkg");
    match std::fs::read_to_string(pkg.join("manifest.json")).map(|text| serde_json::from_str::<Manifest>(&text)) {
        Ok(Ok(m)) => AssetNames {
            css: format!("/pkg/{}", m.css),
            js: format!("/pkg/{}", m.js),
            wasm: format!("/pkg/{}", m.wasm),
            icon: m.icon.map(|i| format!("/pkg/{i}")).unwrap_or_else(|| AssetNames::default().icon),
        },
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "pkg/manifest.json is not valid; linking the unhashed names");
            AssetNames::default()
        }
        Err(_) => {
            let mut names = AssetNames::default();
            // cargo-leptos names the wasm after the output name alone.
            if !pkg.join("myapps_bg.wasm").exists() && pkg.join("myapps.wasm").exists() {
                names.wasm = "/pkg/myapps.wasm".into();
            }
            tracing::info!(site_root, "no pkg/manifest.json (site not built by scripts/build.sh): linking the unhashed names");
            names
        }
    }
}

/// Does this file name carry a content hash (`name.<16 hex>.ext`)?
pub fn is_content_named(file_name: &str) -> bool {
    file_name.split('.').any(|part| part.len() == 16 && part.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// `/pkg/*` and the files of `public/` at the root (`/favicon.svg`).
pub fn router<S: Clone + Send + Sync + 'static>(site_root: &str) -> Router<S> {
    let pkg = ServeDir::new(Path::new(site_root).join("pkg")).precompressed_br().precompressed_gzip();
    let favicon = ServeFile::new(Path::new(site_root).join("favicon.svg")).precompressed_br().precompressed_gzip();
    Router::new().nest_service("/pkg", pkg).route_service("/favicon.svg", favicon).layer(axum::middleware::from_fn(cache_headers))
}

async fn cache_headers(req: Request, next: Next) -> Response {
    let content_named = req.uri().path().rsplit('/').next().is_some_and(is_content_named);
    let mut res = next.run(req).await;
    if res.status().is_success() || res.status().as_u16() == 304 {
        let headers = res.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(if content_named { IMMUTABLE } else { REVALIDATE }));
        // Caches must keep the brotli, gzip and plain answers apart.
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_names_are_recognised() {
        assert!(is_content_named("myapps.0123456789abcdef.wasm"));
        assert!(is_content_named("myapps.0123456789abcdef.css"));
        assert!(!is_content_named("myapps_bg.wasm"));
        assert!(!is_content_named("favicon.svg"));
        assert!(!is_content_named("myapps.0123456789ABCDEF.js"), "build.sh writes lower case");
        assert!(!is_content_named("myapps.0123456789abcde.js"), "too short");
    }

    #[test]
    fn the_manifest_names_the_files_and_its_absence_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_str().unwrap();
        std::fs::create_dir_all(dir.path().join("pkg")).unwrap();
        assert_eq!(asset_names(root), AssetNames::default());
        std::fs::write(dir.path().join("pkg/myapps.wasm"), b"").unwrap();
        assert_eq!(asset_names(root).wasm, "/pkg/myapps.wasm");
        std::fs::write(
            dir.path().join("pkg/manifest.json"),
            r#"{"css":"myapps.00000000000000aa.css","js":"myapps.00000000000000bb.js","wasm":"myapps.00000000000000cc.wasm","icon":"favicon.00000000000000dd.svg"}"#,
        )
        .unwrap();
        let names = asset_names(root);
        assert_eq!(names.css, "/pkg/myapps.00000000000000aa.css");
        assert_eq!(names.js, "/pkg/myapps.00000000000000bb.js");
        assert_eq!(names.wasm, "/pkg/myapps.00000000000000cc.wasm");
        assert_eq!(names.icon, "/pkg/favicon.00000000000000dd.svg");
    }
}
