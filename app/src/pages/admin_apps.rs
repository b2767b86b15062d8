//! The admin area's apps pages: the list, an app with its user access URL
//! and OpenID Connect settings, the register and edit forms, and the delete
//! confirmation. Server-rendered; changes are plain forms posting to
//! `/admin/apps/...`.

use super::admin::{href_with, notice_text, when, AdminFrame, PrincipalButton, TextField};
use crate::components::copy::CopyButton;
use crate::components::layout::{token_of, Alert, CsrfField, Loading};
use crate::domain::apps::{AppFields, SignOnMode};
use crate::models::admin::{AppFormChoices, AppPage, AppView, AssignmentsView};
use crate::server_fns::admin::{load_admin_app, load_admin_apps, load_app_assignments, load_app_form_choices};
use crate::server_fns::session::auth_state;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::params::ParamsMap;

fn apps_href(search: &str, cursor: Option<&str>) -> String {
    href_with("/admin/apps", &[("q", search), ("cursor", cursor.unwrap_or(""))])
}

/// A value for a query string.
fn urlencoding(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn mode_label(mode: SignOnMode) -> &'static str {
    match mode {
        SignOnMode::Linked => "Linked",
        SignOnMode::Oidc => "OpenID Connect",
    }
}

/// GET /admin/apps?q=&cursor=: the organisation's apps.
#[component]
pub fn AdminAppsPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.read().get("q").unwrap_or_default();
    let cursor = move || query.read().get("cursor").filter(|c| !c.is_empty());
    let apps = Resource::new(move || (search(), cursor()), |(s, c)| load_admin_apps(s, c));
    view! {
        <Title text="Apps · Admin"/>
        <AdminFrame current="/admin/apps">
            <div class="page-heading">
                <h1>"Apps"</h1>
                <a class="button button-primary" href="/admin/apps/new">"Register an app"</a>
            </div>
            {move || query.read().get("done").and_then(|c| notice_text(&c)).map(|m| view! { <Alert message=m/> })}
            <form method="get" action="/admin/apps" class="admin-search" role="search">
                <label for="app-search">"Find an app"</label>
                <input id="app-search" name="q" type="search" value=search() autocomplete="off" placeholder="Name, publisher or category"/>
                <button type="submit" class="button">"Search"</button>
            </form>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match apps.await {
                        Ok(page) => view! { <AppTable page search=search() first_page=cursor().is_none()/> }.into_any(),
                        Err(e) => view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

#[component]
fn AppTable(page: AppPage, search: String, first_page: bool) -> impl IntoView {
    if page.apps.is_empty() {
        let message = if search.is_empty() { "No app is registered yet.".to_string() } else { format!("No app matches “{search}”.") };
        return view! { <p class="empty-state" role="status">{message}</p> }.into_any();
    }
    let next = page.next_cursor.as_deref().map(|c| apps_href(&search, Some(c)));
    view! {
        <table class="data-table">
            <caption class="visually-hidden">"Apps"</caption>
            <thead>
                <tr><th scope="col">"Name"</th><th scope="col">"Category"</th><th scope="col">"Sign-on"</th>
                    <th scope="col">"Publisher"</th><th scope="col">"State"</th><th scope="col">"Who can use it"</th></tr>
            </thead>
            <tbody>
                {page.apps.into_iter().map(|a| {
                    let state = match (a.enabled, a.visible) {
                        (false, _) => ("Disabled", "status status-bad"),
                        (true, false) => ("Hidden", "status status-warn"),
                        (true, true) => ("Enabled", "status status-ok"),
                    };
                    view! {
                        <tr>
                            <td><a href=format!("/admin/apps/{}", a.id)>{a.name.clone()}</a></td>
                            <td>{a.category.clone()}</td>
                            <td>{mode_label(a.sign_on_mode)}</td>
                            <td>{a.publisher_name.clone()}{a.publisher_verified.then_some(" (verified)")}</td>
                            <td><span class=state.1>{state.0}</span></td>
                            <td>{if a.assignment_required { "Those it is assigned to" } else { "Everyone" }}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <nav class="pager" aria-label="Pages of apps">
            {(!first_page).then(|| view! { <a class="button" href=apps_href(&search, None)>"First page"</a> })}
            {next.map(|href| view! { <a class="button" href=href rel="next">"Next page"</a> })}
        </nav>
    }
    .into_any()
}

/// What the app form shows: an app's fields, or what was typed last.
#[derive(Clone, Debug, Default)]
struct FormValues {
    text: std::collections::HashMap<&'static str, String>,
    flags: Vec<String>,
    permissions: Vec<String>,
}

const FLAGS: [&str; 6] = ["publisher_verified", "registered_in_org", "enabled", "visible", "assignment_required", "public_client"];

impl FormValues {
    fn of(f: &AppFields) -> Self {
        let text = [
            ("name", f.name.clone()),
            ("description", f.description.clone()),
            ("category", f.category.clone()),
            ("publisher_name", f.publisher_name.clone()),
            ("required_license_id", f.required_license_id.clone().unwrap_or_default()),
            ("sign_on_mode", f.sign_on_mode.as_str().to_string()),
            ("launch_url", f.launch_url.clone().unwrap_or_default()),
            ("initiate_login_uri", f.initiate_login_uri.clone().unwrap_or_default()),
            ("redirect_uris", f.redirect_uris.join("\n")),
            ("post_logout_redirect_uris", f.post_logout_redirect_uris.join("\n")),
            ("id_token_signed_response_alg", f.id_token_signed_response_alg.clone()),
        ]
        .into_iter()
        .collect();
        let set = [f.publisher_verified, f.registered_in_org, f.enabled, f.visible, f.assignment_required, f.public_client];
        let flags = FLAGS.iter().zip(set).filter(|(_, on)| *on).map(|(n, _)| n.to_string()).collect();
        FormValues { text, flags, permissions: f.permission_ids.clone() }
    }

    /// What the form handler sent back after problems (`retry=1`).
    fn typed(q: &ParamsMap) -> Self {
        let names = [
            "name",
            "description",
            "category",
            "publisher_name",
            "required_license_id",
            "sign_on_mode",
            "launch_url",
            "initiate_login_uri",
            "redirect_uris",
            "post_logout_redirect_uris",
            "id_token_signed_response_alg",
        ];
        let split = |s: String| s.split(',').filter(|p| !p.is_empty()).map(str::to_string).collect::<Vec<_>>();
        FormValues {
            text: names.into_iter().map(|n| (n, q.get(n).unwrap_or_default())).collect(),
            flags: split(q.get("flags").unwrap_or_default()),
            permissions: split(q.get("permission_ids").unwrap_or_default()),
        }
    }

    fn get(&self, name: &str) -> String {
        self.text.get(name).cloned().unwrap_or_default()
    }

    fn on(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
}

/// A checkbox with its label and, optionally, a hint.
#[component]
fn CheckField(name: &'static str, label: &'static str, checked: bool, #[prop(optional)] hint: Option<&'static str>) -> impl IntoView {
    let id = format!("field-{name}");
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field field-check">
            <input id=id.clone() name=name type="checkbox" checked=checked aria-describedby=hint.map(|_| hint_id.clone())/>
            <label for=id>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
        </div>
    }
}

/// The register / edit form's fields.
#[component]
fn AppFormFields(values: FormValues, codes: String, choices: AppFormChoices) -> impl IntoView {
    let problem = move |field: &str| crate::domain::fields::problem_in(&codes, field);
    let mode = values.get("sign_on_mode");
    let license = values.get("required_license_id");
    let text_area = |name: &'static str, label: &'static str, hint: &'static str, rows: &'static str| {
        let id = format!("field-{name}");
        let p = problem(name);
        let described = if p.is_some() { format!("{id}-hint {id}-error") } else { format!("{id}-hint") };
        view! {
            <div class="field">
                <label for=id.clone()>{label}</label>
                <p class="hint" id=format!("{id}-hint")>{hint}</p>
                <textarea id=id.clone() name=name rows=rows aria-invalid=p.map(|_| "true") aria-describedby=described>{values.get(name)}</textarea>
                {p.map(|p| view! { <p class="field-error" id=format!("{id}-error")>{p}</p> })}
            </div>
        }
    };
    let select_problem = problem("required_license_id");
    let mode_problem = problem("sign_on_mode");
    let permissions_problem = problem("permission_ids");
    view! {
        <fieldset class="stack">
            <legend>"About the app"</legend>
            <TextField name="name" label="Name" value=values.get("name") problem=problem("name") required=true/>
            {text_area("description", "Description", "What people use it for: shown on its tile's details.", "3")}
            <TextField name="category" label="Category" value=values.get("category") problem=problem("category")
                hint="People browse My Apps by category, for example Productivity or Finance."/>
            <TextField name="publisher_name" label="Publisher" value=values.get("publisher_name") problem=problem("publisher_name")/>
            <CheckField name="publisher_verified" label="The publisher is verified" checked=values.on("publisher_verified")
                hint="People see this when they are asked to consent to the app's permissions."/>
            <CheckField name="registered_in_org" label="Registered by your organisation" checked=values.on("registered_in_org")
                hint="Untick for an app from another organisation or a third party."/>
        </fieldset>
        <fieldset class="stack">
            <legend>"Who can use it"</legend>
            <CheckField name="enabled" label="Enabled for sign-in" checked=values.on("enabled") hint="A disabled app can't be launched by anyone."/>
            <CheckField name="visible" label="Visible in My Apps" checked=values.on("visible")
                hint="A hidden app keeps working from its user access URL."/>
            <CheckField name="assignment_required" label="Assignment required" checked=values.on("assignment_required")
                hint="Untick to open it to everyone in your organisation."/>
            <div class="field">
                <label for="field-required_license_id">"Required license"</label>
                <select id="field-required_license_id" name="required_license_id" aria-invalid=select_problem.map(|_| "true")
                    aria-describedby=select_problem.map(|_| "field-required_license_id-error")>
                    <option value="" selected=license.is_empty()>"None"</option>
                    {choices.licenses.into_iter().map(|l| {
                        let selected = l.id == license;
                        view! { <option value=l.id selected=selected>{l.name}</option> }
                    }).collect_view()}
                </select>
                {select_problem.map(|p| view! { <p class="field-error" id="field-required_license_id-error">{p}</p> })}
            </div>
        </fieldset>
        <fieldset class="stack">
            <legend>"Sign-on"</legend>
            <div class="field">
                <label for="field-sign_on_mode">"How people sign in to it"</label>
                <select id="field-sign_on_mode" name="sign_on_mode" aria-invalid=mode_problem.map(|_| "true")>
                    {[SignOnMode::Linked, SignOnMode::Oidc].into_iter().map(|m| view! {
                        <option value=m.as_str() selected=m.as_str() == mode>{m.label()}</option>
                    }).collect_view()}
                </select>
                {mode_problem.map(|p| view! { <p class="field-error">{p}</p> })}
            </div>
            <TextField name="launch_url" label="Address (launch URL)" value=values.get("launch_url") problem=problem("launch_url") input_type="url"
                hint="Where a launch goes. For an OpenID Connect app, where it starts when it has no login initiation address."/>
            <p class="hint">"For OpenID Connect apps:"</p>
            <CheckField name="public_client" label="Public client (no client secret; PKCE required)" checked=values.on("public_client")
                hint="For apps that run on people's devices or in the browser and can't keep a secret."/>
            {text_area("redirect_uris", "Redirect URIs", "One per line, matched exactly. https://, or http:// only on localhost.", "3")}
            <TextField name="initiate_login_uri" label="Login initiation address (initiate_login_uri)" value=values.get("initiate_login_uri")
                problem=problem("initiate_login_uri") input_type="url"
                hint="Optional. A launch from My Apps starts the app's own sign-in there (OpenID Connect third-party initiated login)."/>
            {text_area("post_logout_redirect_uris", "Sign-out return addresses", "Optional. One per line, matched exactly: where the app may send people after signing them out.", "2")}
            <div class="field">
                <label for="field-id_token_signed_response_alg">"ID token signature"</label>
                <select id="field-id_token_signed_response_alg" name="id_token_signed_response_alg">
                    {crate::domain::apps::ID_TOKEN_ALGORITHMS.iter().map(|a| {
                        let current = values.get("id_token_signed_response_alg");
                        let selected = *a == current || (current.is_empty() && *a == "RS256");
                        view! { <option value=*a selected=selected>{if *a == "RS256" { "RS256 (RSA, what every library supports)" } else { "EdDSA (Ed25519)" }}</option> }
                    }).collect_view()}
                </select>
            </div>
        </fieldset>
        <fieldset class="stack">
            <legend>"Permissions it requests"</legend>
            {permissions_problem.map(|p| view! { <p class="field-error">{p}</p> })}
            {if choices.permissions.is_empty() {
                view! { <p class="empty-state">"Your organisation's permission catalogue is empty."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list check-list">
                        {choices.permissions.into_iter().map(|p| {
                            let id = format!("permission-{}", p.id);
                            let checked = values.permissions.contains(&p.id);
                            view! {
                                <li>
                                    <input id=id.clone() type="checkbox" name="permission_ids" value=p.id.clone() checked=checked/>
                                    <label for=id>
                                        <code>{p.value.clone()}</code>" · "{p.display_name.clone()}" "<span class="muted">{format!("({})", p.api_name)}</span>
                                        {p.admin_consent_required.then(|| view! { " "<span class="status status-warn">"Admin consent"</span> })}
                                    </label>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </fieldset>
    }
}

/// GET /admin/apps/new: the register form.
#[component]
pub fn AdminNewAppPage() -> impl IntoView {
    let query = use_query_map();
    let auth = Resource::new(|| (), |_| auth_state());
    let choices = Resource::new(|| (), |_| load_app_form_choices());
    view! {
        <Title text="Register an app · Admin"/>
        <AdminFrame current="/admin/apps">
            <p><a href="/admin/apps">"← Apps"</a></p>
            <h1>"Register an app"</h1>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let token = token_of(&auth.await);
                    let choices = match choices.await {
                        Ok(c) => c,
                        Err(e) => return view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    };
                    let (values, codes) = {
                        let q = query.read_untracked();
                        let values = if q.get("retry").is_some() { FormValues::typed(&q) } else { FormValues::of(&AppFields::default()) };
                        (values, q.get("errors").unwrap_or_default())
                    };
                    view! {
                        {(!codes.is_empty()).then(|| view! { <Alert message="Some fields need another look." error=true/> })}
                        <form method="post" action="/admin/apps/new" class="stack card form-card">
                            <CsrfField token=token/>
                            <AppFormFields values codes choices/>
                            <button type="submit" class="button button-primary">"Register the app"</button>
                        </form>
                    }.into_any()
                })}
            </Suspense>
        </AdminFrame>
    }
}

fn app_view() -> Resource<Result<Option<AppView>, ServerFnError>> {
    let params = use_params_map();
    Resource::new(move || params.read().get("app_id").unwrap_or_default(), load_admin_app)
}

/// GET /admin/apps/{id}/edit: every field of the app.
#[component]
pub fn AdminEditAppPage() -> impl IntoView {
    let query = use_query_map();
    let app = app_view();
    let auth = Resource::new(|| (), |_| auth_state());
    let choices = Resource::new(|| (), |_| load_app_form_choices());
    view! {
        <Title text="Edit app · Admin"/>
        <AdminFrame current="/admin/apps">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let token = token_of(&auth.await);
                    let (detail, choices) = match (app.await, choices.await) {
                        (Ok(Some(v)), Ok(c)) => (v.detail, c),
                        (Ok(None), _) => return view! { <h1>"We can't find that app"</h1> }.into_any(),
                        (Err(e), _) | (_, Err(e)) => return view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    };
                    let (values, codes) = {
                        let q = query.read_untracked();
                        let values = if q.get("retry").is_some() { FormValues::typed(&q) } else { FormValues::of(&detail.fields) };
                        (values, q.get("errors").unwrap_or_default())
                    };
                    view! {
                        <p><a href=format!("/admin/apps/{}", detail.id)>{format!("← {}", detail.fields.name)}</a></p>
                        <h1>{format!("Edit {}", detail.fields.name)}</h1>
                        {(!codes.is_empty()).then(|| view! { <Alert message="Some fields need another look." error=true/> })}
                        <form method="post" action=format!("/admin/apps/{}/edit", detail.id) class="stack card form-card">
                            <CsrfField token=token/>
                            <AppFormFields values codes choices/>
                            <button type="submit" class="button button-primary">"Save"</button>
                        </form>
                    }.into_any()
                })}
            </Suspense>
        </AdminFrame>
    }
}

/// GET /admin/apps/{id}: one app, with its user access URL and, for an
/// OpenID Connect app, its client settings. `?confirm=delete` asks before
/// deleting it.
#[component]
pub fn AdminAppPage() -> impl IntoView {
    let query = use_query_map();
    let app = app_view();
    let auth = Resource::new(|| (), |_| auth_state());
    view! {
        <AdminFrame current="/admin/apps">
            <p><a href="/admin/apps">"← Apps"</a></p>
            {move || query.read().get("done").and_then(|c| notice_text(&c)).map(|m| view! { <Alert message=m/> })}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let viewer = auth.await;
                    let privileged = matches!(&viewer, Ok(crate::auth::AuthView::SignedIn(v)) if v.role.is_privileged_admin());
                    let token = token_of(&viewer);
                    let (confirm_delete, logo_error) = {
                        let q = query.read_untracked();
                        (q.get("confirm").as_deref() == Some("delete"), q.get("logo_error"))
                    };
                    match app.await {
                        Ok(Some(view)) => view! { <AppPageView view token confirm_delete logo_error privileged/> }.into_any(),
                        Ok(None) => view! {
                            <Title text="App not found · Admin"/>
                            <h1>"We can't find that app"</h1>
                            <p>"There is no app with that id in your organisation."</p>
                        }.into_any(),
                        Err(e) => view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

#[component]
fn AppPageView(view: AppView, token: String, confirm_delete: bool, logo_error: Option<String>, privileged: bool) -> impl IntoView {
    let AppView { detail, user_access_url } = view;
    let f = detail.fields.clone();
    let id = detail.id.clone();
    let yes_no = |b: bool| if b { "Yes" } else { "No" };
    let or_none = |s: &str| if s.is_empty() { "—".to_string() } else { s.to_string() };
    view! {
        <Title text=format!("{} · Apps · Admin", f.name)/>
        <div class="page-heading">
            <h1>{f.name.clone()}</h1>
            <a class="button button-primary" href=format!("/admin/apps/{id}/assignments")>"Who can use it"</a>
            {privileged.then(|| view! { <a class="button" href=format!("/admin/apps/{id}/consents")>"Consent grants"</a> })}
            <a class="button" href=format!("/admin/apps/{id}/edit")>"Edit"</a>
            <a class="button button-danger" href=format!("/admin/apps/{id}?confirm=delete")>"Delete"</a>
        </div>
        {confirm_delete.then(|| view! {
            <section class="card confirm-card" aria-labelledby="confirm-heading">
                <h2 id="confirm-heading">{format!("Delete {}?", f.name)}</h2>
                <p>"Everyone loses it at once: its assignments, the consents given to it and the tokens it holds go with it, and its user access URL stops working. This can't be undone."</p>
                <div class="actions">
                    <form method="post" action=format!("/admin/apps/{id}/delete") class="inline-form">
                        <CsrfField token=token.clone()/>
                        <button type="submit" class="button button-danger">"Delete the app"</button>
                    </form>
                    <a class="button" href=format!("/admin/apps/{id}")>"Cancel"</a>
                </div>
            </section>
        })}
        <section class="card" aria-labelledby="access-url-heading">
            <h2 id="access-url-heading">"User access URL"</h2>
            <p class="hint">"The app's deep link: following it is the same as clicking its tile, and it stays the same whatever you change here."</p>
            <p><code class="wrap">{user_access_url.clone()}</code></p>
            <CopyButton text=user_access_url label="Copy the user access URL".to_string()/>
        </section>
        <section class="card" aria-labelledby="logo-heading">
            <h2 id="logo-heading">"Logo"</h2>
            {logo_error.as_deref().and_then(|code| crate::domain::fields::field_message("logo", code)).map(|m| view! { <Alert message=m error=true/> })}
            <div class="logo-row">
                {match detail.logo_url.clone() {
                    Some(url) => view! { <img class="app-logo app-logo-large" src=url alt=format!("{} logo", f.name) width="64" height="64"/> }.into_any(),
                    None => view! { <p class="muted">"No logo: the tile shows the app's initials."</p> }.into_any(),
                }}
            </div>
            <form method="post" enctype="multipart/form-data" class="stack"
                action=format!("/admin/apps/{id}/logo?csrf_token={}", urlencoding(&token))>
                <div class="field">
                    <label for="field-logo">"Upload a logo"</label>
                    <p class="hint" id="field-logo-hint">"PNG, JPEG, GIF or WebP; at most 256 KiB and 1024×1024 pixels. Square works best."</p>
                    <input id="field-logo" name="logo" type="file" accept="image/png,image/jpeg,image/gif,image/webp" required=true
                        aria-describedby="field-logo-hint"/>
                </div>
                <button type="submit" class="button">"Upload"</button>
            </form>
            {detail.logo_url.is_some().then(|| view! {
                <form method="post" action=format!("/admin/apps/{id}/logo/remove") class="inline-form">
                    <CsrfField token=token.clone()/>
                    <button type="submit" class="button">"Remove the logo"</button>
                </form>
            })}
        </section>
        <section class="card" aria-labelledby="about-heading">
            <h2 id="about-heading">"About"</h2>
            <dl class="facts">
                <dt>"Description"</dt><dd class="preserve-lines">{or_none(&f.description)}</dd>
                <dt>"Category"</dt><dd>{f.category.clone()}</dd>
                <dt>"Publisher"</dt><dd>{or_none(&f.publisher_name)}{f.publisher_verified.then_some(" (verified)")}</dd>
                <dt>"Registered by"</dt><dd>{if f.registered_in_org { "Your organisation" } else { "Another organisation or a third party" }}</dd>
                <dt>"Created"</dt><dd>{when(detail.created_at)}</dd>
                <dt>"Last changed"</dt><dd>{when(detail.updated_at)}</dd>
            </dl>
        </section>
        <section class="card" aria-labelledby="use-heading">
            <h2 id="use-heading">"Who can use it"</h2>
            <dl class="facts">
                <dt>"Enabled for sign-in"</dt><dd>{yes_no(f.enabled)}</dd>
                <dt>"Visible in My Apps"</dt><dd>{yes_no(f.visible)}</dd>
                <dt>"Assignment required"</dt><dd>{if f.assignment_required { "Yes: only those it is assigned to" } else { "No: everyone in your organisation" }}</dd>
                <dt>"Required license"</dt><dd>{detail.required_license_name.clone().unwrap_or_else(|| "None".into())}</dd>
            </dl>
        </section>
        <section class="card" aria-labelledby="signon-heading">
            <h2 id="signon-heading">"Sign-on"</h2>
            <dl class="facts">
                <dt>"Mode"</dt><dd>{mode_label(f.sign_on_mode)}</dd>
                <dt>"Address"</dt><dd><code class="wrap">{or_none(f.launch_url.as_deref().unwrap_or(""))}</code></dd>
                {(f.sign_on_mode == SignOnMode::Oidc).then(|| view! {
                    <dt>"Client id"</dt><dd><code>{detail.client_id.clone().unwrap_or_default()}</code></dd>
                    <dt>"Client type"</dt><dd>{if f.public_client { "Public (PKCE, no secret)" } else { "Confidential (client secret)" }}</dd>
                    <dt>"Client secret"</dt><dd>{if f.public_client { "None" } else if detail.has_client_secret { "Set (shown only when it was made)" } else { "Not set" }}</dd>
                    <dt>"Redirect URIs"</dt><dd>{f.redirect_uris.iter().map(|u| view! { <code class="wrap">{u.clone()}</code><br/> }).collect_view()}</dd>
                    <dt>"Login initiation"</dt><dd><code class="wrap">{or_none(f.initiate_login_uri.as_deref().unwrap_or(""))}</code></dd>
                    <dt>"Sign-out return addresses"</dt><dd>{if f.post_logout_redirect_uris.is_empty() { view! { "None" }.into_any() } else { f.post_logout_redirect_uris.iter().map(|u| view! { <code class="wrap">{u.clone()}</code><br/> }).collect_view().into_any() }}</dd>
                    <dt>"ID token signature"</dt><dd>{f.id_token_signed_response_alg.clone()}</dd>
                })}
            </dl>
            {(f.sign_on_mode == SignOnMode::Oidc && !f.public_client).then(|| view! {
                <form method="post" action=format!("/admin/apps/{id}/rotate-secret") class="inline-form">
                    <CsrfField token=token.clone()/>
                    <button type="submit" class="button">{if detail.has_client_secret { "Make a new client secret" } else { "Make a client secret" }}</button>
                </form>
                <p class="hint">"A new secret is shown once; the old one stops working at once."</p>
            })}
        </section>
        <section class="card" aria-labelledby="permissions-heading">
            <h2 id="permissions-heading">"Permissions it requests"</h2>
            {if detail.permissions.is_empty() {
                view! { <p class="empty-state">"None."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {detail.permissions.into_iter().map(|p| view! {
                            <li>
                                <span class="item-name"><code>{p.value.clone()}</code>" · "{p.display_name.clone()}</span>
                                <span class="item-note">{p.api_name.clone()}</span>
                                {p.admin_consent_required.then(|| view! { <span class="status status-warn">"Admin consent"</span> })}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// GET /admin/apps/{id}/assignments?add=&q=&cursor=: who the app is
/// assigned to, a search to assign more, and who has it and how.
#[component]
pub fn AdminAppAssignmentsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let inputs = move || {
        let q = query.read();
        (
            params.read().get("app_id").unwrap_or_default(),
            q.get("add").unwrap_or_default(),
            q.get("q").unwrap_or_default(),
            q.get("cursor").filter(|c| !c.is_empty()),
        )
    };
    let view = Resource::new(inputs, |(id, add, q, cursor)| load_app_assignments(id, add, q, cursor));
    let auth = Resource::new(|| (), |_| auth_state());
    view! {
        <AdminFrame current="/admin/apps">
            {move || query.read().get("done").and_then(|c| notice_text(&c)).map(|m| view! { <Alert message=m/> })}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let token = token_of(&auth.await);
                    let (add, q, first_page) = {
                        let p = query.read_untracked();
                        (p.get("add").unwrap_or_default(), p.get("q").unwrap_or_default(), p.get("cursor").is_none_or(|c| c.is_empty()))
                    };
                    match view.await {
                        Ok(Some(v)) => view! { <AssignmentsPageView view=v token add q first_page/> }.into_any(),
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
fn AssignmentsPageView(view: AssignmentsView, token: String, add: String, q: String, first_page: bool) -> impl IntoView {
    let AssignmentsView { app, assignments, reviewers, candidates, access } = view;
    let path = format!("/admin/apps/{}/assignments", app.id);
    let here = href_with(&path, &[("add", &add), ("q", &q)]);
    let next = access.next_cursor.as_deref().map(|c| href_with(&path, &[("add", &add), ("q", &q), ("cursor", c)]));
    let first = href_with(&path, &[("add", &add), ("q", &q)]);
    let app_id = app.id.clone();
    view! {
        <Title text=format!("Who can use {} · Admin", app.name)/>
        <p><a href=format!("/admin/apps/{}", app.id)>{format!("← {}", app.name)}</a></p>
        <h1>{format!("Who can use {}", app.name)}</h1>
        {access.open_to_everyone.then(|| view! {
            <p class="hint" role="status">"This app is open to everyone in your organisation (assignment is not required). The assignments below apply once you require assignment in its settings."</p>
        })}
        <section class="card" aria-labelledby="assigned-heading">
            <h2 id="assigned-heading">"Assigned to"</h2>
            {if assignments.is_empty() {
                view! { <p class="empty-state">"It is not assigned to anyone yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {assignments.into_iter().map(|a| {
                            let (field, href, kind) = if a.kind == "group" {
                                ("group_id", format!("/admin/groups/{}", a.id), "Group")
                            } else {
                                ("user_id", format!("/admin/users/{}", a.id), "Person")
                            };
                            view! {
                                <li>
                                    <a class="item-name" href=href>{a.name.clone()}</a>
                                    <span class="item-note">{format!("{kind} · {} · since {}", a.detail, when(a.assigned_at))}</span>
                                    <PrincipalButton collection=format!("/admin/apps/{}/assignments", app_id.clone()) field verb="Assign" principal_id=a.id.clone() remove=true
                                        label=format!("Remove the assignment to {}", a.name) token=token.clone() here=here.clone()/>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="reviewers-heading">
            <h2 id="reviewers-heading">"Reviewers of access requests"</h2>
            <p class="hint">"People ask for this app from the page a refused launch shows; these people and groups decide. With nobody named, your organisation's app admins and privileged admins do. Name more from the search below."</p>
            {if reviewers.is_empty() {
                view! { <p class="empty-state">"Nobody is named: app admins and privileged admins review."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {reviewers.into_iter().map(|r| {
                            let field = if r.kind == "group" { "group_id" } else { "user_id" };
                            let note = if r.kind == "group" { "Group".to_string() } else { format!("Person · {}", r.detail) };
                            view! {
                                <li>
                                    <span class="item-name">{r.name.clone()}</span>
                                    <span class="item-note">{note}</span>
                                    <PrincipalButton collection=format!("/admin/apps/{}/reviewers", app_id.clone()) field verb="Make reviewer" principal_id=r.id.clone() remove=true
                                        label=format!("Remove {} from the reviewers", r.name) token=token.clone() here=here.clone()/>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="assign-heading">
            <h2 id="assign-heading">"Assign"</h2>
            <form method="get" action=path.clone() class="admin-search" role="search">
                <label for="assign-search">"Find a person or a group"</label>
                <input id="assign-search" name="add" type="search" value=add.clone() autocomplete="off" placeholder="Name, sign-in name or e-mail"/>
                {(!q.is_empty()).then(|| view! { <input type="hidden" name="q" value=q.clone()/> })}
                <button type="submit" class="button">"Find"</button>
            </form>
            {candidates.map(|c| {
                let none = c.users.is_empty() && c.groups.is_empty();
                view! {
                    {none.then(|| view! { <p class="empty-state" role="status">{format!("Nobody and no group matches “{add}”.")}</p> })}
                    <ul class="plain-list" aria-label="Matches">
                        {c.users.into_iter().map(|u| view! {
                            <li>
                                <span class="item-name">{u.display_name.clone()}</span>
                                <span class="item-note">{u.upn.clone()}</span>
                                <PrincipalButton collection=format!("/admin/apps/{}/assignments", app_id.clone()) field="user_id" verb="Assign" principal_id=u.id.clone() remove=false
                                    label=format!("Assign to {}", u.display_name) token=token.clone() here=here.clone()/>
                                <PrincipalButton collection=format!("/admin/apps/{}/reviewers", app_id.clone()) field="user_id" verb="Make reviewer" principal_id=u.id.clone() remove=false
                                    label=format!("Make {} a reviewer of access requests", u.display_name) token=token.clone() here=here.clone()/>
                            </li>
                        }).collect_view()}
                        {c.groups.into_iter().map(|g| view! {
                            <li>
                                <span class="item-name">{g.name.clone()}</span>
                                <span class="item-note">{format!("Group · {} in it", if g.effective_users == 1 { "1 person".to_string() } else { format!("{} people", g.effective_users) })}</span>
                                <PrincipalButton collection=format!("/admin/apps/{}/assignments", app_id.clone()) field="group_id" verb="Assign" principal_id=g.id.clone() remove=false
                                    label=format!("Assign to the group {}", g.name) token=token.clone() here=here.clone()/>
                                <PrincipalButton collection=format!("/admin/apps/{}/reviewers", app_id.clone()) field="group_id" verb="Make reviewer" principal_id=g.id.clone() remove=false
                                    label=format!("Make the group {} reviewers of access requests", g.name) token=token.clone() here=here.clone()/>
                            </li>
                        }).collect_view()}
                    </ul>
                }
            })}
        </section>
        <section class="card" aria-labelledby="access-heading">
            <h2 id="access-heading">"Who has it"</h2>
            <p class="hint">"Everyone the assignments reach, and how. Whether each of them can launch it now (account, license, consent) is on "<a href=format!("/admin/check-access?app={}", app.id)>"Check access"</a>"."</p>
            <form method="get" action=path.clone() class="admin-search" role="search">
                <label for="access-search">"Find someone"</label>
                <input id="access-search" name="q" type="search" value=q.clone() autocomplete="off" placeholder="Name, sign-in name or e-mail"/>
                {(!add.is_empty()).then(|| view! { <input type="hidden" name="add" value=add.clone()/> })}
                <button type="submit" class="button">"Search"</button>
            </form>
            {if access.holders.is_empty() {
                let message = if q.is_empty() { "Nobody has it yet.".to_string() } else { format!("Nobody who has it matches “{q}”.") };
                view! { <p class="empty-state" role="status">{message}</p> }.into_any()
            } else {
                view! {
                    <table class="data-table">
                        <caption class="visually-hidden">"People who have the app"</caption>
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Sign-in name"</th><th scope="col">"How"</th></tr></thead>
                        <tbody>
                            {access.holders.into_iter().map(|h| view! {
                                <tr>
                                    <td>{h.user.display_name.clone()}</td>
                                    <td>{h.user.upn.clone()}</td>
                                    <td>{h.paths.join("; ")}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <nav class="pager" aria-label="Pages of people">
                {(!first_page).then(|| view! { <a class="button" href=first>"First page"</a> })}
                {next.map(|href| view! { <a class="button" href=href rel="next">"Next page"</a> })}
            </nav>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_shows_an_apps_fields_and_what_was_typed_back() {
        let fields = AppFields { name: "Wiki".into(), public_client: true, permission_ids: vec!["p1".into()], ..AppFields::default() };
        let values = FormValues::of(&fields);
        assert_eq!(values.get("name"), "Wiki");
        assert!(values.on("public_client") && values.on("enabled") && !values.on("publisher_verified"));
        assert_eq!(values.permissions, ["p1"]);

        let mut q = ParamsMap::new();
        q.insert("name", "Typed".to_string());
        q.insert("flags", "enabled,visible".to_string());
        q.insert("permission_ids", "a,b".to_string());
        let typed = FormValues::typed(&q);
        assert_eq!((typed.get("name").as_str(), typed.on("visible"), typed.on("assignment_required")), ("Typed", true, false));
        assert_eq!(typed.permissions, ["a", "b"]);
        assert_eq!(apps_href("a b", Some("c")), "/admin/apps?q=a+b&cursor=c");
    }
}
