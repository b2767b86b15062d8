//! The benchmark's reference for password checks: how many argon2id
//! verifications (the portal's parameters) this machine's cores complete per
//! second with nothing else to do, through the same bounded hasher the
//! server uses.
//!
//!   hash_rate [seconds]     prints: hashes_per_second N

use server::passwords::Passwords;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let passwords = Arc::new(Passwords::per_core(1024));
    let hash = passwords.hash("correct horse battery staple".into()).await.expect("hash");
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..workers * 2 {
        let (passwords, hash) = (passwords.clone(), hash.clone());
        tasks.push(tokio::spawn(async move {
            let mut done = 0u64;
            while Instant::now() < deadline {
                let _ = passwords.verify("wrong password".into(), Some(hash.clone())).await;
                done += 1;
            }
            done
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("task");
    }
    println!("hashes_per_second {:.1}", total as f64 / started.elapsed().as_secs_f64());
}
