//! The admin area: its frame (navigation by role) and the users pages.
//! Pages are server-rendered HTML; changes are plain forms posting to the
//! admin handlers (`/admin/...`), which redirect back with a notice code,
//! so everything works before (and without) any script. The server refuses
//! these routes to non-admins; the pages' data comes from server functions
//! that check the capability again.

use crate::auth::AuthView;
use crate::components::layout::{token_of, Alert, CsrfField, Loading, SignedInHeader};
use crate::domain::decision::Check;
use crate::domain::model::{MfaState, Millis, Role};
use crate::models::admin::{AccessCheck, UserDetail, UserPage, UserSummary};
use crate::server_fns::admin::{load_access_check, load_admin_user, load_admin_users, load_app_choices};
use crate::server_fns::session::auth_state;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// A time as people read it in the admin area (UTC).
pub fn when(ms: Millis) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The admin area's navigation: what the viewer's role may open.
#[component]
fn AdminNav(role: Role, current: &'static str) -> impl IntoView {
    let mut links = vec![("/admin", "Overview"), ("/admin/apps", "Apps"), ("/admin/connected-apps", "Connected apps")];
    if role.is_privileged_admin() {
        links.push(("/admin/users", "Users"));
        links.push(("/admin/groups", "Groups"));
        links.push(("/admin/licenses", "Licenses"));
        links.push(("/admin/consent", "Consent"));
    }
    links.push(("/admin/permissions", "Permissions"));
    links.push(("/admin/check-access", "Check access"));
    links.push(("/admin/sign-ins", "Sign-ins"));
    links.push(("/admin/audit", "Audit log"));
    if role.is_privileged_admin() {
        links.push(("/admin/api-tokens", "API tokens"));
    }
    links.push(("/admin/api", "API reference"));
    view! {
        <nav class="admin-nav" aria-label="Admin">
            <ul>
                {links.into_iter().map(|(href, label)| {
                    let here = href == current;
                    view! { <li><a href=href aria-current=here.then_some("page")>{label}</a></li> }
                }).collect_view()}
            </ul>
        </nav>
    }
}

