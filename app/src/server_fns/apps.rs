//! The signed-in employee's apps: the list, one app's details, and a refused
//! launch. Each requires a fully signed-in session, first thing.

use crate::models::apps::{AppDetails, LaunchRefusal, MyApps};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

/// The public URL of the portal, provided as context by the server.
#[derive(Clone, Debug)]
pub struct PublicUrl(pub String);

#[cfg(feature = "ssr")]
use super::guard as ssr;

/// The apps the caller may launch. Requires a signed-in session.
#[server(prefix = "/api/fn", endpoint = "my_apps", input = GetUrl)]
pub async fn load_my_apps() -> Result<MyApps, ServerFnError> {
    use crate::services::access::UserAccess;
    let user = ssr::require_user()?;
    let now = ssr::now();
    let snapshot = ssr::store()?.access_snapshot(&user.org_id, &user.user_id, None, now).await.map_err(ssr::internal)?;
    Ok(UserAccess::new(&snapshot, now, true).my_apps())
}

/// One app the caller has, in detail; None when they don't have it (or it
/// doesn't exist: the two are not told apart). Requires a signed-in session.
#[server(prefix = "/api/fn", endpoint = "app_details", input = GetUrl)]
pub async fn load_app_details(app_id: String) -> Result<Option<AppDetails>, ServerFnError> {
    use crate::services::access::UserAccess;
    let user = ssr::require_user()?;
    if uuid::Uuid::parse_str(&app_id).is_err() {
        return Ok(None);
    }
    let now = ssr::now();
    let snapshot = ssr::store()?.access_snapshot(&user.org_id, &user.user_id, Some(&app_id), now).await.map_err(ssr::internal)?;
    let public_url = use_context::<PublicUrl>().map(|p| p.0).unwrap_or_default();
    Ok(UserAccess::new(&snapshot, now, true).details(&app_id, &public_url))
}

/// The caller's own refused launch, by its correlation id. Requires a
/// signed-in session; another person's events are never found.
#[server(prefix = "/api/fn", endpoint = "launch_refusal", input = GetUrl)]
pub async fn load_launch_refusal(reference: String) -> Result<Option<LaunchRefusal>, ServerFnError> {
    let user = ssr::require_user()?;
    if reference.len() > 64 {
        return Ok(None);
    }
    let store = ssr::store()?;
    let event = store.find_own_sign_in_event(&user.org_id, &user.user_id, &reference).await.map_err(ssr::internal)?;
    let Some(e) = event.filter(|e| e.kind == "launch" && e.outcome == "failure") else { return Ok(None) };
    let access_request = match (&e.app_id, crate::domain::requests::access_requestable(&e.reason_code)) {
        (Some(app_id), true) => {
            let pending = store
                .pending_request_of(&user.org_id, app_id, &user.user_id, crate::domain::requests::RequestKind::Access)
                .await
                .map_err(ssr::internal)?;
            Some(crate::models::apps::AccessOffer { app_id: app_id.clone(), asked_at: pending.map(|(_, at)| at) })
        }
        _ => None,
    };
    Ok(Some(e).map(|e| LaunchRefusal {
        access_request,
        code: e.reason_code,
        app_name: e.app_name,
        app_id: e.app_id,
        correlation_id: e.correlation_id,
        upn: user.upn.clone(),
        tenant_id: user.org_id.clone(),
        user_agent: e.user_agent,
        time_utc: chrono::DateTime::from_timestamp_millis(e.created_at)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default(),
    }))
}

/// The consent prompt for an app: its missing permissions and what the
/// caller can do about them; None when a launch would not stop at consent.
/// Requires a signed-in session.
#[server(prefix = "/api/fn", endpoint = "consent_prompt", input = GetUrl)]
pub async fn load_consent_prompt(app_id: String) -> Result<Option<crate::models::consents::ConsentPrompt>, ServerFnError> {
    use crate::services::access::UserAccess;
    let user = ssr::require_user()?;
    if uuid::Uuid::parse_str(&app_id).is_err() {
        return Ok(None);
    }
    let now = ssr::now();
    let store = ssr::store()?;
    let snapshot = store.access_snapshot(&user.org_id, &user.user_id, Some(&app_id), now).await.map_err(ssr::internal)?;
    let Some(mut prompt) = UserAccess::new(&snapshot, now, true).consent_prompt(&app_id) else { return Ok(None) };
    if prompt.next == crate::domain::consent::ConsentNext::ApprovalRequired {
        let pending = store
            .pending_request_of(&user.org_id, &app_id, &user.user_id, crate::domain::requests::RequestKind::Consent)
            .await
            .map_err(ssr::internal)?;
        prompt.asked_at = pending.map(|(_, at)| at);
    }
    Ok(Some(prompt))
}

/// The apps the caller let in, and those their organisation let in for the
/// apps they have. Requires a signed-in session.
#[server(prefix = "/api/fn", endpoint = "my_consents", input = GetUrl)]
pub async fn load_my_consents() -> Result<crate::models::consents::MyConsents, ServerFnError> {
    let user = ssr::require_user()?;
    ssr::store()?.my_consents(&user.org_id, &user.user_id).await.map_err(ssr::internal)
}
