//! The admin area's groups pages: the list, a group with its members (users
//! and nested groups) and a search to add more, the new and edit forms, and
//! the delete confirmation. Like the users pages: server-rendered, changes
//! are plain forms posting to `/admin/groups/...`, which redirect back with
//! a notice code.

use super::admin::{href_with, notice_text, status_label, when, AdminFrame, Loaded, PrincipalButton, TextField};
use crate::auth::AuthView;
use crate::components::layout::{token_of, Alert, CsrfField, Loading};
use crate::domain::groups::cycle_message;
use crate::models::admin::{GroupDetail, GroupPage, GroupView, UserPage};
use crate::server_fns::admin::{load_admin_group, load_admin_groups};
use crate::server_fns::session::auth_state;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// "3 people", "1 person".
fn people(n: i64) -> String {
    if n == 1 {
        "1 person".into()
    } else {
        format!("{n} people")
    }
}

/// GET /admin/groups?q=&cursor=: the organisation's groups, searched and paged.
#[component]
pub fn AdminGroupsPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.read().get("q").unwrap_or_default();
    let cursor = move || query.read().get("cursor").filter(|c| !c.is_empty());
    let groups = Resource::new(move || (search(), cursor()), |(s, c)| load_admin_groups(s, c));
    view! {
        <Title text="Groups · Admin"/>
        <AdminFrame current="/admin/groups">
            <div class="page-heading">
                <h1>"Groups"</h1>
                <a class="button button-primary" href="/admin/groups/new">"New group"</a>
            </div>
            {move || query.read().get("done").and_then(|c| notice_text(&c)).map(|m| view! { <Alert message=m/> })}
            <form method="get" action="/admin/groups" class="admin-search" role="search">
                <label for="group-search">"Find a group"</label>
                <input id="group-search" name="q" type="search" value=search() autocomplete="off" placeholder="Part of its name"/>
                <button type="submit" class="button">"Search"</button>
            </form>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match groups.await {
                        Ok(page) => view! { <GroupTable page search=search() first_page=cursor().is_none()/> }.into_any(),
                        Err(e) => view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

#[component]
fn GroupTable(page: GroupPage, search: String, first_page: bool) -> impl IntoView {
    if page.groups.is_empty() {
        let message = if search.is_empty() { "There are no groups yet.".to_string() } else { format!("No group matches “{search}”.") };
        return view! { <p class="empty-state" role="status">{message}</p> }.into_any();
    }
    let next = page.next_cursor.as_deref().map(|c| href_with("/admin/groups", &[("q", &search), ("cursor", c)]));
    view! {
        <table class="data-table">
            <caption class="visually-hidden">"Groups"</caption>
            <thead>
                <tr><th scope="col">"Name"</th><th scope="col">"Description"</th><th scope="col">"Direct members"</th>
                    <th scope="col">"Everyone in it"</th></tr>
            </thead>
            <tbody>
                {page.groups.into_iter().map(|g| view! {
                    <tr>
                        <td><a href=format!("/admin/groups/{}", g.id)>{g.name.clone()}</a></td>
                        <td>{g.description.clone()}</td>
                        <td>{match g.direct_groups {
                            0 => people(g.direct_users),
                            1 => format!("{}, 1 group", people(g.direct_users)),
                            n => format!("{}, {n} groups", people(g.direct_users)),
                        }}</td>
                        <td>{people(g.effective_users)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <nav class="pager" aria-label="Pages of groups">
            {(!first_page).then(|| view! { <a class="button" href=href_with("/admin/groups", &[("q", &search)])>"First page"</a> })}
            {next.map(|href| view! { <a class="button" href=href rel="next">"Next page"</a> })}
        </nav>
    }
    .into_any()
}

/// The group's name and description fields, as typed last (after a
/// problem) or as they are.
#[component]
fn GroupFormFields(name: String, description: String, codes: String) -> impl IntoView {
    let problem = move |field: &str| crate::domain::fields::problem_in(&codes, field);
    let description_problem = problem("description");
    view! {
        <TextField name="name" label="Name" value=name problem=problem("name") required=true
            hint="Unique in your organisation, whatever the case."/>
        <div class="field">
            <label for="field-description">"Description"</label>
            <textarea id="field-description" name="description" rows="3"
                aria-invalid=description_problem.map(|_| "true")
                aria-describedby=description_problem.map(|_| "field-description-error")>{description}</textarea>
            {description_problem.map(|p| view! { <p class="field-error" id="field-description-error">{p}</p> })}
        </div>
    }
}

/// GET /admin/groups/new: the new-group form.
#[component]
pub fn AdminNewGroupPage() -> impl IntoView {
    let query = use_query_map();
    let auth = Resource::new(|| (), |_| auth_state());
    view! {
        <Title text="New group · Admin"/>
        <AdminFrame current="/admin/groups">
            <p><a href="/admin/groups">"← Groups"</a></p>
            <h1>"New group"</h1>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let token = token_of(&auth.await);
                    let q = query.read_untracked();
                    let codes = q.get("errors").unwrap_or_default();
                    view! {
                        {(!codes.is_empty()).then(|| view! { <Alert message="Some fields need another look." error=true/> })}
                        <form method="post" action="/admin/groups/new" class="stack card form-card">
                            <CsrfField token=token/>
                            <GroupFormFields name=q.get("name").unwrap_or_default() description=q.get("description").unwrap_or_default() codes/>
                            <button type="submit" class="button button-primary">"Create group"</button>
                        </form>
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

fn group_view() -> (Loaded<Option<GroupView>>, Loaded<AuthView>) {
    let params = use_params_map();
    let query = use_query_map();
    let inputs = move || {
        let q = query.read();
        (
            params.read().get("group_id").unwrap_or_default(),
            q.get("members_q").unwrap_or_default(),
            q.get("members_cursor").filter(|c| !c.is_empty()),
            q.get("add").unwrap_or_default(),
            q.get("cycle").unwrap_or_default(),
        )
    };
    (
        Resource::new(inputs, |(id, members_q, cursor, add, cycle)| load_admin_group(id, members_q, cursor, add, cycle)),
        Resource::new(|| (), |_| auth_state()),
    )
}

/// GET /admin/groups/{id}/edit: the group's name and description.
#[component]
pub fn AdminEditGroupPage() -> impl IntoView {
    let query = use_query_map();
    let (group, auth) = group_view();
    view! {
        <Title text="Edit group · Admin"/>
        <AdminFrame current="/admin/groups">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let token = token_of(&auth.await);
                    let g = match group.await {
                        Ok(Some(v)) => v.detail.summary,
                        Ok(None) => return view! { <h1>"We can't find that group"</h1> }.into_any(),
                        Err(e) => return view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    };
                    let q = query.read_untracked();
                    let codes = q.get("errors").unwrap_or_default();
                    let retrying = !codes.is_empty();
                    let name = if retrying { q.get("name").unwrap_or_default() } else { g.name.clone() };
                    let description = if retrying { q.get("description").unwrap_or_default() } else { g.description.clone() };
                    view! {
                        <p><a href=format!("/admin/groups/{}", g.id)>{format!("← {}", g.name)}</a></p>
                        <h1>{format!("Edit {}", g.name)}</h1>
                        {retrying.then(|| view! { <Alert message="Some fields need another look." error=true/> })}
                        <form method="post" action=format!("/admin/groups/{}/edit", g.id) class="stack card form-card">
                            <CsrfField token=token/>
                            <GroupFormFields name description codes/>
                            <button type="submit" class="button button-primary">"Save"</button>
                        </form>
                    }.into_any()
                })}
            </Suspense>
        </AdminFrame>
    }
}

/// GET /admin/groups/{id}: one group, its members, and what it is given.
/// `?confirm=delete` asks before deleting it.
#[component]
pub fn AdminGroupPage() -> impl IntoView {
    let query = use_query_map();
    let (group, auth) = group_view();
    view! {
        <AdminFrame current="/admin/groups">
            <p><a href="/admin/groups">"← Groups"</a></p>
            {move || query.read().get("done").and_then(|c| notice_text(&c)).map(|m| view! { <Alert message=m/> })}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let token = token_of(&auth.await);
                    let (confirm_delete, members_q, add, first_members_page) = {
                        let q = query.read_untracked();
                        (
                            q.get("confirm").as_deref() == Some("delete"),
                            q.get("members_q").unwrap_or_default(),
                            q.get("add").unwrap_or_default(),
                            q.get("members_cursor").is_none_or(|c| c.is_empty()),
                        )
                    };
                    match group.await {
                        Ok(Some(view)) => view! {
                            <GroupPageView view token confirm_delete members_q add first_members_page/>
                        }.into_any(),
                        Ok(None) => view! {
                            <Title text="Group not found · Admin"/>
                            <h1>"We can't find that group"</h1>
                            <p>"There is no group with that id in your organisation."</p>
                        }.into_any(),
                        Err(e) => view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    }
                })}
            </Suspense>
        </AdminFrame>
    }
}

#[component]
fn GroupPageView(
    view: GroupView,
    token: String,
    confirm_delete: bool,
    members_q: String,
    add: String,
    first_members_page: bool,
) -> impl IntoView {
    let GroupView { detail, members, candidates, refused_cycle } = view;
    let g = detail.summary.clone();
    let here = href_with(&format!("/admin/groups/{}", g.id), &[("members_q", &members_q), ("add", &add)]);
    view! {
        <Title text=format!("{} · Groups · Admin", g.name)/>
        {refused_cycle.map(|names| view! { <Alert message=cycle_message(&names) error=true/> })}
        <div class="page-heading">
            <h1>{g.name.clone()}</h1>
            <a class="button" href=format!("/admin/groups/{}/edit", g.id)>"Edit"</a>
            <a class="button button-danger" href=format!("/admin/groups/{}?confirm=delete", g.id)>"Delete"</a>
        </div>
        {confirm_delete.then(|| view! { <DeleteConfirmation detail=detail.clone() token=token.clone()/> })}
        <section class="card" aria-labelledby="about-heading">
            <h2 id="about-heading">"About"</h2>
            <dl class="facts">
                <dt>"Description"</dt><dd class="preserve-lines">{if g.description.is_empty() { "—".to_string() } else { g.description.clone() }}</dd>
                <dt>"Direct members"</dt><dd>{format!("{}, {} nested group{}", people(g.direct_users), g.direct_groups, if g.direct_groups == 1 { "" } else { "s" })}</dd>
                <dt>"Everyone in it"</dt><dd>{format!("{}, through nested groups too", people(g.effective_users))}</dd>
                <dt>"Created"</dt><dd>{when(detail.created_at)}</dd>
            </dl>
        </section>
        <section class="card" aria-labelledby="add-heading">
            <h2 id="add-heading">"Add members"</h2>
            <form method="get" action=format!("/admin/groups/{}", g.id) class="admin-search" role="search">
                <label for="member-add">"Find a person or a group"</label>
                <input id="member-add" name="add" type="search" value=add.clone() autocomplete="off" placeholder="Name, sign-in name or e-mail"/>
                <button type="submit" class="button">"Find"</button>
            </form>
            {candidates.map(|c| {
                let none = c.users.is_empty() && c.groups.is_empty();
                let group_id = g.id.clone();
                view! {
                    {none.then(|| view! { <p class="empty-state" role="status">{format!("Nobody and no group matches “{add}”.")}</p> })}
                    <ul class="plain-list" aria-label="Matches">
                        {c.users.into_iter().map(|u| view! {
                            <li>
                                <span class="item-name">{u.display_name.clone()}</span>
                                <span class="item-note">{u.upn.clone()}</span>
                                <PrincipalButton collection=format!("/admin/groups/{}/members", group_id.clone()) field="user_id" verb="Add" principal_id=u.id.clone() remove=false
                                    label=format!("Add {}", u.display_name) token=token.clone() here=here.clone()/>
                            </li>
                        }).collect_view()}
                        {c.groups.into_iter().map(|m| view! {
                            <li>
                                <span class="item-name">{m.name.clone()}</span>
                                <span class="item-note">{format!("Group · {}", people(m.effective_users))}</span>
                                <PrincipalButton collection=format!("/admin/groups/{}/members", group_id.clone()) field="group_id" verb="Add" principal_id=m.id.clone() remove=false
                                    label=format!("Add the group {}", m.name) token=token.clone() here=here.clone()/>
                            </li>
                        }).collect_view()}
                    </ul>
                }
            })}
        </section>
        <section class="card" aria-labelledby="nested-heading">
            <h2 id="nested-heading">"Nested groups"</h2>
            {if detail.member_groups.is_empty() {
                view! { <p class="empty-state">"No group is nested in this one."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {detail.member_groups.into_iter().map(|m| view! {
                            <li>
                                <a class="item-name" href=format!("/admin/groups/{}", m.id)>{m.name.clone()}</a>
                                <PrincipalButton collection=format!("/admin/groups/{}/members", g.id.clone()) field="group_id" verb="Add" principal_id=m.id.clone() remove=true
                                    label=format!("Remove the group {}", m.name) token=token.clone() here=here.clone()/>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <MemberTable group_id=g.id.clone() members token=token.clone() here=here.clone() members_q add=add.clone() first_page=first_members_page/>
        <section class="card" aria-labelledby="member-of-heading">
            <h2 id="member-of-heading">"Member of"</h2>
            {if detail.member_of.is_empty() {
                view! { <p class="empty-state">"This group is not inside another group."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {detail.member_of.into_iter().map(|p| view! {
                            <li><a class="item-name" href=format!("/admin/groups/{}", p.id)>{p.name.clone()}</a></li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="given-heading">
            <h2 id="given-heading">"What it gives its members"</h2>
            <h3>"Apps"</h3>
            <p>{if detail.apps.is_empty() { "No app is assigned to this group.".to_string() } else {
                detail.apps.iter().map(|a| a.name.clone()).collect::<Vec<_>>().join(", ")
            }}</p>
            <h3>"Licenses"</h3>
            <p>{if detail.licenses.is_empty() { "No license is assigned to this group.".to_string() } else {
                detail.licenses.iter().map(|l| format!("{} ({})", l.name, l.sku)).collect::<Vec<_>>().join(", ")
            }}</p>
        </section>
    }
}

/// The group's member users, searched and paged, each with a remove button.
#[component]
fn MemberTable(
    group_id: String,
    members: UserPage,
    token: String,
    here: String,
    members_q: String,
    add: String,
    first_page: bool,
) -> impl IntoView {
    let path = format!("/admin/groups/{group_id}");
    let now = super::admin::now();
    let next = members.next_cursor.as_deref().map(|c| href_with(&path, &[("members_q", &members_q), ("add", &add), ("members_cursor", c)]));
    let first = href_with(&path, &[("members_q", &members_q), ("add", &add)]);
    view! {
        <section class="card" aria-labelledby="members-heading">
            <h2 id="members-heading">"People"</h2>
            <form method="get" action=path.clone() class="admin-search" role="search">
                <label for="member-search">"Find a member"</label>
                <input id="member-search" name="members_q" type="search" value=members_q.clone() autocomplete="off"
                    placeholder="Name, sign-in name or e-mail"/>
                {(!add.is_empty()).then(|| view! { <input type="hidden" name="add" value=add.clone()/> })}
                <button type="submit" class="button">"Search"</button>
            </form>
            {if members.users.is_empty() {
                let message = if members_q.is_empty() { "No one is a direct member.".to_string() } else { format!("No member matches “{members_q}”.") };
                view! { <p class="empty-state" role="status">{message}</p> }.into_any()
            } else {
                view! {
                    <table class="data-table">
                        <caption class="visually-hidden">"Direct members"</caption>
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Sign-in name"</th><th scope="col">"Sign-in"</th><th scope="col"><span class="visually-hidden">"Remove"</span></th></tr></thead>
                        <tbody>
                            {members.users.into_iter().map(|u| {
                                let (status, class) = status_label(&u, now);
                                view! {
                                    <tr>
                                        <td><a href=format!("/admin/users/{}", u.id)>{u.display_name.clone()}</a></td>
                                        <td>{u.upn.clone()}</td>
                                        <td><span class=class>{status}</span></td>
                                        <td><PrincipalButton collection=format!("/admin/groups/{}/members", group_id.clone()) field="user_id" verb="Add" principal_id=u.id.clone() remove=true
                                            label=format!("Remove {}", u.display_name) token=token.clone() here=here.clone()/></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <nav class="pager" aria-label="Pages of members">
                {(!first_page).then(|| view! { <a class="button" href=first>"First page"</a> })}
                {next.map(|href| view! { <a class="button" href=href rel="next">"Next page"</a> })}
            </nav>
        </section>
    }
}

/// Deleting a group: what happens, then the button that does it.
#[component]
fn DeleteConfirmation(detail: GroupDetail, token: String) -> impl IntoView {
    let g = detail.summary;
    let mut losses = Vec::new();
    if !detail.apps.is_empty() {
        losses.push(format!("the apps assigned to it ({})", detail.apps.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ")));
    }
    if !detail.licenses.is_empty() {
        losses.push(format!(
            "the licenses assigned to it ({})",
            detail.licenses.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    if !detail.member_of.is_empty() {
        losses.push(format!("what they get through {}", detail.member_of.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")));
    }
    let consequence = if losses.is_empty() {
        format!("{} in it lose nothing else: no app or license is assigned to it.", people(g.effective_users))
    } else {
        format!("{} in it lose, unless they have them another way: {}.", people(g.effective_users), losses.join("; "))
    };
    view! {
        <section class="card confirm-card" aria-labelledby="confirm-heading">
            <h2 id="confirm-heading">{format!("Delete {}?", g.name)}</h2>
            <p>{consequence}" The members themselves and the nested groups stay. This can't be undone."</p>
            <div class="actions">
                <form method="post" action=format!("/admin/groups/{}/delete", g.id) class="inline-form">
                    <CsrfField token/>
                    <button type="submit" class="button button-danger">"Delete the group"</button>
                </form>
                <a class="button" href=format!("/admin/groups/{}", g.id)>"Cancel"</a>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_only_what_is_set_and_encode_it() {
        assert_eq!(href_with("/admin/groups", &[("q", ""), ("cursor", "")]), "/admin/groups");
        assert_eq!(href_with("/admin/groups/x", &[("add", "a&b"), ("members_q", "c d")]), "/admin/groups/x?add=a%26b&members_q=c+d");
    }

    #[test]
    fn counts_read_as_people() {
        assert_eq!(people(1), "1 person");
        assert_eq!(people(0), "0 people");
        assert_eq!(people(25), "25 people");
    }
}
