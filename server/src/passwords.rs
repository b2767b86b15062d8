//! Password hashing with a bounded footprint.
//!
//! argon2id is deliberately expensive: each check holds 19 MiB and a core for
//! tens of milliseconds. Left to `spawn_blocking` alone, a flood of sign-ins
//! starts one blocking thread per request (tokio allows 512), each with its
//! own 19 MiB — gigabytes, and every request slower than the one before. So:
//! - at most one hash per core runs at a time (a semaphore);
//! - a bounded number of requests wait for a turn, first come first served;
//! - past that bound the caller is told that we are busy ([`Busy`]), with
//!   how long to wait, and answers 503 with `Retry-After`. The answer comes
//!   after a short pause ([`REFUSAL_PAUSE`]): flood tools retry the moment
//!   they are answered, and a thousand instant refusals a second per few
//!   connections would take the very CPU the checks need (measured: checks
//!   fell to 0.44 of the machine's hashing rate). Paused, a refused
//!   connection costs one cheap answer a second; the pause holds a timer,
//!   nothing more.
//!
//! Memory per check is then bounded by the number of cores, and with the
//! server's allocator (mimalloc) the 19 MiB blocks go back to the system
//! when a burst is over.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::rngs::OsRng;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// argon2id with OWASP's recommended minimum: 19 MiB memory, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(19 * 1024, 2, 1, None).expect("valid argon2 params"))
}

/// How long a refused caller waits for its answer (see the module comment).
pub const REFUSAL_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);

/// Every turn is taken and the queue is full: try again after this many seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("password checks are saturated; retry in {retry_after_secs} s")]
pub struct Busy {
    pub retry_after_secs: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error("hashing failed: {0}")]
    Failed(String),
}

/// The bounded password hasher every sign-in, password change and seed uses.
pub struct Passwords {
    turns: Arc<Semaphore>,
    workers: usize,
    waiting: AtomicUsize,
    queue_limit: usize,
    /// Moving average of one hash, in microseconds (for Retry-After).
    average_micros: AtomicU64,
    /// How long a refused caller waits for its answer.
    refusal_pause: std::time::Duration,
}

/// Counts a request as waiting for as long as it waits, even if its
/// future is dropped meanwhile (the client went away).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Passwords {
    /// `workers` hashes at a time (one per core is the point), and at most
    /// `queue_limit` callers waiting for a turn; refused callers are answered
    /// after [`REFUSAL_PAUSE`].
    pub fn new(workers: usize, queue_limit: usize) -> Self {
        Self::with_refusal_pause(workers, queue_limit, REFUSAL_PAUSE)
    }

    pub fn with_refusal_pause(workers: usize, queue_limit: usize, refusal_pause: std::time::Duration) -> Self {
        let workers = workers.max(1);
        Passwords {
            turns: Arc::new(Semaphore::new(workers)),
            workers,
            waiting: AtomicUsize::new(0),
            queue_limit,
            // A first guess until real hashes are timed: ~30 ms on a modern core.
            average_micros: AtomicU64::new(30_000),
            refusal_pause,
        }
    }

    /// One turn per core of this machine.
    pub fn per_core(queue_limit: usize) -> Self {
        Self::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1), queue_limit)
    }

    /// Callers waiting for a turn now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }

    /// Hashes running now.
    pub fn running(&self) -> usize {
        self.workers - self.turns.available_permits()
    }

    /// Refuses (after the pause) when a new caller would be refused:
    /// callers check this before doing any other work for a sign-in.
    pub async fn check_room(&self) -> Result<(), Busy> {
        if self.saturated() {
            tokio::time::sleep(self.refusal_pause).await;
            return Err(self.busy());
        }
        Ok(())
    }

    /// Would a new caller be refused now?
    pub fn saturated(&self) -> bool {
        self.turns.available_permits() == 0 && self.waiting() >= self.queue_limit
    }

    /// How long the queue takes to drain, rounded up to whole seconds.
    fn busy(&self) -> Busy {
        let average = self.average_micros.load(Ordering::Relaxed).max(1);
        let queued = (self.waiting() + self.workers) as u64;
        let micros = queued * average / self.workers as u64;
        Busy { retry_after_secs: micros.div_ceil(1_000_000).clamp(1, 60) }
    }

    /// Runs `work` on the blocking pool when a turn is free, waiting in the
    /// queue for one if there is room.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, Busy> {
        let turn = match self.turns.clone().try_acquire_owned() {
            Ok(turn) => turn,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.queue_limit {
                    self.waiting.fetch_sub(1, Ordering::AcqRel);
                    let busy = self.busy();
                    tokio::time::sleep(self.refusal_pause).await;
                    return Err(busy);
                }
                let _waiting = Waiting(&self.waiting);
                self.turns.clone().acquire_owned().await.expect("the semaphore is never closed")
            }
        };
        let started = std::time::Instant::now();
        // The turn moves into the task: it is held until the hash is done,
        // even if the request that asked for it has gone.
        let result = tokio::task::spawn_blocking(move || {
            let _turn = turn;
            work()
        })
        .await
        .expect("password hashing does not panic");
        let micros = started.elapsed().as_micros().min(u64::MAX as u128) as u64;
        let old = self.average_micros.load(Ordering::Relaxed);
        self.average_micros.store((old * 7 + micros) / 8, Ordering::Relaxed);
        Ok(result)
    }

    /// Hashes a new password (PHC string).
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| HashError::Failed(e.to_string()))
        })
        .await?
    }

    /// Checks a password against a stored hash, or against a hash of a
    /// password nobody knows when there is none (unknown or locked accounts
    /// cost the same as real ones, and always fail).
    pub async fn verify(&self, password: String, stored_hash: Option<String>) -> Result<bool, Busy> {
        self.run(move || {
            let has_hash = stored_hash.is_some();
            let hash = stored_hash.unwrap_or_else(|| dummy_hash().to_string());
            let ok = PasswordHash::new(&hash).map(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok()).unwrap_or(false);
            ok && has_hash
        })
        .await
    }

    /// Computes the dummy hash now, so the first unknown-account sign-in is
    /// not faster than later ones.
    pub async fn warm_up(&self) {
        let _ = self.run(|| dummy_hash().len()).await;
    }
}

