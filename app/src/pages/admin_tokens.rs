//! The admin area's API tokens page: the organisation's tokens with their
//! state and last use, a form for a new one, and revoking. Privileged
//! admins. The secret of a new token is shown once, by the server's form
//! handler, never here.

use super::admin::{notice_text, when, AdminFrame, SelectField, TextField};
use crate::components::copy::CopyButton;
use crate::components::layout::{token_of, Alert, CsrfField, Loading};
use crate::domain::api_tokens::ApiTokenState;
use crate::models::admin::{ApiTokenPage, ApiTokenView};
use crate::server_fns::admin::load_admin_api_tokens;
use crate::server_fns::session::auth_state;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

const TOKEN_ROLES: [(&str, &str); 2] = [("app_admin", "App admin"), ("privileged_admin", "Privileged admin")];
const LIFETIMES: [(&str, &str); 4] = [("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("never", "Never expires")];

fn state_badge(state: ApiTokenState) -> &'static str {
    match state {
        ApiTokenState::Active => "status status-ok",
        ApiTokenState::Expired | ApiTokenState::Revoked => "status status-bad",
    }
}

fn role_label(t: &ApiTokenView) -> &'static str {
    if t.role.is_privileged_admin() {
        "Privileged admin"
    } else {
        "App admin"
    }
}

/// GET /admin/api-tokens?cursor=&revoke=: the tokens, and the new-token form.
#[component]
pub fn AdminApiTokensPage() -> impl IntoView {
    let query = use_query_map();
    let cursor = move || query.read().get("cursor").filter(|c| !c.is_empty());
    let tokens = Resource::new(cursor, load_admin_api_tokens);
    let auth = Resource::new(|| (), |_| auth_state());
    view! {
        <Title text="API tokens · Admin"/>
        <AdminFrame current="/admin/api-tokens">
            <h1>"API tokens"</h1>
            <p class="lede">"Scripts and provisioning systems (SCIM) use a token to act for your organisation with the role you give it, whoever created it. "
                <a href="/admin/api">"API reference"</a></p>
            {move || query.read().get("done").and_then(|c| notice_text(&c)).map(|m| view! { <Alert message=m/> })}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let token = token_of(&auth.await);
                    let (name, role, lifetime, codes, revoke) = {
                        let q = query.read_untracked();
                        (
                            q.get("name").unwrap_or_default(),
                            q.get("role").unwrap_or_else(|| "privileged_admin".into()),
                            q.get("expires_in_days").unwrap_or_else(|| "90".into()),
                            q.get("errors").unwrap_or_default(),
                            q.get("revoke").unwrap_or_default(),
                        )
                    };
                    let problem = |field: &str| crate::domain::fields::problem_in(&codes, field);
                    let (list, scim_url) = match tokens.await {
                        Ok(v) => (view! { <TokenTable page=v.page token=token.clone() revoke/> }.into_any(), Some(v.scim_url)),
                        Err(e) => (view! { <Alert message=e.to_string() error=true/> }.into_any(), None),
                    };
                    view! {
                        {scim_url.map(|url| view! {
                            <section class="card" aria-labelledby="scim-heading">
                                <h2 id="scim-heading">"Provisioning (SCIM 2.0)"</h2>
                                <p>"Give your HR system or identity provider this address and a token that acts as Privileged admin:"</p>
                                <p><code class="wrap">{url.clone()}</code></p>
                                <CopyButton text=url label="Copy the SCIM address".to_string()/>
                            </section>
                        })}
                        {list}
                        <section class="card form-card" aria-labelledby="new-token-heading">
                            <h2 id="new-token-heading">"New API token"</h2>
                            {(!codes.is_empty()).then(|| view! { <Alert message="Some fields need another look." error=true/> })}
                            <form method="post" action="/admin/api-tokens/new" class="stack">
                                <CsrfField token=token/>
                                <TextField name="name" label="Name" value=name problem=problem("name") required=true
                                    hint="What uses it, for example \"HR sync\". Unique among live tokens."/>
                                <SelectField name="role" label="Acts as" options=&TOKEN_ROLES value=role problem=problem("role")/>
                                <SelectField name="expires_in_days" label="Expires after" options=&LIFETIMES value=lifetime problem=problem("expires_in_days")/>
                                <button type="submit" class="button button-primary">"Create token"</button>
                            </form>
                        </section>
                    }.into_any()
                })}
            </Suspense>
        </AdminFrame>
    }
}

#[component]
fn TokenTable(page: ApiTokenPage, token: String, revoke: String) -> impl IntoView {
    if page.tokens.is_empty() {
        return view! { <p class="empty-state">"There are no API tokens yet."</p> }.into_any();
    }
    let confirm = page.tokens.iter().find(|t| t.id == revoke && t.revoked_at.is_none()).cloned();
    let next = page.next_cursor.map(|c| format!("/admin/api-tokens?cursor={c}"));
    view! {
        {confirm.map(|t| view! {
            <section class="card confirm-card" aria-labelledby="confirm-heading">
                <h2 id="confirm-heading">{format!("Revoke {}?", t.name)}</h2>
                <p>"Whatever uses it is refused from its next request. This can't be undone; a new token has a new secret."</p>
                <div class="actions">
                    <form method="post" action=format!("/admin/api-tokens/{}/revoke", t.id) class="inline-form">
                        <CsrfField token=token.clone()/>
                        <button type="submit" class="button button-danger">"Revoke the token"</button>
                    </form>
                    <a class="button" href="/admin/api-tokens">"Cancel"</a>
                </div>
            </section>
        })}
        <table class="data-table">
            <caption class="visually-hidden">"API tokens"</caption>
            <thead><tr><th scope="col">"Name"</th><th scope="col">"Acts as"</th><th scope="col">"State"</th><th scope="col">"Secret"</th>
                <th scope="col">"Created"</th><th scope="col">"Expires"</th><th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
            <tbody>
                {page.tokens.into_iter().map(|t| {
                    let live = t.state == ApiTokenState::Active;
                    view! {
                        <tr>
                            <td>{t.name.clone()}</td>
                            <td>{role_label(&t)}</td>
                            <td><span class=state_badge(t.state)>{t.state.label()}</span>
                                {t.revoked_at.map(|at| view! { <br/><span class="muted">{format!("{} by {}", when(at), t.revoked_by.clone().unwrap_or_default())}</span> })}</td>
                            <td><code>{t.secret_hint.clone()}</code></td>
                            <td>{when(t.created_at)}<br/><span class="muted">{format!("by {}", t.created_by)}</span></td>
                            <td>{t.expires_at.map(when).unwrap_or_else(|| "Never".into())}</td>
                            <td>{t.last_used_at.map(when).unwrap_or_else(|| "Never used".into())}</td>
                            <td>{live.then(|| view! {
                                <a class="button button-danger" href=format!("/admin/api-tokens?revoke={}", t.id)
                                    aria-label=format!("Revoke {}", t.name)>"Revoke"</a>
                            })}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        {next.map(|href| view! { <p><a class="button" href=href>"Older tokens"</a></p> })}
    }.into_any()
}
