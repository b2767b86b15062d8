//! What every benchmark starts from: a store on a fresh database with the
//! demo organisation.

use server::store::{seed, SqlStore};

/// The store (SQLite in `dir`, or `BENCH_DATABASE_URL`, which must name an
/// empty database) and the demo organisation's id.
pub async fn demo_store(dir: &std::path::Path) -> (SqlStore, String) {
    let url = std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}", dir.join("bench.db").display()));
    let store = SqlStore::connect(&url, 5).await.expect("database");
    let hash = server::passwords::Passwords::new(1, 0).hash(seed::DEMO_PASSWORD.into()).await.unwrap();
    let summary = seed::seed_demo(&store, vec![hash; seed::demo_users().len()], server::time::now_ms())
        .await
        .unwrap()
        .expect("an empty database (use a fresh BENCH_DATABASE_URL)");
    (store, summary.org_id)
}
