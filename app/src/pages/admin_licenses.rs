//! The admin area's licenses pages: the list with seats, a license with its
//! assignments, a search to assign it, and the people left without a seat;
//! the new and edit forms. Privileged admins. Server-rendered; changes are
//! plain forms posting to `/admin/licenses/...`.

use super::admin::{notice_text, when, AdminFrame, PrincipalButton, TextField};
use crate::components::layout::{token_of, Alert, CsrfField, Loading};
use crate::models::admin::{LicenseSummary, LicenseView};
use crate::server_fns::admin::{load_admin_license, load_admin_licenses};
use crate::server_fns::session::auth_state;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

fn seats_state(l: &LicenseSummary) -> (String, &'static str) {
    if l.without_seat > 0 {
        (format!("{} without a seat", l.without_seat), "status status-bad")
    } else {
        (format!("{} free", (l.seats - l.seats_used).max(0)), "status status-ok")
    }
}

/// GET /admin/licenses: every license with its seats.
#[component]
pub fn AdminLicensesPage() -> impl IntoView {
    let query = use_query_map();
    let licenses = Resource::new(|| (), |_| load_admin_licenses());
    view! {
        <Title text="Licenses · Admin"/>
        <AdminFrame current="/admin/licenses">
            <div class="page-heading">
                <h1>"Licenses"</h1>
                <a class="button button-primary" href="/admin/licenses/new">"New license"</a>
            </div>
            {move || query.read().get("done").and_then(|c| notice_text(&c)).map(|m| view! { <Alert message=m/> })}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match licenses.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty-state">"There are no licenses yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="data-table">
                                <caption class="visually-hidden">"Licenses"</caption>
                                <thead><tr><th scope="col">"Name"</th><th scope="col">"Product code"</th><th scope="col">"Seats"</th>
                                    <th scope="col">"In use"</th><th scope="col">"State"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|l| {
                                        let (state, class) = seats_state(&l);
                                        view! {
                                            <tr>
                                                <td><a href=format!("/admin/licenses/{}", l.id)>{l.name.clone()}</a></td>
                                                <td><code>{l.sku.clone()}</code></td>
                                                <td>{l.seats}</td>
                                                <td>{l.seats_used}</td>
                                                <td><span class=class>{state}</span></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

/// The license form's fields, as typed last or as they are.
#[component]
fn LicenseFormFields(name: String, sku: String, seats: String, codes: String) -> impl IntoView {
    let problem = move |field: &str| crate::domain::fields::problem_in(&codes, field);
    view! {
        <TextField name="name" label="Name" value=name problem=problem("name") required=true/>
        <TextField name="sku" label="Product code" value=sku problem=problem("sku") required=true
            hint="Unique in your organisation, for example OFFICE_E3."/>
        <TextField name="seats" label="Seats" value=seats problem=problem("seats") input_type="number" required=true
            hint="People beyond this number get no seat, in the order their license took effect."/>
    }
}

/// GET /admin/licenses/new.
#[component]
pub fn AdminNewLicensePage() -> impl IntoView {
    let query = use_query_map();
    let auth = Resource::new(|| (), |_| auth_state());
    view! {
        <Title text="New license · Admin"/>
        <AdminFrame current="/admin/licenses">
            <p><a href="/admin/licenses">"← Licenses"</a></p>
            <h1>"New license"</h1>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let token = token_of(&auth.await);
                    let (name, sku, seats, codes) = {
                        let q = query.read_untracked();
                        (q.get("name").unwrap_or_default(), q.get("sku").unwrap_or_default(), q.get("seats").unwrap_or_default(), q.get("errors").unwrap_or_default())
                    };
                    view! {
                        {(!codes.is_empty()).then(|| view! { <Alert message="Some fields need another look." error=true/> })}
                        <form method="post" action="/admin/licenses/new" class="stack card form-card">
                            <CsrfField token=token/>
                            <LicenseFormFields name sku seats codes/>
                            <button type="submit" class="button button-primary">"Create license"</button>
                        </form>
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

fn license_view() -> Resource<Result<Option<LicenseView>, ServerFnError>> {
    let params = use_params_map();
    let query = use_query_map();
    let inputs = move || {
        let q = query.read();
        (params.read().get("license_id").unwrap_or_default(), q.get("add").unwrap_or_default(), q.get("cursor").filter(|c| !c.is_empty()))
    };
    Resource::new(inputs, |(id, add, cursor)| load_admin_license(id, add, cursor))
}

/// GET /admin/licenses/{id}/edit.
#[component]
pub fn AdminEditLicensePage() -> impl IntoView {
    let query = use_query_map();
    let license = license_view();
    let auth = Resource::new(|| (), |_| auth_state());
    view! {
        <Title text="Edit license · Admin"/>
        <AdminFrame current="/admin/licenses">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let token = token_of(&auth.await);
                    let l = match license.await {
                        Ok(Some(v)) => v.detail.summary,
                        Ok(None) => return view! { <h1>"We can't find that license"</h1> }.into_any(),
                        Err(e) => return view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    };
                    let (name, sku, seats, codes) = {
                        let q = query.read_untracked();
                        let codes = q.get("errors").unwrap_or_default();
                        if codes.is_empty() {
                            (l.name.clone(), l.sku.clone(), l.seats.to_string(), codes)
                        } else {
                            (q.get("name").unwrap_or_default(), q.get("sku").unwrap_or_default(), q.get("seats").unwrap_or_default(), codes)
                        }
                    };
                    view! {
                        <p><a href=format!("/admin/licenses/{}", l.id)>{format!("← {}", l.name)}</a></p>
                        <h1>{format!("Edit {}", l.name)}</h1>
                        {(!codes.is_empty()).then(|| view! { <Alert message="Some fields need another look." error=true/> })}
                        <form method="post" action=format!("/admin/licenses/{}/edit", l.id) class="stack card form-card">
                            <CsrfField token=token/>
                            <LicenseFormFields name sku seats codes/>
                            <button type="submit" class="button button-primary">"Save"</button>
                        </form>
                    }.into_any()
                })}
            </Suspense>
        </AdminFrame>
    }
}

/// GET /admin/licenses/{id}?add=&cursor=: a license, who it is assigned
/// to, a search to assign it, and who is left without a seat.
#[component]
pub fn AdminLicensePage() -> impl IntoView {
    let query = use_query_map();
    let license = license_view();
    let auth = Resource::new(|| (), |_| auth_state());
    view! {
        <AdminFrame current="/admin/licenses">
            <p><a href="/admin/licenses">"← Licenses"</a></p>
            {move || query.read().get("done").and_then(|c| notice_text(&c)).map(|m| view! { <Alert message=m/> })}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let token = token_of(&auth.await);
                    let (add, confirm_delete, first_page) = {
                        let q = query.read_untracked();
                        (q.get("add").unwrap_or_default(), q.get("confirm").as_deref() == Some("delete"), q.get("cursor").is_none_or(|c| c.is_empty()))
                    };
                    match license.await {
                        Ok(Some(view)) => view! { <LicensePageView view token add confirm_delete first_page/> }.into_any(),
                        Ok(None) => view! {
                            <Title text="License not found · Admin"/>
                            <h1>"We can't find that license"</h1>
                        }.into_any(),
                        Err(e) => view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

#[component]
fn LicensePageView(view: LicenseView, token: String, add: String, confirm_delete: bool, first_page: bool) -> impl IntoView {
    let LicenseView { detail, candidates, without_seat } = view;
    let l = detail.summary.clone();
    let id = l.id.clone();
    let path = format!("/admin/licenses/{id}");
    let here = if add.is_empty() {
        path.clone()
    } else {
        format!("{path}?add={}", url::form_urlencoded::byte_serialize(add.as_bytes()).collect::<String>())
    };
    let next = without_seat.next_cursor.as_deref().map(|c| format!("{path}?cursor={c}"));
    let (state, class) = seats_state(&l);
    view! {
        <Title text=format!("{} · Licenses · Admin", l.name)/>
        <div class="page-heading">
            <h1>{l.name.clone()}</h1>
            <span class=class>{state}</span>
            <a class="button" href=format!("/admin/licenses/{id}/edit")>"Edit"</a>
            <a class="button button-danger" href=format!("/admin/licenses/{id}?confirm=delete")>"Delete"</a>
        </div>
        {confirm_delete.then(|| if detail.required_by.is_empty() {
            view! {
                <section class="card confirm-card" aria-labelledby="confirm-heading">
                    <h2 id="confirm-heading">{format!("Delete {}?", l.name)}</h2>
                    <p>{format!("Its {} seats held go, and with them its assignments. This can't be undone.", l.seats_used)}</p>
                    <div class="actions">
                        <form method="post" action=format!("/admin/licenses/{id}/delete") class="inline-form">
                            <CsrfField token=token.clone()/>
                            <button type="submit" class="button button-danger">"Delete the license"</button>
                        </form>
                        <a class="button" href=path.clone()>"Cancel"</a>
                    </div>
                </section>
            }.into_any()
        } else {
            let apps = detail.required_by.iter().map(|a| a.name.clone()).collect::<Vec<_>>().join(", ");
            view! { <Alert message=format!("These apps require this license: {apps}. Change them first.") error=true/> }.into_any()
        })}
        <section class="card" aria-labelledby="about-heading">
            <h2 id="about-heading">"Seats"</h2>
            <dl class="facts">
                <dt>"Product code"</dt><dd><code>{l.sku.clone()}</code></dd>
                <dt>"Seats"</dt><dd>{l.seats}</dd>
                <dt>"In use"</dt><dd>{l.seats_used}</dd>
                <dt>"Without a seat"</dt><dd>{l.without_seat}</dd>
                <dt>"Required by"</dt><dd>{if detail.required_by.is_empty() { "No app".to_string() } else { detail.required_by.iter().map(|a| a.name.clone()).collect::<Vec<_>>().join(", ") }}</dd>
                <dt>"Created"</dt><dd>{when(detail.created_at)}</dd>
            </dl>
        </section>
        <section class="card" aria-labelledby="assigned-heading">
            <h2 id="assigned-heading">"Assigned to"</h2>
            {if detail.assignments.is_empty() {
                view! { <p class="empty-state">"It is not assigned to anyone yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {detail.assignments.into_iter().map(|a| {
                            let field = if a.kind == "group" { "group_id" } else { "user_id" };
                            let kind = if a.kind == "group" { "Group" } else { "Person" };
                            view! {
                                <li>
                                    <span class="item-name">{a.name.clone()}</span>
                                    <span class="item-note">{format!("{kind} · {} · since {}", a.detail, when(a.assigned_at))}</span>
                                    <PrincipalButton collection=format!("/admin/licenses/{}/assignments", id.clone()) field verb="Assign" principal_id=a.id.clone() remove=true
                                        label=format!("Remove the license from {}", a.name) token=token.clone() here=here.clone()/>
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
                <label for="license-assign">"Find a person or a group"</label>
                <input id="license-assign" name="add" type="search" value=add.clone() autocomplete="off" placeholder="Name, sign-in name or e-mail"/>
                <button type="submit" class="button">"Find"</button>
            </form>
            {candidates.map(|c| view! {
                {(c.users.is_empty() && c.groups.is_empty()).then(|| view! { <p class="empty-state" role="status">{format!("Nobody and no group matches “{add}”.")}</p> })}
                <ul class="plain-list" aria-label="Matches">
                    {c.users.into_iter().map(|u| view! {
                        <li>
                            <span class="item-name">{u.display_name.clone()}</span>
                            <span class="item-note">{u.upn.clone()}</span>
                            <PrincipalButton collection=format!("/admin/licenses/{}/assignments", id.clone()) field="user_id" verb="Assign" principal_id=u.id.clone() remove=false
                                label=format!("Assign to {}", u.display_name) token=token.clone() here=here.clone()/>
                        </li>
                    }).collect_view()}
                    {c.groups.into_iter().map(|g| view! {
                        <li>
                            <span class="item-name">{g.name.clone()}</span>
                            <span class="item-note">{format!("Group · {} in it", g.effective_users)}</span>
                            <PrincipalButton collection=format!("/admin/licenses/{}/assignments", id.clone()) field="group_id" verb="Assign" principal_id=g.id.clone() remove=false
                                label=format!("Assign to the group {}", g.name) token=token.clone() here=here.clone()/>
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </section>
        <section class="card" aria-labelledby="without-heading">
            <h2 id="without-heading">"Not enough seats"</h2>
            {if without_seat.users.is_empty() {
                view! { <p class="empty-state">"Everyone it reaches holds a seat."</p> }.into_any()
            } else {
                view! {
                    <p class="hint">"They get no license until a seat frees up or you add seats; the earliest in line gets the next one."</p>
                    <ul class="plain-list">
                        {without_seat.users.into_iter().map(|u| view! {
                            <li>
                                <a class="item-name" href=format!("/admin/users/{}", u.id)>{u.display_name.clone()}</a>
                                <span class="item-note">{u.upn.clone()}</span>
                                <span class="status status-bad">"Not enough seats"</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <nav class="pager" aria-label="Pages of people without a seat">
                {(!first_page).then(|| view! { <a class="button" href=path.clone()>"First page"</a> })}
                {next.map(|href| view! { <a class="button" href=href rel="next">"Next page"</a> })}
            </nav>
        </section>
    }
}
