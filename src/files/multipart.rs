//! Receiving `multipart/form-data` uploads: the GraphQL multipart request spec
//! for `/graphql` and the single `file` field of `POST /file/upload`.
//!
//! Files are streamed straight into the store's staging area and refused as
//! they arrive once over the limit; a request that fails or breaks off drops
//! its staged files, which removes them.

use std::{collections::HashMap, sync::Mutex, time::Duration};

use axum::{
    body::{Body, Bytes},
    http::{header, HeaderMap},
};
use multer::{Constraints, Field, Multipart, SizeLimit};

use super::service::{stage_error, StagedUpload};
use crate::{
    error::{AppError, AppResult},
    state::AppState,
    util::content_type,
};

/// What the uploaded-file marker in GraphQL variables starts with (async-graphql's form).
pub const UPLOAD_MARKER: &str = "#__graphql_file__:";

/// A GraphQL multipart request: the `operations` JSON, and each staged file
/// with the variable paths (`variables.file`) it fills.
#[derive(Debug)]
pub struct GraphqlMultipart {
    /// The `operations` field, a JSON request object.
    pub operations: Bytes,
    /// Staged files and their paths from `map`.
    pub files: Vec<(Vec<String>, StagedUpload)>,
}

/// The staged files of one GraphQL request, by upload index, for the resolvers
/// to take. Whatever is not taken is removed when the request ends.
#[derive(Default)]
pub struct StagedUploads {
    files: Mutex<HashMap<usize, StagedUpload>>,
}

impl StagedUploads {
    /// Take the upload with `index`; `None` if absent or already taken.
    pub fn take(&self, index: usize) -> Option<StagedUpload> {
        self.files.lock().ok()?.remove(&index)
    }
}

/// Put the staged files into `request`: each variable path gets the upload
/// marker, and the files go into the request data as [`StagedUploads`].
pub fn attach_uploads(
    mut request: async_graphql::Request,
    files: Vec<(Vec<String>, StagedUpload)>,
) -> AppResult<async_graphql::Request> {
    let mut staged = HashMap::new();
    for (paths, upload) in files {
        // One file may fill several paths, but it can be stored only once:
        // the first path takes it, the others find it gone.
        let mut index = None;
        for path in paths {
            let Some(slot) = variable_at(&mut request.variables, &path) else {
                return Err(AppError::bad_input(
                    "map",
                    format!("{path:?} is not a variable of the operation"),
                ));
            };
            let i = index.unwrap_or(staged.len());
            *slot = async_graphql::Value::String(format!("{UPLOAD_MARKER}{i}"));
            index = Some(i);
        }
        if let Some(i) = index {
            staged.insert(i, upload);
        }
    }
    Ok(request.data(StagedUploads {
        files: Mutex::new(staged),
    }))
}

/// The value at `variables.a.0.b` in the request variables.
fn variable_at<'a>(
    variables: &'a mut async_graphql::Variables,
    path: &str,
) -> Option<&'a mut async_graphql::Value> {
    let mut parts = path.strip_prefix("variables.")?.split('.');
    let first = parts.next()?;
    let mut current = variables.get_mut(first)?;
    for part in parts {
        current = match current {
            async_graphql::Value::List(list) => list.get_mut(part.parse::<usize>().ok()?)?,
            async_graphql::Value::Object(object) => object.get_mut(part)?,
            _ => return None,
        };
    }
    Some(current)
}

fn multipart(state: &AppState, headers: &HeaderMap, body: Body) -> AppResult<Multipart<'static>> {
    let whole_limit = upload_body_limit(&state.config);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    // Refused before reading anything when the client says how much is coming.
    if declared.is_some_and(|len| len > whole_limit) {
        return Err(AppError::PayloadTooLarge(format!(
            "body: an upload may be at most {whole_limit} bytes"
        )));
    }
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or_else(|| {
            AppError::bad_input(
                "body",
                "send the upload as multipart/form-data with a boundary",
            )
        })?;
    let config = &state.config;
    let json_limit = config.max_body_bytes as u64;
    let limits = SizeLimit::new()
        .whole_stream(whole_limit)
        .for_field("operations", json_limit)
        .for_field("map", json_limit);
    Ok(Multipart::with_constraints(
        body.into_data_stream(),
        boundary,
        Constraints::new().size_limit(limits),
    ))
}

/// Whether `request` is a multipart upload to a route that takes files (and so
/// gets the upload body limit rather than the JSON one).
pub fn is_upload_request(request: &axum::extract::Request) -> bool {
    request.method() == axum::http::Method::POST
        && matches!(request.uri().path(), "/graphql" | "/file/upload")
        && content_type(request.headers()).as_deref() == Some("multipart/form-data")
}

/// The largest body a multipart upload may have: every file at the largest
/// limit, plus room for the operations, the map and the part headers.
pub fn upload_body_limit(config: &crate::config::Config) -> u64 {
    config
        .max_upload_bytes()
        .saturating_mul(config.max_files_per_request as u64)
        .saturating_add(config.max_body_bytes as u64)
}

