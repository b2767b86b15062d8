//! The current request's sign-in state, for pages to render.

use crate::auth::AuthView;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

/// Anyone may call this: it only describes the caller's own session.
#[server(prefix = "/api/fn", endpoint = "auth_state", input = GetUrl)]
pub async fn auth_state() -> Result<AuthView, ServerFnError> {
    use crate::auth::RequestAuth;
    let parts = use_context::<http::request::Parts>().ok_or_else(|| ServerFnError::new("request context missing"))?;
    let auth = parts.extensions.get::<RequestAuth>().ok_or_else(|| ServerFnError::new("session middleware missing"))?;
    Ok(auth.view())
}
