//! Server functions, grouped by resource. Each checks who is calling first.

pub mod apps;
pub mod session;
