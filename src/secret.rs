//! The JWT signing secret: configured, or generated once and kept in the data dir.

use std::io::Write;

use rand::RngCore;

use crate::config::Config;

const SECRET_FILE: &str = "jwt-secret";

/// The secret's raw bytes.
pub fn load_or_create(config: &Config) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &config.jwt_secret {
        return Ok(secret.as_bytes().to_vec());
    }
    let path = config.data_dir.join(SECRET_FILE);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= 32 {
            tracing::warn!(path = %path.display(), "using the generated JWT secret from the data dir: set IMGQL_JWT_SECRET in production");
            return Ok(existing.as_bytes().to_vec());
        }
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    file.write_all(secret.as_bytes())?;
    tracing::warn!(path = %path.display(), "no IMGQL_JWT_SECRET given: generated one and kept it in the data dir (fine for development only)");
    Ok(secret.into_bytes())
}
