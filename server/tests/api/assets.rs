//! The site's files: content-hashed names, precompressed answers chosen by
//! Accept-Encoding, and caching that fits each. A small site is laid out
//! here the way scripts/build.sh lays out the real one (the browser tests
//! check the real one, as transferred).

use crate::helpers::*;

const JS: &str = "myapps.0123456789abcdef.js";
const WASM: &str = "myapps.fedcba9876543210.wasm";
const CSS: &str = "myapps.00112233445566ff.css";

/// A built site: each file with distinct plain, brotli and gzip bodies (so
/// a test can tell which one was sent), and the manifest naming them.
fn built_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    for name in [JS, WASM, CSS] {
        std::fs::write(pkg.join(name), format!("plain {name}")).unwrap();
        std::fs::write(pkg.join(format!("{name}.br")), format!("brotli {name}")).unwrap();
        std::fs::write(pkg.join(format!("{name}.gz")), format!("gzip {name}")).unwrap();
    }
    std::fs::write(pkg.join("manifest.json"), format!(r#"{{"css":"{CSS}","js":"{JS}","wasm":"{WASM}"}}"#)).unwrap();
    std::fs::write(dir.path().join("favicon.svg"), "<svg/>").unwrap();
    std::fs::write(dir.path().join("favicon.svg.br"), "brotli svg").unwrap();
    dir
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

#[tokio::test]
async fn files_are_served_precompressed_as_the_client_accepts() {
    let site = built_site();
    let root = site.path().to_str().unwrap().to_string();
    let app = spawn_app_with(move |c| c.site_root = root).await;
    let client = reqwest::Client::new();
    for (accept, encoding, body) in [
        ("br, gzip, deflate", "br", format!("brotli {WASM}")),
        ("gzip, deflate", "gzip", format!("gzip {WASM}")),
        ("gzip;q=1.0, br;q=0", "gzip", format!("gzip {WASM}")),
        ("identity", "", format!("plain {WASM}")),
    ] {
        let res = client.get(app.url(&format!("/pkg/{WASM}"))).header("accept-encoding", accept).send().await.unwrap();
        assert_eq!(res.status(), 200, "{accept}");
        assert_eq!(header(&res, "content-encoding"), encoding, "{accept}");
        assert_eq!(header(&res, "content-type"), "application/wasm");
        assert_eq!(header(&res, "vary"), "accept-encoding");
        assert_eq!(header(&res, "cache-control"), "public, max-age=31536000, immutable");
        assert_eq!(res.text().await.unwrap(), body, "{accept}");
    }
    let res = client.get(app.url(&format!("/pkg/{JS}"))).header("accept-encoding", "br").send().await.unwrap();
    assert_eq!(header(&res, "content-type"), "text/javascript");
    assert_eq!(header(&res, "content-encoding"), "br");

    // A file without a content hash in its name is revalidated, not kept blindly.
    let res = client.get(app.url("/favicon.svg")).header("accept-encoding", "br").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-encoding"), "br");
    assert_eq!(header(&res, "cache-control"), "no-cache");

    // Missing files are a plain 404 that no cache keeps.
    let res = client.get(app.url("/pkg/myapps.0000000000000000.js")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_ne!(header(&res, "cache-control"), "public, max-age=31536000, immutable");
}

#[tokio::test]
async fn pages_link_the_content_named_files_and_are_never_cached() {
    let site = built_site();
    let root = site.path().to_str().unwrap().to_string();
    let app = spawn_app_with(move |c| c.site_root = root).await;
    let alex = app.signed_in(EMPLOYEE).await;
    let res = alex.get(app.url("/")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(header(&res, "cache-control"), "no-store");
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!(r#"<link rel="stylesheet" href="/pkg/{CSS}">"#)), "{html}");
    assert!(html.contains(&format!(r#"import("/pkg/{JS}")"#)), "the loader imports the hashed bundle");
    assert!(html.contains(&format!(r#"module_or_path:"/pkg/{WASM}""#)));
    // My Apps is an island page: its interactive part says which island it is.
    assert!(html.contains(r#"<leptos-island data-component="Portal_"#), "{html}");

    // Error pages outside the app use the same stylesheet.
    let (status, page) = app.page(&alex, "/no/such/page.txt").await;
    assert_eq!(status, 404);
    assert!(page.contains(&format!("/pkg/{CSS}")), "{page}");
}

#[tokio::test]
async fn the_sign_in_page_has_no_island_and_so_loads_no_code() {
    let app = spawn_app().await;
    let (_, html) = app.page(&browser(), "/sign-in").await;
    assert!(!html.contains("<leptos-island"), "sign-in is plain HTML forms");
    // The loader fetches the bundle only when the page has an island.
    assert!(html.contains("if(islands.length)"));
}
