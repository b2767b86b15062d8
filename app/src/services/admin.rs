//! Admin views assembled from the store and the access decision.

use crate::domain::decision::review;
use crate::domain::model::Millis;
use crate::models::admin::{AccessCheck, AppChoice, UserDetail};
use crate::ports::{Store, StoreResult};
use crate::services::access::{path_for_admin, UserAccess};

/// One user in full: the record, the licenses that reach them, and their
/// groups and apps as the access decision sees them (the same snapshot a
/// launch decides from).
pub async fn user_detail(store: &dyn Store, org_id: &str, user_id: &str, now: Millis) -> StoreResult<Option<UserDetail>> {
    let Some(profile) = store.find_user(org_id, user_id).await? else { return Ok(None) };
    let licenses = store.user_licenses(org_id, user_id).await?;
    let snapshot = store.access_snapshot(org_id, user_id, None, now).await?;
    let access = UserAccess::new(&snapshot, now, true);
    Ok(Some(UserDetail { profile, groups: access.groups(), licenses, apps: access.apps_for_admin() }))
}

/// The access decision for one user and one app of the organisation, every
/// check laid out: the snapshot and decision a launch of that app would use
/// (the second factor counted as done, as at a launch after sign-in). None
/// when the user or the app is not in the organisation.
pub async fn access_check(store: &dyn Store, org_id: &str, user_id: &str, app_id: &str, now: Millis) -> StoreResult<Option<AccessCheck>> {
    let Some(record) = store.find_user(org_id, user_id).await? else { return Ok(None) };
    let snapshot = store.access_snapshot(org_id, user_id, Some(app_id), now).await?;
    let access = UserAccess::new(&snapshot, now, true);
    let Some(app) = access.app(app_id) else { return Ok(None) };
    let (_, decision) = access.decide(Some(app));
    Ok(Some(AccessCheck {
        user: record.summary,
        app: AppChoice { id: app.id.clone(), name: app.name.clone() },
        allowed: decision.allowed(),
        checks: review(&decision),
        paths: decision.paths.iter().map(path_for_admin).collect(),
        groups: access.groups(),
        licenses: store.user_licenses(org_id, user_id).await?,
    }))
}
