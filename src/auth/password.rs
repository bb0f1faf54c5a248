//! argon2id password hashing, off the async runtime, with a fixed pool of
//! working memory.
//!
//! Each argon2id hash at OWASP's minimum needs 19 MiB. Allocating that per
//! hash made the allocator keep every block it ever handed out (measured: 40
//! concurrent registrations left the server at 789 MiB resident). Instead a
//! fixed number of buffers is allocated once and reused, which both caps
//! concurrent hashes and bounds the memory to `concurrency × 19 MiB`.

use std::sync::{Arc, Mutex};

use argon2::{
    password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString},
    Algorithm, Argon2, Block, Params, Version,
};
use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// Hashes and verifies passwords with argon2id (m=19 MiB, t=2, p=1).
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    buffers: Arc<Mutex<Vec<Vec<Block>>>>,
    /// A real hash verified against when the user does not exist, so an unknown
    /// user takes about as long as a wrong password.
    dummy_hash: Arc<str>,
}

/// Lends one working buffer for the length of a hash and returns it after.
struct Lease {
    buffers: Arc<Mutex<Vec<Vec<Block>>>>,
    blocks: Option<Vec<Block>>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let (Some(blocks), Ok(mut pool)) = (self.blocks.take(), self.buffers.lock()) {
            pool.push(blocks);
        }
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
        let mut scratch = vec![Block::default(); params().block_count()];
        let dummy = hash_with(&mut scratch, "imgql-dummy-password-for-timing")?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            // The scratch buffer becomes the pool's first; the rest come lazily.
            buffers: Arc::new(Mutex::new(vec![scratch])),
            dummy_hash: dummy.into(),
        })
    }

    async fn lease(&self) -> AppResult<(tokio::sync::SemaphorePermit<'_>, Lease)> {
        let permit = self.permits.acquire().await.map_err(AppError::internal)?;
        let reused = self
            .buffers
            .lock()
            .map_err(|_| AppError::internal("password buffer pool poisoned"))?
            .pop();
        let blocks = reused.unwrap_or_else(|| vec![Block::default(); params().block_count()]);
        Ok((
            permit,
            Lease {
                buffers: self.buffers.clone(),
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
        own = vec![Block::default(); stored_params.block_count()];
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
