//! The site's built files as pages link them: the stylesheet, and the
//! browser bundle that hydrates a page's islands.
//!
//! `scripts/build.sh` names every file after its content
//! (`myapps.<hash>.css`), so browsers may keep them for a year, and writes
//! `pkg/manifest.json`; the server reads it once at start-up and provides
//! [`AssetNames`] as context to every render.
//!
//! The loader is ours rather than Leptos's `<HydrationScripts>`: that one
//! preloads the bundle on every page (the sign-in page has no island and
//! needs no code at all) and, with hashed names, reads a hash file from disk
//! on every render. Ours fetches the bundle only when the page has an
//! island, runs `hydrate()` once, then hydrates each top-level island with
//! the function its `data-component` names (as Leptos's island script does).
//! Islands are never nested and never take children in this app.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Paths (under the site root) of the built files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetNames {
    pub css: String,
    pub js: String,
    pub wasm: String,
    pub icon: String,
}

impl Default for AssetNames {
    /// The unhashed names a plain `wasm-bindgen` or `cargo leptos` build
    /// writes, for a site built without `scripts/build.sh`.
    fn default() -> Self {
        AssetNames {
            css: "/pkg/myapps.css".into(),
            js: "/pkg/myapps.js".into(),
            wasm: "/pkg/myapps_bg.wasm".into(),
            icon: "/favicon.svg".into(),
        }
    }
}

impl AssetNames {
    /// The inline module script that hydrates the page's islands, if any.
    pub fn loader(&self) -> String {
        // JSON string literals are JavaScript string literals; with `<`
        // escaped, no name can close the script element early.
        let literal = |s: &str| serde_json::to_string(s).unwrap_or_default().replace('<', "\\u003c");
        let (js, wasm) = (literal(&self.js), literal(&self.wasm));
        format!(
            "const islands=[...document.querySelectorAll('leptos-island')].filter(e=>!e.parentElement.closest('leptos-island'));\
             if(islands.length){{const m=await import({js});await m.default({{module_or_path:{wasm}}});m.hydrate();\
             for(const e of islands){{const f=m[e.dataset.component];if(f){{const r=f(e);if(r&&r.then)await r;}}\
             else console.warn('no hydration function for island',e.dataset.component);}}\
             document.body.dataset.hydrated='true';}}"
        )
    }
}

/// The `<head>` tags for the site's files: the stylesheet and the loader
/// (with this render's CSP nonce).
#[component]
pub fn AssetTags() -> impl IntoView {
    let names = use_context::<AssetNames>().unwrap_or_default();
    #[cfg(feature = "ssr")]
    let nonce = leptos::nonce::use_nonce().map(|n| n.to_string());
    #[cfg(not(feature = "ssr"))]
    let nonce: Option<String> = None;
    let loader = names.loader();
    view! {
        <link rel="icon" href=names.icon.clone() type="image/svg+xml"/>
        <link rel="stylesheet" href=names.css.clone()/>
        <script type="module" nonce=nonce>{loader}</script>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loader_names_the_hashed_files_and_marks_the_page_live() {
        let names = AssetNames {
            css: "/pkg/myapps.1.css".into(),
            js: "/pkg/myapps.0123abcd.js".into(),
            wasm: "/pkg/myapps.4567ef.wasm".into(),
            icon: String::new(),
        };
        let loader = names.loader();
        assert!(loader.contains(r#"import("/pkg/myapps.0123abcd.js")"#), "{loader}");
        assert!(loader.contains(r#"module_or_path:"/pkg/myapps.4567ef.wasm""#), "{loader}");
        assert!(loader.contains("if(islands.length)"), "no island, no download");
        assert!(loader.contains("dataset.hydrated='true'"));
    }

    #[test]
    fn names_cannot_break_out_of_the_script() {
        let names = AssetNames {
            css: String::new(),
            js: "/pkg/x\"</script><script>alert(1)//.js".into(),
            wasm: String::new(),
            icon: String::new(),
        };
        let loader = names.loader();
        assert!(!loader.contains("</script"), "{loader}");
    }
}
