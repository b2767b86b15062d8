//! Finding users as an admin types, in an organisation of 100,000: the
//! time of one page of `search_users` for the searches a person makes.
//!
//!   cargo bench -p server --bench admin_users                      (SQLite)
//!   BENCH_DATABASE_URL=postgres://... cargo bench -p server --bench admin_users
//!
//! Prints a table; BENCHMARKS.md records a run.

use app::models::admin::UserQuery;
use app::ports::UsersStore;
use server::store::SqlStore;

mod common;
use std::time::{Duration, Instant};

const USERS: usize = 100_000;
const SAMPLES: usize = 50;

const FIRST: [&str; 20] = [
    "Ana", "Ben", "Chloé", "Dev", "Elif", "Farah", "Gus", "Hana", "Ivan", "Jun", "Kofi", "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn",
    "Rosa", "Sven", "Tomás",
];
const LAST: [&str; 25] = [
    "Abbott", "Baker", "Castro", "Dubois", "Eze", "Fischer", "García", "Hughes", "Ito", "Jensen", "Kim", "López", "Müller", "Nowak",
    "Okafor", "Patel", "Quist", "Rossi", "Silva", "Tanaka", "Ueda", "Varga", "Wang", "Xu", "Young",
];

async fn grow(store: &SqlStore, org_id: &str) {
    let now = server::time::now_ms();
    server::on_pool!(&store.pool, p => {
        let mut tx = p.begin().await.unwrap();
        for i in 0..USERS {
            let (first, last) = (FIRST[i % FIRST.len()], LAST[(i / FIRST.len()) % LAST.len()]);
            let upn = format!("{}.{}{i}@bench.example", first.to_lowercase(), last.to_lowercase());
            sqlx::query("INSERT INTO users (id, org_id, upn, upn_normalized, display_name, email, created_at, updated_at) VALUES ($1, $2, $3, $3, $4, $3, $5, $5)")
                .bind(uuid::Uuid::new_v4().to_string()).bind(org_id).bind(&upn).bind(format!("{first} {last}")).bind(now)
                .execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    });
}

async fn measure(store: &SqlStore, org_id: &str, search: &str, pages: usize) -> (Duration, Duration, usize) {
    let mut times = Vec::with_capacity(SAMPLES);
    let mut found = 0;
    for _ in 0..SAMPLES {
        let mut cursor = None;
        let start = Instant::now();
        for _ in 0..pages {
            let page = store.search_users(org_id, &UserQuery { search: search.into(), cursor: cursor.take(), limit: 50 }).await.unwrap();
            found = page.users.len();
            cursor = page.next_cursor;
        }
        times.push(start.elapsed() / pages as u32);
    }
    times.sort();
    (times[SAMPLES / 2], times[SAMPLES * 95 / 100], found)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (store, org) = common::demo_store(dir.path()).await;
    grow(&store, &org).await;
    if let server::store::Pool::Postgres(p) = &store.pool {
        sqlx::query("ANALYZE").execute(p).await.unwrap();
    }
    println!("backend: {:?}; {USERS} users more than the demo; {SAMPLES} samples; time per page of 50", store.backend());
    println!("{:<44} {:>10} {:>10} {:>6}", "search", "median", "p95", "rows");
    for (label, search, pages) in [
        ("first page, no search", "", 1),
        ("10th page, no search (cursor)", "", 10),
        ("common name part: \"ana\"", "ana", 1),
        ("one person, by UPN: \"ivan.fischer108@\"", "ivan.fischer108@", 1),
        ("a surname: \"tanaka\"", "tanaka", 1),
        ("no match (reads every user)", "zz-nobody", 1),
    ] {
        let (median, p95, rows) = measure(&store, &org, search, pages).await;
        println!("{label:<44} {median:>10.2?} {p95:>10.2?} {rows:>6}");
    }
}
