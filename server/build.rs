// Rebuild when a migration changes: `sqlx::migrate!` embeds the files of
// migrations/ at compile time, and cargo does not see them otherwise.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
    println!("cargo:rerun-if-changed=../migrations/sqlite");
    println!("cargo:rerun-if-changed=../migrations/postgres");
}
