//! The server's configuration: one typed struct read from flags and the
//! environment, with defaults that make a fresh checkout run.

use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A secret from the environment: never printed by Debug.
#[derive(Clone, Default)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_string()))
    }
}

#[derive(Parser, Debug, Clone)]
#[command(name = "myapps", version, about = "My Apps: the self-service application portal (web app, API and OpenID Connect provider).")]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Database URL: sqlite:PATH or postgres://USER@HOST/DB. Default: an SQLite
    /// file in the data directory, created on first start.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Most database connections to hold open.
    #[arg(long, env = "MYAPPS_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,

    /// The URL people reach the portal at (used in links, redirects and
    /// cookies; https makes cookies Secure). Default: http://LISTEN.
    #[arg(long, env = "MYAPPS_PUBLIC_URL")]
    pub public_url: Option<url::Url>,

    /// Directory for the embedded database and other state.
    #[arg(long, env = "MYAPPS_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Directory with the built browser bundle (pkg/) and static files.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,

    /// Create the demo organisation (Northwind Traders) if the database has
    /// no organisation yet.
    #[arg(long, env = "MYAPPS_DEMO", default_value_t = false)]
    pub demo: bool,

    /// Log format: text or json.
    #[arg(long, env = "MYAPPS_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,

    /// Failed sign-ins one client address may make in 15 minutes before its
    /// sign-ins are refused until the 15 minutes are up (0: no limit).
    #[arg(long, env = "MYAPPS_SIGN_IN_FAILURES_PER_IP", default_value_t = 30)]
    pub sign_in_failures_per_ip: u32,

    /// Sign-ins (and password changes) that may wait for a password check
    /// while every core is busy hashing; past that they are answered 503
    /// with Retry-After (after a 1 s pause).
    #[arg(long, env = "MYAPPS_PASSWORD_CHECK_QUEUE", default_value_t = 128)]
    pub password_check_queue: usize,

    /// Log exports (CSV downloads of the sign-in and audit logs) that may run
    /// at once on this server; past that they are answered 503 with
    /// Retry-After.
    #[arg(long, env = "MYAPPS_CONCURRENT_EXPORTS", default_value_t = 2)]
    pub concurrent_exports: usize,

    /// Reverse proxies or load balancers in front of the portal (addresses or
    /// CIDR ranges, comma-separated). Their X-Forwarded-For header names the
    /// client; from anyone else it is ignored.
    #[arg(long, env = "MYAPPS_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Key that encrypts second factors (TOTP keys) at rest: 64 hex digits,
    /// e.g. from `openssl rand -hex 32`. Required with PostgreSQL (the same on
    /// every replica); with SQLite, DATA_DIR/secret.key is used, created on
    /// first start.
    #[arg(long, env = "MYAPPS_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<Secret>,

    /// Bearer token that /metrics requires. Unset: /metrics is open.
    #[arg(long, env = "MYAPPS_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,

    /// SMTP server for notification email (host:port). Email is off when unset.
    #[arg(long, env = "MYAPPS_SMTP_HOST")]
    pub smtp_host: Option<String>,

    /// SMTP user name.
    #[arg(long, env = "MYAPPS_SMTP_USERNAME")]
    pub smtp_username: Option<String>,

    /// SMTP password.
    #[arg(long, env = "MYAPPS_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<Secret>,

    /// Sender address of notification email.
    #[arg(long, env = "MYAPPS_SMTP_FROM", default_value = "My Apps <no-reply@localhost>")]
    pub smtp_from: String,

    /// How the SMTP connection is secured: starttls (upgrade a plain
    /// connection, port 587 by default), tls (TLS from the start, port 465)
    /// or none (plain text: only for a relay on this host or a test server).
    #[arg(long, env = "MYAPPS_SMTP_TLS", default_value = "starttls", value_parser = ["starttls", "tls", "none"])]
    pub smtp_tls: String,

    /// How often this server looks for work in the background: requests to
    /// expire, reviewers to remind, e-mail to send (milliseconds).
    #[arg(long, env = "MYAPPS_BACKGROUND_INTERVAL_MS", default_value_t = 15_000)]
    pub background_interval_ms: u64,

    /// Days an ID-token signing key signs before a new one replaces it. A
    /// replaced key stays in the JWKS until the tokens it signed expire.
    #[arg(long, env = "MYAPPS_SIGNING_KEY_ROTATION_DAYS", default_value_t = 90)]
    pub signing_key_rotation_days: u32,
}

impl Config {
    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("myapps.db").display()))
    }

    /// The public base URL in effect, without a trailing slash.
    pub fn public_url(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.as_str().trim_end_matches('/').to_string(),
            None => format!("http://{bound}"),
        }
    }

    /// Cookies get the Secure flag when people reach us over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_ref().is_some_and(|u| u.scheme() == "https")
    }

    /// Defaults for tests: listen on a random port, the given database.
    pub fn for_tests(database_url: String, data_dir: PathBuf) -> Self {
        Config {
            listen: "127.0.0.1:0".parse().expect("valid address"),
            database_url: Some(database_url),
            db_max_connections: 5,
            public_url: None,
            data_dir,
            site_root: "target/site".into(),
            demo: false,
            log_format: "text".into(),
            metrics_token: None,
            sign_in_failures_per_ip: 30,
            password_check_queue: 128,
            concurrent_exports: 2,
            secret_key: Some(Secret(crate::sealing::SecretKey::generate().to_hex())),
            trusted_proxies: Vec::new(),
            smtp_host: None,
            smtp_username: None,
            smtp_password: None,
            smtp_from: "My Apps <no-reply@localhost>".into(),
            smtp_tls: "starttls".into(),
            background_interval_ms: 200,
            signing_key_rotation_days: 90,
        }
    }
}
