//! SCIM 2.0 (RFC 7644) at `/scim/v2`, for HR systems and identity
//! providers that provision users: discovery (`ServiceProviderConfig`,
//! `ResourceTypes`, `Schemas`) and Users — create, read, replace, patch,
//! delete, list with `filter`, `startIndex`/`count`, `attributes` /
//! `excludedAttributes`, ETags. Authenticated by an API token with the
//! privileged admin role (the session middleware read it); every answer,
//! errors included, is `application/scim+json` in SCIM's own shapes.

use super::admin::{audit, require_privileged_admin, AdminCaller};
use super::AppState;
use app::auth::RequestAuth;
use app::domain::fields::{field_message, field_of_constraint};
use app::domain::scim::filter::parse_filter;
use app::domain::scim::patch::{apply, parse_patch};
use app::domain::scim::query::{group_conditions, user_conditions};
use app::domain::scim::resource::*;
use app::domain::users::{validate_new_user, NewUserInput};
use app::ports::{GroupWrite, MembersChange, ScimGroupRecord, ScimUserRecord, StoreError};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;
use serde_json::{json, Value};

pub const CONTENT_TYPE: &str = "application/scim+json";
/// The most resources one list answer holds (`filter.maxResults`).
pub const MAX_RESULTS: u32 = 200;

/// A SCIM error (RFC 7644 §3.12).
#[derive(Debug)]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
    pub retry_after: Option<u64>,
}

pub fn scim_error(status: StatusCode, scim_type: Option<&'static str>, detail: impl Into<String>) -> ScimError {
    ScimError { status, scim_type, detail: detail.into(), retry_after: None }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({ "schemas": [ERROR_SCHEMA], "status": self.status.as_u16().to_string(), "detail": self.detail });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        let mut res = scim_json(self.status, &body);
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(r#"Bearer realm="My Apps SCIM""#));
        }
        if let Some(secs) = self.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

impl From<super::error::AppError> for ScimError {
    fn from(e: super::error::AppError) -> Self {
        use super::error::AppError;
        match e {
            AppError::Client { status, message, .. } => scim_error(status, None, message),
            AppError::Busy { retry_after_secs, .. } => ScimError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                scim_type: None,
                detail: "Busy: try again shortly.".into(),
                retry_after: Some(retry_after_secs),
            },
            AppError::Validation(problems) => scim_error(StatusCode::BAD_REQUEST, Some("invalidValue"), sentences(&problems)),
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error in SCIM");
                scim_error(StatusCode::INTERNAL_SERVER_ERROR, None, "Something went wrong on our side. Try again.")
            }
        }
    }
}

impl From<StoreError> for ScimError {
    fn from(e: StoreError) -> Self {
        super::error::AppError::from(e).into()
    }
}

fn sentences(problems: &[(&'static str, &'static str)]) -> String {
    problems
        .iter()
        .map(|(f, c)| format!("{}: {}", scim_name(f), field_message(f, c).unwrap_or("this value cannot be used.")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Our field names as the SCIM attribute a client sent.
fn scim_name(field: &str) -> &str {
    match field {
        "upn" => "userName",
        "display_name" => "displayName",
        "email" => "emails",
        "job_title" => "title",
        "department" => "department",
        other => other,
    }
}

pub fn scim_json(status: StatusCode, body: &Value) -> Response {
    let mut res = (status, body.to_string()).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    res
}

type ScimResult<T> = Result<T, ScimError>;

/// The caller: a privileged admin's API token.
fn caller(auth: &RequestAuth) -> ScimResult<AdminCaller> {
    Ok(require_privileged_admin(auth)?)
}

fn base(state: &AppState) -> String {
    format!("{}/scim/v2", state.public_url.trim_end_matches('/'))
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)).unwrap_or_default()
}

/// A body as JSON, whichever of the two JSON types it was sent as.
fn json_body(headers: &HeaderMap, body: &Bytes) -> ScimResult<Value> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !media.is_empty() && media != CONTENT_TYPE && media != "application/json" {
        return Err(scim_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, None, "Send the body as application/scim+json (or application/json)."));
    }
    serde_json::from_slice(body)
        .map_err(|e| scim_error(StatusCode::BAD_REQUEST, Some("invalidSyntax"), format!("The body is not JSON: {e}.")))
}

/// The weak ETag of a resource: a digest of what it says.
fn etag_of(resource: &Value) -> String {
    let digest = crate::security::bytes_digest(resource.to_string().as_bytes());
    format!("W/\"{}\"", &digest[..24])
}

/// A resource with its version, and the ETag header to send with it.
fn versioned(mut resource: Value) -> (Value, String) {
    let etag = etag_of(&resource);
    resource["meta"]["version"] = json!(etag);
    (resource, etag)
}

/// Does an `If-Match` / `If-None-Match` value name this version (or `*`)?
/// Weak comparison (RFC 9110 §8.8.3.2): our ETags are weak.
fn names_version(header_value: &str, current: &str) -> bool {
    header_value.split(',').map(str::trim).any(|t| t == "*" || t.trim_start_matches("W/") == current.trim_start_matches("W/"))
}

