//! Receiving `multipart/form-data` uploads: the GraphQL multipart request spec
//! for `/graphql` and the single `file` field of `POST /file/upload`.
//!
//! Files are streamed straight into the store's staging area and refused as
//! they arrive once over the limit or the uploader's quota; a request that
//! fails or breaks off drops its staged files, which removes them. Each part's
//! headers may take at most [`MAX_PART_HEADER_BYTES`]: multer buffers them
//! whole and bounds them only by the body limit, so the body is scanned on its
//! way in (see [`PartHeaderScan`]).

use std::{collections::HashMap, sync::Mutex, time::Duration};

use axum::{
    body::{Body, Bytes},
    http::{header, HeaderMap},
};
use futures_util::StreamExt;
use multer::{Constraints, Field, Multipart, SizeLimit};

use super::{
    quota,
    service::{stage_error, StagedUpload},
    store::StageError,
};
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

/// Most bytes the headers of one multipart part may take (from the end of its
/// boundary line to the blank line); over it the request is `PAYLOAD_TOO_LARGE`.
pub const MAX_PART_HEADER_BYTES: usize = 16 * 1024;

/// A part whose headers went over [`MAX_PART_HEADER_BYTES`].
#[derive(Debug)]
pub struct PartHeadersTooLong;

impl std::fmt::Display for PartHeadersTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "part headers longer than {MAX_PART_HEADER_BYTES} bytes")
    }
}

impl std::error::Error for PartHeadersTooLong {}

/// Where [`PartHeaderScan`] is in the body.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// In a part's content (or the preamble), `matched` bytes into a delimiter.
    Content { matched: usize },
    /// Just past a delimiter: `--` ends the body, anything else starts headers.
    AfterDelimiter,
    /// In a part's headers: `seen` bytes so far, `matched` into CRLF CRLF.
    Headers { seen: usize, matched: usize },
    /// Past the closing delimiter: the epilogue, ignored.
    Done,
}

/// Follows a multipart body as it streams in and fails as soon as a part's
/// headers go over [`MAX_PART_HEADER_BYTES`], so a part whose headers never
/// end is refused after a few KiB instead of being buffered to the body limit.
#[derive(Debug)]
pub struct PartHeaderScan {
    /// `CRLF--boundary`.
    delimiter: Vec<u8>,
    phase: Phase,
}

impl PartHeaderScan {
    /// A scan of a body delimited by `boundary`.
    pub fn new(boundary: &str) -> Self {
        Self {
            delimiter: format!("\r\n--{boundary}").into_bytes(),
            // The first delimiter may open the body, without its CRLF.
            phase: Phase::Content { matched: 2 },
        }
    }

    /// Advance over `chunk`.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), PartHeadersTooLong> {
        const END: &[u8] = b"\r\n\r\n";
        // Neither pattern repeats its first byte (a boundary has no CR), so
        // after a mismatch only that byte can start a new match.
        let restart = |b: u8| usize::from(b == b'\r');
        for &b in chunk {
            self.phase = match self.phase {
                Phase::Done => return Ok(()),
                Phase::Content { matched } => {
                    let matched = if self.delimiter.get(matched) == Some(&b) {
                        matched + 1
                    } else {
                        restart(b)
                    };
                    if matched == self.delimiter.len() {
                        Phase::AfterDelimiter
                    } else {
                        Phase::Content { matched }
                    }
                }
                Phase::AfterDelimiter if b == b'-' => Phase::Done,
                Phase::AfterDelimiter | Phase::Headers { .. } => {
                    let (seen, matched) = match self.phase {
                        Phase::Headers { seen, matched } => (seen, matched),
                        _ => (0, 0),
                    };
                    let matched = if END.get(matched) == Some(&b) {
                        matched + 1
                    } else {
                        restart(b)
                    };
                    if matched == END.len() {
                        Phase::Content { matched: 0 }
                    } else if seen + 1 > MAX_PART_HEADER_BYTES {
                        return Err(PartHeadersTooLong);
                    } else {
                        Phase::Headers {
                            seen: seen + 1,
                            matched,
                        }
                    }
                }
            };
        }
        Ok(())
    }
}

/// What the files of one request may still take: the largest upload, and the
/// uploader's quota less what the request staged so far.
struct Budget {
    quota_left: u64,
}

impl Budget {
    async fn of(state: &AppState, viewer: &str) -> AppResult<Self> {
        Ok(Self {
            quota_left: quota::remaining_bytes(state, viewer).await?,
        })
    }
}

