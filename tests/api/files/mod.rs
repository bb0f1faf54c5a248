//! uploadFile, POST /file/upload and GET /files/{fileID}: type detection,
//! image renditions, limits, broken-off uploads, ranges and who may download,
//! and the media messages that carry files.

pub mod support;

mod downloads;
mod limits;
mod media;
mod quotas;
mod sweeping;
mod uploads;
mod visibility;
