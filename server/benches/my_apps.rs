//! How the My Apps list scales: the time to build one employee's list
//! (access snapshot + decisions) as the organisation grows around them while
//! their own memberships and assignments stay the same.
//!
//!   cargo bench -p server --bench my_apps                      (SQLite)
//!   BENCH_DATABASE_URL=postgres://... cargo bench -p server --bench my_apps
//!
//! Prints a table; BENCHMARKS.md records a run.

use app::ports::AccessStore;
use app::services::access::UserAccess;
use server::store::SqlStore;

mod common;
use std::time::{Duration, Instant};

const SAMPLES: usize = 200;

async fn grow(store: &SqlStore, org_id: &str, from: usize, to: usize) {
    let now = server::time::now_ms();
    server::on_pool!(&store.pool, p => {
        let mut tx = p.begin().await.unwrap();
        for i in from..to {
            let user = format!("bench-user-{i}");
            sqlx::query("INSERT INTO users (id, org_id, upn, upn_normalized, display_name, created_at, updated_at) VALUES ($1, $2, $3, $3, $1, $4, $4)")
                .bind(&user).bind(org_id).bind(format!("{user}@bench.example")).bind(now)
                .execute(&mut *tx).await.unwrap();
            if i % 10 == 0 {
                let group = format!("bench-group-{i}");
                sqlx::query("INSERT INTO user_groups (id, org_id, name, name_normalized, created_at) VALUES ($1, $2, $1, $1, $3)")
                    .bind(&group).bind(org_id).bind(now).execute(&mut *tx).await.unwrap();
                let app = format!("bench-app-{i}");
                sqlx::query("INSERT INTO applications (id, org_id, name, sign_on_mode, launch_url, created_at, updated_at) VALUES ($1, $2, $1, 'linked', 'https://bench.example/', $3, $3)")
                    .bind(&app).bind(org_id).bind(now).execute(&mut *tx).await.unwrap();
                sqlx::query("INSERT INTO app_assignments (id, org_id, app_id, group_id, assigned_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(format!("bench-asg-{i}")).bind(org_id).bind(&app).bind(&group).bind(now).execute(&mut *tx).await.unwrap();
            }
            let group = format!("bench-group-{}", i - i % 10);
            sqlx::query("INSERT INTO group_user_members (org_id, group_id, user_id, added_at) VALUES ($1, $2, $3, $4)")
                .bind(org_id).bind(&group).bind(&user).bind(now).execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    });
}

async fn measure(store: &SqlStore, org_id: &str, user_id: &str) -> (Duration, Duration, usize) {
    let mut times = Vec::with_capacity(SAMPLES);
    let mut tiles = 0;
    for _ in 0..SAMPLES {
        let start = Instant::now();
        let now = server::time::now_ms();
        let snapshot = store.access_snapshot(org_id, user_id, None, now).await.unwrap();
        tiles = UserAccess::new(&snapshot, now, true).my_apps().apps.len();
        times.push(start.elapsed());
    }
    times.sort();
    (times[SAMPLES / 2], times[SAMPLES * 95 / 100], tiles)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (store, org) = common::demo_store(dir.path()).await;
    let user: String = server::on_pool!(&store.pool, p => sqlx::query_scalar("SELECT id FROM users WHERE upn_normalized = 'alex.wu@northwind.example'")
        .fetch_one(p).await.unwrap());

    println!("backend: {:?}; {SAMPLES} samples per row; one employee's list (their memberships unchanged)", store.backend());
    println!("{:>12} {:>8} {:>8} {:>10} {:>10} {:>6}", "org users", "groups", "apps", "median", "p95", "tiles");
    let mut size = 50;
    for target in [50usize, 5_000, 20_000] {
        if target > size {
            grow(&store, &org, size, target).await;
            size = target;
            // What autovacuum would do shortly after a bulk load: give the
            // PostgreSQL planner statistics for the new sizes.
            if let server::store::Pool::Postgres(p) = &store.pool {
                sqlx::query("ANALYZE").execute(p).await.unwrap();
            }
        }
        let (median, p95, tiles) = measure(&store, &org, &user).await;
        println!("{:>12} {:>8} {:>8} {:>10.2?} {:>10.2?} {:>6}", size, 10 + (size - 50) / 10, 25 + (size - 50) / 10, median, p95, tiles);
    }
}