/// `If-Match`: the change applies only to the version named (or `*`).
fn check_if_match(headers: &HeaderMap, current: &str) -> ScimResult<()> {
    let Some(wanted) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) else { return Ok(()) };
    if names_version(wanted, current) {
        Ok(())
    } else {
        Err(scim_error(StatusCode::PRECONDITION_FAILED, None, "The resource changed since that version (If-Match). Read it again."))
    }
}

fn with_etag(mut res: Response, etag: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

#[derive(Debug, Default, Deserialize)]
pub struct Selection {
    #[serde(default)]
    attributes: String,
    #[serde(default, rename = "excludedAttributes")]
    excluded_attributes: String,
}

impl Selection {
    fn apply(&self, resource: &mut Value) -> ScimResult<()> {
        let bad = |p: BodyProblem| scim_error(StatusCode::BAD_REQUEST, Some(p.scim_type), p.detail);
        let attributes = attribute_list(&self.attributes).map_err(bad)?;
        let excluded = attribute_list(&self.excluded_attributes).map_err(bad)?;
        select_attributes(resource, &attributes, &excluded);
        Ok(())
    }
}

// ---- discovery ----

/// GET /scim/v2/ServiceProviderConfig (RFC 7643 §5).
pub async fn service_provider_config(State(state): State<AppState>, Extension(auth): Extension<RequestAuth>) -> ScimResult<Response> {
    caller(&auth)?;
    let base = base(&state);
    Ok(scim_json(
        StatusCode::OK,
        &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": format!("{}/admin/api-tokens", state.public_url.trim_end_matches('/')),
            "patch": { "supported": true },
            "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
            "filter": { "supported": true, "maxResults": MAX_RESULTS },
            "changePassword": { "supported": true },
            "sort": { "supported": false },
            "etag": { "supported": true },
            "authenticationSchemes": [{
                "type": "oauthbearertoken", "name": "API token", "primary": true,
                "description": "An API token with the Privileged admin role, sent as \"Authorization: Bearer mya_…\". A privileged admin creates one under Admin → API tokens.",
            }],
            "meta": { "resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig") },
        }),
    ))
}

fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User", "name": "User", "endpoint": "/Users", "description": "People of the organisation",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{ "schema": ENTERPRISE_USER_SCHEMA, "required": false }],
            "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User") },
        }),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group", "name": "Group", "endpoint": "/Groups", "description": "Groups of users and of groups",
            "schema": GROUP_SCHEMA,
            "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group") },
        }),
    ]
}

