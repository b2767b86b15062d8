//! The admin API's OpenAPI 3.1 document, generated from the handlers'
//! `#[utoipa::path]` annotations and the types' `ToSchema` derives as the
//! routes are registered (`admin_api`), so a route cannot exist without
//! its description, nor the other way round. Served as JSON at
//! `/api/v1/openapi.json`; the admin page `/admin/api` renders the same
//! document (see [`reference`]).

use super::error::ErrorResponse;
use super::{
    admin, admin_apps, admin_consent, admin_grants, admin_groups, admin_licenses, admin_logs, admin_tokens, api, consent, requests,
    uploads, AppState,
};
use app::models::api_reference::*;
use axum::extract::DefaultBodyLimit;
use serde_json::Value;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "My Apps API",
        version = "1",
        description = "Everything the admin console does, as JSON under `/api/v1/admin/`; and, under `/api/v1/me`, what a signed-in person sees of their own apps, consents, requests and notifications (a browser session only).\n\n\
            **Authentication.** Scripts send an API token (`Authorization: Bearer mya_…`), which a privileged admin \
            creates under Admin → API tokens; it acts for its organisation with the role it was given. A signed-in \
            browser may call the API with its session cookie, sending the page's CSRF token in `X-CSRF-Token` with \
            every change.\n\n\
            **Lists** are paged by cursor: pass the `next_cursor` of a page as `cursor` for the next; `limit` is 1 to 200.\n\n\
            **Errors** are `{\"error\": {\"code\", \"message\", \"correlation_id\"}}`, with `fields` (a sentence per field) \
            for `validation_failed`. Every change is audited, with its actor, in the same transaction."
    ),
    modifiers(&SecuritySchemes),
    security(("api_token" = []), ("session" = [])),
    tags(
        (name = "Me", description = "The signed-in person's own apps, consents, requests and notifications. Their session only: API tokens are not credentials here."),
        (name = "Users", description = "People of the organisation: create, edit, block, unlock, reset. Privileged admins."),
        (name = "Groups", description = "Groups of users and of groups (nested; a cycle is refused). Privileged admins."),
        (name = "Apps", description = "Registered apps with every field, logos and OpenID Connect credentials. App admins and privileged admins."),
        (name = "Assignments", description = "Who an app is assigned to, and who can launch it through what; access requests and who reviews them. App admins and privileged admins."),
        (name = "Licenses", description = "Products with seats, given to users and groups. Privileged admins."),
        (name = "Consent", description = "The organisation's consent settings: the user-consent policy, removal by users, the admin-consent workflow and its reviewers; the permission catalogue, which every admin reads and privileged admins classify; admin-consent requests, decided here as in the reviewers' queue."),
        (name = "Logs", description = "The sign-in log and the audit log, filtered, paged and exported. App admins and privileged admins."),
        (name = "API tokens", description = "Tokens for automation. Privileged admins; created and revoked only by one signed in."),
    ),
    components(schemas(ErrorResponse, admin::PrincipalKind))
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.description = Some("An API token: `mya_` and 43 characters.".into());
        components.add_security_scheme("api_token", SecurityScheme::Http(bearer));
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "__Host-mya_session",
                "A signed-in browser's session (`mya_session` over plain HTTP in development); changes also need `X-CSRF-Token`.",
            ))),
        );
    }
}

