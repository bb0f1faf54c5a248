//! argon2id password hashing, off the async runtime, with a bounded pool of
//! working memory that is given back when no one logs in.
//!
//! Each argon2id hash at OWASP's minimum needs 19 MiB. Allocating that per
//! hash made the allocator keep every block it ever handed out (measured: 40
//! concurrent registrations left the server at 789 MiB resident), and
//! allocating it afresh costs half a hash again in page faults. So buffers
//! are reused while hashes keep coming, at most `concurrency` of them, and
//! dropped after [`IDLE_RELEASE`] without a hash. Each is reserved larger
//! than glibc's largest mmap threshold (32 MiB), so the allocator maps it on
//! its own and unmaps it when dropped instead of keeping it in an arena;
//! only the 19 MiB written are ever resident.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use argon2::{
    password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString},
    Algorithm, Argon2, Block, Params, Version,
};
use tokio::{sync::Semaphore, time::Instant};

use crate::error::{AppError, AppResult};

/// How long pooled working memory stays after the last hash.
pub const IDLE_RELEASE: Duration = Duration::from_secs(10);

/// Blocks reserved per buffer: 33 MiB, above glibc's largest mmap threshold.
const RESERVED_BLOCKS: usize = 33 * 1024;

/// Hashes and verifies passwords with argon2id (m=19 MiB, t=2, p=1).
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    pool: Arc<Mutex<Pool>>,
    /// A real hash verified against when the user does not exist, so an unknown
    /// user takes about as long as a wrong password.
    dummy_hash: Arc<str>,
}

/// Working buffers not in use, and when one was last given back.
struct Pool {
    buffers: Vec<Vec<Block>>,
    last_used: Instant,
    /// Whether a task waits to drop the buffers once idle.
    releasing: bool,
}

/// A working buffer of `count` blocks that the allocator maps on its own.
fn buffer(count: usize) -> Vec<Block> {
    let mut blocks = Vec::with_capacity(count.max(RESERVED_BLOCKS));
    blocks.resize(count, Block::default());
    blocks
}

/// Lends one working buffer for the length of a hash and returns it after.
struct Lease {
    pool: Arc<Mutex<Pool>>,
    blocks: Option<Vec<Block>>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        let (Some(blocks), Ok(mut pool)) = (self.blocks.take(), self.pool.lock()) else {
            return;
        };
        pool.buffers.push(blocks);
        pool.last_used = Instant::now();
        if pool.releasing {
            return;
        }
        // Outside a runtime (never in the server) the buffer simply stays.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            pool.releasing = true;
            runtime.spawn(release_when_idle(Arc::clone(&self.pool)));
        }
    }
}

/// Drop the pooled buffers once no hash has ended for [`IDLE_RELEASE`].
async fn release_when_idle(pool: Arc<Mutex<Pool>>) {
    let mut wake_at = Instant::now() + IDLE_RELEASE;
    loop {
        tokio::time::sleep_until(wake_at).await;
        let Ok(mut guard) = pool.lock() else {
            return;
        };
        let idle_since = guard.last_used;
        if idle_since.elapsed() >= IDLE_RELEASE {
            guard.buffers.clear();
            guard.releasing = false;
            return;
        }
        wake_at = idle_since + IDLE_RELEASE;
    }
}

fn params() -> Params {
    Params::default()
}

fn argon() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
}

