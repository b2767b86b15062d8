//! The frame around pages: header with the signed-in person, alerts, and the
//! card that sign-in steps use.

use crate::auth::{AuthView, Viewer};
use crate::server_fns::requests::load_header_counts;
use crate::server_fns::session::auth_state;
use leptos::prelude::*;

/// The portal's mark, drawn inline so it needs no request.
#[component]
pub fn Brand() -> impl IntoView {
    view! {
        <a class="brand" href="/" aria-label="My Apps home">
            <svg class="brand-mark" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                <rect x="2" y="2" width="9" height="9" rx="2.5"></rect>
                <rect x="13" y="2" width="9" height="9" rx="2.5"></rect>
                <rect x="2" y="13" width="9" height="9" rx="2.5"></rect>
                <rect x="13" y="13" width="9" height="9" rx="4.5"></rect>
            </svg>
            <span>"My Apps"</span>
        </a>
    }
}

/// A message box. `error` ones are announced to screen readers at once.
#[component]
pub fn Alert(#[prop(into)] message: String, #[prop(optional)] error: bool) -> impl IntoView {
    let (class, role) = if error { ("alert alert-error", "alert") } else { ("alert alert-info", "status") };
    view! { <p class=class role=role>{message}</p> }
}

/// The hidden field that carries the CSRF token in every form we post.
#[component]
pub fn CsrfField(#[prop(into)] token: String) -> impl IntoView {
    view! { <input type="hidden" name="csrf_token" value=token/> }
}

/// The header of signed-in pages: who you are and a way out.
#[component]
pub fn AppHeader(viewer: Viewer) -> impl IntoView {
    let initials: String =
        viewer.display_name.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect::<String>().to_uppercase();
    view! {
        <header class="app-header">
            <Brand/>
            <div class="header-account">
                <a class="header-admin" href="/my-consents">"My consents"</a>
                <a class="header-admin" href="/my-requests">"My requests"</a>
                <HeaderCountsView/>
                {viewer.role.is_admin().then(|| view! { <a class="header-admin" href="/admin">"Admin"</a> })}
                <a class="header-profile" href="/account" aria-label=format!("Your account: {}, {}", viewer.display_name, viewer.org_name)>
                    <span class="avatar" aria-hidden="true">{initials}</span>
                    <span class="header-who" aria-hidden="true">
                        <span class="header-name">{viewer.display_name.clone()}</span>
                        <span class="header-org">{viewer.org_name.clone()}</span>
                    </span>
                </a>
                <form method="post" action="/auth/sign-out" class="inline-form">
                    <CsrfField token=viewer.csrf_token.clone()/>
                    <button type="submit" class="button button-quiet">"Sign out"</button>
                </form>
            </div>
        </header>
    }
}

/// The reviewers' link (with what waits) and the bell (with what is
/// unread), loaded with the page.
#[component]
fn HeaderCountsView() -> impl IntoView {
    let counts = Resource::new(|| (), |_| load_header_counts());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let counts = counts.await.unwrap_or_default();
                let unread = counts.unread_notifications;
                let bell_label = match unread {
                    0 => "Notifications".to_string(),
                    1 => "Notifications: 1 unread".to_string(),
                    n => format!("Notifications: {n} unread"),
                };
                view! {
                    {counts.pending_reviews.map(|pending| view! {
                        <a class="header-admin" href="/reviews">
                            "Reviews"
                            {(pending > 0).then(|| view! { <span class="count-badge" aria-label=format!("{pending} waiting")>{pending.to_string()}</span> })}
                        </a>
                    })}
                    <a class="header-bell" href="/notifications" aria-label=bell_label data-testid="bell">
                        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
                            <path d="M12 3a6 6 0 0 0-6 6v3.6L4.3 15.4A1 1 0 0 0 5.2 17h13.6a1 1 0 0 0 .9-1.6L18 12.6V9a6 6 0 0 0-6-6Zm0 19a3 3 0 0 0 3-3H9a3 3 0 0 0 3 3Z"></path>
                        </svg>
                        {(unread > 0).then(|| view! { <span class="count-badge" aria-hidden="true">{if unread > 99 { "99+".to_string() } else { unread.to_string() }}</span> })}
                    </a>
                }
            })}
        </Suspense>
    }
}

/// The centred card of the sign-in steps.
#[component]
pub fn AuthCard(#[prop(into)] title: String, children: Children) -> impl IntoView {
    view! {
        <main id="main" class="auth-page">
            <div class="auth-card">
                <Brand/>
                <h1>{title}</h1>
                {children()}
            </div>
        </main>
    }
}

/// Shown while the session state loads (only ever seen without SSR data).
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="loading" role="status">"Loading…"</p> }
}

/// The CSRF token of a loaded auth view, or empty (the server then refuses
/// the post with a clear message and a fresh form).
pub fn token_of(auth: &Result<AuthView, leptos::prelude::ServerFnError>) -> String {
    auth.as_ref().map(|a| a.csrf_token().to_string()).unwrap_or_default()
}

/// The header of a signed-in page, loaded on its own so each page only
/// loads its own data.
#[component]
pub fn SignedInHeader() -> impl IntoView {
    let auth = Resource::new(|| (), |_| auth_state());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match auth.await {
                    Ok(AuthView::SignedIn(viewer)) => Some(view! { <AppHeader viewer/> }),
                    _ => None,
                }
            })}
        </Suspense>
    }
}
