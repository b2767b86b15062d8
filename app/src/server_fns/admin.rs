//! The admin area's reads. Each checks the caller's role first; writes go
//! through the admin HTTP handlers and API (`server::http::admin`).

use crate::models::admin::{AccessCheck, AppChoice, UserDetail, UserPage};
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
