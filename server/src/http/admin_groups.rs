//! Groups in the admin API (`/api/v1/admin/groups/...`) and the admin
//! pages' form posts (`/admin/groups/...`): create, edit, delete, and
//! members that are users or groups. Privileged admins only (DOMAIN.md,
//! "Actors"); each handler checks that first.

use super::admin::{
    admin_page, audit, back_to_form, back_with_notice, checked_search, principal_json, require_privileged_admin, AdminCaller, BackForm,
};
use super::error::AppError;
use super::AppState;
use app::auth::RequestAuth;
use app::domain::groups::{cycle_message, validate_group, GroupFields, GroupInput};
use app::models::admin::{GroupDetail, GroupPage, GroupQuery, UserPage, UserQuery};
use app::ports::{MemberAdded, Principal, StoreError};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};

fn group_not_found() -> AppError {
    AppError::Client {
        status: StatusCode::NOT_FOUND,
        code: "group_not_found",
        message: "There is no group with that id in your organisation.".into(),
    }
}

fn member_not_found(member: &Principal) -> AppError {
    let (code, message) = match member {
        Principal::User(_) => ("user_not_found", "There is no user with that id in your organisation."),
        Principal::Group(_) => ("group_not_found", "There is no group with that id in your organisation."),
    };
    AppError::Client { status: StatusCode::NOT_FOUND, code, message: message.into() }
}

/// Ids are UUIDs: anything else names nothing (and is not sent to the database).
fn is_id(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok()
}

async fn detail(state: &AppState, admin: &AdminCaller, group_id: &str) -> Result<GroupDetail, AppError> {
    if !is_id(group_id) {
        return Err(group_not_found());
    }
    state.store.find_group(&admin.org_id, group_id).await?.ok_or_else(group_not_found)
}

fn fields_of(detail: &GroupDetail) -> GroupFields {
    GroupFields { name: detail.summary.name.clone(), description: detail.summary.description.clone() }
}

/// Groups, searched and paged
///
/// In name order, with direct and effective member counts.
#[utoipa::path(
    get,
    path = "/api/v1/admin/groups",
    tag = "Groups",
    params(super::admin::SearchParams),
    responses((status = 200, description = "A page of groups", body = GroupPage), (status = 400, description = "Bad request (a malformed id, a search that is too long, a cursor we did not make)", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse))
)]
pub async fn list_groups(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Query(params): Query<super::admin::SearchParams>,
) -> Result<Json<GroupPage>, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    checked_search(&params.search)?;
    let query = GroupQuery { search: params.search, cursor: params.cursor, limit: params.limit };
    Ok(Json(state.store.search_groups(&admin.org_id, &query).await?))
}

/// One group
///
/// With its nested groups, the groups it is in, and its apps and licenses.
#[utoipa::path(
    get,
    path = "/api/v1/admin/groups/{group_id}",
    tag = "Groups",
    params(("group_id" = String, Path, description = "The group's id")),
    responses((status = 200, description = "The group", body = GroupDetail), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn get_group(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(group_id): Path<String>,
) -> Result<Json<GroupDetail>, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    Ok(Json(detail(&state, admin, &group_id).await?))
}

