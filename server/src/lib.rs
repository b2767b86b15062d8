#![recursion_limit = "512"]
//! The My Apps server: configuration, storage, the HTTP surface and start-up.
//! `main.rs` is a thin wrapper; integration tests build the same
//! [`startup::Application`] on port 0.

pub mod background;
pub mod config;
pub mod http;
pub mod logos;
pub mod mailer;
pub mod passwords;
pub mod sealing;
pub mod security;
pub mod signing;
pub mod startup;
pub mod store;
pub mod throttle;
pub mod time;
