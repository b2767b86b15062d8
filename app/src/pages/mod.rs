//! One module per page.

pub mod admin;
pub mod admin_api;
pub mod admin_apps;
pub mod admin_connected;
pub mod admin_consent;
pub mod admin_grants;
pub mod admin_groups;
pub mod admin_licenses;
pub mod admin_logs;
pub mod admin_tokens;
pub mod app_details;
pub mod consent;
pub mod home;
pub mod launch_refused;
pub mod my_apps;
pub mod not_found;
pub mod requests;
pub mod sign_in;
