//! The admin area's logs: sign-ins (find by the correlation ID on a refusal
//! page, by user, app, outcome, reason or time) and the audit log (who
//! changed what, before and after). Admins. Server-rendered: the filters are
//! a GET form, the next page and the CSV download plain links with the same
//! filters, so everything works without any script.

use super::admin::{href_with, when, AdminFrame, SelectField};
use crate::components::layout::{Alert, Loading};
use crate::models::admin::{AppChoice, AuditLogPage, AuditLogQuery, SignInLogPage, SignInLogQuery};
use crate::server_fns::admin::{load_app_choices, load_audit_log, load_sign_in_log};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

const OUTCOMES: [(&str, &str); 4] = [("", "Any outcome"), ("success", "Success"), ("failure", "Failure"), ("interrupted", "Interrupted")];
const KINDS: [(&str, &str); 5] =
    [("", "Any kind"), ("portal", "Portal sign-in"), ("launch", "App launch"), ("token", "Token"), ("userinfo", "User info")];

const SIGN_IN_FIELDS: [&str; 8] = ["correlation_id", "user", "app_id", "outcome", "reason_code", "kind", "from", "to"];
const AUDIT_FIELDS: [&str; 6] = ["actor", "action", "target_id", "correlation_id", "from", "to"];

/// A filter field as typed (the form comes back filled in).
#[component]
fn FilterField(
    name: &'static str,
    label: &'static str,
    value: String,
    #[prop(optional)] input_type: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
    problem: Option<String>,
) -> impl IntoView {
    let id = format!("filter-{name}");
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id name=name type=input_type.unwrap_or("text") value=value placeholder=placeholder
                aria-invalid=problem.as_ref().map(|_| "true") aria-describedby=problem.as_ref().map(|_| error_id.clone())/>
            {problem.map(|p| view! { <p class="field-error" id=error_id>{p}</p> })}
        </div>
    }
}