/// A hash of a password nobody knows, computed once.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        argon2().hash_password(crate::security::random_token().as_bytes(), &salt).expect("hashing works").to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_hash_and_verify() {
        let passwords = Passwords::new(1, 4);
        let hash = passwords.hash("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(passwords.verify("correct horse battery".into(), Some(hash.clone())).await.unwrap());
        assert!(!passwords.verify("wrong".into(), Some(hash)).await.unwrap());
        assert!(!passwords.verify("anything".into(), None).await.unwrap());
        assert!(!passwords.verify("x".into(), Some("not a hash".into())).await.unwrap());
    }

    /// Waits (without sleeping a fixed time) until `n` callers are queued.
    async fn until_waiting(passwords: &Passwords, n: usize) {
        while passwords.waiting() != n {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_refuses_at_once_and_frees_up_after() {
        // One turn, one place in the queue. The test holds the turn itself.
        let passwords = Arc::new(Passwords::with_refusal_pause(1, 1, std::time::Duration::ZERO));
        let hash = passwords.hash("correct horse battery".into()).await.unwrap();
        let turn = passwords.turns.clone().try_acquire_owned().unwrap();
        let queued = {
            let (passwords, hash) = (passwords.clone(), hash.clone());
            tokio::spawn(async move { passwords.verify("correct horse battery".into(), Some(hash)).await })
        };
        until_waiting(&passwords, 1).await;
        // Every turn taken and the queue full: refused at once, with a wait.
        let busy = passwords.verify("correct horse battery".into(), Some(hash.clone())).await.unwrap_err();
        assert!((1..=60).contains(&busy.retry_after_secs));
        assert!(passwords.hash("another one".into()).await.is_err());
        assert!(passwords.saturated());
        assert_eq!(passwords.check_room().await, Err(busy));
        // The turn comes free: the queued check runs, and room opens up.
        drop(turn);
        assert!(queued.await.unwrap().unwrap());
        assert_eq!((passwords.waiting(), passwords.running()), (0, 0));
        assert!(!passwords.saturated());
        assert!(passwords.verify("correct horse battery".into(), Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn refusals_are_answered_after_the_pause() {
        let pause = std::time::Duration::from_millis(200);
        let passwords = Passwords::with_refusal_pause(1, 0, pause);
        let _turn = passwords.turns.clone().try_acquire_owned().unwrap();
        let started = std::time::Instant::now();
        assert!(passwords.verify("x".into(), None).await.is_err());
        assert!(started.elapsed() >= pause);
        let started = std::time::Instant::now();
        assert!(passwords.check_room().await.is_err());
        assert!(started.elapsed() >= pause);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_caller_that_goes_away_gives_its_place_back() {
        let passwords = Arc::new(Passwords::with_refusal_pause(1, 1, std::time::Duration::ZERO));
        let turn = passwords.turns.clone().try_acquire_owned().unwrap();
        let queued = {
            let passwords = passwords.clone();
            tokio::spawn(async move { passwords.verify("b".into(), None).await })
        };
        until_waiting(&passwords, 1).await;
        assert!(passwords.saturated());
        queued.abort();
        let _ = queued.await;
        assert_eq!(passwords.waiting(), 0);
        assert!(!passwords.saturated());
        drop(turn);
        assert!(!passwords.verify("a".into(), None).await.unwrap());
    }
}
