//! File rules and queries: storing uploads, who may download, and the media
//! payloads of messages.

use entity::{conversation_states, file_attachments, files, messages};
use sea_orm::{
    sea_query::Query, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect, Set,
};
use serde_json::{json, Value};

use super::{
    media::{self, Rendition},
    quota,
    store::{StageError, StagedFile},
    types::{MediaKind, UploadedFile},
};
use crate::{
    config::Config,
    error::{AppError, AppResult},
    state::AppState,
    users::service as users,
    util::unix_now,
};

/// What a media message names.
#[derive(Debug, Clone)]
pub struct MediaRequest {
    /// The kind of message.
    pub kind: MediaKind,
    /// The uploaded file it carries.
    pub file_id: String,
    /// Duration in seconds (audio and video).
    pub second: Option<i64>,
    /// An uploaded image shown before a video plays.
    pub thumb_file_id: Option<String>,
}

/// A media payload ready to store: the compat JSON of SPEC section 4, and the files it carries.
#[derive(Debug, Clone)]
pub struct MediaPayload {
    /// The payload, with URLs, sizes and dimensions filled in.
    pub payload: Value,
    /// The files to attach to the message's channel.
    pub file_ids: Vec<String>,
}

/// An upload received in full, with the name the client gave it.
#[derive(Debug)]
pub struct StagedUpload {
    /// The client's file name (not yet sanitised).
    pub name: String,
    /// The bytes.
    pub file: StagedFile,
}

/// Which bytes of a file a download asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The file as uploaded.
    Original,
    /// The rendition of at most 720 px (images only).
    Big,
    /// The rendition of at most 198 px (images only).
    Small,
}

/// A download the viewer may make.
#[derive(Debug, Clone)]
pub struct Download {
    /// Store key of the bytes.
    pub key: String,
    /// Media type of the bytes.
    pub mime: String,
    /// Size of the bytes.
    pub size: u64,
    /// Sanitised display name.
    pub name: String,
    /// The file's kind.
    pub kind: MediaKind,
    /// A strong validator: stored bytes never change.
    pub etag: String,
}

/// `BAD_USER_INPUT` for a staging failure, or `PAYLOAD_TOO_LARGE`.
pub fn stage_error(err: StageError) -> AppError {
    match err {
        StageError::TooLarge { limit } => {
            AppError::PayloadTooLarge(format!("file: larger than {limit} bytes"))
        }
        StageError::Io(err) => AppError::internal(err),
    }
}

/// The URL of a file (or of a rendition), absolute when `IMGQL_PUBLIC_URL` is set.
pub fn file_url(config: &Config, file_id: &str, variant: Variant) -> String {
    let base = config.public_url.trim_end_matches('/');
    let suffix = match variant {
        Variant::Original => "",
        Variant::Big => "/big",
        Variant::Small => "/small",
    };
    format!("{base}/files/{file_id}{suffix}")
}

/// The API view of a file row.
pub fn to_api(config: &Config, row: &files::Model) -> UploadedFile {
    UploadedFile {
        file_id: row.id.clone(),
        name: row.name.clone(),
        mime: row.mime.clone(),
        size: row.size,
        url: file_url(config, &row.id, Variant::Original),
        width: row.width,
        height: row.height,
    }
}

/// Whether `id` has the shape of a server-made fileID (so junk never reaches a query).
fn is_file_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Keep an upload for `viewer`: detect its kind from the bytes, make image
/// renditions, store the bytes and record the file.
pub async fn upload_file(
    state: &AppState,
    viewer: &str,
    upload: StagedUpload,
) -> AppResult<UploadedFile> {
    if users::find_user(state, viewer).await?.is_none() {
        return Err(AppError::Unauthenticated("account no longer exists".into()));
    }
    let state = state.clone();
    let viewer = viewer.to_owned();
    // Its own task, so that a client going away cannot cancel it between
    // storing the bytes and recording the row (which would orphan the bytes).
    tokio::spawn(async move { store_upload(&state, &viewer, upload).await })
        .await
        .map_err(AppError::internal)?
}

