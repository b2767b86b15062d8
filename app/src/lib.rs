//! The My Apps portal's Leptos application: pages, components, server
//! functions and the pure domain core. Compiled twice: with `ssr` into the
//! server, with `hydrate` into the browser bundle.

#![recursion_limit = "512"]

pub mod assets;
pub mod auth;
#[cfg(feature = "hydrate")]
pub mod client;
pub mod components;
pub mod domain;
pub mod models;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ports;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod services;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The product name, shown in titles and the header.
pub const PRODUCT_NAME: &str = "My Apps";

/// The HTML document around every page (server only). Pages are HTML;
/// only their islands get code (see `assets`).
pub fn shell(_options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <assets::AssetTags/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|title: String| {
            if title.is_empty() { PRODUCT_NAME.to_string() } else { format!("{title} · {PRODUCT_NAME}") }
        }/>
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            // Async: each page is sent complete, so its forms work before (and
                // without) the browser bundle.
            <Routes fallback=pages::not_found::NotFoundPage>
                <Route path=path!("/") view=pages::my_apps::MyAppsPage ssr=SsrMode::Async/>
                <Route path=path!("/account") view=pages::home::AccountPage ssr=SsrMode::Async/>
                <Route path=path!("/apps/:app_id") view=pages::app_details::AppDetailsPage ssr=SsrMode::Async/>
                <Route path=path!("/admin") view=pages::admin::AdminHomePage ssr=SsrMode::Async/>
                <Route path=path!("/admin/users") view=pages::admin::AdminUsersPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/check-access") view=pages::admin::AdminCheckAccessPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/users/new") view=pages::admin::AdminNewUserPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/users/:user_id/edit") view=pages::admin::AdminEditUserPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/users/:user_id") view=pages::admin::AdminUserPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/apps") view=pages::admin_apps::AdminAppsPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/apps/new") view=pages::admin_apps::AdminNewAppPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/apps/:app_id/edit") view=pages::admin_apps::AdminEditAppPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/apps/:app_id/consents") view=pages::admin_grants::AdminAppConsentsPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/apps/:app_id/assignments") view=pages::admin_apps::AdminAppAssignmentsPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/apps/:app_id") view=pages::admin_apps::AdminAppPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/connected-apps") view=pages::admin_connected::AdminConnectedAppsPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/sign-ins") view=pages::admin_logs::AdminSignInsPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/audit") view=pages::admin_logs::AdminAuditPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/api") view=pages::admin_api::AdminApiPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/api-tokens") view=pages::admin_tokens::AdminApiTokensPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/licenses") view=pages::admin_licenses::AdminLicensesPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/licenses/new") view=pages::admin_licenses::AdminNewLicensePage ssr=SsrMode::Async/>
                <Route path=path!("/admin/licenses/:license_id/edit") view=pages::admin_licenses::AdminEditLicensePage ssr=SsrMode::Async/>
                <Route path=path!("/admin/licenses/:license_id") view=pages::admin_licenses::AdminLicensePage ssr=SsrMode::Async/>
                <Route path=path!("/admin/consent") view=pages::admin_consent::AdminConsentPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/permissions") view=pages::admin_consent::AdminPermissionsPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/groups") view=pages::admin_groups::AdminGroupsPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/groups/new") view=pages::admin_groups::AdminNewGroupPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/groups/:group_id/edit") view=pages::admin_groups::AdminEditGroupPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/groups/:group_id") view=pages::admin_groups::AdminGroupPage ssr=SsrMode::Async/>
                <Route path=path!("/consent/:app_id") view=pages::consent::ConsentPage ssr=SsrMode::Async/>
                <Route path=path!("/my-consents") view=pages::consent::MyConsentsPage ssr=SsrMode::Async/>
                <Route path=path!("/my-consents/:app_id/remove") view=pages::consent::RemoveConsentPage ssr=SsrMode::Async/>
                <Route path=path!("/my-requests") view=pages::requests::MyRequestsPage ssr=SsrMode::Async/>
                <Route path=path!("/reviews") view=pages::requests::ReviewsPage ssr=SsrMode::Async/>
                <Route path=path!("/notifications") view=pages::requests::NotificationsPage ssr=SsrMode::Async/>
                <Route path=path!("/launch-refused") view=pages::launch_refused::LaunchRefusedPage ssr=SsrMode::Async/>
                <Route path=path!("/sign-in") view=pages::sign_in::SignInPage ssr=SsrMode::Async/>
                <Route path=path!("/sign-out") view=pages::sign_in::SignOutConfirmPage ssr=SsrMode::Async/>
                <Route path=path!("/sign-in/problem") view=pages::not_found::SignInProblemPage ssr=SsrMode::Async/>
                <Route path=path!("/sign-in/mfa") view=pages::sign_in::MfaVerifyPage ssr=SsrMode::Async/>
                <Route path=path!("/sign-in/mfa/enrol") view=pages::sign_in::MfaEnrolPage ssr=SsrMode::Async/>
                <Route path=path!("/sign-in/change-password") view=pages::sign_in::ChangePasswordPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}
