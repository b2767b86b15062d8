//! GET /admin/consent: the organisation's consent settings (privileged
//! admins): the user-consent policy, whether people may remove apps they
//! consented to, the admin-consent workflow, and its reviewers, found and
//! added from a search. And GET /admin/permissions: the permission
//! catalogue, classified by privileged admins. Plain forms posting to
//! `http::admin_consent`.

use super::admin::{notice_text, AdminFrame, SelectField, TextField};
use crate::components::layout::{token_of, Alert, CsrfField, Loading};
use crate::domain::catalogue::is_standard_api;
use crate::domain::consent::UserConsentPolicy;
use crate::domain::fields::problem_in;
use crate::models::consents::ConsentSettingsView;
use crate::server_fns::admin::{load_admin_groups, load_admin_users, load_consent_settings, load_permission_catalogue};
use crate::server_fns::session::auth_state;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

const POLICIES: [(UserConsentPolicy, &str, &str); 3] = [
    (UserConsentPolicy::Disabled, "Don't allow user consent", "Only admins can let apps use people's data."),
    (
        UserConsentPolicy::VerifiedPublishersLowImpact,
        "Allow user consent for apps from verified publishers or registered here, for low-impact permissions",
        "Recommended. Anything else needs an admin's approval.",
    ),
    (UserConsentPolicy::AllApps, "Allow user consent for all apps", "Except permissions that always need an admin."),
];

