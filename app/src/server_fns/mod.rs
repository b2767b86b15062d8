//! Server functions, grouped by resource. Each checks who is calling first.

pub mod admin;
pub mod apps;
#[cfg(feature = "ssr")]
pub mod guard;
pub mod requests;
pub mod session;