async fn store_upload(
    state: &AppState,
    viewer: &str,
    upload: StagedUpload,
) -> AppResult<UploadedFile> {
    let staged = upload.file;
    let size = staged.size();
    if size == 0 {
        return Err(AppError::bad_input("file", "must not be empty"));
    }
    // Others of the viewer's uploads may have been stored while this one arrived.
    quota::check_room(state, &state.db, viewer, size).await?;
    let mut detected = media::detect(staged.head());
    let mut facts = None;
    if let Some(format) = media::image_format(&detected.mime) {
        // Too large to be sent as an image: read the size only, make no renditions.
        let renditions = size <= state.config.max_image_bytes;
        let max_pixels = state.config.max_image_pixels;
        match state
            .files
            .inspect_image(staged.path().to_owned(), format, renditions, max_pixels)
            .await?
        {
            media::Inspected::Image(found) => facts = Some(found),
            // Image magic but not a decodable image: it can only travel as a file.
            media::Inspected::NotAnImage => detected.kind = MediaKind::File,
            media::Inspected::TooManyPixels { width, height } => {
                return Err(AppError::PayloadTooLarge(format!(
                    "file: a {width} x {height} image is over {max_pixels} pixels \
                     (IMGQL_MAX_IMAGE_PIXELS)"
                )));
            }
        }
    }
    let id = uuid::Uuid::now_v7().simple().to_string();
    let mut row = files::Model {
        id: id.clone(),
        owner_id: viewer.to_owned(),
        kind: detected.kind.as_str().to_owned(),
        mime: detected.mime.clone(),
        name: media::sanitize_name(&upload.name),
        size: i64::try_from(size).map_err(AppError::internal)?,
        storage_key: id.clone(),
        width: None,
        height: None,
        image_format: None,
        big_key: None,
        big_mime: None,
        big_size: None,
        big_width: None,
        big_height: None,
        small_key: None,
        small_mime: None,
        small_size: None,
        small_width: None,
        small_height: None,
        created_at: unix_now(),
    };
    let mut stored = Vec::new();
    if let Err(err) = store_all(state, &mut row, &mut stored, staged, facts).await {
        for key in &stored {
            if let Err(cause) = state.files.store.delete(key).await {
                tracing::warn!(%key, %cause, "could not remove the bytes of a failed upload");
            }
        }
        return Err(err);
    }
    tracing::info!(file_id = %row.id, kind = %row.kind, size = row.size, "file uploaded");
    Ok(to_api(&state.config, &row))
}

/// Store renditions, then the original, then the row; `stored` lists the keys written.
async fn store_all(
    state: &AppState,
    row: &mut files::Model,
    stored: &mut Vec<String>,
    staged: StagedFile,
    facts: Option<media::ImageFacts>,
) -> AppResult<()> {
    if let Some(facts) = facts {
        row.width = Some(dimension(facts.width));
        row.height = Some(dimension(facts.height));
        row.image_format = Some(media::tim_image_format(&row.mime));
        if let Some((big, small)) = facts.renditions {
            let big = store_rendition(state, stored, row, "big", big).await?;
            row.big_key = Some(big.key);
            row.big_mime = Some(big.mime);
            row.big_size = Some(big.size);
            row.big_width = Some(big.width);
            row.big_height = Some(big.height);
            let small = store_rendition(state, stored, row, "small", small).await?;
            row.small_key = Some(small.key);
            row.small_mime = Some(small.mime);
            row.small_size = Some(small.size);
            row.small_width = Some(small.width);
            row.small_height = Some(small.height);
        }
    }
    state
        .files
        .store
        .put(&row.storage_key, staged)
        .await
        .map_err(AppError::internal)?;
    stored.push(row.storage_key.clone());
    let _gate = state.write_guard().await;
    // Checked again where recording is serialised (SQLite), so two uploads at
    // once cannot both take the last of the quota.
    quota::check_room(
        state,
        &state.db,
        &row.owner_id,
        u64::try_from(row.size).unwrap_or(u64::MAX),
    )
    .await?;
    files::Entity::insert(row.clone().into_active_model())
        .exec_without_returning(&state.db)
        .await?;
    Ok(())
}

/// Where a rendition was stored.
struct StoredRendition {
    key: String,
    mime: String,
    size: i64,
    width: i32,
    height: i32,
}

/// Store one rendition. A rendition that is the original itself shares the original's key.
async fn store_rendition(
    state: &AppState,
    stored: &mut Vec<String>,
    original: &files::Model,
    suffix: &str,
    rendition: Rendition,
) -> AppResult<StoredRendition> {
    let (width, height) = (dimension(rendition.width), dimension(rendition.height));
    let Some((bytes, mime)) = rendition.encoded else {
        return Ok(StoredRendition {
            key: original.storage_key.clone(),
            mime: original.mime.clone(),
            size: original.size,
            width,
            height,
        });
    };
    let key = format!("{}-{suffix}", original.id);
    let mut writer = state
        .files
        .store
        .stage(bytes.len() as u64)
        .await
        .map_err(AppError::internal)?;
    writer.write(&bytes).await.map_err(stage_error)?;
    let staged = writer.finish().await.map_err(AppError::internal)?;
    state
        .files
        .store
        .put(&key, staged)
        .await
        .map_err(AppError::internal)?;
    stored.push(key.clone());
    Ok(StoredRendition {
        key,
        mime: mime.to_owned(),
        size: i64::try_from(bytes.len()).map_err(AppError::internal)?,
        width,
        height,
    })
}