/// The admin API's routes, with the document that describes them.
pub fn admin_api(state: &AppState) -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    // Uploads: a larger body than forms, and only a few read at a time.
    let uploads = OpenApiRouter::new()
        .routes(routes!(admin_apps::put_logo, admin_apps::delete_logo))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), uploads::bounded))
        .layer(DefaultBodyLimit::max(uploads::UPLOAD_LIMIT));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(admin::list_users, admin::create_user))
        .routes(routes!(admin::get_user, admin::update_user))
        .routes(routes!(admin::reset_password))
        .routes(routes!(admin::block_user))
        .routes(routes!(admin::unblock_user))
        .routes(routes!(admin::unlock_user))
        .routes(routes!(admin::reset_user_mfa))
        .routes(routes!(admin_groups::list_groups, admin_groups::create_group))
        .routes(routes!(admin_groups::get_group, admin_groups::update_group, admin_groups::delete_group))
        .routes(routes!(admin_groups::list_member_users, admin_groups::add_member_api))
        .routes(routes!(admin_groups::remove_member_api))
        .routes(routes!(admin_apps::list_apps, admin_apps::create_app))
        .routes(routes!(admin_apps::get_app, admin_apps::update_app, admin_apps::delete_app))
        .routes(routes!(admin_apps::rotate_secret))
        .routes(routes!(admin_apps::list_assignments, admin_apps::add_assignment))
        .routes(routes!(admin_apps::remove_assignment))
        .routes(routes!(admin_apps::list_access))
        .routes(routes!(admin_apps::list_app_reviewers, admin_apps::add_app_reviewer_api))
        .routes(routes!(admin_apps::remove_app_reviewer_api))
        .routes(routes!(requests::list_access_requests))
        .routes(routes!(requests::decide_access_request))
        .routes(routes!(admin_licenses::list_licenses, admin_licenses::create_license))
        .routes(routes!(admin_licenses::get_license, admin_licenses::update_license, admin_licenses::delete_license))
        .routes(routes!(admin_licenses::add_assignment))
        .routes(routes!(admin_licenses::remove_assignment))
        .routes(routes!(admin_licenses::without_seat))
        .routes(routes!(admin_consent::get_settings, admin_consent::update_settings))
        .routes(routes!(admin_consent::add_reviewer_api))
        .routes(routes!(admin_consent::remove_reviewer_api))
        .routes(routes!(admin_consent::permission_catalogue))
        .routes(routes!(admin_consent::classify_permission, admin_consent::delete_permission))
        .routes(routes!(admin_consent::create_api))
        .routes(routes!(admin_consent::create_permission))
        .routes(routes!(requests::list_consent_requests))
        .routes(routes!(requests::decide_consent_request))
        .routes(routes!(requests::unblock_app))
        .routes(routes!(admin_grants::list_app_consents, admin_grants::grant_app_consent))
        .routes(routes!(admin_grants::revoke_app_consent))
        .routes(routes!(admin_grants::connected_apps))
        .routes(routes!(admin_logs::sign_ins))
        .routes(routes!(admin_logs::export_sign_ins))
        .routes(routes!(admin_logs::audit_events))
        .routes(routes!(admin_logs::export_audit_events))
        .routes(routes!(admin_tokens::list_tokens, admin_tokens::create_token))
        .routes(routes!(admin_tokens::get_token, admin_tokens::revoke_token))
        .routes(routes!(api::me))
        .routes(routes!(api::my_apps))
        .routes(routes!(api::recent))
        .routes(routes!(api::app_details))
        .routes(routes!(api::pin, api::unpin))
        .routes(routes!(consent::my_consents))
        .routes(routes!(consent::revoke_consent))
        .routes(routes!(requests::my_requests, requests::create_request))
        .routes(routes!(requests::notifications))
        .routes(routes!(requests::mark_notifications_read))
        .merge(uploads)
        .split_for_parts()
}

/// The schema name a `$ref` points to.
fn ref_name(r: &str) -> Option<String> {
    r.strip_prefix("#/components/schemas/").map(str::to_string)
}

