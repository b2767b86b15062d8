//! The admin area's reads. Each checks the caller's role first; writes go
//! through the admin HTTP handlers and API (`server::http::admin`).

use crate::models::admin::{AccessCheck, AppChoice, GroupPage, GroupView, UserDetail, UserPage};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
use super::guard;

/// A page of the organisation's users matching `search`. Privileged admins.
#[server(prefix = "/api/fn", endpoint = "admin_users", input = GetUrl)]
pub async fn load_admin_users(search: String, cursor: Option<String>) -> Result<UserPage, ServerFnError> {
    use crate::models::admin::UserQuery;
    let admin = guard::require_privileged_admin()?;
    let search: String = search.chars().take(200).collect();
    let query = UserQuery { search, cursor, limit: 0 };
    guard::store()?.search_users(&admin.org_id, &query).await.map_err(guard::internal)
}

/// One user of the caller's organisation, with their groups, licenses and
/// apps; None when there is no such user there. Privileged admins.
#[server(prefix = "/api/fn", endpoint = "admin_user", input = GetUrl)]
pub async fn load_admin_user(user_id: String) -> Result<Option<UserDetail>, ServerFnError> {
    let admin = guard::require_privileged_admin()?;
    if uuid::Uuid::parse_str(&user_id).is_err() {
        return Ok(None);
    }
    crate::services::admin::user_detail(guard::store()?.as_ref(), &admin.org_id, &user_id, guard::now()).await.map_err(guard::internal)
}

/// The organisation's apps, for the check-access picker. Admins.
#[server(prefix = "/api/fn", endpoint = "admin_app_choices", input = GetUrl)]
pub async fn load_app_choices() -> Result<Vec<AppChoice>, ServerFnError> {
    let admin = guard::require_admin()?;
    guard::store()?.list_app_choices(&admin.org_id).await.map_err(guard::internal)
}

/// Every check of the access decision for a user (by sign-in name or id)
/// and an app of the caller's organisation; None when either is not found
/// there. Admins.
#[server(prefix = "/api/fn", endpoint = "admin_access_check", input = GetUrl)]
pub async fn load_access_check(user: String, app_id: String) -> Result<Option<AccessCheck>, ServerFnError> {
    let admin = guard::require_admin()?;
    let store = guard::store()?;
    let user_id = match uuid::Uuid::parse_str(user.trim()) {
        Ok(id) => id.to_string(),
        Err(_) => {
            let upn = user.trim().to_lowercase();
            match store.find_sign_in_accounts(&upn, Some(&admin.org_id)).await.map_err(guard::internal)?.into_iter().next() {
                Some(account) => account.user_id,
                None => return Ok(None),
            }
        }
    };
    if uuid::Uuid::parse_str(&app_id).is_err() {
        return Ok(None);
    }
    crate::services::admin::access_check(store.as_ref(), &admin.org_id, &user_id, &app_id, guard::now()).await.map_err(guard::internal)
}

/// A page of the organisation's groups matching `search`. Privileged admins.
#[server(prefix = "/api/fn", endpoint = "admin_groups", input = GetUrl)]
pub async fn load_admin_groups(search: String, cursor: Option<String>) -> Result<GroupPage, ServerFnError> {
    use crate::models::admin::GroupQuery;
    let admin = guard::require_privileged_admin()?;
    let search: String = search.chars().take(200).collect();
    let query = GroupQuery { search, cursor, limit: 0 };
    guard::store()?.search_groups(&admin.org_id, &query).await.map_err(guard::internal)
}

/// How many people and groups a search for new members offers.
#[cfg(feature = "ssr")]
const CANDIDATES: u32 = 8;