/// The frame of every admin page: header, navigation, and the page.
#[component]
pub(super) fn AdminFrame(current: &'static str, children: ChildrenFn) -> impl IntoView {
    let auth = Resource::new(|| (), |_| auth_state());
    let children = StoredValue::new(children);
    view! {
        <SignedInHeader/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match auth.await {
                    Ok(AuthView::SignedIn(viewer)) if viewer.role.is_admin() => view! {
                        <div class="admin-layout">
                            <AdminNav role=viewer.role current/>
                            <main id="main" class="page admin-main">{children.with_value(|c| c())}</main>
                        </div>
                    }.into_any(),
                    _ => view! {
                        <main id="main" class="page">
                            <h1>"Admins only"</h1>
                            <p>"This part of My Apps is for admins."</p>
                            <p><a class="button" href="/">"Back to My Apps"</a></p>
                        </main>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// GET /admin: where an admin starts.
#[component]
pub fn AdminHomePage() -> impl IntoView {
    let auth = Resource::new(|| (), |_| auth_state());
    view! {
        <Title text="Admin"/>
        <AdminFrame current="/admin">
            <h1>"Admin"</h1>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let privileged = matches!(auth.await, Ok(AuthView::SignedIn(v)) if v.role.is_privileged_admin());
                    view! {
                        <div class="admin-cards">
                            <section class="card">
                                <h2><a href="/admin/apps">"Apps"</a></h2>
                                <p>"Register apps, decide who can use them, and give OpenID Connect apps their client settings."</p>
                            </section>
                            <section class="card">
                                <h2><a href="/admin/check-access">"Check access"</a></h2>
                                <p>"Someone can't open an app? Pick them and the app and see every check of the access decision, pass or fail, with the fix."</p>
                            </section>
                            <section class="card">
                                <h2><a href="/admin/sign-ins">"Sign-ins"</a></h2>
                                <p>"Every sign-in and launch: find one by the correlation ID on a refusal page, by person, app, outcome or time, and download it as CSV."</p>
                            </section>
                            <section class="card">
                                <h2><a href="/admin/audit">"Audit log"</a></h2>
                                <p>"Who changed what, and when, with the record before and after."</p>
                            </section>
                            {privileged.then(|| view! {
                                <section class="card">
                                    <h2><a href="/admin/users">"Users"</a></h2>
                                    <p>"Find anyone in your organisation, see their groups, licenses and apps, and block, unblock or unlock their sign-in."</p>
                                </section>
                                <section class="card">
                                    <h2><a href="/admin/licenses">"Licenses"</a></h2>
                                    <p>"Products with seats: who holds one, who is waiting, and who they are assigned to."</p>
                                </section>
                                <section class="card">
                                    <h2><a href="/admin/consent">"Consent settings"</a></h2>
                                    <p>"Whether people may let apps use their data themselves, and who approves what they may not."</p>
                                </section>
                                <section class="card">
                                    <h2><a href="/admin/groups">"Groups"</a></h2>
                                    <p>"Build groups of people and of other groups; what a group is given, everyone in it gets."</p>
                                </section>
                            })}
                            {(!privileged).then(|| view! {
                                <p>"As an app admin you manage apps here; users, groups and licenses are for privileged admins."</p>
                            })}
                        </div>
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

pub(super) fn status_label(u: &UserSummary, now: Millis) -> (&'static str, &'static str) {
    if u.sign_in_blocked {
        ("Blocked", "status status-bad")
    } else if u.locked_until.is_some_and(|t| t > now) {
        ("Locked out", "status status-warn")
    } else {
        ("Active", "status status-ok")
    }
}

fn mfa_label(m: MfaState) -> &'static str {
    match m {
        MfaState::Disabled => "Off",
        MfaState::Enabled => "On",
        MfaState::Enforced => "Enforced",
    }
}

pub(super) fn now() -> Millis {
    #[cfg(feature = "ssr")]
    {
        chrono::Utc::now().timestamp_millis()
    }
    #[cfg(not(feature = "ssr"))]
    {
        0
    }
}

/// The address of a users page.
fn users_href(search: &str, cursor: Option<&str>) -> String {
    href_with("/admin/users", &[("q", search), ("cursor", cursor.unwrap_or(""))])
}

/// One add (or assign) or remove button: a form posting a user or group
/// to `collection` (`.../members`, `.../assignments`), or to its `/remove`.
#[component]
pub(super) fn PrincipalButton(
    collection: String,
    field: &'static str,
    principal_id: String,
    remove: bool,
    /// What adding is called here: "Add" or "Assign".
    verb: &'static str,
    label: String,
    token: String,
    here: String,
) -> impl IntoView {
    let action = if remove { format!("{collection}/remove") } else { collection };
    view! {
        <form method="post" action=action class="inline-form">
            <CsrfField token/>
            <input type="hidden" name=field value=principal_id/>
            <input type="hidden" name="return_to" value=here/>
            <button type="submit" class=if remove { "button button-small" } else { "button button-small button-primary" } aria-label=label>
                {if remove { "Remove" } else { verb }}
            </button>
        </form>
    }
}

/// An address under `path` with the query pairs that are not empty.
pub(super) fn href_with(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        query.append_pair(name, value);
    }
    let query = query.finish();
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

/// GET /admin/users?q=&cursor=: the organisation's users, searched and paged.
#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.read().get("q").unwrap_or_default();
    let cursor = move || query.read().get("cursor").filter(|c| !c.is_empty());
    let users = Resource::new(move || (search(), cursor()), |(s, c)| load_admin_users(s, c));
    view! {
        <Title text="Users · Admin"/>
        <AdminFrame current="/admin/users">
            <div class="page-heading">
                <h1>"Users"</h1>
                <a class="button button-primary" href="/admin/users/new">"New user"</a>
            </div>
            <form method="get" action="/admin/users" class="admin-search" role="search">
                <label for="user-search">"Find a user"</label>
                <input id="user-search" name="q" type="search" value=search() autocomplete="off"
                    placeholder="Name, sign-in name or e-mail"/>
                <button type="submit" class="button">"Search"</button>
            </form>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match users.await {
                        Ok(page) => view! { <UserTable page search=search() first_page=cursor().is_none()/> }.into_any(),
                        Err(e) => view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

#[component]
fn UserTable(page: UserPage, search: String, first_page: bool) -> impl IntoView {
    let now = now();
    if page.users.is_empty() {
        let message = if search.is_empty() { "There are no users yet.".to_string() } else { format!("No user matches “{search}”.") };
        return view! { <p class="empty-state" role="status">{message}</p> }.into_any();
    }
    let next = page.next_cursor.as_deref().map(|c| users_href(&search, Some(c)));
    view! {
        <table class="data-table">
            <caption class="visually-hidden">"Users"</caption>
            <thead>
                <tr><th scope="col">"Name"</th><th scope="col">"Sign-in name"</th><th scope="col">"Role"</th>
                    <th scope="col">"Sign-in"</th><th scope="col">"MFA"</th></tr>
            </thead>
            <tbody>
                {page.users.into_iter().map(|u| {
                    let (status, class) = status_label(&u, now);
                    view! {
                        <tr>
                            <td><a href=format!("/admin/users/{}", u.id)>{u.display_name.clone()}</a></td>
                            <td>{u.upn.clone()}</td>
                            <td>{u.role.label()}</td>
                            <td><span class=class>{status}</span></td>
                            <td>{mfa_label(u.mfa_state)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <nav class="pager" aria-label="Pages of users">
            {(!first_page).then(|| view! { <a class="button" href=users_href(&search, None)>"First page"</a> })}
            {next.map(|href| view! { <a class="button" href=href rel="next">"Next page"</a> })}
        </nav>
    }
    .into_any()
}

/// One field of the new-user form, with its problem (if the last attempt
/// had one) announced with the field.
#[component]
pub(super) fn TextField(
    name: &'static str,
    label: &'static str,
    value: String,
    problem: Option<&'static str>,
    #[prop(optional)] input_type: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described: Vec<String> = [hint.map(|_| hint_id.clone()), problem.map(|_| error_id.clone())].into_iter().flatten().collect();
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input id=id name=name type=input_type.unwrap_or("text") value=value required=required
                aria-invalid=problem.map(|_| "true") aria-describedby=(!described.is_empty()).then(|| described.join(" "))/>
            {problem.map(|p| view! { <p class="field-error" id=error_id>{p}</p> })}
        </div>
    }
}

const ROLES: [(&str, &str); 3] = [("user", "Employee"), ("app_admin", "App admin"), ("privileged_admin", "Privileged admin")];
const MFA_STATES: [(&str, &str); 3] = [("disabled", "Off"), ("enabled", "On"), ("enforced", "Enforced")];

/// A choice of fixed values, with its problem (if any) announced with it.
#[component]
pub(super) fn SelectField(
    name: &'static str,
    label: &'static str,
    options: &'static [(&'static str, &'static str)],
    value: String,
    problem: Option<&'static str>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select id=id name=name aria-invalid=problem.map(|_| "true") aria-describedby=problem.map(|_| error_id.clone())>
                {options.iter().map(|(v, text)| view! { <option value=*v selected=*v == value>{*text}</option> }).collect_view()}
            </select>
            {problem.map(|p| view! { <p class="field-error" id=error_id>{p}</p> })}
        </div>
    }
}

/// What both pages of one user load: the user named in the path, and who
/// is looking (for the forms' CSRF token).
pub(super) type Loaded<T> = Resource<Result<T, ServerFnError>>;

fn user_and_viewer() -> (Loaded<Option<UserDetail>>, Loaded<AuthView>) {
    let params = use_params_map();
    let user_id = move || params.read().get("user_id").unwrap_or_default();
    (Resource::new(user_id, load_admin_user), Resource::new(|| (), |_| auth_state()))
}

/// GET /admin/users/{id}/edit: a user's editable fields. Problems come
/// back here, field by field, with what was typed.
#[component]
pub fn AdminEditUserPage() -> impl IntoView {
    let query = use_query_map();
    let (user, auth) = user_and_viewer();
    view! {
        <Title text="Edit user · Admin"/>
        <AdminFrame current="/admin/users">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let token = token_of(&auth.await);
                    let detail = match user.await {
                        Ok(Some(d)) => d,
                        Ok(None) => return view! { <h1>"We can't find that user"</h1> }.into_any(),
                        Err(e) => return view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    };
                    let q = query.read_untracked();
                    let codes = q.get("errors").unwrap_or_default();
                    let retrying = !codes.is_empty();
                    let u = detail.profile.summary.clone();
                    let current = |name: &str| -> String {
                        match name {
                            "upn" => u.upn.clone(),
                            "display_name" => u.display_name.clone(),
                            "email" => u.email.clone(),
                            "job_title" => detail.profile.job_title.clone(),
                            "department" => detail.profile.department.clone(),
                            "role" => u.role.as_str().to_string(),
                            "mfa_state" => u.mfa_state.as_str().to_string(),
                            "auth_phone" => detail.profile.auth_phone.clone(),
                            "auth_email" => detail.profile.auth_email.clone(),
                            _ => String::new(),
                        }
                    };
                    let value = |name: &str| if retrying { q.get(name).unwrap_or_else(|| current(name)) } else { current(name) };
                    let problem = |field: &str| crate::domain::fields::problem_in(&codes, field);
                    let role = value("role");
                    let mfa = value("mfa_state");
                    view! {
                        <p><a href=format!("/admin/users/{}", u.id)>{format!("← {}", u.display_name)}</a></p>
                        <h1>{format!("Edit {}", u.display_name)}</h1>
                        {retrying.then(|| view! { <Alert message="Some fields need another look." error=true/> })}
                        <form method="post" action=format!("/admin/users/{}/edit", u.id) class="stack card form-card">
                            <CsrfField token=token/>
                            <TextField name="display_name" label="Name" value=value("display_name") problem=problem("display_name") required=true/>
                            <TextField name="upn" label="Sign-in name" value=value("upn") problem=problem("upn") input_type="email" required=true/>
                            <TextField name="email" label="E-mail" value=value("email") problem=problem("email") input_type="email"/>
                            <TextField name="job_title" label="Job title" value=value("job_title") problem=problem("job_title")/>
                            <TextField name="department" label="Department" value=value("department") problem=problem("department")/>
                            <SelectField name="role" label="Role" options=&ROLES value=role problem=problem("role")/>
                            <SelectField name="mfa_state" label="Multi-factor authentication" options=&MFA_STATES value=mfa problem=problem("mfa_state")/>
                            <TextField name="auth_phone" label="Authentication phone" value=value("auth_phone") problem=problem("auth_phone") input_type="tel"/>
                            <TextField name="auth_email" label="Authentication e-mail" value=value("auth_email") problem=problem("auth_email") input_type="email"/>
                            <button type="submit" class="button button-primary">"Save"</button>
                        </form>
                    }.into_any()
                })}
            </Suspense>
        </AdminFrame>
    }
}

/// GET /admin/users/new: the new-user form. Posting it creates the user
/// and shows their temporary password once; problems come back here,
/// field by field, with what was typed.
#[component]
pub fn AdminNewUserPage() -> impl IntoView {
    let query = use_query_map();
    let auth = Resource::new(|| (), |_| auth_state());
    view! {
        <Title text="New user · Admin"/>
        <AdminFrame current="/admin/users">
            <p><a href="/admin/users">"← Users"</a></p>
            <h1>"New user"</h1>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let token = token_of(&auth.await);
                    let q = query.read_untracked();
                    let value = |name: &str| q.get(name).unwrap_or_default();
                    let codes = q.get("errors").unwrap_or_default();
                    let problem = |field: &str| crate::domain::fields::problem_in(&codes, field);
                    let any = !codes.is_empty();
                    let role = value("role");
                    view! {
                        {any.then(|| view! { <Alert message="Some fields need another look." error=true/> })}
                        <form method="post" action="/admin/users/new" class="stack card form-card">
                            <CsrfField token=token/>
                            <TextField name="display_name" label="Name" value=value("display_name") problem=problem("display_name") required=true/>
                            <TextField name="upn" label="Sign-in name" value=value("upn") problem=problem("upn") input_type="email" required=true
                                hint="What they sign in with, for example alex@contoso.example. It must be unique in your organisation."/>
                            <TextField name="email" label="E-mail" value=value("email") problem=problem("email") input_type="email"/>
                            <TextField name="job_title" label="Job title" value=value("job_title") problem=problem("job_title")/>
                            <TextField name="department" label="Department" value=value("department") problem=problem("department")/>
                            <SelectField name="role" label="Role" options=&ROLES value=if role.is_empty() { "user".into() } else { role } problem=problem("role")/>
                            <p class="hint">"They get a temporary password, shown to you once after you create them, and choose their own at first sign-in."</p>
                            <button type="submit" class="button button-primary">"Create user"</button>
                        </form>
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

/// GET /admin/check-access?user=&app=: every check of the access decision
/// for one user and one app, with the fix where there is one.
#[component]
pub fn AdminCheckAccessPage() -> impl IntoView {
    let query = use_query_map();
    let user = move || query.read().get("user").unwrap_or_default();
    let app = move || query.read().get("app").unwrap_or_default();
    let apps = Resource::new(|| (), |_| load_app_choices());
    let result = Resource::new(
        move || (user(), app()),
        |(u, a)| async move {
            if u.trim().is_empty() || a.is_empty() {
                Ok(None)
            } else {
                load_access_check(u, a).await.map(Some)
            }
        },
    );
    let auth = Resource::new(|| (), |_| auth_state());
    view! {
        <Title text="Check access · Admin"/>
        <AdminFrame current="/admin/check-access">
            <h1>"Check access"</h1>
            {move || query.read().get("done").and_then(|c| notice_text(&c)).map(|m| view! { <Alert message=m/> })}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let choices = apps.await.unwrap_or_default();
                    let chosen = app();
                    view! {
                        <form method="get" action="/admin/check-access" class="stack card form-card">
                            <div class="field">
                                <label for="check-user">"User"</label>
                                <p class="hint" id="check-user-hint">"Their sign-in name, for example alex@contoso.example."</p>
                                <input id="check-user" name="user" type="text" value=user() required aria-describedby="check-user-hint" autocomplete="off"/>
                            </div>
                            <div class="field">
                                <label for="check-app">"App"</label>
                                <select id="check-app" name="app" required>
                                    <option value="" selected=chosen.is_empty()>"Choose an app"</option>
                                    {choices.into_iter().map(|a| {
                                        let selected = a.id == chosen;
                                        view! { <option value=a.id selected=selected>{a.name}</option> }
                                    }).collect_view()}
                                </select>
                            </div>
                            <button type="submit" class="button button-primary">"Check"</button>
                        </form>
                    }
                })}
            </Suspense>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let viewer = auth.await;
                    let privileged = matches!(&viewer, Ok(AuthView::SignedIn(v)) if v.role.is_privileged_admin());
                    let token = token_of(&viewer);
                    let here = format!("/admin/check-access?user={}&app={}", encode(&user()), encode(&app()));
                    match result.await {
                        Ok(None) => None,
                        Ok(Some(None)) => Some(view! {
                            <p class="empty-state" role="status">"There is no such user or app in your organisation."</p>
                        }.into_any()),
                        Ok(Some(Some(check))) => Some(view! { <AccessCheckView check privileged token here/> }.into_any()),
                        Err(e) => Some(view! { <Alert message=e.to_string() error=true/> }.into_any()),
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// What fixes a failed check, when the admin can do it from here.
fn fix_action(check: Check) -> Option<(&'static str, &'static str)> {
    Some(match check {
        Check::SignInAllowed => ("unblock", "Unblock sign-in"),
        Check::NotLockedOut => ("unlock", "Unlock"),
        Check::PasswordCurrent => ("reset-password", "Reset password"),
        _ => return None,
    })
}

/// What to do about a failed check that has no button here yet.
fn fix_hint(check: Check) -> &'static str {
    match check {
        Check::SecondFactor => "They set up or use their authenticator at their next sign-in.",
        Check::AppEnabled => "Enable the app in its settings.",
        Check::Assigned => "Assign the app to them or to one of their groups.",
        Check::Licensed => "Give them (or one of their groups) the license, or add seats to it.",
        Check::Consented => "Grant consent for the organisation, or let them consent when they open it.",
        _ => "A privileged admin can fix this from the user's page.",
    }
}

#[component]
fn AccessCheckView(check: AccessCheck, privileged: bool, token: String, here: String) -> impl IntoView {
    let user_id = check.user.id.clone();
    let verdict = if check.allowed {
        format!("{} can launch {}.", check.user.display_name, check.app.name)
    } else {
        format!("{} can't launch {}.", check.user.display_name, check.app.name)
    };
    view! {
        <section class="card" aria-labelledby="verdict">
            <h2 id="verdict">{verdict}</h2>
            <p class="muted">{check.user.upn.clone()}{if check.paths.is_empty() { String::new() } else { format!(" · {}", check.paths.join("; ")) }}</p>
            <p><a href=href_with("/admin/sign-ins", &[("user", check.user.upn.as_str()), ("app_id", check.app.id.as_str()), ("kind", "launch")])>
                {format!("{}'s launches of {}", check.user.display_name, check.app.name)}
            </a></p>
            <table class="data-table">
                <caption class="visually-hidden">"Checks of the access decision"</caption>
                <thead><tr><th scope="col">"Check"</th><th scope="col">"Result"</th><th scope="col">"Fix"</th></tr></thead>
                <tbody>
                    {check.checks.into_iter().map(|c| {
                        let fix = (!c.passed).then(|| match (fix_action(c.check), privileged) {
                            (Some((verb, label)), true) => view! {
                                <form method="post" action=format!("/admin/users/{user_id}/{verb}") class="inline-form">
                                    <CsrfField token=token.clone()/>
                                    <input type="hidden" name="return_to" value=here.clone()/>
                                    <button type="submit" class="button button-small">{label}</button>
                                </form>
                            }.into_any(),
                            (Some(_), false) => view! { <span class="muted">"A privileged admin can fix this."</span> }.into_any(),
                            (None, _) => view! { <span class="muted">{fix_hint(c.check)}</span> }.into_any(),
                        });
                        view! {
                            <tr>
                                <td>{c.check.label()}</td>
                                <td>{if c.passed {
                                    view! { <span class="status status-ok">"Pass"</span> }.into_any()
                                } else {
                                    view! { <span class="status status-bad">"Fail: "<code>{c.reason.clone().unwrap_or_default()}</code></span> }.into_any()
                                }}</td>
                                <td>{fix}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <section class="card" aria-labelledby="check-groups">
            <h2 id="check-groups">"Their groups"</h2>
            <p>{if check.groups.is_empty() { "None".to_string() } else {
                check.groups.iter().map(|g| if g.direct { g.name.clone() } else { format!("{} (through {})", g.name, g.through.join(" → ")) }).collect::<Vec<_>>().join(", ")
            }}</p>
            <h2>"Their licenses"</h2>
            <p>{if check.licenses.is_empty() { "None".to_string() } else {
                check.licenses.iter().map(|l| format!("{} ({})", l.name, if l.has_seat { "has a seat" } else { "not enough seats" })).collect::<Vec<_>>().join(", ")
            }}</p>
        </section>
    }
}

/// The notices an admin handler redirects back with, as fixed texts.
pub(super) fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "blocked" => "Sign-in is blocked. Their sessions have ended.",
        "unblocked" => "Sign-in is unblocked.",
        "unlocked" => "The lockout is lifted.",
        "unchanged" => "Nothing needed changing.",
        "token_revoked" => "Revoked. Whatever used it is refused from its next request.",
        "saved" => "Saved.",
        "mfa_reset" => "The authenticator is forgotten. They set up a new one at their next sign-in; their sessions have ended.",
        "created" => "Created.",
        "deleted" => "Deleted.",
        "assigned" => "Assigned. It is theirs from their next launch.",
        "license_assigned" => "Assigned. Seats are given out at once, earliest first.",
        "license_unassigned" => "Removed. Freed seats went to the next in line.",
        "unassigned" => "Unassigned. Those who had it only this way can no longer launch it.",
        "logo_saved" => "The new logo is on the app's tile.",
        "logo_removed" => "The logo is removed; the tile shows the app's initials.",
        "group_deleted" => "Deleted. Its members lost what they had through it.",
        "member_added" => "Added. They have what the group gives at once.",
        "member_removed" => "Removed. They lost what they had only through this group.",
        "classified" => "Saved. It applies from the next launch.",
        "reviewer_added" => "Added. They review requests from now on.",
        "already_reviewer" => "They already review requests.",
        "reviewer_removed" => "Removed. They no longer review requests.",
        "last_reviewer" => "That is the approval workflow's last reviewer: add another, or switch the workflow off, first.",
        "granted" => "Granted. It holds from the next launch.",
        "api_created" => "Registered. Add its permissions next.",
        "permission_created" => "Added. Apps can ask for it now.",
        "permission_deleted" => "Deleted.",
        "permission_in_use" => "Apps still ask for this permission: take it off those apps first.",
        "app_reviewer_added" => "Added. They review this app's access requests from now on.",
        "app_reviewer_removed" => "Removed. They no longer review this app's access requests.",
        "grant_revoked" => "Revoked, with every token issued under it. The next launch asks again.",
        "no_such_user" => "Nobody in your organisation has that sign-in name.",
        "nothing_to_grant" => "This app asks for no permissions: there is nothing to grant.",
        _ => return None,
    })
}

/// GET /admin/users/{id}: one user, in full, with what an admin can do.
#[component]
pub fn AdminUserPage() -> impl IntoView {
    let query = use_query_map();
    let (user, auth) = user_and_viewer();
    view! {
        <AdminFrame current="/admin/users">
            <p><a href="/admin/users">"← Users"</a></p>
            {move || query.read().get("done").and_then(|c| notice_text(&c)).map(|m| view! { <Alert message=m/> })}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let token = token_of(&auth.await);
                    match user.await {
                        Ok(Some(detail)) => view! { <UserDetailView detail token/> }.into_any(),
                        Ok(None) => view! {
                            <Title text="User not found · Admin"/>
                            <h1>"We can't find that user"</h1>
                            <p>"There is no user with that id in your organisation."</p>
                        }.into_any(),
                        Err(e) => view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

#[component]
fn UserDetailView(detail: UserDetail, token: String) -> impl IntoView {
    let now = now();
    let u = detail.profile.summary.clone();
    let (status, class) = status_label(&u, now);
    let action = |verb: &str| format!("/admin/users/{}/{verb}", u.id);
    let locked = detail.locked(now);
    let or_none = |s: &str| if s.is_empty() { "—".to_string() } else { s.to_string() };
    view! {
        <Title text=format!("{} · Users · Admin", u.display_name)/>
        <div class="page-heading">
            <h1>{u.display_name.clone()}</h1>
            <span class=class>{status}</span>
            <a class="button" href=format!("/admin/users/{}/edit", u.id)>"Edit"</a>
            <a class="button" href=href_with("/admin/sign-ins", &[("user", u.upn.as_str())])>"Sign-ins"</a>
            <a class="button" href=href_with("/admin/audit", &[("target_id", u.id.as_str())])>"Changes"</a>
        </div>
        <section class="card" aria-labelledby="profile-heading">
            <h2 id="profile-heading">"Profile"</h2>
            <dl class="facts">
                <dt>"Sign-in name"</dt><dd>{u.upn.clone()}</dd>
                <dt>"E-mail"</dt><dd>{or_none(&u.email)}</dd>
                <dt>"Job title"</dt><dd>{or_none(&detail.profile.job_title)}</dd>
                <dt>"Department"</dt><dd>{or_none(&detail.profile.department)}</dd>
                <dt>"Role"</dt><dd>{u.role.label()}</dd>
                <dt>"Created"</dt><dd>{when(detail.profile.created_at)}</dd>
            </dl>
        </section>
        <section class="card" aria-labelledby="signin-heading">
            <h2 id="signin-heading">"Sign-in"</h2>
            <dl class="facts">
                <dt>"State"</dt><dd>{status}</dd>
                <dt>"Locked until"</dt><dd>{if locked { u.locked_until.map(when).unwrap_or_default() } else { "—".into() }}</dd>
                <dt>"MFA"</dt><dd>{mfa_label(u.mfa_state)}{if detail.profile.totp_enrolled { ", authenticator enrolled" } else { "" }}</dd>
                <dt>"Authentication phone"</dt><dd>{or_none(&detail.profile.auth_phone)}</dd>
                <dt>"Authentication e-mail"</dt><dd>{or_none(&detail.profile.auth_email)}</dd>
                <dt>"Password"</dt><dd>{
                    if detail.profile.must_change_password { "Must be changed at next sign-in".to_string() }
                    else { detail.profile.password_expires_at.map(|t| format!("Expires {}", when(t))).unwrap_or_else(|| "Does not expire".into()) }
                }</dd>
            </dl>
            <div class="actions">
                {if u.sign_in_blocked {
                    view! {
                        <form method="post" action=action("unblock") class="inline-form">
                            <CsrfField token=token.clone()/>
                            <button type="submit" class="button">"Unblock sign-in"</button>
                        </form>
                    }.into_any()
                } else {
                    view! {
                        <form method="post" action=action("block") class="inline-form">
                            <CsrfField token=token.clone()/>
                            <button type="submit" class="button button-danger">"Block sign-in"</button>
                        </form>
                    }.into_any()
                }}
                <form method="post" action=action("reset-password") class="inline-form">
                    <CsrfField token=token.clone()/>
                    <button type="submit" class="button">"Reset password"</button>
                </form>
                {detail.profile.totp_enrolled.then(|| view! {
                    <form method="post" action=action("reset-mfa") class="inline-form">
                        <CsrfField token=token.clone()/>
                        <button type="submit" class="button">"Reset authenticator"</button>
                    </form>
                })}
                {locked.then(|| view! {
                    <form method="post" action=action("unlock") class="inline-form">
                        <CsrfField token=token.clone()/>
                        <button type="submit" class="button">"Unlock"</button>
                    </form>
                })}
            </div>
        </section>
        <section class="card" aria-labelledby="groups-heading">
            <h2 id="groups-heading">"Groups"</h2>
            {if detail.groups.is_empty() {
                view! { <p class="empty-state">"Not in any group."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {detail.groups.into_iter().map(|g| view! {
                            <li>
                                <a class="item-name" href=format!("/admin/groups/{}", g.id)>{g.name.clone()}</a>
                                <span class="item-note">{if g.direct { "Direct member".to_string() } else { format!("Through {}", g.through.join(" → ")) }}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="licenses-heading">
            <h2 id="licenses-heading">"Licenses"</h2>
            {if detail.licenses.is_empty() {
                view! { <p class="empty-state">"No license reaches this user."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {detail.licenses.into_iter().map(|l| view! {
                            <li>
                                <span class="item-name">{l.name.clone()}" "<code>{l.sku.clone()}</code></span>
                                {if l.has_seat {
                                    view! { <span class="status status-ok">"Has a seat"</span> }.into_any()
                                } else {
                                    view! { <span class="status status-bad">"Not enough seats"</span> }.into_any()
                                }}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="apps-heading">
            <h2 id="apps-heading">"Apps"</h2>
            {if detail.apps.is_empty() {
                view! { <p class="empty-state">"No app is assigned to this user."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {detail.apps.into_iter().map(|a| view! {
                            <li>
                                <span class="item-name">{a.name.clone()}</span>
                                <span class="item-note">{a.why.clone()}</span>
                                {match a.refusal {
                                    None => view! { <span class="status status-ok">"Can launch"</span> }.into_any(),
                                    Some(code) => view! { <span class="status status-bad">"Refused: "<code>{code}</code></span> }.into_any(),
                                }}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_utc_dates() {
        assert_eq!(when(0), "1970-01-01 00:00 UTC");
        assert_eq!(when(1_795_000_000_000), "2026-11-18 11:06 UTC");
        assert_eq!(when(951_782_400_000), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn users_links_keep_the_search_and_encode_it() {
        assert_eq!(users_href("", None), "/admin/users");
        assert_eq!(users_href("a&b c", Some("xyz")), "/admin/users?q=a%26b+c&cursor=xyz");
    }
}