/// A schema as a person reads its type.
fn type_of(schema: &Value) -> ApiType {
    if let Some(name) = schema.get("$ref").and_then(Value::as_str).and_then(ref_name) {
        return ApiType { text: name.clone(), schema: Some(name) };
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(parts) = schema.get(key).and_then(Value::as_array) {
            let types: Vec<ApiType> = parts.iter().map(type_of).collect();
            let schema = types.iter().find_map(|t| t.schema.clone());
            let texts: Vec<String> = types.into_iter().map(|t| t.text).collect();
            let text = if key == "allOf" { texts.join(" and ") } else { texts.join(" or ") };
            return ApiType { text, schema };
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = values.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect();
        return ApiType { text: format!("one of {}", values.join(", ")), schema: None };
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let nullable = types.contains(&"null");
    let base = types.iter().copied().find(|t| *t != "null");
    let mut ty = match base {
        Some("array") => {
            let item = schema.get("items").map(type_of).unwrap_or_default();
            ApiType { text: format!("array of {}", item.text), schema: item.schema }
        }
        Some("object") => match schema.get("additionalProperties") {
            Some(v) if v.is_object() => {
                let value = type_of(v);
                ApiType { text: format!("map of string to {}", value.text), schema: value.schema }
            }
            _ => ApiType { text: "object".into(), schema: None },
        },
        Some(t) => {
            let format = schema.get("format").and_then(Value::as_str);
            ApiType { text: format.map(|f| format!("{t} ({f})")).unwrap_or_else(|| t.to_string()), schema: None }
        }
        None if nullable => ApiType { text: "null".into(), schema: None },
        None => ApiType { text: "any JSON value".into(), schema: None },
    };
    if nullable && base.is_some() {
        ty.text.push_str(" or null");
    }
    ty
}

fn text(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).unwrap_or("").to_string()
}

fn properties_of(schema: &Value, into: &mut ApiSchema) {
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for part in parts {
            match part.get("$ref").and_then(Value::as_str).and_then(ref_name) {
                Some(name) => into.includes.push(name),
                None => properties_of(part, into),
            }
        }
        return;
    }
    let required: Vec<&str> =
        schema.get("required").and_then(Value::as_array).map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            into.properties.push(ApiProperty {
                name: name.clone(),
                kind: type_of(prop),
                required: required.contains(&name.as_str()),
                description: text(prop.get("description")),
            });
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        into.values.extend(values.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())));
    }
}

/// The document as its page shows it: operations by tag (in the tags'
/// order), then every schema.
pub fn reference(doc: &Value) -> ApiReference {
    let info = &doc["info"];
    let mut groups: Vec<ApiGroup> = doc["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .map(|t| ApiGroup { name: text(t.get("name")), description: text(t.get("description")), operations: vec![] })
                .collect()
        })
        .unwrap_or_default();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            let Some(item) = item.as_object() else { continue };
            for method in ["get", "put", "post", "patch", "delete"] {
                let Some(op) = item.get(method) else { continue };
                let tag = op["tags"].get(0).and_then(Value::as_str).unwrap_or("Other").to_string();
                let parameters = op["parameters"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .map(|p| ApiParameter {
                                name: text(p.get("name")),
                                location: text(p.get("in")),
                                required: p["required"].as_bool().unwrap_or(false),
                                kind: p.get("schema").map(type_of).unwrap_or_default(),
                                description: text(p.get("description")),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let request_body = op["requestBody"]["content"]
                    .as_object()
                    .and_then(|c| c.iter().next())
                    .map(|(content_type, media)| (content_type.clone(), media.get("schema").map(type_of).unwrap_or_default()));
                let responses = op["responses"]
                    .as_object()
                    .map(|rs| {
                        rs.iter()
                            .map(|(status, r)| ApiResponse {
                                status: status.clone(),
                                description: text(r.get("description")),
                                body: r["content"].as_object().and_then(|c| c.values().next()).and_then(|m| m.get("schema")).map(type_of),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let anchor = format!("{method}-{}", path.trim_matches('/').replace(['/', '{', '}', '.'], "-"));
                let operation = ApiOperation {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    anchor,
                    summary: text(op.get("summary")),
                    description: text(op.get("description")),
                    parameters,
                    request_body,
                    responses,
                };
                match groups.iter_mut().find(|g| g.name == tag) {
                    Some(g) => g.operations.push(operation),
                    None => groups.push(ApiGroup { name: tag, description: String::new(), operations: vec![operation] }),
                }
            }
        }
    }
    let schemas = doc["components"]["schemas"]
        .as_object()
        .map(|schemas| {
            schemas
                .iter()
                .map(|(name, s)| {
                    let mut schema = ApiSchema {
                        name: name.clone(),
                        description: text(s.get("description")),
                        values: vec![],
                        includes: vec![],
                        properties: vec![],
                    };
                    properties_of(s, &mut schema);
                    schema
                })
                .collect()
        })
        .unwrap_or_default();
    ApiReference {
        title: text(info.get("title")),
        version: text(info.get("version")),
        openapi: text(doc.get("openapi")),
        description: text(info.get("description")),
        groups,
        schemas,
    }
}
