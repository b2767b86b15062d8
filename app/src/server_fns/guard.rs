//! What every server function does first: find out who is calling and
//! whether they may, from the session the server's middleware resolved for
//! this request. Nothing the browser sends is trusted for it.

use crate::auth::RequestAuth;
use crate::domain::model::SessionStage;
use crate::ports::{SessionUser, Store};
use leptos::prelude::*;
use std::sync::Arc;

/// A refusal: the message, and the status of the response it is part of
/// (the server function's own, or the page's when a page renders with it),
/// so that a refusal is a 4xx, never the 500 of an unexplained error.
fn refused(status: http::StatusCode, message: &str) -> ServerFnError {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
    ServerFnError::new(message)
}

/// The caller's user, when fully signed in; an error otherwise.
pub fn require_user() -> Result<SessionUser, ServerFnError> {
    let parts = use_context::<http::request::Parts>().ok_or_else(|| ServerFnError::new("request context missing"))?;
    match parts.extensions.get::<RequestAuth>() {
        Some(RequestAuth::Session(s)) if s.stage == SessionStage::Active => Ok(s.user.clone()),
        _ => Err(refused(http::StatusCode::UNAUTHORIZED, "Sign in to continue.")),
    }
}

/// The caller, when they are an app admin or a privileged admin.
pub fn require_admin() -> Result<SessionUser, ServerFnError> {
    let user = require_user()?;
    if !user.role.is_admin() {
        return Err(refused(http::StatusCode::FORBIDDEN, "This needs an admin role."));
    }
    Ok(user)
}

/// The caller, when they are a privileged admin.
pub fn require_privileged_admin() -> Result<SessionUser, ServerFnError> {
    let user = require_user()?;
    if !user.role.is_privileged_admin() {
        return Err(refused(http::StatusCode::FORBIDDEN, "This needs the privileged admin role."));
    }
    Ok(user)
}

pub fn store() -> Result<Arc<dyn Store>, ServerFnError> {
    use_context::<Arc<dyn Store>>().ok_or_else(|| ServerFnError::new("store missing"))
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A storage failure, as the caller sees it: a cursor that is not ours is
/// their mistake and is said so; anything else is logged and is ours.
pub fn internal(e: crate::ports::StoreError) -> ServerFnError {
    if let crate::ports::StoreError::InvalidInput { message, .. } = e {
        return refused(http::StatusCode::BAD_REQUEST, message);
    }
    tracing::error!(error = %e, "storage failure in a server function");
    ServerFnError::new("Something went wrong on our side. Try again.")
}