/// The app filter: a choice of the organisation's apps.
#[component]
fn AppFilter(apps: Vec<AppChoice>, value: String) -> impl IntoView {
    view! {
        <div class="field">
            <label for="filter-app_id">"App"</label>
            <select id="filter-app_id" name="app_id">
                <option value="" selected=value.is_empty()>"Any app"</option>
                {apps.into_iter().map(|a| {
                    let selected = a.id == value;
                    view! { <option value=a.id selected=selected>{a.name}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

fn problem_of(problems: &[(String, String)], field: &str) -> Option<String> {
    problems.iter().find(|(f, _)| f == field).map(|(_, s)| s.clone())
}

/// GET /admin/sign-ins: the sign-in log.
#[component]
pub fn AdminSignInsPage() -> impl IntoView {
    let query = use_query_map();
    let value = move |name: &str| query.read().get(name).unwrap_or_default();
    let filters = move || SIGN_IN_FIELDS.map(value);
    let cursor = move || query.read().get("cursor").filter(|c| !c.is_empty());
    let apps = Resource::new(|| (), |_| load_app_choices());
    let log = Resource::new(
        move || (filters(), cursor()),
        |(f, cursor)| {
            let [correlation_id, user, app_id, outcome, reason_code, kind, from, to] = f;
            load_sign_in_log(SignInLogQuery { correlation_id, user, app_id, outcome, reason_code, kind, from, to, cursor, limit: 0 })
        },
    );
    view! {
        <Title text="Sign-ins · Admin"/>
        <AdminFrame current="/admin/sign-ins">
            <h1>"Sign-ins"</h1>
            <p class="lede">"Every sign-in and app launch, newest first. Someone was refused? Paste the correlation ID from their page."</p>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let values = filters();
                    let result = log.await;
                    let apps = apps.await.unwrap_or_default();
                    let problems = match &result { Ok(Err(p)) => p.clone(), _ => vec![] };
                    let p = |f: &str| problem_of(&problems, f);
                    let pairs: Vec<(&str, &str)> = SIGN_IN_FIELDS.iter().copied().zip(values.iter().map(String::as_str)).collect();
                    let export = href_with("/api/v1/admin/sign-ins/export.csv", &pairs);
                    view! {
                        <form method="get" action="/admin/sign-ins" class="card filter-form" role="search" aria-label="Filter sign-ins">
                            <div class="filter-grid">
                                <FilterField name="correlation_id" label="Correlation ID" value=values[0].clone() problem=p("correlation_id")/>
                                <FilterField name="user" label="User" value=values[1].clone() placeholder="Part of the sign-in name" problem=p("user")/>
                                <AppFilter apps value=values[2].clone()/>
                                <SelectField name="outcome" label="Outcome" options=&OUTCOMES value=values[3].clone()
                                    problem=p("outcome").map(|_| "Choose success, failure or interrupted.")/>
                                <FilterField name="reason_code" label="Reason code" value=values[4].clone() placeholder="for example not_assigned" problem=p("reason_code")/>
                                <SelectField name="kind" label="Kind" options=&KINDS value=values[5].clone()
                                    problem=p("kind").map(|_| "Choose portal, launch, token or userinfo.")/>
                                <FilterField name="from" label="From (UTC)" value=values[6].clone() input_type="datetime-local" problem=p("from")/>
                                <FilterField name="to" label="Until (UTC)" value=values[7].clone() input_type="datetime-local" problem=p("to")/>
                            </div>
                            <div class="actions">
                                <button type="submit" class="button button-primary">"Show sign-ins"</button>
                                <a class="button" href="/admin/sign-ins">"Clear"</a>
                                <a class="button" href=export download>"Download CSV"</a>
                            </div>
                        </form>
                        {match result {
                            Ok(Ok(page)) => view! { <SignInTable page pairs=pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()/> }.into_any(),
                            Ok(Err(_)) => view! { <Alert message="Some filters need another look." error=true/> }.into_any(),
                            Err(e) => view! { <Alert message=e.to_string() error=true/> }.into_any(),
                        }}
                    }.into_any()
                })}
            </Suspense>
        </AdminFrame>
    }
}

fn outcome_badge(outcome: &str) -> &'static str {
    match outcome {
        "success" => "status status-ok",
        "failure" => "status status-bad",
        _ => "status",
    }
}

/// The link to the next (older) page: the same filters and its cursor.
fn next_page(path: &str, pairs: &[(String, String)], cursor: Option<String>) -> Option<String> {
    let cursor = cursor?;
    let mut all: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    all.push(("cursor", cursor.as_str()));
    Some(href_with(path, &all))
}

#[component]
fn SignInTable(page: SignInLogPage, pairs: Vec<(String, String)>) -> impl IntoView {
    if page.events.is_empty() {
        return view! { <p class="empty-state">"No sign-ins match these filters."</p> }.into_any();
    }
    let next = next_page("/admin/sign-ins", &pairs, page.next_cursor);
    view! {
        <table class="data-table">
            <caption class="visually-hidden">"Sign-ins, newest first"</caption>
            <thead><tr><th scope="col">"Time"</th><th scope="col">"User"</th><th scope="col">"App"</th><th scope="col">"Kind"</th>
                <th scope="col">"Outcome"</th><th scope="col">"Reason"</th><th scope="col">"Correlation ID"</th><th scope="col">"Address"</th></tr></thead>
            <tbody>
                {page.events.into_iter().map(|entry| {
                    let user = match &entry.user_id {
                        Some(id) => view! { <a href=format!("/admin/users/{id}")>{entry.upn.clone()}</a> }.into_any(),
                        None => view! { <span>{entry.upn.clone()}</span> }.into_any(),
                    };
                    let e = entry.event;
                    view! {
                        <tr>
                            <td class="nowrap">{when(e.created_at)}</td>
                            <td>{user}</td>
                            <td>{e.app_name.clone().unwrap_or_default()}</td>
                            <td>{e.kind.clone()}</td>
                            <td><span class=outcome_badge(&e.outcome)>{e.outcome.clone()}</span></td>
                            <td class="nowrap"><code>{e.reason_code.clone()}</code></td>
                            <td><code>{e.correlation_id.clone()}</code></td>
                            <td>{e.client_ip.clone()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        {next.map(|href| view! { <p><a class="button" href=href>"Older sign-ins"</a></p> })}
    }
    .into_any()
}

/// GET /admin/audit: the audit log.
#[component]
pub fn AdminAuditPage() -> impl IntoView {
    let query = use_query_map();
    let value = move |name: &str| query.read().get(name).unwrap_or_default();
    let filters = move || AUDIT_FIELDS.map(value);
    let cursor = move || query.read().get("cursor").filter(|c| !c.is_empty());
    let log = Resource::new(
        move || (filters(), cursor()),
        |(f, cursor)| {
            let [actor, action, target_id, correlation_id, from, to] = f;
            load_audit_log(AuditLogQuery { actor, action, target_id, correlation_id, from, to, cursor, limit: 0 })
        },
    );
    view! {
        <Title text="Audit log · Admin"/>
        <AdminFrame current="/admin/audit">
            <h1>"Audit log"</h1>
            <p class="lede">"Every change made by admins and provisioning, newest first, with what it was before and after."</p>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let values = filters();
                    let result = log.await;
                    let problems = match &result { Ok(Err(p)) => p.clone(), _ => vec![] };
                    let p = |f: &str| problem_of(&problems, f);
                    let pairs: Vec<(&str, &str)> = AUDIT_FIELDS.iter().copied().zip(values.iter().map(String::as_str)).collect();
                    let export = href_with("/api/v1/admin/audit-events/export.csv", &pairs);
                    view! {
                        <form method="get" action="/admin/audit" class="card filter-form" role="search" aria-label="Filter the audit log">
                            <div class="filter-grid">
                                <FilterField name="actor" label="Actor" value=values[0].clone() placeholder="Part of the admin's name" problem=p("actor")/>
                                <FilterField name="action" label="Action" value=values[1].clone() placeholder="user.sign_in_blocked, or user. for all" problem=p("action")/>
                                <FilterField name="target_id" label="Target ID" value=values[2].clone() problem=p("target_id")/>
                                <FilterField name="correlation_id" label="Correlation ID" value=values[3].clone() problem=p("correlation_id")/>
                                <FilterField name="from" label="From (UTC)" value=values[4].clone() input_type="datetime-local" problem=p("from")/>
                                <FilterField name="to" label="Until (UTC)" value=values[5].clone() input_type="datetime-local" problem=p("to")/>
                            </div>
                            <div class="actions">
                                <button type="submit" class="button button-primary">"Show changes"</button>
                                <a class="button" href="/admin/audit">"Clear"</a>
                                <a class="button" href=export download>"Download CSV"</a>
                            </div>
                        </form>
                        {match result {
                            Ok(Ok(page)) => view! { <AuditTable page pairs=pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()/> }.into_any(),
                            Ok(Err(_)) => view! { <Alert message="Some filters need another look." error=true/> }.into_any(),
                            Err(e) => view! { <Alert message=e.to_string() error=true/> }.into_any(),
                        }}
                    }.into_any()
                })}
            </Suspense>
        </AdminFrame>
    }
}

fn pretty(value: &Option<serde_json::Value>) -> String {
    value.as_ref().and_then(|v| serde_json::to_string_pretty(v).ok()).unwrap_or_else(|| "—".into())
}

#[component]
fn AuditTable(page: AuditLogPage, pairs: Vec<(String, String)>) -> impl IntoView {
    if page.events.is_empty() {
        return view! { <p class="empty-state">"No changes match these filters."</p> }.into_any();
    }
    let next = next_page("/admin/audit", &pairs, page.next_cursor);
    view! {
        <table class="data-table">
            <caption class="visually-hidden">"Changes, newest first"</caption>
            <thead><tr><th scope="col">"Time"</th><th scope="col">"Actor"</th><th scope="col">"Action"</th><th scope="col">"Target"</th>
                <th scope="col">"Details"</th></tr></thead>
            <tbody>
                {page.events.into_iter().map(|e| {
                    let (before, after) = (pretty(&e.before), pretty(&e.after));
                    view! {
                        <tr>
                            <td class="nowrap">{when(e.created_at)}</td>
                            <td>{e.actor.clone()}</td>
                            <td><code>{e.action.clone()}</code></td>
                            <td>{e.target_type.clone()}" "<code>{e.target_id.clone()}</code></td>
                            <td>
                                <details>
                                    <summary>"Before and after"</summary>
                                    <div class="audit-diff">
                                        <div><h3>"Before"</h3><pre>{before}</pre></div>
                                        <div><h3>"After"</h3><pre>{after}</pre></div>
                                    </div>
                                    {(!e.correlation_id.is_empty()).then(|| view! {
                                        <p class="hint">"Correlation ID "<code>{e.correlation_id.clone()}</code></p>
                                    })}
                                </details>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        {next.map(|href| view! { <p><a class="button" href=href>"Older changes"</a></p> })}
    }
    .into_any()
}
