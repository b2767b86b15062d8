//! Types the server sends to pages and API clients: serializable, shared by
//! both builds.

pub mod admin;
pub mod api_reference;
pub mod apps;
pub mod consents;
pub mod requests;