fn dimension(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// Whether `viewer` may read `file_id` because a message carrying it is in
/// their history: a sent, unrevoked message of a conversation they have, after
/// the point their history starts there (the group join floor, or where
/// `deleteConversation` cleared it). An AVChatRoom keeps no history, so there
/// this is what the member was delivered live: the messages since they joined.
async fn can_see(state: &AppState, viewer: &str, file_id: &str) -> AppResult<bool> {
    let channels = Query::select()
        .column(file_attachments::Column::ChannelId)
        .from(file_attachments::Entity)
        .and_where(file_attachments::Column::FileId.eq(file_id))
        .to_owned();
    // The viewer's conversations that carry the file, with their floors.
    let floors = conversation_states::Entity::find()
        .select_only()
        .column(conversation_states::Column::ChannelId)
        .column(conversation_states::Column::ClearedSeq)
        .filter(conversation_states::Column::UserId.eq(viewer))
        .filter(conversation_states::Column::ChannelId.in_subquery(channels))
        .into_tuple::<(i64, i64)>()
        .all(&state.db)
        .await?;
    for (channel_id, floor) in floors {
        let carriers = Query::select()
            .column(file_attachments::Column::Seq)
            .from(file_attachments::Entity)
            .and_where(file_attachments::Column::FileId.eq(file_id))
            .and_where(file_attachments::Column::ChannelId.eq(channel_id))
            .and_where(file_attachments::Column::Seq.gt(floor))
            .to_owned();
        let visible = messages::Entity::find()
            .select_only()
            .column(messages::Column::Id)
            .filter(messages::Column::ChannelId.eq(channel_id))
            .filter(messages::Column::Seq.in_subquery(carriers))
            .filter(messages::Column::IsRevoked.eq(false))
            .into_tuple::<String>()
            .one(&state.db)
            .await?;
        if visible.is_some() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// What `viewer` may download of `file_id`. Anyone not allowed, and anything
/// absent, gets the same `NOT_FOUND`, so existence does not leak.
pub async fn find_download(
    state: &AppState,
    viewer: Option<&str>,
    file_id: &str,
    variant: Variant,
) -> AppResult<Download> {
    let not_found = || AppError::NotFound("no such file".into());
    let Some(viewer) = viewer else {
        return Err(not_found());
    };
    if !is_file_id(file_id) {
        return Err(not_found());
    }
    let row = files::Entity::find_by_id(file_id)
        .one(&state.db)
        .await?
        .ok_or_else(not_found)?;
    if row.owner_id != viewer && !can_see(state, viewer, file_id).await? {
        return Err(not_found());
    }
    let (key, mime, size, tag) = match variant {
        Variant::Original => (Some(row.storage_key), Some(row.mime), Some(row.size), ""),
        Variant::Big => (row.big_key, row.big_mime, row.big_size, "-big"),
        Variant::Small => (row.small_key, row.small_mime, row.small_size, "-small"),
    };
    let (Some(key), Some(mime), Some(size)) = (key, mime, size) else {
        return Err(not_found());
    };
    Ok(Download {
        key,
        mime,
        size: u64::try_from(size).map_err(AppError::internal)?,
        name: row.name,
        kind: MediaKind::from_stored(&row.kind),
        etag: format!("\"{}{tag}\"", row.id),
    })
}

/// A file `viewer` uploaded, or `NOT_FOUND` naming `field`.
async fn owned_file(
    state: &AppState,
    viewer: &str,
    file_id: &str,
    field: &str,
) -> AppResult<files::Model> {
    if file_id.trim().is_empty() {
        return Err(AppError::bad_input(field, "is required"));
    }
    let row = if is_file_id(file_id) {
        files::Entity::find_by_id(file_id).one(&state.db).await?
    } else {
        None
    };
    match row {
        Some(row) if row.owner_id == viewer => Ok(row),
        _ => Err(AppError::NotFound(format!(
            "{field}: no file {file_id:?} uploaded by you"
        ))),
    }
}

/// Check that `row` may travel as a message of `kind` (any file may travel as a
/// file) and within that kind's size limit.
fn check_fits(state: &AppState, row: &files::Model, kind: MediaKind, field: &str) -> AppResult<()> {
    let actual = MediaKind::from_stored(&row.kind);
    if kind != MediaKind::File && actual != kind {
        return Err(AppError::bad_input(
            field,
            format!(
                "the file is {} ({}), not {}",
                actual.noun(),
                row.mime,
                kind.noun()
            ),
        ));
    }
    let limit = kind.limit(&state.config);
    if u64::try_from(row.size).unwrap_or(u64::MAX) > limit {
        return Err(AppError::PayloadTooLarge(format!(
            "{field}: {} may be at most {limit} bytes",
            kind.noun()
        )));
    }
    Ok(())
}

/// Check the viewer uploaded the file(s), the kind fits and its size limit holds; build the payload.
pub async fn media_payload(
    state: &AppState,
    viewer: &str,
    req: &MediaRequest,
) -> AppResult<MediaPayload> {
    let row = owned_file(state, viewer, &req.file_id, "fileID").await?;
    check_fits(state, &row, req.kind, "fileID")?;
    let second = req.second.unwrap_or(0);
    if second < 0 {
        return Err(AppError::bad_input("second", "must not be negative"));
    }
    let config = &state.config;
    let url = file_url(config, &row.id, Variant::Original);
    let mut file_ids = vec![row.id.clone()];
    let payload = match req.kind {
        MediaKind::Image => {
            let info = |ty: i64, width, height, size, url: String| json!({ "type": ty, "width": width, "height": height, "size": size, "url": url });
            let (width, height) = (row.width.unwrap_or(0), row.height.unwrap_or(0));
            // Without renditions (the limit was raised since upload) the original stands in.
            let big = match (row.big_size, row.big_width, row.big_height) {
                (Some(size), Some(w), Some(h)) => {
                    info(1, w, h, size, file_url(config, &row.id, Variant::Big))
                }
                _ => info(1, width, height, row.size, url.clone()),
            };
            let small = match (row.small_size, row.small_width, row.small_height) {
                (Some(size), Some(w), Some(h)) => {
                    info(2, w, h, size, file_url(config, &row.id, Variant::Small))
                }
                _ => info(2, width, height, row.size, url.clone()),
            };
            json!({
                "uuid": row.id,
                "imageFormat": row.image_format.unwrap_or(255),
                "imageInfoArray": [info(0, width, height, row.size, url), big, small],
            })
        }
        MediaKind::Audio => json!({
            "uuid": row.id,
            "url": url,
            "size": row.size,
            "second": second,
        }),
        MediaKind::Video => {
            let thumb = match req.thumb_file_id.as_deref().filter(|t| !t.is_empty()) {
                Some(thumb_id) => {
                    let thumb = owned_file(state, viewer, thumb_id, "thumbFileID").await?;
                    check_fits(state, &thumb, MediaKind::Image, "thumbFileID")?;
                    Some(thumb)
                }
                None => None,
            };
            let (thumb_uuid, thumb_url, thumb_width, thumb_height) = match &thumb {
                Some(t) => (
                    t.id.clone(),
                    file_url(config, &t.id, Variant::Original),
                    t.width.unwrap_or(0),
                    t.height.unwrap_or(0),
                ),
                None => (String::new(), String::new(), 0, 0),
            };
            if let Some(t) = thumb {
                if t.id != row.id {
                    file_ids.push(t.id);
                }
            }
            json!({
                "videoUUID": row.id,
                "videoUrl": url,
                "videoSize": row.size,
                "videoSecond": second,
                "videoFormat": media::video_format(&row.mime),
                "thumbUUID": thumb_uuid,
                "thumbUrl": thumb_url,
                "thumbWidth": thumb_width,
                "thumbHeight": thumb_height,
            })
        }
        MediaKind::File => json!({
            "uuid": row.id,
            "fileName": row.name,
            "fileUrl": url,
            "fileSize": row.size,
        }),
    };
    Ok(MediaPayload { payload, file_ids })
}

/// Record that the sent message at `seq` of `channel_id` carries these files
/// (called inside the send transaction).
pub async fn attach_files<C: ConnectionTrait>(
    conn: &C,
    file_ids: &[String],
    channel_id: i64,
    seq: i64,
) -> AppResult<()> {
    if file_ids.is_empty() {
        // Most messages carry no file: no statement at all.
        return Ok(());
    }
    let mut ids: Vec<&String> = file_ids.iter().collect();
    ids.sort();
    ids.dedup();
    let rows = ids.into_iter().map(|id| file_attachments::ActiveModel {
        file_id: Set(id.clone()),
        channel_id: Set(channel_id),
        seq: Set(seq),
    });
    // A file named twice in one message (a video as its own thumbnail) links once.
    file_attachments::Entity::insert_many(rows)
        .on_conflict_do_nothing()
        .exec_without_returning(conn)
        .await?;
    Ok(())
}
