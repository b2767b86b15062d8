//! A license change on a group of 100,000: how long until a member's next
//! launch sees it. Each change is the store's own operation (one transaction:
//! the change, the seat recompute, the audit event); then the member's launch
//! snapshot is read, as the launch handler would.
//!
//!   cargo bench -p server --bench license_seats                      (SQLite)
//!   BENCH_DATABASE_URL=postgres://... cargo bench -p server --bench license_seats
//!
//! or `bench/license_seats.sh` for both. BENCHMARKS.md records a run.

use app::ports::{AccessStore, AuditEvent, DirectoryStore, Principal};
use server::store::SqlStore;
use std::time::{Duration, Instant};

mod common;

const MEMBERS: usize = 100_000;
const SAMPLES: usize = 5;

fn audit(org_id: &str, at: i64) -> AuditEvent {
    AuditEvent {
        org_id: org_id.into(),
        actor_user_id: None,
        actor_token_id: None,
        actor_label: "bench".into(),
        action: "bench".into(),
        target_type: "license".into(),
        target_id: String::new(),
        before_json: None,
        after_json: None,
        correlation_id: "bench".into(),
        at,
    }
}

/// A group of `MEMBERS` new users, and a license with one seat fewer,
/// not yet assigned. Returns (group, license, users).
async fn grow(store: &SqlStore, org_id: &str) -> (String, String, Vec<String>) {
    let now = server::time::now_ms();
    let group = uuid::Uuid::new_v4().to_string();
    let license = uuid::Uuid::new_v4().to_string();
    let mut users = Vec::with_capacity(MEMBERS);
    server::on_pool!(&store.pool, p => {
        let mut tx = p.begin().await.unwrap();
        sqlx::query("INSERT INTO user_groups (id, org_id, name, name_normalized, created_at) VALUES ($1, $2, 'Everyone (bench)', 'everyone (bench)', $3)")
            .bind(&group).bind(org_id).bind(now).execute(&mut *tx).await.unwrap();
        sqlx::query("INSERT INTO licenses (id, org_id, name, sku, seats, created_at) VALUES ($1, $2, 'Bench Suite', 'BENCH', $3, $4)")
            .bind(&license).bind(org_id).bind((MEMBERS - 1) as i64).bind(now).execute(&mut *tx).await.unwrap();
        // Many rows per statement: the access-version trigger runs once per
        // statement on PostgreSQL, and 100,000 single-row statements would
        // each update the organisation's row in one transaction.
        let users_ref = &mut users;
        for chunk in (0..MEMBERS).collect::<Vec<_>>().chunks(4_000) {
            let ids: Vec<String> = chunk.iter().map(|_| uuid::Uuid::new_v4().to_string()).collect();
            let mut q = sqlx::QueryBuilder::new("INSERT INTO users (id, org_id, upn, upn_normalized, display_name, created_at, updated_at) ");
            q.push_values(chunk.iter().zip(&ids), |mut row, (i, id)| {
                let upn = format!("member{i}@bench.example");
                row.push_bind(id.clone()).push_bind(org_id).push_bind(upn.clone()).push_bind(upn.clone()).push_bind(upn).push_bind(now).push_bind(now);
            });
            q.build().execute(&mut *tx).await.unwrap();
            let mut q = sqlx::QueryBuilder::new("INSERT INTO group_user_members (org_id, group_id, user_id, added_at) ");
            q.push_values(chunk.iter().zip(&ids), |mut row, (i, id)| {
                row.push_bind(org_id).push_bind(&group).push_bind(id.clone()).push_bind(now - (MEMBERS - i) as i64);
            });
            q.build().execute(&mut *tx).await.unwrap();
            users_ref.extend(ids);
        }
        tx.commit().await.unwrap();
        if let server::store::Pool::Postgres(p) = &store.pool {
            sqlx::query("ANALYZE").execute(p).await.unwrap();
        }
    });
    (group, license, users)
}

