//! Reusable pieces of markup.

pub mod copy;
pub mod layout;
pub mod request;
pub mod tile;
