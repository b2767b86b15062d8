//! Integration tests: each starts the real server on 127.0.0.1:0 with a
//! fresh database (SQLite by default; PostgreSQL when TEST_DATABASE_URL is a
//! postgres:// URL) and talks to it over HTTP, as a browser would.

mod access_requests;
mod admin_apps;
mod admin_consent;
mod admin_grants;
mod admin_groups;
mod admin_logs;
mod admin_users;
mod api_tokens;
mod assets;
mod bad_input;
mod catalogue;
mod consent;
mod headers;
mod health;
mod helpers;
mod launch;
mod licenses;
mod mfa_and_password;
mod my_apps;
mod oidc;
mod openapi;
mod replicas;
mod requests;
mod roles;
mod scim;
mod sign_in;