/// One group of the caller's organisation for its page (None when there is
/// no such group there): a page of its member users (`members_search`,
/// `members_cursor`), users and groups matching `add` to add, and the names
/// of a refused nesting's chain (`cycle`: group ids joined by dots, as the
/// add-member form sends it back). Privileged admins.
#[server(prefix = "/api/fn", endpoint = "admin_group", input = GetUrl)]
pub async fn load_admin_group(
    group_id: String,
    members_search: String,
    members_cursor: Option<String>,
    add: String,
    cycle: String,
) -> Result<Option<GroupView>, ServerFnError> {
    use crate::models::admin::{GroupQuery, MemberCandidates, UserQuery};
    let admin = guard::require_privileged_admin()?;
    let store = guard::store()?;
    let org = admin.org_id.as_str();
    let is_id = |id: &str| uuid::Uuid::parse_str(id).is_ok();
    if !is_id(&group_id) {
        return Ok(None);
    }
    let Some(detail) = store.find_group(org, &group_id).await.map_err(guard::internal)? else {
        return Ok(None);
    };
    let members_search: String = members_search.chars().take(200).collect();
    let members = store
        .group_member_users(org, &group_id, &UserQuery { search: members_search, cursor: members_cursor, limit: 0 })
        .await
        .map_err(guard::internal)?;
    let add: String = add.trim().chars().take(200).collect();
    let candidates = if add.is_empty() {
        None
    } else {
        let users =
            store.search_users(org, &UserQuery { search: add.clone(), cursor: None, limit: CANDIDATES }).await.map_err(guard::internal)?;
        let groups =
            store.search_groups(org, &GroupQuery { search: add, cursor: None, limit: CANDIDATES + 1 }).await.map_err(guard::internal)?;
        let groups = groups.groups.into_iter().filter(|g| g.id != group_id).take(CANDIDATES as usize).collect();
        Some(MemberCandidates { users: users.users, groups })
    };
    // The chain's names, as they are now in this organisation (ids that
    // name nothing here are left out).
    let refused_cycle = if cycle.is_empty() {
        None
    } else {
        let mut names = Vec::new();
        for id in cycle.split('.').filter(|id| is_id(id)).take(64) {
            if let Some(g) = store.find_group(org, id).await.map_err(guard::internal)? {
                names.push(g.summary.name);
            }
        }
        Some(names)
    };
    Ok(Some(GroupView { detail, members, candidates, refused_cycle }))
}

/// A page of the organisation's apps matching `search`. Admins.
#[server(prefix = "/api/fn", endpoint = "admin_apps", input = GetUrl)]
pub async fn load_admin_apps(search: String, cursor: Option<String>) -> Result<crate::models::admin::AppPage, ServerFnError> {
    use crate::models::admin::AppQuery;
    let admin = guard::require_admin()?;
    let search: String = search.chars().take(200).collect();
    guard::store()?.search_apps(&admin.org_id, &AppQuery { search, cursor, limit: 0 }).await.map_err(guard::internal)
}

/// One app of the caller's organisation, in full, with its user access
/// URL; None when there is no such app there. Admins.
#[server(prefix = "/api/fn", endpoint = "admin_app", input = GetUrl)]
pub async fn load_admin_app(app_id: String) -> Result<Option<crate::models::admin::AppView>, ServerFnError> {
    use crate::models::admin::AppView;
    let admin = guard::require_admin()?;
    if uuid::Uuid::parse_str(&app_id).is_err() {
        return Ok(None);
    }
    let Some(detail) = guard::store()?.find_app_admin(&admin.org_id, &app_id).await.map_err(guard::internal)? else {
        return Ok(None);
    };
    let public_url = use_context::<super::apps::PublicUrl>().map(|p| p.0).unwrap_or_default();
    let user_access_url = format!("{}/launch/{}", public_url.trim_end_matches('/'), detail.id);
    Ok(Some(AppView { detail, user_access_url }))
}

/// The licenses and permissions the app form offers. Admins.
#[server(prefix = "/api/fn", endpoint = "admin_app_form_choices", input = GetUrl)]
pub async fn load_app_form_choices() -> Result<crate::models::admin::AppFormChoices, ServerFnError> {
    use crate::models::admin::AppFormChoices;
    let admin = guard::require_admin()?;
    let store = guard::store()?;
    Ok(AppFormChoices {
        licenses: store.license_choices(&admin.org_id).await.map_err(guard::internal)?,
        permissions: store.permission_choices(&admin.org_id).await.map_err(guard::internal)?,
    })
}