/// The change, then the member's launch snapshot: the time until their
/// next launch would see it.
async fn until_seen<F: std::future::Future<Output = ()>>(store: &SqlStore, org_id: &str, member: &str, change: F) -> Duration {
    let start = Instant::now();
    change.await;
    store.access_snapshot(org_id, member, None, server::time::now_ms()).await.unwrap();
    start.elapsed()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (store, org) = common::demo_store(dir.path()).await;
    let (group, license, users) = grow(&store, &org).await;
    let group_principal = Principal::Group(group.clone());
    let at = || server::time::now_ms();
    println!("backend: {:?}; a group of {MEMBERS} with a license of {} seats; median of {SAMPLES}", store.backend(), MEMBERS - 1);
    println!("{:<62} {:>10}", "change, then the member's launch snapshot", "median");

    let first = until_seen(&store, &org, &users[0], async {
        store.add_license_assignment(&org, &license, &group_principal, audit(&org, at())).await.unwrap();
    })
    .await;
    println!("{:<62} {:>10.2?}", "license assigned to the group", first);
    let seats = store.scalar_seats(&license).await;
    assert_eq!(seats, (MEMBERS - 1) as i64, "seats went out");

    let mut rows: Vec<(&str, Vec<Duration>)> = Vec::new();
    let mut joiners = Vec::new();
    let mut times = Vec::new();
    for i in 0..SAMPLES {
        // A new member joins: the last in seat order, no seat left for them.
        let user = uuid::Uuid::new_v4().to_string();
        store.insert_bench_user(&org, &user, &format!("joiner{i}@bench.example")).await;
        times.push(until_seen(&store, &org, &user, store_add(&store, &org, &group, &user)).await);
        joiners.push(user);
    }
    rows.push(("a member joins the group", times));
    let mut times = Vec::new();
    for user in users.iter().take(SAMPLES) {
        // An early member leaves: their seat goes to the next in order.
        times.push(until_seen(&store, &org, user, store_remove(&store, &org, &group, user)).await);
    }
    rows.push(("a member with a seat leaves (the seat moves on)", times));
    let mut times = Vec::new();
    for _ in 0..SAMPLES {
        times.push(
            until_seen(&store, &org, &users[SAMPLES], async {
                store.remove_license_assignment(&org, &license, &group_principal, audit(&org, at())).await.unwrap();
                store.add_license_assignment(&org, &license, &group_principal, audit(&org, at())).await.unwrap();
            })
            .await
                / 2,
        );
    }
    rows.push(("the group's license removed, or given back (each)", times));
    for (label, times) in rows {
        println!("{label:<62} {:>10.2?}", median(times));
    }
}

async fn store_add(store: &SqlStore, org: &str, group: &str, user: &str) {
    store.add_group_member(org, group, &Principal::User(user.into()), audit(org, server::time::now_ms())).await.unwrap();
}

async fn store_remove(store: &SqlStore, org: &str, group: &str, user: &str) {
    store.remove_group_member(org, group, &Principal::User(user.into()), audit(org, server::time::now_ms())).await.unwrap();
}

/// Small helpers on the store for the bench's own setup.
trait BenchStore {
    async fn scalar_seats(&self, license: &str) -> i64;
    async fn insert_bench_user(&self, org: &str, id: &str, upn: &str);
}

impl BenchStore for SqlStore {
    async fn scalar_seats(&self, license: &str) -> i64 {
        server::on_pool!(&self.pool, p => sqlx::query_scalar(
            "SELECT CASE WHEN claimants < seats THEN claimants ELSE seats END FROM licenses WHERE id = $1")
            .bind(license).fetch_one(p).await.unwrap())
    }

    async fn insert_bench_user(&self, org: &str, id: &str, upn: &str) {
        let now = server::time::now_ms();
        server::on_pool!(&self.pool, p => sqlx::query(
            "INSERT INTO users (id, org_id, upn, upn_normalized, display_name, created_at, updated_at) VALUES ($1, $2, $3, $3, $3, $4, $4)")
            .bind(id).bind(org).bind(upn).bind(now).execute(p).await.map(|_| ()).unwrap());
    }
}