impl PasswordHasher {
    /// A hasher allowing `concurrency` hashes at once.
    pub fn new(concurrency: usize) -> AppResult<Self> {
        // Dropped at once: an idle server holds no working memory.
        let dummy = hash_with(
            &mut buffer(params().block_count()),
            "imgql-dummy-password-for-timing",
        )?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            pool: Arc::new(Mutex::new(Pool {
                buffers: Vec::new(),
                last_used: Instant::now(),
                releasing: false,
            })),
            dummy_hash: dummy.into(),
        })
    }

    /// Working buffers pooled now (none once idle).
    pub fn pooled(&self) -> usize {
        self.pool.lock().map(|p| p.buffers.len()).unwrap_or(0)
    }

    async fn lease(&self) -> AppResult<(tokio::sync::SemaphorePermit<'_>, Lease)> {
        let permit = self.permits.acquire().await.map_err(AppError::internal)?;
        let reused = self
            .pool
            .lock()
            .map_err(|_| AppError::internal("password buffer pool poisoned"))?
            .buffers
            .pop();
        let blocks = reused.unwrap_or_else(|| buffer(params().block_count()));
        Ok((
            permit,
            Lease {
                pool: self.pool.clone(),
                blocks: Some(blocks),
            },
        ))
    }

    /// The PHC string of `password`.
    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let (_permit, mut lease) = self.lease().await?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let blocks = lease
                .blocks
                .as_mut()
                .ok_or_else(|| AppError::internal("password buffer already taken"))?;
            hash_with(blocks, &password)
        })
        .await
        .map_err(AppError::internal)?
    }

    /// Whether `password` matches `phc`; with `None`, spends the same effort and says no.
    pub async fn verify(&self, password: &str, phc: Option<&str>) -> AppResult<bool> {
        let (_permit, mut lease) = self.lease().await?;
        let password = password.to_owned();
        let known = phc.is_some();
        let phc = phc
            .map(str::to_owned)
            .unwrap_or_else(|| self.dummy_hash.to_string());
        let matched = tokio::task::spawn_blocking(move || {
            let blocks = lease
                .blocks
                .as_mut()
                .ok_or_else(|| AppError::internal("password buffer already taken"))?;
            verify_with(blocks, &password, &phc)
        })
        .await
        .map_err(AppError::internal)??;
        Ok(known && matched)
    }
}

fn hash_with(blocks: &mut [Block], password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(AppError::internal)?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon()
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, blocks)
        .map_err(AppError::internal)?;
    let hash = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params()).map_err(AppError::internal)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(AppError::internal)?),
    };
    Ok(hash.to_string())
}

fn verify_with(blocks: &mut [Block], password: &str, phc: &str) -> AppResult<bool> {
    let parsed = PasswordHash::new(phc).map_err(AppError::internal)?;
    let stored_params = Params::try_from(&parsed).map_err(AppError::internal)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(AppError::internal(
            "stored password hash lacks salt or hash",
        ));
    };
    // Hashes made with other parameters (older settings) still verify, with
    // a buffer of their own size.
    let mut own;
    let blocks = if stored_params.block_count() <= blocks.len() {
        blocks
    } else {
        own = buffer(stored_params.block_count());
        &mut own[..]
    };
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .map_err(AppError::internal)?;
    let mut out = vec![0u8; expected.len()];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, stored_params)
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, blocks)
        .map_err(AppError::internal)?;
    let computed = Output::new(&out).map_err(AppError::internal)?;
    // `Output`'s equality is constant-time.
    Ok(computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn working_memory_is_reused_while_busy_and_dropped_when_idle() {
        let hasher = PasswordHasher::new(2).expect("hasher");
        assert_eq!(hasher.pooled(), 0, "nothing held before the first hash");
        let phc = hasher.hash("first").await.expect("hash");
        assert_eq!(hasher.pooled(), 1);
        tokio::time::sleep(IDLE_RELEASE / 2).await;
        assert!(hasher.verify("first", Some(&phc)).await.expect("verify"));
        assert_eq!(hasher.pooled(), 1, "reused, not another");
        // Half the idle time after the second hash: still held.
        tokio::time::sleep(IDLE_RELEASE * 3 / 5).await;
        assert_eq!(hasher.pooled(), 1);
        tokio::time::sleep(IDLE_RELEASE).await;
        assert_eq!(hasher.pooled(), 0, "dropped once idle");
        assert!(hasher.verify("first", Some(&phc)).await.expect("verify"));
    }

    #[tokio::test]
    async fn hashes_verify_and_interoperate_with_the_standard_phc_format() {
        let hasher = PasswordHasher::new(2).expect("hasher");
        let phc = hasher.hash("correct horse").await.expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher
            .verify("correct horse", Some(&phc))
            .await
            .expect("verify"));
        assert!(!hasher
            .verify("wrong horse", Some(&phc))
            .await
            .expect("verify"));
        assert!(!hasher.verify("correct horse", None).await.expect("verify"));
        // A hash made by the argon2 crate's own API verifies here too.
        use argon2::PasswordHasher as _;
        let salt = SaltString::generate(&mut OsRng);
        let standard = argon()
            .hash_password(b"interop", &salt)
            .expect("standard hash")
            .to_string();
        assert!(hasher
            .verify("interop", Some(&standard))
            .await
            .expect("verify"));
    }
}
