//! Wiring: configuration → store → router → listener. `Application::build`
//! binds first so tests can ask for port 0 and read the real port.

use crate::config::Config;
use crate::http::{self, session::Cookies, AppState};
use crate::passwords::Passwords;
use crate::sealing::{Sealer, SecretKey};
use crate::store::{Backend, SqlStore};
use crate::throttle::SignInThrottle;
use app::domain::signin::{LockoutPolicy, SessionPolicy};
use app::domain::throttle::ThrottlePolicy;
use leptos::prelude::LeptosOptions;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    pub store: SqlStore,
    pub address: SocketAddr,
    pub public_url: String,
    throttle: Arc<SignInThrottle>,
    /// The bounded password hasher (also used to create the demo).
    pub passwords: Arc<Passwords>,
    metrics: Arc<crate::http::metrics::Metrics>,
    /// Sends notification e-mail, when SMTP is configured.
    mailer: Option<Arc<crate::mailer::Mailer>>,
    background_interval: std::time::Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("could not create the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("database: {0}")]
    Database(String),
    #[error("{0}")]
    SecretKey(String),
    #[error("e-mail: {0}")]
    Mail(String),
    #[error("could not listen on {address}: {source}")]
    Listen { address: SocketAddr, source: std::io::Error },
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let database_url = config.database_url();
        if database_url.starts_with("sqlite:") {
            std::fs::create_dir_all(&config.data_dir)
                .map_err(|source| StartupError::DataDir { path: config.data_dir.display().to_string(), source })?;
        }
        let secret_key = match (&config.secret_key, Backend::of_url(&database_url)) {
            // Parsed here, not by clap: clap would echo a bad value, and this one is a secret.
            (Some(key), _) => key.0.parse::<SecretKey>().map_err(|e| StartupError::SecretKey(format!("MYAPPS_SECRET_KEY: {e}")))?,
            (None, Some(Backend::Sqlite)) => {
                SecretKey::load_or_create(&config.data_dir.join("secret.key")).map_err(StartupError::SecretKey)?
            }
            (None, Some(Backend::Postgres)) => {
                return Err(StartupError::SecretKey(
                    "with PostgreSQL, set MYAPPS_SECRET_KEY (the same on every replica), for example to the output of \
                     `openssl rand -hex 32`: it encrypts second factors at rest"
                        .into(),
                ))
            }
            (None, None) => return Err(StartupError::Database("DATABASE_URL must start with sqlite: or postgres://".into())),
        };
        let store = SqlStore::connect(&database_url, config.db_max_connections)
            .await
            .map_err(|e| StartupError::Database(e.to_string()))?
            .with_sealer(Sealer::new(&secret_key));
        // Every organisation has OpenID Connect's standard scopes (those made
        // before a scope was added, or by other means, get it now).
        {
            use app::ports::PermissionsStore;
            let added = store.ensure_standard_scopes().await.map_err(|e| StartupError::Database(e.to_string()))?;
            if added > 0 {
                tracing::info!(added, "gave organisations the standard OpenID Connect scopes they lacked");
            }
        }
        let listener = TcpListener::bind(config.listen).await.map_err(|source| StartupError::Listen { address: config.listen, source })?;
        let address = listener.local_addr().map_err(|source| StartupError::Listen { address: config.listen, source })?;
        let public_url = config.public_url(address);
        let mailer = crate::mailer::Mailer::from_config(&config, &public_url).map_err(StartupError::Mail)?.map(Arc::new);
        let passwords = Arc::new(Passwords::per_core(config.password_check_queue));
        tokio::spawn({
            let passwords = passwords.clone();
            async move { passwords.warm_up().await }
        });

        let leptos_options = LeptosOptions::builder()
            .output_name("myapps")
            .site_root(config.site_root.clone())
            .site_pkg_dir("pkg")
            .site_addr(address)
            .build();
        let assets = Arc::new(crate::http::assets::asset_names(&config.site_root));
        let state = AppState::new(crate::http::Shared {
            store: Arc::new(store.clone()),
            leptos_options,
            assets,
            cookies: Cookies { secure: config.secure_cookies() },
            session_policy: SessionPolicy::default(),
            lockout_policy: LockoutPolicy::default(),
            sign_in_throttle: Arc::new(SignInThrottle::new(ThrottlePolicy {
                max_failures: config.sign_in_failures_per_ip,
                ..ThrottlePolicy::default()
            })),
            trusted_proxies: config.trusted_proxies.clone().into(),
            public_url: public_url.clone().into(),
            metrics: Arc::new(crate::http::metrics::Metrics::default()),
            passwords: passwords.clone(),
            metrics_token: config.metrics_token.as_ref().map(|t| Arc::from(t.0.as_str())),
            uploads: Arc::new(tokio::sync::Semaphore::new(crate::http::uploads::CONCURRENT_UPLOADS)),
            exports: Arc::new(tokio::sync::Semaphore::new(config.concurrent_exports)),
            email: mailer.is_some(),
            signing_keys: Arc::new(crate::signing::SigningKeys::new(Arc::new(store.clone()), config.signing_key_rotation_days)),
            pool_stats: {
                let store = store.clone();
                Arc::new(move || store.pool_stats())
            },
        });
        let throttle = state.sign_in_throttle.clone();
        let metrics = state.metrics.clone();
        let router = http::router(state);
        Ok(Application {
            listener,
            router,
            store,
            address,
            public_url,
            throttle,
            passwords,
            metrics,
            mailer,
            background_interval: std::time::Duration::from_millis(config.background_interval_ms.max(50)),
        })
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let sweeper = tokio::spawn(sweep(self.store.clone(), self.throttle.clone()));
        let background = tokio::spawn(crate::background::run(self.store.clone(), self.mailer.clone(), self.background_interval));
        let metrics = self.metrics.clone();
        let upkeep = tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                tick.tick().await;
                metrics.upkeep();
            }
        });
        let result = axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await;
        sweeper.abort();
        background.abort();
        upkeep.abort();
        self.store.close().await;
        result
    }
}

/// Every few minutes: deletes ended sessions so the table stays small, and
/// forgets ended sign-in throttle windows.
async fn sweep(store: SqlStore, throttle: Arc<SignInThrottle>) {
    use app::ports::Store;
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
    loop {
        tick.tick().await;
        match store.delete_expired_sessions(crate::time::now_ms()).await {
            Ok(n) if n > 0 => tracing::info!(deleted = n, "swept ended sessions"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "session sweep failed"),
        }
        throttle.prune(crate::time::now_ms());
    }
}