/// A group's member users
///
/// Its direct member users, in UPN order.
#[utoipa::path(
    get,
    path = "/api/v1/admin/groups/{group_id}/members",
    tag = "Groups",
    params(("group_id" = String, Path, description = "The group's id"), super::admin::SearchParams),
    responses((status = 200, description = "A page of users", body = UserPage), (status = 400, description = "Bad request (a malformed id, a search that is too long, a cursor we did not make)", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn list_member_users(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(group_id): Path<String>,
    Query(params): Query<super::admin::SearchParams>,
) -> Result<Json<UserPage>, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    checked_search(&params.search)?;
    if !is_id(&group_id) || state.store.find_group(&admin.org_id, &group_id).await?.is_none() {
        return Err(group_not_found());
    }
    let query = UserQuery { search: params.search, cursor: params.cursor, limit: params.limit };
    Ok(Json(state.store.group_member_users(&admin.org_id, &group_id, &query).await?))
}

async fn create(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, input: &GroupInput) -> Result<GroupDetail, AppError> {
    let fields = validate_group(None, input).map_err(AppError::Validation)?;
    let id = crate::store::new_id();
    let event = audit(admin, headers, "group.created", "group", &id, serde_json::Value::Null, serde_json::json!(fields));
    state.store.create_group(&admin.org_id, &id, &fields, event).await.map_err(super::admin::field_conflict)?;
    detail(state, admin, &id).await
}

/// Creates a group
///
/// A name another group has (in any case) is a field problem.
#[utoipa::path(
    post,
    path = "/api/v1/admin/groups",
    tag = "Groups",
    request_body = GroupInput,
    responses((status = 201, description = "Created", body = GroupDetail), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 422, description = "Fields that cannot be used: `fields` says why, field by field; nothing was written", body = super::error::ErrorResponse))
)]
pub async fn create_group(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Json(input): Json<GroupInput>,
) -> Result<(StatusCode, Json<GroupDetail>), AppError> {
    let admin = &require_privileged_admin(&auth)?;
    Ok((StatusCode::CREATED, Json(create(&state, admin, &headers, &input).await?)))
}

/// The new-group and edit-group forms: both fields, always sent.
#[derive(Debug, Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

impl GroupForm {
    fn input(&self) -> GroupInput {
        GroupInput { name: Some(self.name.clone()), description: Some(self.description.clone()) }
    }

    fn back_to(&self, page: &str, problems: &[(&'static str, &'static str)]) -> Response {
        back_to_form(page, &[("name", Some(&self.name)), ("description", Some(&self.description))], problems)
    }
}

/// POST /admin/groups/new from the new-group page.
pub async fn create_group_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Form(form): Form<GroupForm>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    match create(&state, admin, &headers, &form.input()).await {
        Ok(group) => Ok(Redirect::to(&format!("/admin/groups/{}?done=created", group.summary.id)).into_response()),
        Err(AppError::Validation(problems)) => Ok(form.back_to("/admin/groups/new", &problems)),
        Err(e) => Err(e),
    }
}

async fn edit(
    state: &AppState,
    admin: &AdminCaller,
    headers: &HeaderMap,
    group_id: &str,
    input: &GroupInput,
) -> Result<GroupDetail, AppError> {
    let before = fields_of(&detail(state, admin, group_id).await?);
    let after = validate_group(Some(&before), input).map_err(AppError::Validation)?;
    if after == before {
        return detail(state, admin, group_id).await;
    }
    let event = audit(admin, headers, "group.updated", "group", group_id, serde_json::json!(before), serde_json::json!(after));
    if !state.store.update_group(&admin.org_id, group_id, &after, event).await.map_err(super::admin::field_conflict)? {
        return Err(group_not_found());
    }
    detail(state, admin, group_id).await
}

/// Changes a group's name or description
///
/// Only the fields sent.
#[utoipa::path(
    patch,
    path = "/api/v1/admin/groups/{group_id}",
    tag = "Groups",
    params(("group_id" = String, Path, description = "The group's id")),
    request_body = GroupInput,
    responses((status = 200, description = "The group as saved", body = GroupDetail), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse), (status = 422, description = "Fields that cannot be used: `fields` says why, field by field; nothing was written", body = super::error::ErrorResponse))
)]
pub async fn update_group(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(group_id): Path<String>,
    Json(input): Json<GroupInput>,
) -> Result<Json<GroupDetail>, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    Ok(Json(edit(&state, admin, &headers, &group_id, &input).await?))
}

/// POST /admin/groups/{id}/edit from the edit page.
pub async fn update_group_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(group_id): Path<String>,
    Form(form): Form<GroupForm>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    match edit(&state, admin, &headers, &group_id, &form.input()).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/groups/{group_id}?done=saved")).into_response()),
        Err(AppError::Validation(problems)) => Ok(form.back_to(&format!("/admin/groups/{group_id}/edit"), &problems)),
        Err(e) => Err(e),
    }
}

