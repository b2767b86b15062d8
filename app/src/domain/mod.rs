//! The pure domain core: types and decisions with no I/O, no Leptos, no axum,
//! no sqlx. Everything here is unit-tested with tables of cases; handlers and
//! server functions call it rather than re-implementing a rule.

pub mod api_tokens;
pub mod apps;
pub mod catalogue;
pub mod consent;
pub mod consent_settings;
pub mod decision;
pub mod fields;
pub mod groups;
pub mod licenses;
pub mod licensing;
pub mod logs;
pub mod model;
pub mod oidc;
pub mod requests;
pub mod scim;
pub mod signin;
pub mod throttle;
pub mod totp;
pub mod usage;
pub mod users;
