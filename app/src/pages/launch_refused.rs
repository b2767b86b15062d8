//! The page a refused launch lands on: what is wrong in plain words, what
//! the person can do, and a support block (correlation ID, UPN, tenant ID,
//! browser, UTC time) to copy for the helpdesk. The data comes from the
//! person's own sign-in event, so the page shows what the log recorded.

use crate::components::copy::CopyButton;
use crate::components::layout::{token_of, CsrfField, Loading, SignedInHeader};
use crate::components::request::{AskedCard, JustificationField};
use crate::models::apps::{refusal_text, AccessOffer, LaunchRefusal};
use crate::server_fns::apps::load_launch_refusal;
use crate::server_fns::session::auth_state;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LaunchRefusedPage() -> impl IntoView {
    let query = use_query_map();
    let reference = move || query.read().get("ref").unwrap_or_default();
    let refusal = Resource::new(reference, load_launch_refusal);
    let auth = Resource::new(|| (), |_| auth_state());
    let returned = move || {
        let q = query.read();
        (q.get("sent"), q.get("justification").unwrap_or_default(), q.get("errors").unwrap_or_default())
    };
    view! {
        <SignedInHeader/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let token = token_of(&auth.await);
                let body = match refusal.await {
                    Ok(Some(r)) => view! { <Refused refusal=r token returned=returned()/> }.into_any(),
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

/// "Request access": a justification, then "Request access"; while their
/// request is pending, when they asked.
#[component]
fn RequestAccess(offer: AccessOffer, reference: String, token: String, returned: (Option<String>, String, String)) -> impl IntoView {
    let (sent, typed, errors) = returned;
    if let Some(asked_at) = offer.asked_at {
        return view! { <AskedCard what="access" asked_at sent testid="access-request"/> }.into_any();
    }
    view! {
        <section class="card" aria-labelledby="access-heading" data-testid="access-request">
            <h2 id="access-heading">"Request access"</h2>
            <form method="post" action=format!("/access/{}/request", offer.app_id)>
                <CsrfField token=token/>
                <input type="hidden" name="ref" value=reference/>
                <JustificationField id="access-justification" typed errors readers="The app's reviewers"/>
                <div class="actions"><button type="submit" class="button button-primary">"Request access"</button></div>
            </form>
        </section>
    }
    .into_any()
}

#[component]
fn Refused(refusal: LaunchRefusal, token: String, returned: (Option<String>, String, String)) -> impl IntoView {
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
        {refusal.access_request.clone().map(|offer| view! { <RequestAccess offer reference=refusal.correlation_id.clone() token returned/> })}
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