async fn delete(state: &AppState, admin: &AdminCaller, headers: &HeaderMap, group_id: &str) -> Result<(), AppError> {
    let before = detail(state, admin, group_id).await?;
    let event = audit(
        admin,
        headers,
        "group.deleted",
        "group",
        group_id,
        serde_json::json!({
            "name": before.summary.name,
            "description": before.summary.description,
            "direct_users": before.summary.direct_users,
            "member_groups": before.member_groups,
            "member_of": before.member_of,
            "apps": before.apps,
            "licenses": before.licenses,
        }),
        serde_json::Value::Null,
    );
    if !state.store.delete_group(&admin.org_id, group_id, event).await? {
        return Err(group_not_found());
    }
    Ok(())
}

/// Deletes a group
///
/// Its members lose what they had through it (apps, licenses: seats are
/// recomputed) at once.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/groups/{group_id}",
    tag = "Groups",
    params(("group_id" = String, Path, description = "The group's id")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn delete_group(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(group_id): Path<String>,
) -> Result<StatusCode, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    delete(&state, admin, &headers, &group_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// POST /admin/groups/{id}/delete from the group's page (after its
/// confirmation step).
pub async fn delete_group_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(group_id): Path<String>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    delete(&state, admin, &headers, &group_id).await?;
    Ok(Redirect::to("/admin/groups?done=group_deleted").into_response())
}

/// A member named in a request: a user or a group, by id.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct MemberRef {
    /// A user's id (or `group_id`, not both).
    user_id: Option<String>,
    /// A group's id (or `user_id`, not both).
    group_id: Option<String>,
}

impl MemberRef {
    fn principal(&self) -> Result<Principal, AppError> {
        match (&self.user_id, &self.group_id) {
            (Some(u), None) => Ok(Principal::User(u.clone())),
            (None, Some(g)) => Ok(Principal::Group(g.clone())),
            _ => Err(AppError::bad_request("member_required", "Name one member: a user_id or a group_id.")),
        }
    }
}

/// What adding a member did, as the API answers it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberAnswer {
    /// False when it already was a member.
    changed: bool,
    group: GroupDetail,
}

/// The refusal of a nesting that would close a cycle.
fn cycle_refused(chain: Vec<app::models::admin::NamedRef>) -> AppError {
    let names: Vec<String> = chain.into_iter().map(|g| g.name).collect();
    AppError::Client { status: StatusCode::CONFLICT, code: "would_close_cycle", message: cycle_message(&names) }
}

async fn add_member(
    state: &AppState,
    admin: &AdminCaller,
    headers: &HeaderMap,
    group_id: &str,
    member: &Principal,
) -> Result<MemberAdded, AppError> {
    detail(state, admin, group_id).await?;
    let (Principal::User(member_id) | Principal::Group(member_id)) = member;
    if !is_id(member_id) {
        return Err(member_not_found(member));
    }
    let event = audit(admin, headers, "group.member_added", "group", group_id, serde_json::Value::Null, principal_json(member));
    match state.store.add_group_member(&admin.org_id, group_id, member, event).await {
        // A member of another organisation, or none: the foreign key.
        Err(StoreError::Conflict { .. }) => Err(member_not_found(member)),
        other => Ok(other?),
    }
}

/// Adds a member to a group
///
/// A user or a group, by id (`{"user_id": ...}` or `{"group_id": ...}`). A
/// group that would close a cycle is refused with 409 `would_close_cycle`
/// and a message naming the chain.
#[utoipa::path(
    post,
    path = "/api/v1/admin/groups/{group_id}/members",
    tag = "Groups",
    params(("group_id" = String, Path, description = "The group's id")),
    request_body = MemberRef,
    responses((status = 200, description = "`changed` is false when it already was a member", body = MemberAnswer), (status = 400, description = "Bad request (a malformed id, a search that is too long, a cursor we did not make)", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse), (status = 409, description = "The change conflicts with the state of the resource", body = super::error::ErrorResponse))
)]
pub async fn add_member_api(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(group_id): Path<String>,
    Json(member): Json<MemberRef>,
) -> Result<Json<MemberAnswer>, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    let member = member.principal()?;
    let changed = match add_member(&state, admin, &headers, &group_id, &member).await? {
        MemberAdded::Added => true,
        MemberAdded::AlreadyMember => false,
        MemberAdded::WouldCloseCycle(chain) => return Err(cycle_refused(chain)),
    };
    Ok(Json(MemberAnswer { changed, group: detail(&state, admin, &group_id).await? }))
}