/// An app's assignments page: its direct assignments, users and groups
/// matching `add` to assign, and a page of who has it (`q`, `cursor`).
/// None when there is no such app in the caller's organisation. Admins.
#[server(prefix = "/api/fn", endpoint = "admin_app_assignments", input = GetUrl)]
pub async fn load_app_assignments(
    app_id: String,
    add: String,
    q: String,
    cursor: Option<String>,
) -> Result<Option<crate::models::admin::AssignmentsView>, ServerFnError> {
    use crate::models::admin::{AppChoice, AssignmentsView, GroupQuery, MemberCandidates, UserQuery};
    let admin = guard::require_admin()?;
    let store = guard::store()?;
    let org = admin.org_id.as_str();
    if uuid::Uuid::parse_str(&app_id).is_err() {
        return Ok(None);
    }
    let Some(app) = store.find_app_admin(org, &app_id).await.map_err(guard::internal)? else {
        return Ok(None);
    };
    let assignments = store.app_assignments(org, &app_id).await.map_err(guard::internal)?;
    let add: String = add.trim().chars().take(200).collect();
    let candidates = if add.is_empty() {
        None
    } else {
        let users =
            store.search_users(org, &UserQuery { search: add.clone(), cursor: None, limit: CANDIDATES }).await.map_err(guard::internal)?;
        let groups =
            store.search_groups(org, &GroupQuery { search: add, cursor: None, limit: CANDIDATES }).await.map_err(guard::internal)?;
        Some(MemberCandidates { users: users.users, groups: groups.groups })
    };
    let q: String = q.chars().take(200).collect();
    let access = store.app_access(org, &app_id, &UserQuery { search: q, cursor, limit: 0 }).await.map_err(guard::internal)?;
    let reviewers = store.app_reviewers(org, &app_id).await.map_err(guard::internal)?;
    Ok(Some(AssignmentsView { app: AppChoice { id: app.id, name: app.fields.name }, assignments, reviewers, candidates, access }))
}

/// The organisation's licenses with their seats. Privileged admins.
#[server(prefix = "/api/fn", endpoint = "admin_licenses", input = GetUrl)]
pub async fn load_admin_licenses() -> Result<Vec<crate::models::admin::LicenseSummary>, ServerFnError> {
    let admin = guard::require_privileged_admin()?;
    guard::store()?.list_licenses(&admin.org_id).await.map_err(guard::internal)
}

/// One license for its page: the license, users and groups matching `add`
/// to assign it to, and a page of those without a seat (`cursor`). None
/// when there is no such license in the caller's organisation. Privileged admins.
#[server(prefix = "/api/fn", endpoint = "admin_license", input = GetUrl)]
pub async fn load_admin_license(
    license_id: String,
    add: String,
    cursor: Option<String>,
) -> Result<Option<crate::models::admin::LicenseView>, ServerFnError> {
    use crate::models::admin::{GroupQuery, LicenseView, MemberCandidates, UserQuery};
    let admin = guard::require_privileged_admin()?;
    let store = guard::store()?;
    let org = admin.org_id.as_str();
    if uuid::Uuid::parse_str(&license_id).is_err() {
        return Ok(None);
    }
    let Some(detail) = store.find_license(org, &license_id).await.map_err(guard::internal)? else {
        return Ok(None);
    };
    let add: String = add.trim().chars().take(200).collect();
    let candidates = if add.is_empty() {
        None
    } else {
        let users =
            store.search_users(org, &UserQuery { search: add.clone(), cursor: None, limit: CANDIDATES }).await.map_err(guard::internal)?;
        let groups =
            store.search_groups(org, &GroupQuery { search: add, cursor: None, limit: CANDIDATES }).await.map_err(guard::internal)?;
        Some(MemberCandidates { users: users.users, groups: groups.groups })
    };
    let without_seat = store
        .license_without_seat(org, &license_id, &UserQuery { search: String::new(), cursor, limit: 0 })
        .await
        .map_err(guard::internal)?;
    Ok(Some(LicenseView { detail, candidates, without_seat }))
}

/// A page of the sign-in log, newest first, or the filters' problems as
/// (field, sentence). Admins.
#[server(prefix = "/api/fn", endpoint = "admin_sign_in_log", input = GetUrl)]
pub async fn load_sign_in_log(
    query: crate::models::admin::SignInLogQuery,
) -> Result<Result<crate::models::admin::SignInLogPage, Vec<(String, String)>>, ServerFnError> {
    let admin = guard::require_admin()?;
    let filter = match query.filter() {
        Ok(f) => f,
        Err(problems) => return Ok(Err(sentences(problems))),
    };
    let page = guard::store()?.sign_in_log(&admin.org_id, &filter, query.cursor.as_deref(), 0).await.map_err(guard::internal)?;
    Ok(Ok(page))
}

