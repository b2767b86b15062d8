//! The page a refused launch lands on: what is wrong in plain words, what
//! the person can do, and a support block (correlation ID, UPN, tenant ID,
//! browser, UTC time) to copy for the helpdesk. The data comes from the
//! person's own sign-in event, so the page shows what the log recorded.

use crate::components::copy::CopyButton;
use crate::components::layout::{Loading, SignedInHeader};
use crate::models::apps::{refusal_text, LaunchRefusal};
use crate::server_fns::apps::load_launch_refusal;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LaunchRefusedPage() -> impl IntoView {
    let query = use_query_map();
    let reference = move || query.read().get("ref").unwrap_or_default();
    let refusal = Resource::new(reference, load_launch_refusal);
    view! {
        <SignedInHeader/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let body = match refusal.await {
                    Ok(Some(r)) => view! { <Refused refusal=r/> }.into_any(),
                    _ => view! {
                        <Title text="Nothing to show"/>
                        <h1>"Nothing to show here"</h1>
                        <p>"This link doesn't match a refused launch of yours."</p>
                        <p><a class="button" href="/">"Back to My Apps"</a></p>
                    }.into_any(),
                };
                view! { <main id="main" class="page page-narrow">{body}</main> }
            })}
        </Suspense>
    }
}

#[component]
fn Refused(refusal: LaunchRefusal) -> impl IntoView {
    let (title, explanation, remedies) = refusal_text(&refusal.code);
    let support = format!(
        "Error code: {}\nCorrelation ID: {}\nUser: {}\nTenant ID: {}\nApp: {}\nBrowser: {}\nTime (UTC): {}",
        refusal.code,
        refusal.correlation_id,
        refusal.upn,
        refusal.tenant_id,
        refusal.app_name.clone().unwrap_or_else(|| "(unknown)".into()),
        refusal.user_agent,
        refusal.time_utc,
    );
    view! {
        <Title text=title/>
        <div class="refusal">
            <h1>{title}</h1>
            {refusal.app_name.clone().map(|name| view! { <p class="muted">{format!("App: {name}")}</p> })}
            <p>{explanation}</p>
            <h2>"What you can do"</h2>
            <ul>{remedies.iter().map(|r| view! { <li>{*r}</li> }).collect_view()}</ul>
            <p><a class="button button-primary" href="/">"Back to My Apps"</a></p>
        </div>
        <section class="card support-block" aria-labelledby="support-heading" data-testid="support-block">
            <div class="support-heading-row">
                <h2 id="support-heading">"Troubleshooting details"</h2>
                <CopyButton text=support.clone() label="Copy the troubleshooting details".to_string()/>
            </div>
            <p class="muted">"If you contact your admin or helpdesk, send them these details."</p>
            <dl class="facts">
                <dt>"Error code"</dt><dd><code>{refusal.code.clone()}</code></dd>
                <dt>"Correlation ID"</dt><dd><code>{refusal.correlation_id.clone()}</code></dd>
                <dt>"User"</dt><dd>{refusal.upn.clone()}</dd>
                <dt>"Tenant ID"</dt><dd><code>{refusal.tenant_id.clone()}</code></dd>
                <dt>"Browser"</dt><dd>{refusal.user_agent.clone()}</dd>
                <dt>"Time (UTC)"</dt><dd>{refusal.time_utc.clone()}</dd>
            </dl>
        </section>
    }
}