/// The add- and remove-member forms of the group's page.
#[derive(Debug, Deserialize)]
pub struct MemberForm {
    #[serde(flatten)]
    member: MemberRef,
    #[serde(flatten)]
    back: BackForm,
}

/// POST /admin/groups/{id}/members from the group's page. A refused
/// nesting goes back with the chain's group ids (the page shows their
/// names as they are in the organisation; nothing typed is echoed).
pub async fn add_member_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(group_id): Path<String>,
    Form(form): Form<MemberForm>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    let member = form.member.principal()?;
    let default = format!("/admin/groups/{group_id}");
    Ok(match add_member(&state, admin, &headers, &group_id, &member).await? {
        MemberAdded::Added => back_with_notice(form.back.return_to.as_deref(), &default, "member_added"),
        MemberAdded::AlreadyMember => back_with_notice(form.back.return_to.as_deref(), &default, "unchanged"),
        MemberAdded::WouldCloseCycle(chain) => {
            let ids: Vec<String> = chain.into_iter().map(|g| g.id).collect();
            let page = admin_page(form.back.return_to.as_deref()).unwrap_or(default);
            let separator = if page.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{page}{separator}cycle={}", ids.join("."))).into_response()
        }
    })
}

async fn remove_member(
    state: &AppState,
    admin: &AdminCaller,
    headers: &HeaderMap,
    group_id: &str,
    member: &Principal,
) -> Result<bool, AppError> {
    detail(state, admin, group_id).await?;
    let (Principal::User(member_id) | Principal::Group(member_id)) = member;
    if !is_id(member_id) {
        return Ok(false);
    }
    let event = audit(admin, headers, "group.member_removed", "group", group_id, principal_json(member), serde_json::Value::Null);
    Ok(state.store.remove_group_member(&admin.org_id, group_id, member, event).await?)
}

/// Removes a member from a group
///
/// They lose what they had only through it, at once.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/groups/{group_id}/members/{kind}/{member_id}",
    tag = "Groups",
    params(("group_id" = String, Path, description = "The group's id"), ("kind" = super::admin::PrincipalKind, Path, description = "What the member is"), ("member_id" = String, Path, description = "The member's id")),
    responses((status = 204, description = "Removed"), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 404, description = "No such resource in the caller's organisation", body = super::error::ErrorResponse))
)]
pub async fn remove_member_api(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path((group_id, kind, member_id)): Path<(String, String, String)>,
) -> Result<StatusCode, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    let member = match kind.as_str() {
        "users" => Principal::User(member_id),
        "groups" => Principal::Group(member_id),
        _ => return Err(AppError::not_found()),
    };
    if !remove_member(&state, admin, &headers, &group_id, &member).await? {
        return Err(AppError::Client {
            status: StatusCode::NOT_FOUND,
            code: "not_a_member",
            message: "That user or group is not a direct member of this group.".into(),
        });
    }
    Ok(StatusCode::NO_CONTENT)
}

/// POST /admin/groups/{id}/members/remove from the group's page.
pub async fn remove_member_form(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(group_id): Path<String>,
    Form(form): Form<MemberForm>,
) -> Result<Response, AppError> {
    let admin = &require_privileged_admin(&auth)?;
    let member = form.member.principal()?;
    let removed = remove_member(&state, admin, &headers, &group_id, &member).await?;
    let default = format!("/admin/groups/{group_id}");
    Ok(back_with_notice(form.back.return_to.as_deref(), &default, if removed { "member_removed" } else { "unchanged" }))
}