fn multipart(
    state: &AppState,
    budget: &Budget,
    headers: &HeaderMap,
    body: Body,
) -> AppResult<Multipart<'static>> {
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
    // The files take all but the operations, the map and the part headers.
    let overhead = state.config.max_body_bytes as u64;
    if declared.is_some_and(|len| len > budget.quota_left.saturating_add(overhead)) {
        return Err(quota::over_quota(state));
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
    let mut scan = PartHeaderScan::new(&boundary);
    let stream = body.into_data_stream().map(move |chunk| {
        let chunk =
            chunk.map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { Box::new(e) })?;
        scan.feed(&chunk)?;
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(chunk)
    });
    Ok(Multipart::with_constraints(
        stream,
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

/// Whether `err` (or anything it wraps) is a body that went over a limit.
fn is_length_limit(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(err) = current {
        if err.is::<http_body_util::LengthLimitError>() || err.is::<PartHeadersTooLong>() {
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
        multer::Error::StreamReadFailed(cause) if cause.is::<PartHeadersTooLong>() => {
            AppError::PayloadTooLarge(format!("body: {cause}"))
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

/// Stream one file field into the store's staging area, within the largest
/// upload and what is left of the uploader's quota.
async fn stage_field(
    state: &AppState,
    budget: &mut Budget,
    mut field: Field<'_>,
) -> AppResult<StagedUpload> {
    let name = field.file_name().unwrap_or_default().to_owned();
    let largest = state.config.max_upload_bytes();
    let quota_bound = budget.quota_left < largest;
    let mut writer = state
        .files
        .store
        .stage(largest.min(budget.quota_left))
        .await
        .map_err(AppError::internal)?;
    let refuse = |err: StageError| match err {
        StageError::TooLarge { .. } if quota_bound => quota::over_quota(state),
        err => stage_error(err),
    };
    loop {
        let chunk = tokio::time::timeout(idle_timeout(state), field.chunk())
            .await
            .map_err(|_| AppError::bad_input("file", "the upload stalled"))?
            .map_err(multipart_error)?;
        match chunk {
            Some(chunk) => writer.write(&chunk).await.map_err(refuse)?,
            None => break,
        }
    }
    let file = writer.finish().await.map_err(AppError::internal)?;
    budget.quota_left = budget.quota_left.saturating_sub(file.size());
    Ok(StagedUpload { name, file })
}

/// Receive `viewer`'s GraphQL multipart request: `operations`, then `map`, then the files.
pub async fn receive_graphql(
    state: &AppState,
    viewer: &str,
    headers: &HeaderMap,
    body: Body,
) -> AppResult<GraphqlMultipart> {
    let mut budget = Budget::of(state, viewer).await?;
    let mut multipart = multipart(state, &budget, headers, body)?;
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
                    files.push((paths, stage_field(state, &mut budget, field).await?));
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

/// Receive `viewer`'s one file of the form field `field_name`; other fields are ignored.
pub async fn receive_file(
    state: &AppState,
    viewer: &str,
    headers: &HeaderMap,
    body: Body,
    field_name: &str,
) -> AppResult<StagedUpload> {
    let mut budget = Budget::of(state, viewer).await?;
    let mut multipart = multipart(state, &budget, headers, body)?;
    let mut upload = None;
    while let Some(field) = next_field(state, &mut multipart).await? {
        if field.name() != Some(field_name) {
            continue;
        }
        if upload.is_some() {
            return Err(AppError::bad_input(field_name, "send one file per request"));
        }
        upload = Some(stage_field(state, &mut budget, field).await?);
    }
    upload.ok_or_else(|| AppError::bad_input(field_name, "is required"))
}

/// Most bytes of a refused upload that are read (and dropped) before the
/// refusal is sent.
pub const REFUSED_BODY_DRAIN_BYTES: u64 = 1024 * 1024;

/// How long draining a refused upload may take.
const REFUSED_BODY_DRAIN_TIME: Duration = Duration::from_secs(10);

/// Read and drop the body of a refused upload when it is small, so that a
/// client that sends its whole body before reading the answer (Node's `fetch`
/// with `FormData`, chunked) reads the error instead of meeting a closed
/// socket. Returns whether the body was read to its end; when it was not
/// (over [`REFUSED_BODY_DRAIN_BYTES`] or too slow), the answer must close the
/// connection.
pub async fn drain_refused(headers: &HeaderMap, body: Body) -> bool {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > REFUSED_BODY_DRAIN_BYTES) {
        return false;
    }
    let mut stream = body.into_data_stream();
    let drain = async {
        let mut read = 0u64;
        while let Some(chunk) = stream.next().await {
            let Ok(chunk) = chunk else { return false };
            read += chunk.len() as u64;
            if read > REFUSED_BODY_DRAIN_BYTES {
                return false;
            }
        }
        true
    };
    tokio::time::timeout(REFUSED_BODY_DRAIN_TIME, drain)
        .await
        .unwrap_or(false)
}

/// Mark `response` to close its connection (a refused body left unread).
pub fn close_connection(mut response: axum::response::Response) -> axum::response::Response {
    response.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_headers_are_bounded_and_content_is_not() {
        let mut scan = PartHeaderScan::new("b");
        let content = vec![b'x'; 4 * MAX_PART_HEADER_BYTES];
        let mut body = b"--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n".to_vec();
        body.extend(&content);
        body.extend(b"\r\n--b\r\nX: y\r\n\r\nz\r\n--b--\r\n");
        body.extend(&content);
        // Fed byte by byte: matches carry across chunk borders.
        for b in &body {
            assert!(scan.feed(std::slice::from_ref(b)).is_ok());
        }
        let mut scan = PartHeaderScan::new("b");
        let mut endless = b"--b\r\nX: ".to_vec();
        endless.extend(vec![b'a'; MAX_PART_HEADER_BYTES]);
        assert!(scan.feed(&endless).is_err());
    }
}
