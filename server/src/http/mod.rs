//! The HTTP surface: the Leptos pages, the sign-in handlers, probes, and the
//! layers every request passes through (request id, tracing, panics, error
//! bodies, body limits, sessions and CSRF).

pub mod admin;
pub mod admin_apps;
pub mod admin_consent;
pub mod admin_grants;
pub mod admin_groups;
pub mod admin_licenses;
pub mod admin_logs;
pub mod admin_tokens;
pub mod api;
pub mod assets;
pub mod auth;
pub mod client;
pub mod consent;
pub mod error;
pub mod headers;
pub mod health;
pub mod launch;
pub mod logos;
pub mod metrics;
pub mod oauth;
pub mod openapi;
pub mod requests;
pub mod scim;
pub mod session;
pub mod uploads;

use app::domain::signin::{LockoutPolicy, SessionPolicy};
use app::ports::Store;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRef, Request, State};
use axum::http::{HeaderName, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// What every handler can reach. Extractors clone it for every request
/// (each `State<AppState>`), so it is one `Arc`: a clone is one atomic
/// increment, not a copy of every field (measured: 5% of a launch).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The fields of [`AppState`].
pub struct Shared {
    pub store: Arc<dyn Store>,
    pub leptos_options: LeptosOptions,
    /// The names of the built files pages link to (see `assets`).
    pub assets: Arc<app::assets::AssetNames>,
    pub cookies: session::Cookies,
    pub session_policy: SessionPolicy,
    pub lockout_policy: LockoutPolicy,
    pub sign_in_throttle: Arc<crate::throttle::SignInThrottle>,
    /// Proxies whose X-Forwarded-For is believed (see `client`).
    pub trusted_proxies: Arc<[ipnet::IpNet]>,
    pub public_url: Arc<str>,
    pub metrics: Arc<metrics::Metrics>,
    /// The bounded password hasher (one check per core, a short queue).
    pub passwords: Arc<crate::passwords::Passwords>,
    /// Bearer token /metrics asks for, when set.
    pub metrics_token: Option<Arc<str>>,
    /// Uploads being read now (see `uploads`).
    pub uploads: Arc<tokio::sync::Semaphore>,
    /// Log exports being written now (see `admin_logs`).
    pub exports: Arc<tokio::sync::Semaphore>,
    /// Notifications also go out by e-mail (SMTP is configured).
    pub email: bool,
    /// The keys that sign ID tokens (see `crate::signing`).
    pub signing_keys: Arc<crate::signing::SigningKeys>,
    /// (connections, idle) of the database pool.
    pub pool_stats: Arc<dyn Fn() -> (u32, usize) + Send + Sync>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let request_id = HeaderName::from_static(error::REQUEST_ID_HEADER);
    // The admin API's routes and the document that describes them, made
    // together; the document is served as it is and drawn as a page.
    let (admin_api, openapi) = openapi::admin_api(&state);
    let document = serde_json::to_value(&openapi).expect("the OpenAPI document serializes");
    let reference = API_REFERENCE.get_or_init(|| std::sync::Arc::new(openapi::reference(&document))).clone();
    let openapi_json = (
        [(axum::http::header::CONTENT_TYPE, "application/json"), (axum::http::header::CACHE_CONTROL, "no-cache")],
        axum::body::Bytes::from(serde_json::to_vec_pretty(&document).expect("JSON")),
    );
    let context = request_context(&state, reference);
    let pages = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .route("/auth/sign-in", post(auth::sign_in))
        .route("/auth/sign-out", post(auth::sign_out))
        .route("/auth/mfa/verify", post(auth::mfa_verify))
        .route("/auth/mfa/enrol", post(auth::mfa_enrol))
        .route("/auth/mfa/enrol/qr.svg", get(auth::enrol_qr))
        .route("/auth/change-password", post(auth::change_password))
        .route("/launch/{app_id}", get(launch::launch))
        .route(oauth::DISCOVERY_PATH, get(oauth::discovery))
        .route(oauth::JWKS_PATH, get(oauth::jwks))
        .route(oauth::AUTHORIZE_PATH, get(oauth::authorize_get).post(oauth::authorize_post))
        .route(oauth::TOKEN_PATH, post(oauth::token))
        .route(oauth::USERINFO_PATH, get(oauth::userinfo).post(oauth::userinfo))
        .route(oauth::REVOCATION_PATH, post(oauth::revoke))
        .route(oauth::INTROSPECTION_PATH, post(oauth::introspect))
        .route(oauth::LOGOUT_PATH, get(oauth::logout_get).post(oauth::logout_post))
        .route("/me/apps/{app_id}/pin", post(api::pin_form))
        .route("/consent/{app_id}", post(consent::accept_consent_form))
        .route("/consent/{app_id}/request", post(requests::ask_form))
        .route("/access/{app_id}/request", post(requests::ask_access_form))
        .route("/my-consents/{app_id}/remove", post(consent::remove_consent_form))
        .route("/reviews/{request_id}", post(requests::review_form))
        .route("/reviews/blocked/{app_id}/unblock", post(requests::unblock_form))
        .route("/notifications/read", post(requests::mark_notifications_read_form))
        .route("/notifications/{notification_id}/open", get(requests::open_notification))
        .route("/admin/users/new", post(admin::create_user_form))
        .route("/admin/users/{user_id}/reset-password", post(admin::reset_password_form))
        .route("/admin/users/{user_id}/edit", post(admin::update_user_form))
        .route("/admin/users/{user_id}/{action}", post(admin::change_sign_in_form))
        .route("/admin/groups/new", post(admin_groups::create_group_form))
        .route("/admin/groups/{group_id}/edit", post(admin_groups::update_group_form))
        .route("/admin/groups/{group_id}/delete", post(admin_groups::delete_group_form))
        .route("/admin/groups/{group_id}/members", post(admin_groups::add_member_form))
        .route("/admin/groups/{group_id}/members/remove", post(admin_groups::remove_member_form))
        .route("/admin/apps/new", post(admin_apps::create_app_form))
        .route("/admin/apps/{app_id}/edit", post(admin_apps::update_app_form))
        .route("/admin/apps/{app_id}/delete", post(admin_apps::delete_app_form))
        .route("/admin/apps/{app_id}/rotate-secret", post(admin_apps::rotate_secret_form))
        .route("/admin/apps/{app_id}/logo/remove", post(admin_apps::remove_logo_form))
        .route("/logos/{app_id}/{digest}", get(logos::logo))
        .route("/admin/licenses/new", post(admin_licenses::create_license_form))
        .route("/admin/licenses/{license_id}/edit", post(admin_licenses::update_license_form))
        .route("/admin/licenses/{license_id}/delete", post(admin_licenses::delete_license_form))
        .route("/admin/licenses/{license_id}/assignments", post(admin_licenses::add_assignment_form))
        .route("/admin/licenses/{license_id}/assignments/remove", post(admin_licenses::remove_assignment_form))
        .route("/admin/consent", post(admin_consent::update_settings_form))
        .route("/admin/consent/reviewers", post(admin_consent::add_reviewer_form))
        .route("/admin/consent/reviewers/remove", post(admin_consent::remove_reviewer_form))
        .route("/admin/permissions/{permission_id}/classify", post(admin_consent::classify_permission_form))
        .route("/admin/permissions/{permission_id}/delete", post(admin_consent::delete_permission_form))
        .route("/admin/permissions/apis", post(admin_consent::create_api_form))
        .route("/admin/permissions/new", post(admin_consent::create_permission_form))
        .route("/admin/api-tokens/new", post(admin_tokens::create_token_form))
        .route("/admin/api-tokens/{token_id}/revoke", post(admin_tokens::revoke_token_form))
        .route("/admin/apps/{app_id}/consents", post(admin_grants::grant_form))
        .route("/admin/apps/{app_id}/reviewers", post(admin_apps::add_reviewer_form))
        .route("/admin/apps/{app_id}/reviewers/remove", post(admin_apps::remove_reviewer_form))
        .route("/admin/apps/{app_id}/consents/{grant_id}/revoke", post(admin_grants::revoke_form))
        .route("/admin/apps/{app_id}/assignments", post(admin_apps::add_assignment_form))
        .route("/admin/apps/{app_id}/assignments/remove", post(admin_apps::remove_assignment_form))
        .merge(
            // Uploads: a larger body than forms, and only a few read at a time.
            Router::new()
                .route("/admin/apps/{app_id}/logo", post(admin_apps::upload_logo_form))
                .route_layer(axum::middleware::from_fn_with_state(state.clone(), uploads::bounded))
                .layer(DefaultBodyLimit::max(uploads::UPLOAD_LIMIT)),
        )
        .merge(admin_api)
        .merge(scim::router())
        .route(app::models::api_reference::OPENAPI_PATH, get(move || std::future::ready(openapi_json.clone())))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = state.leptos_options.clone();
            move || app::shell(options.clone())
        })
        .fallback(fallback)
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .with_state(state.clone());
    // Sessions for everything but the site's files, wrapped around the
    // pages' router once (not route by route: see below).
    let pages =
        tower::ServiceBuilder::new().layer(axum::middleware::from_fn_with_state(state.clone(), session::session_middleware)).service(pages);
    let site = assets::router(&state.leptos_options.site_root).fallback_service(pages);
    // The layers every request passes through wrap the router once, as one
    // service. Added with `Router::layer` they wrapped each of the ~70
    // routes on its own, and axum clones a route's boxed service stack for
    // every request: seven layers made about 70 allocations per request
    // (callgrind on launches; see BENCHMARKS.md).
    let layered = tower::ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(request_id.clone(), TimeOrderedRequestId))
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<Body>| {
            let id = req.headers().get(error::REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(axum::middleware::from_fn_with_state(state.clone(), headers::security_headers))
        .layer(axum::middleware::from_fn_with_state(state.assets.clone(), error::normalize_errors))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(DefaultBodyLimit::max(session::FORM_LIMIT))
        .service(site);
    Router::new().fallback_service(layered)
}

/// Request ids (the correlation ids people see) are UUIDv7: unique, and
/// ordered by time, so the index of sign-in events by correlation id grows
/// at one end instead of taking a write at a random page for every launch
/// (random v4 ids made every event dirty a page of its own).
#[derive(Clone, Copy)]
struct TimeOrderedRequestId;

impl MakeRequestId for TimeOrderedRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let id = uuid::Uuid::now_v7().to_string();
        axum::http::HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// Static files of the site, then the app's 404 page; other methods get a
/// 404 error body.
async fn fallback(uri: Uri, State(state): State<AppState>, req: Request<Body>) -> Response {
    let is_read = req.method() == Method::GET || req.method() == Method::HEAD;
    let static_asset = uri.path().starts_with("/pkg/") || uri.path().contains('.');
    if !is_read || !(static_asset || error::wants_html(req.method(), req.headers())) {
        return error::AppError::not_found().into_response();
    }
    let handler = leptos_axum::file_and_error_handler_with_context::<AppState, _>(
        request_context(&state, API_REFERENCE.get().cloned().unwrap_or_default()),
        app::shell,
    );
    handler(uri, State(state), req).await
}

/// The admin API's reference page, drawn once from the document (the same
/// for every router this process builds).
static API_REFERENCE: std::sync::OnceLock<std::sync::Arc<app::models::api_reference::ApiReference>> = std::sync::OnceLock::new();

/// What pages and server functions find in their context on every request.
fn request_context(
    state: &AppState,
    reference: std::sync::Arc<app::models::api_reference::ApiReference>,
) -> impl Fn() + Clone + Send + Sync + 'static {
    let store = state.store.clone();
    let public_url = app::server_fns::apps::PublicUrl(state.public_url.to_string());
    let assets = state.assets.as_ref().clone();
    move || {
        provide_context(store.clone());
        provide_context(public_url.clone());
        provide_context(assets.clone());
        provide_context(reference.clone());
        // A page render: its Content-Security-Policy names this render's nonce.
        if let (Some(nonce), Some(res)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>()) {
            if let Ok(policy) = axum::http::HeaderValue::from_str(&headers::page_policy(&nonce)) {
                res.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, policy);
            }
        }
    }
}

/// The Leptos routes, generated once per process. Generating them renders
/// the app with resource loading suppressed through a process-global flag;
/// a page rendered on another thread meanwhile could hang forever
/// (leptos-rs/leptos#4773), so it must never happen while serving.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}

/// Is this a canonical (lower-case, hyphenated) UUID, as every id we make
/// is? Anything else names nothing and is not looked up.
pub(crate) fn canonical_id(id: &str) -> bool {
    matches!(uuid::Uuid::parse_str(id), Ok(u) if u.to_string() == id)
}

/// The client's user agent, as sign-in events record it (at most 512 characters).
pub(crate) fn user_agent(headers: &axum::http::HeaderMap) -> String {
    headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").chars().take(512).collect()
}
