//! Files: uploads checked by their bytes, image renditions, media payloads of
//! messages, and downloads for those allowed to see them.

pub mod graphql;
pub mod http;
pub mod media;
pub mod multipart;
pub mod quota;
pub mod service;
pub mod store;
pub mod sweeper;
pub mod types;

use std::{path::PathBuf, sync::Arc};

use image::ImageFormat;
use tokio::sync::Semaphore;

use crate::{
    config::Config,
    error::{AppError, AppResult},
};

pub use store::{FileStore, LocalStore, StagedFile};
pub use types::MediaKind;

/// The file store and the budget for image work, shared by every request.
#[derive(Clone)]
pub struct Files {
    /// Where the bytes live.
    pub store: Arc<dyn FileStore>,
    // Decoding a 20 MB image may take a few hundred MiB and a core: cap how many run at once.
    image_permits: Arc<Semaphore>,
}

impl Files {
    /// Files on local disk under `IMGQL_FILES_DIR` (default `<data dir>/files`).
    pub fn local(config: &Config) -> std::io::Result<Self> {
        let store = LocalStore::open(config.files_dir())?;
        Ok(Self::new(Arc::new(store)))
    }

    /// Files in `store`.
    pub fn new(store: Arc<dyn FileStore>) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            store,
            image_permits: Arc::new(Semaphore::new(cores.clamp(1, 4))),
        }
    }

    /// [`media::inspect_image`] off the async runtime, behind the permits.
    pub async fn inspect_image(
        &self,
        path: PathBuf,
        format: ImageFormat,
        renditions: bool,
        max_pixels: u64,
    ) -> AppResult<media::Inspected> {
        let _permit = self
            .image_permits
            .acquire()
            .await
            .map_err(AppError::internal)?;
        tokio::task::spawn_blocking(move || {
            media::inspect_image(&path, format, renditions, max_pixels)
        })
        .await
        .map_err(AppError::internal)
    }
}