/// A page of the audit log, newest first, or the filters' problems as
/// (field, sentence). Admins.
#[server(prefix = "/api/fn", endpoint = "admin_audit_log", input = GetUrl)]
pub async fn load_audit_log(
    query: crate::models::admin::AuditLogQuery,
) -> Result<Result<crate::models::admin::AuditLogPage, Vec<(String, String)>>, ServerFnError> {
    let admin = guard::require_admin()?;
    let filter = match query.filter() {
        Ok(f) => f,
        Err(problems) => return Ok(Err(sentences(problems))),
    };
    let page = guard::store()?.audit_log(&admin.org_id, &filter, query.cursor.as_deref(), 0).await.map_err(guard::internal)?;
    Ok(Ok(page))
}

#[cfg(feature = "ssr")]
fn sentences(problems: Vec<crate::domain::fields::FieldProblem>) -> Vec<(String, String)> {
    problems
        .into_iter()
        .map(|(field, code)| {
            (field.to_string(), crate::domain::fields::field_message(field, code).unwrap_or("This value cannot be used.").to_string())
        })
        .collect()
}

/// A page of the organisation's API tokens, newest first, and the address
/// provisioning systems are given with one. Privileged admins.
#[server(prefix = "/api/fn", endpoint = "admin_api_tokens", input = GetUrl)]
pub async fn load_admin_api_tokens(cursor: Option<String>) -> Result<crate::models::admin::ApiTokensView, ServerFnError> {
    let admin = guard::require_privileged_admin()?;
    let page = guard::store()?.list_api_tokens(&admin.org_id, cursor.as_deref(), 0, guard::now()).await.map_err(guard::internal)?;
    let public_url = use_context::<super::apps::PublicUrl>().map(|p| p.0).unwrap_or_default();
    Ok(crate::models::admin::ApiTokensView { page, scim_url: format!("{}/scim/v2", public_url.trim_end_matches('/')) })
}

/// The admin API's reference, as drawn from its OpenAPI document. Admins
/// (of either role: the page says which role each part needs).
#[server(prefix = "/api/fn", endpoint = "admin_api_reference", input = GetUrl)]
pub async fn load_api_reference() -> Result<crate::models::api_reference::ApiReference, ServerFnError> {
    use crate::models::api_reference::ApiReference;
    guard::require_admin()?;
    use_context::<std::sync::Arc<ApiReference>>()
        .map(|r| r.as_ref().clone())
        .ok_or_else(|| ServerFnError::new("The API reference is not available."))
}

/// The org's consent settings with the workflow's reviewers. Privileged admins.
#[server(prefix = "/api/fn", endpoint = "admin_consent_settings", input = GetUrl)]
pub async fn load_consent_settings() -> Result<crate::models::consents::ConsentSettingsView, ServerFnError> {
    let admin = guard::require_privileged_admin()?;
    guard::store()?.consent_settings(&admin.org_id).await.map_err(guard::internal)
}

/// Every grant of an app. Privileged admins; None for an app the
/// organisation does not have.
#[server(prefix = "/api/fn", endpoint = "admin_app_consents", input = GetUrl)]
pub async fn load_app_consents(app_id: String) -> Result<Option<crate::models::consents::AppConsents>, ServerFnError> {
    let admin = guard::require_privileged_admin()?;
    if uuid::Uuid::parse_str(&app_id).is_err() {
        return Ok(None);
    }
    guard::store()?.app_consents(&admin.org_id, &app_id).await.map_err(guard::internal)
}

/// The permission catalogue. App admins and privileged admins.
#[server(prefix = "/api/fn", endpoint = "admin_permissions", input = GetUrl)]
pub async fn load_permission_catalogue() -> Result<Vec<crate::models::consents::CatalogueApi>, ServerFnError> {
    let admin = guard::require_admin()?;
    guard::store()?.permission_catalogue(&admin.org_id).await.map_err(guard::internal)
}

/// The organisation's OAuth apps with their usage. Admins.
#[server(prefix = "/api/fn", endpoint = "admin_connected_apps", input = GetUrl)]
pub async fn load_connected_apps() -> Result<Vec<crate::models::admin::ConnectedApp>, ServerFnError> {
    let admin = guard::require_admin()?;
    guard::store()?.connected_apps(&admin.org_id, guard::now()).await.map_err(guard::internal)
}
