//! The admin area's reads. Each checks the caller's role first; writes go
//! through the admin HTTP handlers and API (`server::http::admin`).

use crate::models::admin::{UserDetail, UserPage};
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
