//! Entry point: read configuration, set up logging, optionally create the
//! demo organisation, serve until SIGTERM or Ctrl-C.

use clap::Parser;
use server::config::Config;
use server::startup::Application;
use server::store::seed;
use tracing_subscriber::EnvFilter;

/// mimalloc gives freed memory back to the system soon after a burst (see
/// BENCHMARKS.md, "Memory"); glibc's malloc keeps it in per-thread arenas.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = Config::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    if config.log_format == "json" {
        tracing_subscriber::fmt().json().with_env_filter(filter).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }

    let demo = config.demo;
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("cannot start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if demo {
        if let Err(e) = seed_demo(&app).await {
            tracing::error!("cannot create the demo organisation: {e}");
            return std::process::ExitCode::FAILURE;
        }
    }
    tracing::info!(url = %app.public_url, "My Apps is listening");
    println!("\n  My Apps is running at {}\n", app.public_url);
    if let Err(e) = app.run_until(shutdown_signal()).await {
        tracing::error!("server error: {e}");
        return std::process::ExitCode::FAILURE;
    }
    tracing::info!("stopped");
    std::process::ExitCode::SUCCESS
}

async fn seed_demo(app: &Application) -> Result<(), String> {
    let users = seed::demo_users();
    // One at a time through the bounded hasher: the demo is created before
    // the server serves anyone, and must not leave memory behind.
    let mut hashes = Vec::with_capacity(users.len());
    for _ in &users {
        hashes.push(app.passwords.hash(seed::DEMO_PASSWORD.to_string()).await.map_err(|e| e.to_string())?);
    }
    let created = seed::seed_demo(&app.store, hashes, server::time::now_ms()).await.map_err(|e| e.to_string())?;
    match created {
        Some(summary) => println!(
            "\n  Created the demo organisation {} ({} users, {} groups, {} apps); tenant ID {}",
            seed::DEMO_ORG_NAME,
            summary.users,
            summary.groups,
            summary.apps,
            summary.org_id
        ),
        None => println!("\n  The database already has an organisation; the demo was not created again."),
    }
    println!("  Demo accounts (password: {}):", seed::DEMO_PASSWORD);
    for (local, what) in seed::DEMO_ACCOUNTS {
        println!("    {local}@{}  — {what}", seed::DEMO_DOMAIN);
    }
    Ok(())
}

/// Resolves on SIGTERM (orchestrators) or Ctrl-C (people).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