fn list_response(resources: Vec<Value>, total: u64, start_index: u64) -> Value {
    json!({
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

/// GET /scim/v2/ResourceTypes.
pub async fn list_resource_types(State(state): State<AppState>, Extension(auth): Extension<RequestAuth>) -> ScimResult<Response> {
    caller(&auth)?;
    let types = resource_types(&base(&state));
    let n = types.len() as u64;
    Ok(scim_json(StatusCode::OK, &list_response(types, n, 1)))
}

/// GET /scim/v2/ResourceTypes/{id}.
pub async fn get_resource_type(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(id): Path<String>,
) -> ScimResult<Response> {
    caller(&auth)?;
    let found = resource_types(&base(&state)).into_iter().find(|t| t["id"] == id.as_str());
    found
        .map(|t| scim_json(StatusCode::OK, &t))
        .ok_or_else(|| scim_error(StatusCode::NOT_FOUND, None, format!("There is no resource type \"{id}\".")))
}

fn published_schemas(base: &str) -> Vec<Value> {
    schemas(base)
}

/// GET /scim/v2/Schemas.
pub async fn list_schemas(State(state): State<AppState>, Extension(auth): Extension<RequestAuth>) -> ScimResult<Response> {
    caller(&auth)?;
    let all = published_schemas(&base(&state));
    let n = all.len() as u64;
    Ok(scim_json(StatusCode::OK, &list_response(all, n, 1)))
}

/// GET /scim/v2/Schemas/{urn}.
pub async fn get_schema(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Path(id): Path<String>,
) -> ScimResult<Response> {
    caller(&auth)?;
    let found = published_schemas(&base(&state)).into_iter().find(|s| s["id"].as_str().is_some_and(|s| s.eq_ignore_ascii_case(&id)));
    found
        .map(|s| scim_json(StatusCode::OK, &s))
        .ok_or_else(|| scim_error(StatusCode::NOT_FOUND, None, format!("There is no schema \"{id}\".")))
}

// ---- users ----

fn user_not_found(id: &str) -> ScimError {
    scim_error(StatusCode::NOT_FOUND, None, format!("There is no user \"{id}\" in your organisation."))
}

/// The user as SCIM shows them (with their groups), without `meta.version`.
async fn user_resource(state: &AppState, admin: &AdminCaller, user: &ScimUserRecord) -> ScimResult<Value> {
    let groups = state.store.scim_user_groups(&admin.org_id, &user.id).await?;
    let base = base(state);
    let meta = Meta {
        resource_type: "User",
        created: rfc3339(user.created_at),
        last_modified: rfc3339(user.updated_at),
        location: format!("{base}/Users/{}", user.id),
    };
    Ok(user_json(&user.id, &user.fields, &groups, &meta, &base))
}

async fn find_user(state: &AppState, admin: &AdminCaller, id: &str) -> ScimResult<ScimUserRecord> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(user_not_found(id));
    }
    state.store.scim_user(&admin.org_id, id).await?.ok_or_else(|| user_not_found(id))
}

/// The fields checked as the admin console checks a user's, and the
/// password's hash when one is set.
async fn checked_user(state: &AppState, fields: UserFields, password: Option<String>) -> ScimResult<(UserFields, Option<String>)> {
    let input = NewUserInput {
        upn: fields.user_name.clone(),
        display_name: fields.display_name.clone(),
        email: fields.email.clone(),
        job_title: fields.title.clone(),
        department: fields.department.clone(),
        role: String::new(),
    };
    let valid = validate_new_user(&input).map_err(|p| scim_error(StatusCode::BAD_REQUEST, Some("invalidValue"), sentences(&p)))?;
    let mut fields = fields;
    fields.user_name = valid.upn.as_str().to_string();
    if fields.given_name.chars().count() > 120 || fields.family_name.chars().count() > 120 {
        return Err(scim_error(
            StatusCode::BAD_REQUEST,
            Some("invalidValue"),
            "name: a given or family name can be at most 120 characters long.",
        ));
    }
    if fields.external_id.as_ref().is_some_and(|e| e.chars().count() > 255) {
        return Err(scim_error(StatusCode::BAD_REQUEST, Some("invalidValue"), "externalId can be at most 255 characters long."));
    }
    let hash = match password {
        None => None,
        Some(p) => {
            let password = app::domain::signin::NewPassword::parse(&p, &p, &valid.upn)
                .map_err(|e| scim_error(StatusCode::BAD_REQUEST, Some("invalidValue"), format!("password: {e}")))?;
            match state.passwords.hash(password.expose().to_string()).await {
                Ok(h) => Some(h),
                Err(crate::passwords::HashError::Busy(b)) => {
                    state.metrics.record_password_check_refused();
                    return Err(ScimError {
                        status: StatusCode::SERVICE_UNAVAILABLE,
                        scim_type: None,
                        detail: "Busy setting passwords: try again shortly.".into(),
                        retry_after: Some(b.retry_after_secs),
                    });
                }
                Err(crate::passwords::HashError::Failed(e)) => return Err(super::error::AppError::Internal(e).into()),
            }
        }
    };
    Ok((fields, hash))
}

fn uniqueness(e: StoreError) -> ScimError {
    match e {
        StoreError::Conflict { constraint } if field_of_constraint(&constraint) == Some(("upn", "taken")) => {
            scim_error(StatusCode::CONFLICT, Some("uniqueness"), "userName: someone in your organisation already has this sign-in name.")
        }
        e => e.into(),
    }
}

fn audit_fields(f: &UserFields) -> Value {
    json!({ "upn": f.user_name, "external_id": f.external_id, "given_name": f.given_name, "family_name": f.family_name,
        "display_name": f.display_name, "email": f.email, "job_title": f.title, "department": f.department, "active": f.active })
}

/// A resource answered with its version and, when created, its address;
/// shaped by the selection.
fn resource_answer(mut resource: Value, etag: &str, status: StatusCode, selection: &Selection) -> ScimResult<Response> {
    let location = resource["meta"]["location"].as_str().unwrap_or_default().to_string();
    selection.apply(&mut resource)?;
    let mut res = with_etag(scim_json(status, &resource), etag);
    if status == StatusCode::CREATED {
        if let Ok(v) = HeaderValue::from_str(&location) {
            res.headers_mut().insert(header::LOCATION, v);
        }
    }
    Ok(res)
}

/// A read's answer, or 304 when `If-None-Match` names its version.
fn unless_unchanged(headers: &HeaderMap, res: Response) -> Response {
    let etag = res.headers().get(header::ETAG).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let unchanged = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|w| names_version(w, &etag));
    if unchanged {
        with_etag(StatusCode::NOT_MODIFIED.into_response(), &etag)
    } else {
        res
    }
}

/// A list's `filter` as the conditions one resource type can be filtered by.
fn conditions_of<C>(
    filter: Option<&str>,
    convert: impl Fn(&app::domain::scim::filter::Filter) -> Result<C, String>,
) -> ScimResult<Option<C>> {
    let Some(text) = filter.map(str::trim).filter(|f| !f.is_empty()) else { return Ok(None) };
    let invalid = |detail: String| scim_error(StatusCode::BAD_REQUEST, Some("invalidFilter"), format!("{detail}."));
    let filter = parse_filter(text).map_err(|e| invalid(e.0))?;
    convert(&filter).map(Some).map_err(invalid)
}

