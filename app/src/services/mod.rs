//! Application services: turn a storage snapshot into what pages and the
//! API show, through the domain's decisions. Shared by server functions and
//! the JSON API, so both say the same thing.

pub mod access;
pub mod admin;
