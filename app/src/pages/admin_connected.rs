//! Connected applications (`/admin/connected-apps`): every OAuth app of the
//! organisation with its usage — last seen, requests in the last 24 hours,
//! and requests per day over 30 days as a bar chart drawn on the server
//! (plain SVG in the page, coloured by the theme's variables) — and the way
//! to its permissions, configuration and deletion.

use super::admin::{when, AdminFrame};
use crate::components::layout::{Alert, Loading};
use crate::domain::usage::{bars, summary, TREND_DAYS};
use crate::models::admin::ConnectedApp;
use crate::server_fns::admin::load_connected_apps;
use leptos::prelude::*;
use leptos_meta::Title;

const CHART_WIDTH: f64 = 240.0;
const CHART_HEIGHT: f64 = 48.0;

#[component]
pub fn AdminConnectedAppsPage() -> impl IntoView {
    let apps = Resource::new(|| (), |_| load_connected_apps());
    view! {
        <AdminFrame current="/admin/connected-apps">
            <Title text="Connected applications · Admin"/>
            <h1>"Connected applications"</h1>
            <p class="muted">"Apps that sign people in with OpenID Connect, and how much they are used: launches, token requests and userinfo calls."</p>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match apps.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty-state">"No app signs in with OpenID Connect yet. Register one from Apps, with the sign-on mode OpenID Connect."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="plain-list connected-apps">
                                {list.into_iter().map(|a| view! { <ConnectedRow app=a/> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

#[component]
fn ConnectedRow(app: ConnectedApp) -> impl IntoView {
    let id = app.app_id.clone();
    let label = summary(&app.daily_requests);
    view! {
        <li class="card connected-app" data-testid="connected-app">
            <div class="connected-app-facts">
                <h2 class="connected-app-name"><a href=format!("/admin/apps/{id}")>{app.name.clone()}</a></h2>
                <dl class="facts">
                    <dt>"Client id"</dt><dd><code>{app.client_id.clone()}</code></dd>
                    <dt>"Last seen"</dt><dd data-testid="last-seen">{app.last_seen_at.map_or_else(|| "Never".to_string(), when)}</dd>
                    <dt>"Requests, last 24 hours"</dt><dd data-testid="requests-24h">{app.requests_24h}</dd>
                    <dt>"Sign-in"</dt><dd>{if app.enabled { "Enabled" } else { "Disabled" }}{if app.public_client { " · public client" } else { " · confidential client" }}</dd>
                </dl>
                <p class="actions">
                    <a class="button button-small" href=format!("/admin/apps/{id}/consents")>"Permissions and consent"</a>
                    <a class="button button-small" href=format!("/admin/apps/{id}/edit")>"Configuration"</a>
                    <a class="button button-small" href=format!("/admin/apps/{id}?confirm=delete")>"Delete…"</a>
                </p>
            </div>
            <figure class="usage-chart">
                <svg role="img" aria-label=label.clone() viewBox=format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}") preserveAspectRatio="none" focusable="false">
                    <line class="usage-baseline" x1="0" x2=CHART_WIDTH.to_string() y1=CHART_HEIGHT.to_string() y2=CHART_HEIGHT.to_string()/>
                    {bars(&app.daily_requests, CHART_WIDTH, CHART_HEIGHT).into_iter().map(|b| view! {
                        <rect class="usage-bar" x=format!("{:.2}", b.x) y=format!("{:.2}", b.y) width=format!("{:.2}", b.width) height=format!("{:.2}", b.height)>
                            <title>{format!("{} request{}", b.count, if b.count == 1 { "" } else { "s" })}</title>
                        </rect>
                    }).collect_view()}
                </svg>
                <figcaption class="muted">{format!("Requests per day, last {TREND_DAYS} days (UTC). ")}{label}</figcaption>
            </figure>
        </li>
    }
}
