//! The sign-in and audit logs for admins (app admins and privileged
//! admins): `/api/v1/admin/sign-ins` and `/api/v1/admin/audit-events`,
//! filtered and paged by cursor, and each as a CSV download (`/export.csv`
//! with the same filters).
//!
//! An export streams page after page, at most [`EXPORT_MAX_ROWS`] rows,
//! and at most `MYAPPS_CONCURRENT_EXPORTS` (2) run at once per replica:
//! past that, 503 with `Retry-After`, so exports never take the memory or
//! the database from everyone else.

use super::error::AppError;
use super::session::Auth;
use super::AppState;
use app::domain::logs::spreadsheet_safe;
use app::models::admin::{AuditLogPage, AuditLogQuery, SignInLogEntry, SignInLogPage, SignInLogQuery, MAX_PAGE_SIZE};
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;

/// The most rows one export holds (narrow the filters for more).
pub const EXPORT_MAX_ROWS: usize = 100_000;

/// The sign-in log
///
/// Sign-ins, launches and token requests, newest first, filtered. App admins
/// and privileged admins.
#[utoipa::path(
    get,
    path = "/api/v1/admin/sign-ins",
    tag = "Logs",
    params(SignInLogQuery),
    responses((status = 200, description = "A page of events", body = SignInLogPage), (status = 400, description = "Bad request (a malformed id, a search that is too long, a cursor we did not make)", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 422, description = "Fields that cannot be used: `fields` says why, field by field; nothing was written", body = super::error::ErrorResponse))
)]
pub async fn sign_ins(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Query(params): Query<SignInLogQuery>,
) -> Result<Json<SignInLogPage>, AppError> {
    let admin = super::admin::require_admin(&auth)?;
    let filter = params.filter().map_err(AppError::Validation)?;
    Ok(Json(state.store.sign_in_log(&admin.org_id, &filter, params.cursor.as_deref(), params.limit).await?))
}

/// The audit log
///
/// Every change made by admins, tokens and provisioning, newest first, with
/// the target before and after.
#[utoipa::path(
    get,
    path = "/api/v1/admin/audit-events",
    tag = "Logs",
    params(AuditLogQuery),
    responses((status = 200, description = "A page of events", body = AuditLogPage), (status = 400, description = "Bad request (a malformed id, a search that is too long, a cursor we did not make)", body = super::error::ErrorResponse), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 422, description = "Fields that cannot be used: `fields` says why, field by field; nothing was written", body = super::error::ErrorResponse))
)]
pub async fn audit_events(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Query(params): Query<AuditLogQuery>,
) -> Result<Json<AuditLogPage>, AppError> {
    let admin = super::admin::require_admin(&auth)?;
    let filter = params.filter().map_err(AppError::Validation)?;
    Ok(Json(state.store.audit_log(&admin.org_id, &filter, params.cursor.as_deref(), params.limit).await?))
}

/// The sign-in log as CSV
///
/// The same filters; at most 100,000 rows (narrow the filters for more).
/// Times are RFC 3339 UTC; a cell that would start a spreadsheet formula
/// begins with `'`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/sign-ins/export.csv",
    tag = "Logs",
    params(SignInLogQuery),
    responses((status = 200, description = "RFC 4180 CSV", content_type = "text/csv", body = String), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 422, description = "Fields that cannot be used: `fields` says why, field by field; nothing was written", body = super::error::ErrorResponse), (status = 503, description = "Busy: try again after `Retry-After` seconds", body = super::error::ErrorResponse))
)]
pub async fn export_sign_ins(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Query(params): Query<SignInLogQuery>,
) -> Result<Response, AppError> {
    let admin = super::admin::require_admin(&auth)?;
    let filter = params.filter().map_err(AppError::Validation)?;
    let permit = export_turn(&state, "/admin/sign-ins")?;
    let org_id = admin.org_id.clone();
    let header =
        ["time", "correlation_id", "user", "user_id", "app", "app_id", "kind", "outcome", "reason_code", "client_ip", "user_agent"];
    let pages = move |cursor: Option<String>| {
        let (state, org_id, filter) = (state.clone(), org_id.clone(), filter.clone());
        async move {
            let page = state.store.sign_in_log(&org_id, &filter, cursor.as_deref(), MAX_PAGE_SIZE).await?;
            let rows = page
                .events
                .into_iter()
                .map(|SignInLogEntry { user_id, upn, event: e, .. }| {
                    vec![
                        iso_time(e.created_at),
                        e.correlation_id,
                        upn,
                        user_id.unwrap_or_default(),
                        e.app_name.unwrap_or_default(),
                        e.app_id.unwrap_or_default(),
                        e.kind,
                        e.outcome,
                        e.reason_code,
                        e.client_ip,
                        e.user_agent,
                    ]
                })
                .collect();
            Ok((rows, page.next_cursor))
        }
    };
    Ok(csv_download("sign-ins.csv", &header, pages, permit))
}

