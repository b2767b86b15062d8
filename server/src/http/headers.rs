//! Security headers on every response.
//!
//! A sign-in portal is what attackers frame, sniff and inject into, so every
//! answer says: never frame me, don't guess my content type, don't tell other
//! sites where people came from, and run no script but ours. Pages rendered
//! by Leptos get a policy that names the nonce of this render (Leptos puts it
//! on its hydration and resource scripts); anything else — JSON, redirects,
//! error pages, files — gets a policy that runs no script at all.

use super::AppState;
use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// What every policy shares: no plugins, no `<base>` tricks, no framing;
/// logos may come from any HTTPS origin (apps host their own).
const COMMON: &str = "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; img-src 'self' https: data:";

/// The policy of a page rendered with `nonce`. Scripts: ours and the
/// nonce-bearing inline ones Leptos writes; `wasm-unsafe-eval` lets the
/// bundle compile its WebAssembly. Styles: only our stylesheet as elements;
/// `style` attributes (the monogram hue) stay allowed.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         style-src-elem 'self'; connect-src 'self'; {COMMON}"
    )
}

/// The policy of everything that is not a rendered page: no script at all.
fn default_policy() -> String {
    format!("default-src 'self'; script-src 'none'; style-src 'self'; {COMMON}")
}

static DEFAULT_POLICY: std::sync::LazyLock<HeaderValue> =
    std::sync::LazyLock::new(|| HeaderValue::from_str(&default_policy()).expect("the policy is ASCII"));

pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // The same test as the router's fallback uses for files of the site.
    let static_file = req.uri().path().starts_with("/pkg/") || req.uri().path().contains('.');
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    if !headers.contains_key(CONTENT_SECURITY_POLICY) {
        headers.insert(CONTENT_SECURITY_POLICY, DEFAULT_POLICY.clone());
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Apps never learn which portal page sent the person to them.
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    if state.cookies.secure {
        headers.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    // Pages and API answers are one person's: no cache keeps them.
    if !static_file && !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_allow_only_our_scripts() {
        let page = page_policy("abc123");
        assert!(page.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"));
        assert!(!page.split(';').any(|d| d.trim().starts_with("script-src") && d.contains("'unsafe-inline'")));
        for policy in [page, default_policy()] {
            assert!(policy.contains("frame-ancestors 'none'"));
            assert!(policy.contains("object-src 'none'"));
            assert!(policy.contains("base-uri 'none'"));
        }
        assert!(default_policy().contains("script-src 'none'"));
    }
}