async fn user_answer(state: &AppState, admin: &AdminCaller, id: &str, status: StatusCode, selection: &Selection) -> ScimResult<Response> {
    let user = find_user(state, admin, id).await?;
    let (resource, etag) = versioned(user_resource(state, admin, &user).await?);
    resource_answer(resource, &etag, status, selection)
}

/// POST /scim/v2/Users.
pub async fn create_user(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Query(selection): Query<Selection>,
    body: Bytes,
) -> ScimResult<Response> {
    let admin = &caller(&auth)?;
    let body = json_body(&headers, &body)?;
    let (fields, password) = user_from_json(&body).map_err(|p| scim_error(StatusCode::BAD_REQUEST, Some(p.scim_type), p.detail))?;
    let (fields, hash) = checked_user(&state, fields, password).await?;
    let id = crate::store::new_id();
    let event = audit(admin, &headers, "user.created", "user", &id, Value::Null, audit_fields(&fields));
    state.store.scim_create_user(&admin.org_id, &id, &fields, hash.as_deref(), event).await.map_err(uniqueness)?;
    user_answer(&state, admin, &id, StatusCode::CREATED, &selection).await
}

/// GET /scim/v2/Users/{id}; `If-None-Match` with the current version: 304.
pub async fn get_user(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(selection): Query<Selection>,
) -> ScimResult<Response> {
    let admin = &caller(&auth)?;
    Ok(unless_unchanged(&headers, user_answer(&state, admin, &id, StatusCode::OK, &selection).await?))
}

/// Writes new fields over a user (PUT, or PATCH applied), audited with
/// before and after; nothing is written when nothing changes.
async fn write_user(
    state: &AppState,
    admin: &AdminCaller,
    headers: &HeaderMap,
    current: &ScimUserRecord,
    fields: UserFields,
    password: Option<String>,
) -> ScimResult<()> {
    let (fields, hash) = checked_user(state, fields, password).await?;
    if fields == current.fields && hash.is_none() {
        return Ok(());
    }
    let mut after = audit_fields(&fields);
    if hash.is_some() {
        after["password"] = json!("set");
    }
    let event = audit(admin, headers, "user.updated", "user", &current.id, audit_fields(&current.fields), after);
    if !state.store.scim_replace_user(&admin.org_id, &current.id, &fields, hash.as_deref(), event).await.map_err(uniqueness)? {
        return Err(user_not_found(&current.id));
    }
    Ok(())
}

/// PUT /scim/v2/Users/{id}: replaces every attribute we keep (what is left
/// out is cleared; `active` left out is true).
pub async fn replace_user(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(selection): Query<Selection>,
    body: Bytes,
) -> ScimResult<Response> {
    let admin = &caller(&auth)?;
    let current = find_user(&state, admin, &id).await?;
    check_if_match(&headers, &etag_of(&user_resource(&state, admin, &current).await?))?;
    let body = json_body(&headers, &body)?;
    let (fields, password) = user_from_json(&body).map_err(|p| scim_error(StatusCode::BAD_REQUEST, Some(p.scim_type), p.detail))?;
    write_user(&state, admin, &headers, &current, fields, password).await?;
    user_answer(&state, admin, &id, StatusCode::OK, &selection).await
}

/// PATCH /scim/v2/Users/{id}: the operations applied to the user as it is,
/// then written as a PUT would be (all or nothing).
pub async fn patch_user(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(selection): Query<Selection>,
    body: Bytes,
) -> ScimResult<Response> {
    let admin = &caller(&auth)?;
    let current = find_user(&state, admin, &id).await?;
    let mut resource = user_resource(&state, admin, &current).await?;
    check_if_match(&headers, &etag_of(&resource))?;
    let body = json_body(&headers, &body)?;
    let ops = parse_patch(&body, &ResourceShape).map_err(|e| scim_error(StatusCode::BAD_REQUEST, Some(e.scim_type), e.detail))?;
    apply(&mut resource, &ops, &ResourceShape).map_err(|e| scim_error(StatusCode::BAD_REQUEST, Some(e.scim_type), e.detail))?;
    if resource.get("id").and_then(Value::as_str) != Some(current.id.as_str()) {
        return Err(scim_error(StatusCode::BAD_REQUEST, Some("mutability"), "\"id\" cannot be changed."));
    }
    let (fields, password) = user_from_json(&resource).map_err(|p| scim_error(StatusCode::BAD_REQUEST, Some(p.scim_type), p.detail))?;
    write_user(&state, admin, &headers, &current, fields, password).await?;
    user_answer(&state, admin, &id, StatusCode::OK, &selection).await
}

