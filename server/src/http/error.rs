//! The HTTP layer's one error type, and the rule that every error a client
//! sees has a stable code, a message a person understands and the request's
//! correlation id, as JSON for programs or as a small page for browsers.
//! Internal causes go to the log, never to the client.

use app::assets::AssetNames;
use app::ports::StoreError;
use axum::body::Body;
use axum::extract::Request;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    Client { status: StatusCode, code: &'static str, message: String },
    /// A bounded resource (password checks) is saturated: 503 with
    /// `Retry-After`, and for people a way back to where they were.
    #[error("busy; retry in {retry_after_secs} s")]
    Busy { retry_after_secs: u64, try_again: String },
    /// Fields of a form or JSON body that cannot be used: 422 with a
    /// sentence per field.
    #[error("invalid fields")]
    Validation(Vec<(&'static str, &'static str)>),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Client { status: StatusCode::BAD_REQUEST, code, message: message.into() }
    }
    pub fn unauthorized() -> Self {
        AppError::Client { status: StatusCode::UNAUTHORIZED, code: "sign_in_required", message: "Sign in to continue.".into() }
    }
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Client { status: StatusCode::FORBIDDEN, code, message: message.into() }
    }
    pub fn not_found() -> Self {
        AppError::Client { status: StatusCode::NOT_FOUND, code: "not_found", message: "There is nothing at this address.".into() }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::not_found(),
            StoreError::InvalidInput { message, .. } => AppError::bad_request("invalid_input", message),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::Client { status, code, message } => {
                ErrorBody { status, code, message, try_again: None, fields: vec![] }.into_response()
            }
            AppError::Validation(problems) => ErrorBody {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "validation_failed",
                message: "Some fields need another look.".into(),
                try_again: None,
                fields: problems
                    .into_iter()
                    .map(|(field, code)| (field, app::domain::fields::field_message(field, code).unwrap_or("This value cannot be used.")))
                    .collect(),
            }
            .into_response(),
            AppError::Busy { retry_after_secs, try_again } => {
                let body = ErrorBody {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    code: "busy",
                    message: "We're checking a lot of sign-ins right now. Wait a moment, then try again.".into(),
                    try_again: Some(try_again),
                    fields: vec![],
                };
                let mut res = body.into_response();
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                res
            }
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                ErrorBody::internal().into_response()
            }
        }
    }
}

/// Every error of the JSON API: `{"error": {...}}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorResponse {
    pub error: ErrorDetail,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, for programs: `validation_failed`, `user_not_found`, ...
    pub code: String,
    /// For people: what went wrong and what to do.
    pub message: String,
    /// The request's id (also in `X-Request-Id`), as the logs record it.
    pub correlation_id: String,
    /// For `validation_failed`: a sentence for each field that cannot be used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<std::collections::BTreeMap<String, String>>,
}

/// An error on its way out; the correlation id and the format (JSON or HTML)
/// are filled in by [`normalize_errors`], which knows the request.
#[derive(Clone, Debug)]
pub struct ErrorBody {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// A local address to try again at (a page's "Try again" button).
    pub try_again: Option<String>,
    /// For validation errors: (field, sentence), in the body as `fields`.
    pub fields: Vec<(&'static str, &'static str)>,
}

impl ErrorBody {
    pub fn internal() -> Self {
        ErrorBody {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal_error",
            message: "Something went wrong on our side. Try again; if it keeps happening, give your admin the correlation ID.".into(),
            try_again: None,
            fields: vec![],
        }
    }
}

impl IntoResponse for ErrorBody {
    fn into_response(self) -> Response {
        let mut res = self.status.into_response();
        res.extensions_mut().insert(self);
        res
    }
}

/// Does the client want a page rather than JSON? (Browsers say so in
/// Accept on navigations and form posts.)
pub fn wants_html(_method: &Method, headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| accept.contains("text/html"))
}

