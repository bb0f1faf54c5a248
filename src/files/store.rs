//! Where uploaded bytes live: the [`FileStore`] trait and its local-disk
//! implementation. Keys are always server-made; a client's file name never
//! reaches a path.

use std::{
    io,
    path::{Path, PathBuf},
    pin::Pin,
    time::{Duration, SystemTime},
};

use futures_util::future::BoxFuture;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// How many leading bytes are kept in memory to detect the type.
pub const HEAD_LEN: usize = 8 * 1024;

/// Prefix of staging files; never a valid key.
const STAGING_PREFIX: &str = ".part-";

/// Staging files older than this are leftovers of a crash and are swept at start.
const STALE_STAGING: Duration = Duration::from_secs(3600);

/// A readable range of a stored file.
pub type FileReader = Pin<Box<dyn AsyncRead + Send>>;

/// Keeps the bytes of uploads and renditions under server-made keys.
pub trait FileStore: Send + Sync + 'static {
    /// Start receiving bytes into a temporary file; at most `limit` bytes are accepted.
    fn stage(&self, limit: u64) -> BoxFuture<'_, io::Result<StagingWriter>>;
    /// Keep `staged` under `key`, replacing nothing half-written: readers see all or nothing.
    fn put<'a>(&'a self, key: &'a str, staged: StagedFile) -> BoxFuture<'a, io::Result<()>>;
    /// `len` bytes of `key` from `offset`; `None` when the key is absent.
    fn open<'a>(
        &'a self,
        key: &'a str,
        offset: u64,
        len: u64,
    ) -> BoxFuture<'a, io::Result<Option<FileReader>>>;
    /// Forget `key`; an absent key is fine.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>>;
}

/// Bytes received into a temporary file. Dropped without being [`FileStore::put`],
/// the file is removed, so a failed or broken-off upload leaves nothing behind.
#[derive(Debug)]
pub struct StagedFile {
    path: PathBuf,
    size: u64,
    head: Vec<u8>,
    armed: bool,
}

impl StagedFile {
    /// The bytes received.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The first bytes (up to [`HEAD_LEN`]), for type detection.
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// Where the bytes are, for decoding; valid until the file is put or dropped.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Give up ownership of the temporary file (it has been moved elsewhere).
    fn disarm(mut self) -> PathBuf {
        self.armed = false;
        std::mem::take(&mut self.path)
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if self.armed {
            if let Err(err) = std::fs::remove_file(&self.path) {
                if err.kind() != io::ErrorKind::NotFound {
                    tracing::warn!(path = %self.path.display(), %err, "could not remove a staging file");
                }
            }
        }
    }
}

/// Why staging stopped.
#[derive(Debug)]
pub enum StageError {
    /// More than the limit arrived.
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The disk failed.
    Io(io::Error),
}

/// Writes an upload into its [`StagedFile`] as it arrives.
pub struct StagingWriter {
    file: tokio::fs::File,
    staged: StagedFile,
    limit: u64,
}

impl StagingWriter {
    /// Append `chunk`; fails as soon as the limit is passed.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), StageError> {
        let size = self.staged.size + chunk.len() as u64;
        if size > self.limit {
            return Err(StageError::TooLarge { limit: self.limit });
        }
        if self.staged.head.len() < HEAD_LEN {
            let take = (HEAD_LEN - self.staged.head.len()).min(chunk.len());
            self.staged.head.extend_from_slice(&chunk[..take]);
        }
        self.file.write_all(chunk).await.map_err(StageError::Io)?;
        self.staged.size = size;
        Ok(())
    }

    /// Flush to disk and hand over the staged file.
    pub async fn finish(mut self) -> io::Result<StagedFile> {
        self.file.flush().await?;
        // Durable before it can be renamed into place and referenced by a row.
        self.file.sync_data().await?;
        Ok(self.staged)
    }
}

/// Files in one directory on local disk, named by their keys.
pub struct LocalStore {
    dir: PathBuf,
}

impl LocalStore {
    /// Use (and create) `dir`, sweeping staging files a crash left behind.
    pub fn open(dir: PathBuf) -> io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        sweep_stale_staging(&dir);
        Ok(Self { dir })
    }

    fn path_of(&self, key: &str) -> io::Result<PathBuf> {
        let valid = !key.is_empty()
            && key.len() <= 80
            && !key.starts_with('.')
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
        if valid {
            Ok(self.dir.join(key))
        } else {
            Err(io::Error::new(io::ErrorKind::InvalidInput, "invalid key"))
        }
    }
}

/// Remove staging files not touched for a while (a live upload keeps writing).
fn sweep_stale_staging(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let is_staging = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(STAGING_PREFIX));
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age > STALE_STAGING);
        if is_staging && stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

impl FileStore for LocalStore {
    fn stage(&self, limit: u64) -> BoxFuture<'_, io::Result<StagingWriter>> {
        Box::pin(async move {
            // In the store's own directory, so that `put` is an atomic rename.
            let path = self
                .dir
                .join(format!("{STAGING_PREFIX}{}", uuid::Uuid::now_v7().simple()));
            let file = tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .await?;
            Ok(StagingWriter {
                file,
                staged: StagedFile {
                    path,
                    size: 0,
                    head: Vec::new(),
                    armed: true,
                },
                limit,
            })
        })
    }

    fn put<'a>(&'a self, key: &'a str, staged: StagedFile) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let target = self.path_of(key)?;
            // On failure `staged` is dropped here and removes the temporary file.
            tokio::fs::rename(staged.path(), &target).await?;
            staged.disarm();
            Ok(())
        })
    }

    fn open<'a>(
        &'a self,
        key: &'a str,
        offset: u64,
        len: u64,
    ) -> BoxFuture<'a, io::Result<Option<FileReader>>> {
        Box::pin(async move {
            let path = self.path_of(key)?;
            let mut file = match tokio::fs::File::open(&path).await {
                Ok(file) => file,
                Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(err) => return Err(err),
            };
            if offset > 0 {
                file.seek(io::SeekFrom::Start(offset)).await?;
            }
            Ok(Some(Box::pin(file.take(len)) as FileReader))
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            match tokio::fs::remove_file(self.path_of(key)?).await {
                Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
                _ => Ok(()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_dropped_staging_file_leaves_nothing_and_a_put_one_is_readable() {
        let dir = tempfile::tempdir().expect("dir");
        let store = LocalStore::open(dir.path().join("files")).expect("store");
        let mut writer = store.stage(10).await.expect("stage");
        writer.write(b"hello").await.expect("write");
        assert!(matches!(
            writer.write(b"world!").await,
            Err(StageError::TooLarge { limit: 10 })
        ));
        drop(writer);
        assert_eq!(
            std::fs::read_dir(dir.path().join("files"))
                .expect("read dir")
                .count(),
            0
        );

        let mut writer = store.stage(10).await.expect("stage");
        writer.write(b"hello").await.expect("write");
        let staged = writer.finish().await.expect("finish");
        assert_eq!(staged.head(), b"hello");
        store.put("abc", staged).await.expect("put");
        let mut reader = store.open("abc", 1, 3).await.expect("open").expect("some");
        let mut out = String::new();
        reader.read_to_string(&mut out).await.expect("read");
        assert_eq!(out, "ell");
        assert!(store.open("../abc", 0, 1).await.is_err());
        assert!(store.open("missing", 0, 1).await.expect("open").is_none());
        store.delete("abc").await.expect("delete");
        store.delete("abc").await.expect("deleting twice is fine");
    }
}
