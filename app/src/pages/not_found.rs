//! The page for addresses that lead nowhere, served with status 404.

use crate::components::layout::Brand;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found"/>
        <main id="main" class="auth-page">
            <div class="auth-card">
                <Brand/>
                <h1>"We couldn't find that page"</h1>
                <p>"The address may be mistyped, or the page may have moved."</p>
                <p><a class="button" href="/" rel="external">"Go to My Apps"</a></p>
            </div>
        </main>
    }
}

/// An app's sign-in request that cannot be answered at the app (unknown
/// app, unregistered return address, …): said here, with status 400,
/// because sending the person on would be an open redirect.
#[component]
pub fn SignInProblemPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::BAD_REQUEST);
    }
    let query = leptos_router::hooks::use_query_map();
    let code = move || query.read().get("code").unwrap_or_default();
    let message = move || crate::domain::oidc::problem_message(&code()).unwrap_or("This sign-in request cannot be answered.");
    view! {
        <Title text="Can't sign you in to this app"/>
        <main id="main" class="auth-page">
            <div class="auth-card">
                <Brand/>
                <h1>"We can't sign you in to this app"</h1>
                <p data-testid="problem">{message}</p>
                <p class="muted">"Tell the app's owner or your admin. Reason: " <code>{code}</code></p>
                <p><a class="button" href="/" rel="external">"Go to My Apps"</a></p>
            </div>
        </main>
    }
}