/// DELETE /scim/v2/Users/{id}: 204; the seats they held go to the next in line.
pub async fn delete_user(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ScimResult<Response> {
    let admin = &caller(&auth)?;
    let current = find_user(&state, admin, &id).await?;
    check_if_match(&headers, &etag_of(&user_resource(&state, admin, &current).await?))?;
    if admin.is_user(&id) {
        return Err(scim_error(StatusCode::BAD_REQUEST, None, "You cannot delete yourself."));
    }
    let event = audit(admin, &headers, "user.deleted", "user", &id, audit_fields(&current.fields), Value::Null);
    if !state.store.delete_user(&admin.org_id, &id, event).await? {
        return Err(user_not_found(&id));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    filter: Option<String>,
    #[serde(rename = "startIndex")]
    start_index: Option<String>,
    count: Option<String>,
    #[serde(flatten)]
    selection: Selection,
}

/// A 1-based `startIndex` (less than 1 counts as 1) and a `count`
/// (0 to [`MAX_RESULTS`]; negative counts as 0), as RFC 7644 §3.4.2.4 says.
fn paging(start: Option<&str>, count: Option<&str>) -> ScimResult<(u64, u32)> {
    let number = |name: &str, v: Option<&str>| -> ScimResult<Option<i64>> {
        v.filter(|s| !s.trim().is_empty())
            .map(|s| {
                s.trim()
                    .parse::<i64>()
                    .map_err(|_| scim_error(StatusCode::BAD_REQUEST, Some("invalidValue"), format!("{name} must be a whole number.")))
            })
            .transpose()
    };
    let start = number("startIndex", start)?.unwrap_or(1).max(1) as u64;
    let count = number("count", count)?.unwrap_or(i64::from(MAX_RESULTS)).clamp(0, i64::from(MAX_RESULTS)) as u32;
    Ok((start, count))
}

async fn list_users_with(state: &AppState, admin: &AdminCaller, params: ListParams) -> ScimResult<Response> {
    let (start, count) = paging(params.start_index.as_deref(), params.count.as_deref())?;
    let conditions = conditions_of(params.filter.as_deref(), user_conditions)?;
    let page = state.store.scim_users(&admin.org_id, conditions.as_ref(), start - 1, count).await?;
    let resources = user_resources(state, admin, &page.items, &params.selection).await?;
    Ok(scim_json(StatusCode::OK, &list_response(resources, page.total, start)))
}

/// A page of users as a list shows them.
async fn user_resources(state: &AppState, admin: &AdminCaller, users: &[ScimUserRecord], selection: &Selection) -> ScimResult<Vec<Value>> {
    let mut resources = Vec::with_capacity(users.len());
    for user in users {
        let (mut resource, _) = versioned(user_resource(state, admin, user).await?);
        selection.apply(&mut resource)?;
        resources.push(resource);
    }
    Ok(resources)
}

/// A page of groups as a list shows them: with their members (and so the
/// version, made from them) only when asked for — a group can hold 100,000.
async fn group_resources(
    state: &AppState,
    admin: &AdminCaller,
    groups: &[ScimGroupRecord],
    selection: &Selection,
) -> ScimResult<Vec<Value>> {
    let without_members = selection.without_members();
    let mut resources = Vec::with_capacity(groups.len());
    for group in groups {
        let mut resource = if without_members { group_resource(state, group, None) } else { full_group(state, admin, group).await?.0 };
        selection.apply(&mut resource)?;
        resources.push(resource);
    }
    Ok(resources)
}

/// GET /scim/v2/Users?filter=&startIndex=&count=&attributes=&excludedAttributes=
pub async fn list_users(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Query(params): Query<ListParams>,
) -> ScimResult<Response> {
    let admin = &caller(&auth)?;
    list_users_with(&state, admin, params).await
}

/// POST /scim/v2/Users/.search: the same query in a SearchRequest body.
pub async fn search_users(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult<Response> {
    let admin = &caller(&auth)?;
    list_users_with(&state, admin, search_request(&json_body(&headers, &body)?)).await
}

/// A SearchRequest body (RFC 7644 §3.4.3) as the list's query parameters.
fn search_request(body: &Value) -> ListParams {
    let text = |k: &str| body.get(k).map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
    let list = |k: &str| match body.get(k) {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    ListParams {
        filter: text("filter"),
        start_index: text("startIndex"),
        count: text("count"),
        selection: Selection { attributes: list("attributes"), excluded_attributes: list("excludedAttributes") },
    }
}

// ---- groups ----

fn group_not_found(id: &str) -> ScimError {
    scim_error(StatusCode::NOT_FOUND, None, format!("There is no group \"{id}\" in your organisation."))
}

async fn find_group(state: &AppState, admin: &AdminCaller, id: &str) -> ScimResult<ScimGroupRecord> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(group_not_found(id));
    }
    state.store.scim_group(&admin.org_id, id).await?.ok_or_else(|| group_not_found(id))
}

impl Selection {
    /// Does the answer leave `members` out? (Large groups: clients say so.)
    fn without_members(&self) -> bool {
        let names =
            |text: &str| text.split(',').map(|a| a.trim().rsplit(':').next().unwrap_or("").to_ascii_lowercase()).collect::<Vec<_>>();
        let excluded = names(&self.excluded_attributes).iter().any(|a| a == "members");
        let only =
            !self.attributes.trim().is_empty() && !names(&self.attributes).iter().any(|a| a == "members" || a.starts_with("members."));
        excluded || only
    }
}

/// The group as SCIM shows it, without `meta.version`; with its members
/// unless `members` is None.
fn group_resource(state: &AppState, group: &ScimGroupRecord, members: Option<&[app::domain::scim::resource::Member]>) -> Value {
    let base = base(state);
    let meta = Meta {
        resource_type: "Group",
        created: rfc3339(group.created_at),
        last_modified: rfc3339(group.updated_at),
        location: format!("{base}/Groups/{}", group.id),
    };
    group_json(&group.id, &group.fields, members, &meta, &base)
}

/// The group with its members, its ETag, and its member ids.
async fn full_group(state: &AppState, admin: &AdminCaller, group: &ScimGroupRecord) -> ScimResult<(Value, String, Vec<String>)> {
    let members = state.store.scim_group_members(&admin.org_id, &group.id).await?;
    let ids = members.iter().map(|m| m.id.clone()).collect();
    let (resource, etag) = versioned(group_resource(state, group, Some(&members)));
    Ok((resource, etag, ids))
}

async fn group_answer(state: &AppState, admin: &AdminCaller, id: &str, status: StatusCode, selection: &Selection) -> ScimResult<Response> {
    let group = find_group(state, admin, id).await?;
    let (resource, etag, _) = full_group(state, admin, &group).await?;
    resource_answer(resource, &etag, status, selection)
}

/// A group's name checked as the admin console checks it.
fn checked_group(fields: &GroupFields, description: &str) -> ScimResult<app::domain::groups::GroupFields> {
    let input = app::domain::groups::GroupInput { name: Some(fields.display_name.clone()), description: Some(description.to_string()) };
    let name = app::domain::groups::validate_group(None, &input).map_err(|p| {
        let p: Vec<_> = p.into_iter().map(|(f, c)| (if f == "name" { "displayName" } else { f }, c)).collect();
        let text = p
            .iter()
            .map(|(f, c)| {
                format!("{f}: {}", field_message(if *f == "displayName" { "name" } else { f }, c).unwrap_or("this value cannot be used."))
            })
            .collect::<Vec<_>>()
            .join(" ");
        scim_error(StatusCode::BAD_REQUEST, Some("invalidValue"), text)
    })?;
    if fields.external_id.as_ref().is_some_and(|e| e.chars().count() > 255) {
        return Err(scim_error(StatusCode::BAD_REQUEST, Some("invalidValue"), "externalId can be at most 255 characters long."));
    }
    Ok(name)
}

/// At most this many ids of a change are kept in its audit event.
const AUDITED_IDS: usize = 100;

fn audit_members(change: &MembersChange) -> Value {
    json!({
        "members_added": change.add.len(), "members_removed": change.remove.len(),
        "added": change.add.iter().take(AUDITED_IDS).collect::<Vec<_>>(),
        "removed": change.remove.iter().take(AUDITED_IDS).collect::<Vec<_>>(),
    })
}

/// Writes a group (created, or its fields and a change of members).
async fn write_group(
    state: &AppState,
    admin: &AdminCaller,
    headers: &HeaderMap,
    id: &str,
    before: Option<&ScimGroupRecord>,
    fields: &GroupFields,
    change: &MembersChange,
) -> ScimResult<()> {
    if let Some(bad) = change.add.iter().find(|m| uuid::Uuid::parse_str(m).is_err()) {
        return Err(scim_error(
            StatusCode::BAD_REQUEST,
            Some("invalidValue"),
            format!("members: \"{bad}\" is not the id of a user or group."),
        ));
    }
    let name = checked_group(fields, "")?;
    if let Some(b) = before {
        if b.fields == *fields && change.is_empty() {
            return Ok(());
        }
    }
    let mut after = json!({ "name": fields.display_name, "external_id": fields.external_id });
    after.as_object_mut().expect("an object").extend(audit_members(change).as_object().cloned().unwrap_or_default());
    let (action, before_json) = match before {
        None => ("group.created", Value::Null),
        Some(b) => ("group.updated", json!({ "name": b.fields.display_name, "external_id": b.fields.external_id })),
    };
    let event = audit(admin, headers, action, "group", id, before_json, after);
    let outcome = state
        .store
        .scim_write_group(&admin.org_id, id, before.is_none(), &name, fields.external_id.as_deref(), change, event)
        .await
        .map_err(|e| match e {
            StoreError::Conflict { constraint } if field_of_constraint(&constraint) == Some(("name", "taken")) => {
                scim_error(StatusCode::CONFLICT, Some("uniqueness"), "displayName: your organisation already has a group with this name.")
            }
            StoreError::NotFound => group_not_found(id),
            e => e.into(),
        })?;
    match outcome {
        GroupWrite::Done => Ok(()),
        GroupWrite::UnknownMembers(ids) => {
            let shown: Vec<String> = ids.iter().take(10).map(|i| format!("\"{i}\"")).collect();
            Err(scim_error(
                StatusCode::BAD_REQUEST,
                Some("invalidValue"),
                format!("members: no user or group of your organisation has the id {}.", shown.join(", ")),
            ))
        }
        GroupWrite::WouldCloseCycle(chain) => {
            let names: Vec<String> = chain.into_iter().map(|g| g.name).collect();
            Err(scim_error(
                StatusCode::BAD_REQUEST,
                Some("invalidValue"),
                format!("members: {}", app::domain::groups::cycle_message(&names)),
            ))
        }
    }
}

/// The change that takes the members from `current` to `wanted`.
fn members_change(current: &[String], wanted: &[String]) -> MembersChange {
    let current_set: std::collections::HashSet<&String> = current.iter().collect();
    let wanted_set: std::collections::HashSet<&String> = wanted.iter().collect();
    let mut add: Vec<String> = Vec::new();
    for id in wanted {
        if !current_set.contains(id) && !add.contains(id) {
            add.push(id.clone());
        }
    }
    MembersChange { add, remove: current.iter().filter(|id| !wanted_set.contains(id)).cloned().collect() }
}

fn body_problem(p: BodyProblem) -> ScimError {
    scim_error(StatusCode::BAD_REQUEST, Some(p.scim_type), p.detail)
}

/// POST /scim/v2/Groups.
pub async fn create_group(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Query(selection): Query<Selection>,
    body: Bytes,
) -> ScimResult<Response> {
    let admin = &caller(&auth)?;
    let (fields, members) = group_from_json(&json_body(&headers, &body)?).map_err(body_problem)?;
    let id = crate::store::new_id();
    let change = members_change(&[], &members.unwrap_or_default());
    write_group(&state, admin, &headers, &id, None, &fields, &change).await?;
    group_answer(&state, admin, &id, StatusCode::CREATED, &selection).await
}

/// GET /scim/v2/Groups/{id}; `If-None-Match` with the current version: 304.
pub async fn get_group(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(selection): Query<Selection>,
) -> ScimResult<Response> {
    let admin = &caller(&auth)?;
    Ok(unless_unchanged(&headers, group_answer(&state, admin, &id, StatusCode::OK, &selection).await?))
}

/// PUT /scim/v2/Groups/{id}: the name, external id and members as sent
/// (members left out: none).
pub async fn replace_group(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(selection): Query<Selection>,
    body: Bytes,
) -> ScimResult<Response> {
    let admin = &caller(&auth)?;
    let current = find_group(&state, admin, &id).await?;
    let (_, etag, member_ids) = full_group(&state, admin, &current).await?;
    check_if_match(&headers, &etag)?;
    let (fields, members) = group_from_json(&json_body(&headers, &body)?).map_err(body_problem)?;
    let change = members_change(&member_ids, &members.unwrap_or_default());
    write_group(&state, admin, &headers, &id, Some(&current), &fields, &change).await?;
    group_answer(&state, admin, &id, StatusCode::OK, &selection).await
}

/// PATCH /scim/v2/Groups/{id}: member adds and removes (by filter or by
/// value), name changes; all or nothing.
pub async fn patch_group(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(selection): Query<Selection>,
    body: Bytes,
) -> ScimResult<Response> {
    let admin = &caller(&auth)?;
    let current = find_group(&state, admin, &id).await?;
    let (mut resource, etag, member_ids) = full_group(&state, admin, &current).await?;
    check_if_match(&headers, &etag)?;
    let body = json_body(&headers, &body)?;
    let ops = parse_patch(&body, &ResourceShape).map_err(|e| scim_error(StatusCode::BAD_REQUEST, Some(e.scim_type), e.detail))?;
    apply(&mut resource, &ops, &ResourceShape).map_err(|e| scim_error(StatusCode::BAD_REQUEST, Some(e.scim_type), e.detail))?;
    if resource.get("id").and_then(Value::as_str) != Some(current.id.as_str()) {
        return Err(scim_error(StatusCode::BAD_REQUEST, Some("mutability"), "\"id\" cannot be changed."));
    }
    let (fields, members) = group_from_json(&resource).map_err(body_problem)?;
    let change = members_change(&member_ids, &members.unwrap_or_default());
    write_group(&state, admin, &headers, &id, Some(&current), &fields, &change).await?;
    group_answer(&state, admin, &id, StatusCode::OK, &selection).await
}

/// DELETE /scim/v2/Groups/{id}: 204; its members lose what they had through it.
pub async fn delete_group(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ScimResult<Response> {
    let admin = &caller(&auth)?;
    let current = find_group(&state, admin, &id).await?;
    let (_, etag, _) = full_group(&state, admin, &current).await?;
    check_if_match(&headers, &etag)?;
    let before = json!({ "name": current.fields.display_name, "external_id": current.fields.external_id });
    let event = audit(admin, &headers, "group.deleted", "group", &id, before, Value::Null);
    if !state.store.delete_group(&admin.org_id, &id, event).await? {
        return Err(group_not_found(&id));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_groups_with(state: &AppState, admin: &AdminCaller, params: ListParams) -> ScimResult<Response> {
    let (start, count) = paging(params.start_index.as_deref(), params.count.as_deref())?;
    let conditions = conditions_of(params.filter.as_deref(), group_conditions)?;
    let page = state.store.scim_groups(&admin.org_id, conditions.as_ref(), start - 1, count).await?;
    let resources = group_resources(state, admin, &page.items, &params.selection).await?;
    Ok(scim_json(StatusCode::OK, &list_response(resources, page.total, start)))
}

/// GET /scim/v2/Groups?filter=&startIndex=&count=&attributes=&excludedAttributes=
pub async fn list_groups(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    Query(params): Query<ListParams>,
) -> ScimResult<Response> {
    let admin = &caller(&auth)?;
    list_groups_with(&state, admin, params).await
}

/// POST /scim/v2/Groups/.search.
pub async fn search_groups(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult<Response> {
    let admin = &caller(&auth)?;
    list_groups_with(&state, admin, search_request(&json_body(&headers, &body)?)).await
}

/// POST /scim/v2/.search: a search of every resource type (RFC 7644
/// §3.4.3): users, then groups, paged as one list. A filter one type cannot
/// be filtered by matches none of that type; one neither can is a 400.
pub async fn search_all(
    State(state): State<AppState>,
    Extension(auth): Extension<RequestAuth>,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult<Response> {
    let admin = &caller(&auth)?;
    let params = search_request(&json_body(&headers, &body)?);
    let (start, count) = paging(params.start_index.as_deref(), params.count.as_deref())?;
    let invalid = |e: String| scim_error(StatusCode::BAD_REQUEST, Some("invalidFilter"), format!("{e}."));
    let (users, groups) = match params.filter.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => (Some(None), Some(None)),
        Some(text) => {
            let filter = parse_filter(text).map_err(|e| invalid(e.0))?;
            let (u, g) = (user_conditions(&filter), group_conditions(&filter));
            if let (Err(e), Err(_)) = (&u, &g) {
                return Err(invalid(e.clone()));
            }
            (u.ok().map(Some), g.ok().map(Some))
        }
    };
    let offset = start - 1;
    let mut resources = Vec::new();
    let mut total = 0;
    if let Some(cond) = &users {
        let page = state.store.scim_users(&admin.org_id, cond.as_ref(), offset, count).await?;
        resources.extend(user_resources(&state, admin, &page.items, &params.selection).await?);
        total += page.total;
    }
    if let Some(cond) = &groups {
        let skip = offset.saturating_sub(total);
        let room = count.saturating_sub(resources.len() as u32);
        let page = state.store.scim_groups(&admin.org_id, cond.as_ref(), skip, room).await?;
        let without_members = params.selection.without_members();
        for group in &page.items {
            let mut resource =
                if without_members { group_resource(&state, group, None) } else { full_group(&state, admin, group).await?.0 };
            params.selection.apply(&mut resource)?;
            resources.push(resource);
        }
        total += page.total;
    }
    Ok(scim_json(StatusCode::OK, &list_response(resources, total, start)))
}

/// Any other address under `/scim/v2`: a SCIM 404.
pub async fn not_found(Extension(auth): Extension<RequestAuth>) -> ScimResult<Response> {
    caller(&auth)?;
    Err(scim_error(StatusCode::NOT_FOUND, None, "There is no SCIM endpoint at this address."))
}

/// The SCIM routes.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/scim/v2/ServiceProviderConfig", get(service_provider_config))
        .route("/scim/v2/ResourceTypes", get(list_resource_types))
        .route("/scim/v2/ResourceTypes/{id}", get(get_resource_type))
        .route("/scim/v2/Schemas", get(list_schemas))
        .route("/scim/v2/Schemas/{id}", get(get_schema))
        .route("/scim/v2/Users", get(list_users).post(create_user))
        .route("/scim/v2/Users/.search", post(search_users))
        .route("/scim/v2/.search", post(search_all))
        .route("/scim/v2/Users/{id}", get(get_user).put(replace_user).patch(patch_user).delete(delete_user))
        .route("/scim/v2/Groups", get(list_groups).post(create_group))
        .route("/scim/v2/Groups/.search", post(search_groups))
        .route("/scim/v2/Groups/{id}", get(get_group).put(replace_group).patch(patch_group).delete(delete_group))
        .route("/scim/v2", axum::routing::any(not_found))
        .route("/scim/v2/{*rest}", axum::routing::any(not_found))
        // A group's PUT lists all its members: more than a form's 64 KiB.
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
}

/// The largest SCIM request body we read (about 15,000 members in one PUT).
pub const BODY_LIMIT: usize = 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_follows_the_rfc() {
        assert_eq!(paging(None, None).unwrap(), (1, MAX_RESULTS));
        assert_eq!(paging(Some("0"), Some("-5")).unwrap(), (1, 0));
        assert_eq!(paging(Some("11"), Some("1000")).unwrap(), (11, MAX_RESULTS));
        assert!(paging(Some("x"), None).is_err());
    }
}
