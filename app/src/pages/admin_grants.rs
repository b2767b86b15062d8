//! `/admin/apps/:app_id/consents` (privileged admins): every grant of an
//! app — the organisation's and each person's — with what, since when and
//! by whom; grant for everyone or for one person; revoke any. Plain forms
//! to `server/src/http/admin_grants.rs`.

use super::admin::{notice_text, when, AdminFrame};
use crate::components::layout::{token_of, Alert, CsrfField, Loading};
use crate::models::consents::{AppConsents, AppGrant};
use crate::server_fns::admin::load_app_consents;
use crate::server_fns::session::auth_state;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn AdminAppConsentsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let app_id = move || params.read().get("app_id").unwrap_or_default();
    let consents = Resource::new(app_id, load_app_consents);
    let auth = Resource::new(|| (), |_| auth_state());
    view! {
        <AdminFrame current="/admin/apps">
            {move || query.read().get("done").and_then(|c| notice_text(&c)).map(|m| view! { <Alert message=m/> })}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let token = token_of(&auth.await);
                    match consents.await {
                        Ok(Some(c)) => view! { <ConsentsView consents=c token/> }.into_any(),
                        Ok(None) => view! {
                            <Title text="App not found · Admin"/>
                            <h1>"We can't find that app"</h1>
                        }.into_any(),
                        Err(e) => view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

#[component]
fn ConsentsView(consents: AppConsents, token: String) -> impl IntoView {
    let app_id = consents.app_id.clone();
    let action = format!("/admin/apps/{app_id}/consents");
    let asks: Vec<String> = consents.requested.iter().map(|p| format!("{} ({})", p.display_name, p.value)).collect();
    let nothing_requested = consents.requested.is_empty();
    let grant_token = token.clone();
    view! {
        <Title text=format!("Consent for {} · Admin", consents.app_name)/>
        <p><a href=format!("/admin/apps/{app_id}")>{format!("← {}", consents.app_name)}</a></p>
        <h1>{format!("Consent for {}", consents.app_name)}</h1>
        {consents.blocked_reason.clone().map(|r| view! { <Alert message=format!("Blocked from consent: {r}. Unblock it from Requests to review.")/> })}
        <section class="card" aria-labelledby="asks-heading">
            <h2 id="asks-heading">"What it asks for"</h2>
            {if nothing_requested {
                view! { <p class="empty-state">"Nothing: it asks for no permissions."</p> }.into_any()
            } else {
                view! {
                    <p>{asks.join(", ")}</p>
                    <form method="post" action=action.clone() class="actions">
                        <CsrfField token=grant_token.clone()/>
                        <input type="hidden" name="scope" value="organisation"/>
                        <button type="submit" class="button button-primary">"Grant for everyone in the organisation"</button>
                    </form>
                    <form method="post" action=action.clone() class="admin-search">
                        <CsrfField token=grant_token.clone()/>
                        <input type="hidden" name="scope" value="user"/>
                        <div class="field">
                            <label for="grant-upn">"Grant for one person: their sign-in name"</label>
                            <input id="grant-upn" name="upn" type="email" required autocomplete="off"/>
                        </div>
                        <button type="submit" class="button">"Grant for this person"</button>
                    </form>
                }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="grants-heading">
            <h2 id="grants-heading">"Grants"</h2>
            {if consents.grants.is_empty() {
                view! { <p class="empty-state">"Nobody has granted this app anything."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {consents.grants.into_iter().map(|g| view! { <GrantRow grant=g app_id=app_id.clone() token=token.clone()/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn GrantRow(grant: AppGrant, app_id: String, token: String) -> impl IntoView {
    let who = match (&grant.subject.display_name, &grant.subject.upn) {
        (Some(name), Some(upn)) => format!("{name} ({upn})"),
        _ => "Everyone in the organisation".to_string(),
    };
    let by = if grant.granted_by.is_empty() { String::new() } else { format!(" by {}", grant.granted_by) };
    let what: Vec<String> = grant.permissions.iter().map(|p| p.display_name.clone()).collect();
    view! {
        <li class="row-with-action" data-testid="grant">
            <span>
                <strong>{who.clone()}</strong>
                <span class="item-note">{format!(" · since {}{by}", when(grant.granted_at))}</span>
                <br/>
                <span class="muted">{if what.is_empty() { "No permissions".to_string() } else { what.join(", ") }}</span>
            </span>
            <form method="post" action=format!("/admin/apps/{app_id}/consents/{}/revoke", grant.id) class="inline-form">
                <CsrfField token/>
                <button type="submit" class="button button-small button-danger" aria-label=format!("Revoke the grant for {who}")>"Revoke"</button>
            </form>
        </li>
    }
}