pub fn correlation_id(headers: &HeaderMap) -> String {
    headers.get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

/// Gives every error response a body in our format: our own errors (an
/// [`ErrorBody`] in the extensions), and the bare or plain-text ones that
/// routing, extractors and layers produce (404, 405, 413, 415, 422, ...).
pub async fn normalize_errors(State(assets): State<Arc<AssetNames>>, req: Request, next: Next) -> Response {
    let html = wants_html(req.method(), req.headers());
    let correlation = correlation_id(req.headers());
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    if let Some(body) = res.extensions().get::<ErrorBody>().cloned() {
        return render(body, &correlation, html, res.headers(), &assets.css);
    }
    if res.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        return server_fn_error(res).await;
    }
    let content_type = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if content_type.starts_with("text/html")
        || content_type.starts_with("application/json")
        || content_type.starts_with(super::scim::CONTENT_TYPE)
    {
        return res; // already a page or a JSON error
    }
    let headers = res.headers().clone();
    let text =
        axum::body::to_bytes(res.into_body(), 4096).await.map(|b| String::from_utf8_lossy(&b).trim().to_string()).unwrap_or_default();
    let (code, fallback) = match status {
        StatusCode::NOT_FOUND => ("not_found", "There is nothing at this address."),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "This address does not accept that kind of request."),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "What you sent is too large."),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("unsupported_media_type", "Send this as JSON (Content-Type: application/json) or as a form.")
        }
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid_body", "Some fields are missing or have the wrong type."),
        StatusCode::BAD_REQUEST => ("bad_request", "The request could not be understood."),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "The request took too long."),
        s if s.is_server_error() => {
            ("internal_error", "Something went wrong on our side. Try again; if it keeps happening, give your admin the correlation ID.")
        }
        _ => ("error", "The request could not be completed."),
    };
    // Extractor rejections explain themselves in plain text; keep that.
    let message = if status.is_client_error() && !text.is_empty() && text.len() < 400 { text } else { fallback.to_string() };
    render(ErrorBody { status, code, message, try_again: None, fields: vec![] }, &correlation, html, &headers, &assets.css)
}

/// Marks a server function's error response (see `server_fn`).
const SERVER_FN_ERROR_HEADER: &str = "serverfnerror";

/// A server function's error keeps the encoding the page's code decodes;
/// only its status is corrected. Its messages are ours (refusals set their
/// own 4xx, storage failures are logged and worded in `guard::internal`),
/// but the framework answers 500 for arguments it could not read: that is
/// the caller's mistake, a 400.
async fn server_fn_error(res: Response) -> Response {
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let bad_arguments = bytes.starts_with(b"Args|") || bytes.starts_with(b"Deserialization|");
    if parts.status == StatusCode::INTERNAL_SERVER_ERROR && bad_arguments {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn render(body: ErrorBody, correlation: &str, html: bool, original: &HeaderMap, stylesheet: &str) -> Response {
    let mut res = if html {
        (body.status, axum::response::Html(error_page(&body, correlation, stylesheet))).into_response()
    } else {
        let error = ErrorDetail {
            code: body.code.to_string(),
            message: body.message.clone(),
            correlation_id: correlation.to_string(),
            fields: (!body.fields.is_empty()).then(|| body.fields.iter().map(|(f, m)| (f.to_string(), m.to_string())).collect()),
        };
        (body.status, axum::Json(ErrorResponse { error })).into_response()
    };
    // keep headers that matter to the client (Allow on 405, Set-Cookie, ...)
    for name in [header::ALLOW, header::SET_COOKIE, header::WWW_AUTHENTICATE, header::RETRY_AFTER] {
        for v in original.get_all(&name) {
            res.headers_mut().append(name.clone(), v.clone());
        }
    }
    if let Ok(v) = HeaderValue::from_str(correlation) {
        res.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    res
}

/// Text made safe to put into HTML.
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A self-contained page for errors that happen outside the Leptos app.
pub fn error_page(body: &ErrorBody, correlation: &str, stylesheet: &str) -> String {
    let title = match body.status {
        StatusCode::NOT_FOUND => "We couldn't find that page",
        StatusCode::FORBIDDEN => "You can't do that",
        StatusCode::UNAUTHORIZED => "Sign in to continue",
        StatusCode::SERVICE_UNAVAILABLE => "We're busy right now",
        s if s.is_server_error() => "Something went wrong",
        _ => "That didn't work",
    };
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark"><title>{title} · My Apps</title><link rel="stylesheet" href="{stylesheet}"></head><body><main id="main" class="auth-page"><div class="auth-card"><h1>{title}</h1><p>{message}</p><p class="muted">Error code: <code>{code}</code><br>Correlation ID: <code>{correlation}</code></p><p>{action}</p></div></main></body></html>"#,
        title = title,
        message = escape(&body.message),
        code = body.code,
        correlation = escape(correlation),
        stylesheet = escape(stylesheet),
        action = match &body.try_again {
            Some(href) => format!(r#"<a class="button button-primary" href="{}">Try again</a>"#, escape(href)),
            None => r#"<a class="button" href="/">Go to My Apps</a>"#.to_string(),
        },
    )
}

/// The response when a handler panics: logged, and a 500 with our body.
pub fn panic_response(_err: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    tracing::error!("handler panicked");
    ErrorBody::internal().into_response()
}