/// The audit log as CSV
///
/// The same filters; before and after as JSON text; at most 100,000 rows.
#[utoipa::path(
    get,
    path = "/api/v1/admin/audit-events/export.csv",
    tag = "Logs",
    params(AuditLogQuery),
    responses((status = 200, description = "RFC 4180 CSV", content_type = "text/csv", body = String), (status = 401, description = "Not signed in, or no valid API token", body = super::error::ErrorResponse), (status = 403, description = "The caller's role may not do this", body = super::error::ErrorResponse), (status = 422, description = "Fields that cannot be used: `fields` says why, field by field; nothing was written", body = super::error::ErrorResponse), (status = 503, description = "Busy: try again after `Retry-After` seconds", body = super::error::ErrorResponse))
)]
pub async fn export_audit_events(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Query(params): Query<AuditLogQuery>,
) -> Result<Response, AppError> {
    let admin = super::admin::require_admin(&auth)?;
    let filter = params.filter().map_err(AppError::Validation)?;
    let permit = export_turn(&state, "/admin/audit")?;
    let org_id = admin.org_id.clone();
    let header = ["time", "actor", "actor_user_id", "action", "target_type", "target_id", "before", "after", "correlation_id"];
    let pages = move |cursor: Option<String>| {
        let (state, org_id, filter) = (state.clone(), org_id.clone(), filter.clone());
        async move {
            let page = state.store.audit_log(&org_id, &filter, cursor.as_deref(), MAX_PAGE_SIZE).await?;
            let json = |v: Option<serde_json::Value>| v.map(|v| v.to_string()).unwrap_or_default();
            let rows = page
                .events
                .into_iter()
                .map(|e| {
                    vec![
                        iso_time(e.created_at),
                        e.actor,
                        e.actor_user_id.unwrap_or_default(),
                        e.action,
                        e.target_type,
                        e.target_id,
                        json(e.before),
                        json(e.after),
                        e.correlation_id,
                    ]
                })
                .collect();
            Ok((rows, page.next_cursor))
        }
    };
    Ok(csv_download("audit-events.csv", &header, pages, permit))
}

/// One of the export turns, or 503 with `Retry-After`.
fn export_turn(state: &AppState, page: &str) -> Result<tokio::sync::OwnedSemaphorePermit, AppError> {
    state.exports.clone().try_acquire_owned().map_err(|_| AppError::Busy { retry_after_secs: 5, try_again: page.to_string() })
}

/// A time as RFC 3339 in UTC, with milliseconds.
fn iso_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

type Rows = Vec<Vec<String>>;

/// A CSV answer streamed page by page: the header row, then each page that
/// `next_page(cursor)` reads, until there is no next page or
/// [`EXPORT_MAX_ROWS`] rows are out. The export's turn is held until the
/// stream ends. A failure midway ends the stream (the download is then cut
/// short, which the client sees as an error).
fn csv_download<F, Fut>(filename: &str, header: &[&str], next_page: F, permit: tokio::sync::OwnedSemaphorePermit) -> Response
where
    F: Fn(Option<String>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(Rows, Option<String>), app::ports::StoreError>> + Send + 'static,
{
    let first = csv_chunk(&[header.iter().map(|h| h.to_string()).collect()]);
    // (cursor of the next page, rows written, done, the turn)
    let state = (None::<String>, 0usize, false, permit);
    let pages = futures_util::stream::unfold(state, move |(cursor, written, done, permit)| {
        let next = (!done && written < EXPORT_MAX_ROWS).then(|| next_page(cursor));
        async move {
            let page = next?.await;
            match page {
                Ok((mut rows, next_cursor)) => {
                    rows.truncate(EXPORT_MAX_ROWS - written);
                    let written = written + rows.len();
                    let done = next_cursor.is_none();
                    Some((Ok::<Bytes, std::io::Error>(csv_chunk(&rows)), (next_cursor, written, done, permit)))
                }
                Err(e) => {
                    tracing::error!(error = %e, "an export stopped");
                    Some((Err(std::io::Error::other("the export could not be completed")), (None, written, true, permit)))
                }
            }
        }
    });
    let body = futures_util::stream::once(async move { Ok(first) }).chain(pages);
    let mut res = Body::from_stream(body).into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// Rows as CSV (RFC 4180 quoting), each cell made safe for spreadsheets.
fn csv_chunk(rows: &[Vec<String>]) -> Bytes {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        // Writing to a Vec cannot fail.
        let _ = writer.write_record(row.iter().map(|cell| spreadsheet_safe(cell).into_owned()));
    }
    Bytes::from(writer.into_inner().unwrap_or_default())
}
