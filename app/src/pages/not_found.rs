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