#[component]
pub fn AdminConsentPage() -> impl IntoView {
    let query = use_query_map();
    let settings = Resource::new(|| (), |_| load_consent_settings());
    let auth = Resource::new(|| (), |_| auth_state());
    let find = move || query.read().get("find").unwrap_or_default();
    let found = Resource::new(find, |q| async move {
        if q.trim().is_empty() {
            return Ok((vec![], vec![]));
        }
        let users = load_admin_users(q.clone(), None).await?.users;
        let groups = load_admin_groups(q, None).await?.groups;
        Ok::<_, ServerFnError>((users, groups))
    });
    view! {
        <Title text="Consent settings · Admin"/>
        <AdminFrame current="/admin/consent">
            <h1>"Consent settings"</h1>
            {move || query.read().get("done").and_then(|c| notice_text(&c)).map(|m| view! { <Alert message=m/> })}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let token = token_of(&auth.await);
                    let codes = query.read_untracked().get("errors").unwrap_or_default();
                    let typed_days = query.read_untracked().get("request_expiry_days");
                    match settings.await {
                        Ok(view) => view! {
                            <SettingsForm view=view.clone() token=token.clone() codes typed_days/>
                            <Reviewers view token=token.clone() found=found find=find()/>
                        }.into_any(),
                        Err(e) => view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

#[component]
fn SettingsForm(view: ConsentSettingsView, token: String, codes: String, typed_days: Option<String>) -> impl IntoView {
    let s = view.settings;
    let problem = move |field: &str| crate::domain::fields::problem_in(&codes, field);
    let days_problem = problem("request_expiry_days");
    let workflow_problem = problem("workflow_enabled");
    let policy_problem = problem("user_consent_policy");
    let days = typed_days.unwrap_or_else(|| s.request_expiry_days.to_string());
    view! {
        <form method="post" action="/admin/consent" class="card settings-form">
            <CsrfField token/>
            <fieldset aria-describedby=policy_problem.map(|_| "policy-error")>
                <legend>"User consent for apps"</legend>
                {POLICIES.iter().map(|(policy, label, hint)| {
                    let id = format!("policy-{}", policy.as_str());
                    view! {
                        <div class="choice">
                            <input type="radio" id=id.clone() name="user_consent_policy" value=policy.as_str() checked=*policy == s.user_consent_policy/>
                            <label for=id>{*label}<span class="hint">{*hint}</span></label>
                        </div>
                    }
                }).collect_view()}
                {policy_problem.map(|p| view! { <p class="field-error" id="policy-error">{p}</p> })}
                <p class="hint">"Turning user consent off keeps the consents people already gave; remove those one by one if you need to."</p>
            </fieldset>
            <div class="choice">
                <input type="checkbox" id="users-can-remove" name="users_can_remove_consent" value="on" checked=s.users_can_remove_consent/>
                <label for="users-can-remove">"People may remove apps they consented to"</label>
            </div>
            <fieldset>
                <legend>"Admin consent requests"</legend>
                <div class="choice">
                    <input type="checkbox" id="workflow" name="workflow_enabled" value="on" checked=s.workflow_enabled
                        aria-invalid=workflow_problem.map(|_| "true") aria-describedby=workflow_problem.map(|_| "workflow-error")/>
                    <label for="workflow">"People who may not consent can ask for approval"</label>
                </div>
                {workflow_problem.map(|p| view! { <p class="field-error" id="workflow-error">{p}</p> })}
                <div class="field">
                    <label for="field-request_expiry_days">"Requests expire after (days)"</label>
                    <input id="field-request_expiry_days" name="request_expiry_days" type="number" min="1" max="365" value=days required=true
                        aria-invalid=days_problem.map(|_| "true") aria-describedby=days_problem.map(|_| "days-error")/>
                    {days_problem.map(|p| view! { <p class="field-error" id="days-error">{p}</p> })}
                </div>
                <div class="choice">
                    <input type="checkbox" id="notify" name="notify_reviewers" value="on" checked=s.notify_reviewers/>
                    <label for="notify">"Tell reviewers about new requests"</label>
                </div>
                <div class="choice">
                    <input type="checkbox" id="reminders" name="reminders" value="on" checked=s.reminders/>
                    <label for="reminders">"Remind reviewers of requests still waiting"</label>
                </div>
            </fieldset>
            <div class="actions"><button type="submit" class="button button-primary">"Save settings"</button></div>
        </form>
    }
}

type Found = Resource<Result<(Vec<crate::models::admin::UserSummary>, Vec<crate::models::admin::GroupSummary>), ServerFnError>>;

#[component]
fn Reviewers(view: ConsentSettingsView, token: String, found: Found, find: String) -> impl IntoView {
    let reviewer_ids: Vec<String> = view.reviewers.iter().map(|r| r.id.clone()).collect();
    let remove_token = token.clone();
    view! {
        <section class="card" aria-labelledby="reviewers-heading">
            <h2 id="reviewers-heading">"Reviewers"</h2>
            <p class="muted">"They review requests for apps people may not consent to themselves. A group's members all review."</p>
            {if view.reviewers.is_empty() {
                view! { <p>"Nobody reviews requests yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {view.reviewers.iter().map(|r| {
                            let label = format!("Remove {} from the reviewers", r.name);
                            let detail = if r.kind == "group" { "Group".to_string() } else { r.detail.clone() };
                            view! {
                                <li>
                                    <span>{r.name.clone()}" · "<span class="muted">{detail}</span></span>
                                    <form method="post" action="/admin/consent/reviewers/remove" class="inline-form">
                                        <CsrfField token=remove_token.clone()/>
                                        <input type="hidden" name="kind" value=r.kind.clone()/>
                                        <input type="hidden" name="id" value=r.id.clone()/>
                                        <button type="submit" class="button button-small" aria-label=label>"Remove"</button>
                                    </form>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <form method="get" action="/admin/consent" class="search-form" role="search">
                <label for="find-reviewer">"Find a user or group to add"</label>
                <input id="find-reviewer" name="find" type="search" value=find/>
                <button type="submit" class="button">"Search"</button>
            </form>
            <Suspense fallback=Loading>
                {move || {
                    let (token, reviewer_ids) = (token.clone(), reviewer_ids.clone());
                    Suspend::new(async move {
                        let (users, groups) = found.await.unwrap_or_default();
                        let add = move |kind: &'static str, id: String, name: String| {
                            let taken = reviewer_ids.contains(&id);
                            view! {
                                <li>
                                    <span>{name.clone()}</span>
                                    {if taken {
                                        view! { <span class="muted">"Reviews already"</span> }.into_any()
                                    } else {
                                        view! {
                                            <form method="post" action="/admin/consent/reviewers" class="inline-form">
                                                <CsrfField token=token.clone()/>
                                                <input type="hidden" name="kind" value=kind/>
                                                <input type="hidden" name="id" value=id/>
                                                <button type="submit" class="button button-small button-primary" aria-label=format!("Add {name} as a reviewer")>"Add"</button>
                                            </form>
                                        }.into_any()
                                    }}
                                </li>
                            }
                        };
                        (!users.is_empty() || !groups.is_empty()).then(|| view! {
                            <ul class="plain-list" aria-label="Search results">
                                {users.into_iter().take(10).map(|u| add("user", u.id, format!("{} ({})", u.display_name, u.upn))).collect_view()}
                                {groups.into_iter().take(10).map(|g| add("group", g.id, format!("{} (group)", g.name))).collect_view()}
                            </ul>
                        })
                    })
                }}
            </Suspense>
        </section>
    }
}

const CLASSES: [(&str, &str); 4] = [("", "Not classified"), ("low", "Low impact"), ("medium", "Medium impact"), ("high", "High impact")];

/// GET /admin/permissions: the permission catalogue. Every admin reads it;
/// privileged admins classify each permission.
#[component]
pub fn AdminPermissionsPage() -> impl IntoView {
    let query = use_query_map();
    let catalogue = Resource::new(|| (), |_| load_permission_catalogue());
    let auth = Resource::new(|| (), |_| auth_state());
    view! {
        <Title text="Permissions · Admin"/>
        <AdminFrame current="/admin/permissions">
            <h1>"Permissions"</h1>
            <p class="muted">"What apps can ask to do with people's data, API by API. Under the recommended consent setting, people may consent only to low-impact permissions that don't need an admin; unclassified ones count as not low."</p>
            {move || query.read().get("done").and_then(|c| notice_text(&c)).map(|m| view! { <Alert message=m/> })}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let auth = auth.await;
                    let token = token_of(&auth);
                    let privileged = matches!(&auth, Ok(crate::auth::AuthView::SignedIn(v)) if v.role.is_privileged_admin());
                    let returned = {
                        let q = query.read_untracked();
                        let get = |k: &str| q.get(k).unwrap_or_default();
                        Returned { form: get("form"), api: get("api_id"), errors: get("errors"), name: get("name"), identifier: get("identifier"),
                            description: get("description"), value: get("value"), display_name: get("display_name"),
                            permission_description: get("permission_description") }
                    };
                    let apis = match catalogue.await {
                        Ok(apis) => apis,
                        Err(e) => return view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    };
                    let own: Vec<(String, String)> =
                        apis.iter().filter(|a| !is_standard_api(&a.identifier)).map(|a| (a.id.clone(), a.name.clone())).collect();
                    let register = privileged.then(|| view! {
                        <RegisterApi token=token.clone() returned=returned.clone()/>
                        {(!own.is_empty()).then(|| view! { <AddPermission apis=own.clone() token=token.clone() returned=returned.clone()/> })}
                    });
                    view! {
                        {register}
                        {apis.into_iter().map(|api| {
                            let heading_id = format!("api-{}", api.id);
                            let labelled_by = heading_id.clone();
                            let token = token.clone();
                            let editable = privileged && !is_standard_api(&api.identifier);
                            view! {
                                <section class="card" aria-labelledby=labelled_by>
                                    <h2 id=heading_id>{api.name.clone()}</h2>
                                    <p class="muted"><code>{api.identifier.clone()}</code>{(!api.description.is_empty()).then(|| format!(" · {}", api.description))}</p>
                                    <table class="data-table">
                                        <caption class="visually-hidden">{format!("Permissions of {}", api.name)}</caption>
                                        <thead><tr><th scope="col">"Permission"</th><th scope="col">"What it allows"</th><th scope="col">"Consent"</th><th scope="col">"Apps"</th><th scope="col">"Impact"</th></tr></thead>
                                        <tbody>
                                            {api.permissions.into_iter().map(|p| {
                                                let current = p.classification.map_or("", |c| c.as_str());
                                                let select_id = format!("class-{}", p.id);
                                                let impact = if privileged {
                                                    view! {
                                                        <form method="post" action=format!("/admin/permissions/{}/classify", p.id) class="inline-form">
                                                            <CsrfField token=token.clone()/>
                                                            <label for=select_id.clone() class="visually-hidden">{format!("Impact of {}", p.value)}</label>
                                                            <select id=select_id name="classification">
                                                                {CLASSES.iter().map(|(v, t)| view! { <option value=*v selected=*v == current>{*t}</option> }).collect_view()}
                                                            </select>
                                                            <button type="submit" class="button button-small" aria-label=format!("Save the impact of {}", p.value)>"Save"</button>
                                                        </form>
                                                    }.into_any()
                                                } else {
                                                    view! { <span>{p.classification.map_or("Not classified", |c| c.label())}</span> }.into_any()
                                                };
                                                let delete = (editable && p.requested_by_apps == 0).then(|| view! {
                                                    <form method="post" action=format!("/admin/permissions/{}/delete", p.id) class="inline-form">
                                                        <CsrfField token=token.clone()/>
                                                        <button type="submit" class="button button-small button-danger" aria-label=format!("Delete the permission {}", p.value)>"Delete"</button>
                                                    </form>
                                                });
                                                view! {
                                                    <tr>
                                                        <td><strong>{p.display_name.clone()}</strong><br/><code>{p.value.clone()}</code></td>
                                                        <td>{p.description.clone()}</td>
                                                        <td>{if p.admin_consent_required { "Admin only" } else { "People may consent" }}</td>
                                                        <td>{p.requested_by_apps}</td>
                                                        <td>{impact}{delete}</td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </section>
                            }
                        }).collect_view()}
                    }.into_any()
                })}
            </Suspense>
        </AdminFrame>
    }
}

/// What a catalogue form came back with: which API's form (`api`), the
/// problems, and what was typed.
#[derive(Clone, Debug, Default)]
struct Returned {
    /// `api` or `permission`.
    form: String,
    api: String,
    errors: String,
    name: String,
    identifier: String,
    description: String,
    value: String,
    display_name: String,
    permission_description: String,
}

#[component]
fn RegisterApi(token: String, returned: Returned) -> impl IntoView {
    let mine = returned.form == "api";
    let problem = |field: &str| if mine { problem_in(&returned.errors, field) } else { None };
    view! {
        <section class="card" aria-labelledby="register-api-heading">
            <details open=mine>
                <summary><h2 id="register-api-heading" class="summary-heading">"Register an API"</h2></summary>
                <form method="post" action="/admin/permissions/apis" class="stack">
                    <CsrfField token=token/>
                    <TextField name="name" label="Name" value=if mine { returned.name.clone() } else { String::new() } problem=problem("name") required=true/>
                    <TextField name="identifier" label="Identifier" value=if mine { returned.identifier.clone() } else { String::new() } problem=problem("identifier") required=true
                        hint="An https:// address or a urn:, for example https://reports.northwind.example."/>
                    <TextField name="description" label="Description" value=if mine { returned.description.clone() } else { String::new() } problem=problem("description")/>
                    <div class="actions"><button type="submit" class="button button-primary">"Register the API"</button></div>
                </form>
            </details>
        </section>
    }
}

#[component]
fn AddPermission(apis: Vec<(String, String)>, token: String, returned: Returned) -> impl IntoView {
    let mine = returned.form == "permission";
    let problem = |field: &str| if mine { problem_in(&returned.errors, field) } else { None };
    let typed = |v: &String| if mine { v.clone() } else { String::new() };
    view! {
        <section class="card" aria-labelledby="add-permission-heading">
            <details open=mine>
                <summary><h2 id="add-permission-heading" class="summary-heading">"Add a permission"</h2></summary>
                <form method="post" action="/admin/permissions/new" class="stack">
                    <CsrfField token=token/>
                    <div class="field">
                        <label for="field-api_id">"API"</label>
                        <select id="field-api_id" name="api_id">
                            {apis.into_iter().map(|(id, name)| {
                                let selected = mine && id == returned.api;
                                view! { <option value=id selected=selected>{name}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <TextField name="value" label="Scope" value=typed(&returned.value) problem=problem("value") required=true hint="What apps ask for, for example Reports.Read."/>
                    <TextField name="display_name" label="Name in plain words" value=typed(&returned.display_name) problem=problem("display_name") required=true/>
                    <TextField name="permission_description" label="What it lets an app do" value=typed(&returned.permission_description) problem=problem("description") required=true/>
                    <div class="field field-check">
                        <input id="field-admin_consent_required" type="checkbox" name="admin_consent_required" value="true"/>
                        <label for="field-admin_consent_required">"Only an admin may consent to it"</label>
                    </div>
                    <SelectField name="classification" label="Impact" options=&CLASSES value=String::new() problem=problem("classification")/>
                    <div class="actions"><button type="submit" class="button">"Add the permission"</button></div>
                </form>
            </details>
        </section>
    }
}