/// Whether `err` (or anything it wraps) is a body that went over its limit.
fn is_length_limit(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(err) = current {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        current = err.source();
    }
    false
}

fn multipart_error(err: multer::Error) -> AppError {
    match &err {
        multer::Error::FieldSizeExceeded { field_name, .. } => AppError::PayloadTooLarge(format!(
            "{}: too large",
            field_name.as_deref().unwrap_or("body")
        )),
        multer::Error::StreamSizeExceeded { .. } => {
            AppError::PayloadTooLarge("body: too large".into())
        }
        multer::Error::StreamReadFailed(cause) if is_length_limit(cause.as_ref()) => {
            AppError::PayloadTooLarge("body: too large".into())
        }
        multer::Error::StreamReadFailed(_) => AppError::bad_input("body", "the upload broke off"),
        _ => AppError::bad_input("body", format!("malformed multipart: {err}")),
    }
}

/// Time a stalled upload may go without sending anything.
fn idle_timeout(state: &AppState) -> Duration {
    Duration::from_secs(state.config.request_timeout.max(1))
}

async fn next_field<'r>(
    state: &AppState,
    multipart: &mut Multipart<'r>,
) -> AppResult<Option<Field<'r>>> {
    tokio::time::timeout(idle_timeout(state), multipart.next_field())
        .await
        .map_err(|_| AppError::bad_input("body", "the upload stalled"))?
        .map_err(multipart_error)
}

async fn read_small(state: &AppState, mut field: Field<'_>) -> AppResult<Vec<u8>> {
    let mut bytes = Vec::new();
    loop {
        let chunk = tokio::time::timeout(idle_timeout(state), field.chunk())
            .await
            .map_err(|_| AppError::bad_input("body", "the upload stalled"))?
            .map_err(multipart_error)?;
        match chunk {
            Some(chunk) => bytes.extend_from_slice(&chunk),
            None => return Ok(bytes),
        }
    }
}

/// Stream one file field into the store's staging area.
async fn stage_field(state: &AppState, mut field: Field<'_>) -> AppResult<StagedUpload> {
    let name = field.file_name().unwrap_or_default().to_owned();
    let mut writer = state
        .files
        .store
        .stage(state.config.max_upload_bytes())
        .await
        .map_err(AppError::internal)?;
    loop {
        let chunk = tokio::time::timeout(idle_timeout(state), field.chunk())
            .await
            .map_err(|_| AppError::bad_input("file", "the upload stalled"))?
            .map_err(multipart_error)?;
        match chunk {
            Some(chunk) => writer.write(&chunk).await.map_err(stage_error)?,
            None => break,
        }
    }
    let file = writer.finish().await.map_err(AppError::internal)?;
    Ok(StagedUpload { name, file })
}

/// Receive a GraphQL multipart request: `operations`, then `map`, then the files.
pub async fn receive_graphql(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> AppResult<GraphqlMultipart> {
    let mut multipart = multipart(state, headers, body)?;
    let mut operations = None;
    let mut map: Option<HashMap<String, Vec<String>>> = None;
    let mut files = Vec::new();
    while let Some(field) = next_field(state, &mut multipart).await? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "operations" if operations.is_none() => {
                operations = Some(Bytes::from(read_small(state, field).await?));
            }
            "map" if map.is_none() => {
                if operations.is_none() {
                    return Err(AppError::bad_input("map", "must follow `operations`"));
                }
                let parsed: HashMap<String, Vec<String>> =
                    serde_json::from_slice(&read_small(state, field).await?)
                        .map_err(|e| AppError::bad_input("map", e))?;
                if parsed.len() > state.config.max_files_per_request {
                    return Err(AppError::PayloadTooLarge(format!(
                        "map: at most {} files per request",
                        state.config.max_files_per_request
                    )));
                }
                map = Some(parsed);
            }
            _ => {
                let Some(map) = map.as_mut() else {
                    return Err(AppError::bad_input(
                        "body",
                        "`operations` and `map` must come before the files",
                    ));
                };
                // A part the map does not name is skipped unread.
                if let Some(paths) = map.remove(&name) {
                    files.push((paths, stage_field(state, field).await?));
                }
            }
        }
    }
    let operations = operations.ok_or_else(|| AppError::bad_input("operations", "is required"))?;
    let map = map.ok_or_else(|| AppError::bad_input("map", "is required"))?;
    if let Some(missing) = map.keys().next() {
        return Err(AppError::bad_input(
            "map",
            format!("names file {missing:?}, which was not sent"),
        ));
    }
    Ok(GraphqlMultipart { operations, files })
}

/// Receive the one file of the form field `field_name`; other fields are ignored.
pub async fn receive_file(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    field_name: &str,
) -> AppResult<StagedUpload> {
    let mut multipart = multipart(state, headers, body)?;
    let mut upload = None;
    while let Some(field) = next_field(state, &mut multipart).await? {
        if field.name() != Some(field_name) {
            continue;
        }
        if upload.is_some() {
            return Err(AppError::bad_input(field_name, "send one file per request"));
        }
        upload = Some(stage_field(state, field).await?);
    }
    upload.ok_or_else(|| AppError::bad_input(field_name, "is required"))
}
