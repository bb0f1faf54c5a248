//! `GET /files/{fileID}` (and `/big`, `/small` for images): the bytes, with
//! ranges and caching headers, for the uploader and those who can see a
//! message carrying the file. Everyone else gets 404.

use axum::{
    body::Body,
    extract::{rejection::QueryRejection, FromRef, Path, Query, State},
    http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use serde::Deserialize;
use tokio_util::io::ReaderStream;

use super::{
    media,
    service::{self, Download, Variant},
    types::MediaKind,
};
use crate::{
    auth::{token_from_headers, viewer_from_token},
    compat::CompatError,
    error::AppError,
    state::AppState,
};

/// How long clients may reuse a download (the bytes of a fileID never change).
const CACHE_CONTROL: &str = "private, max-age=86400";

/// The download routes.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    Router::new()
        .route("/files/{file_id}", get(original))
        .route("/files/{file_id}/big", get(big))
        .route("/files/{file_id}/small", get(small))
}

/// `?token=` for `<img src>`, where no header can be set.
#[derive(Debug, Deserialize)]
pub struct TokenParam {
    token: Option<String>,
}

async fn original(
    State(state): State<AppState>,
    Path(file_id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<TokenParam>, QueryRejection>,
) -> Response {
    serve(&state, &file_id, Variant::Original, &headers, query).await
}

async fn big(
    State(state): State<AppState>,
    Path(file_id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<TokenParam>, QueryRejection>,
) -> Response {
    serve(&state, &file_id, Variant::Big, &headers, query).await
}

async fn small(
    State(state): State<AppState>,
    Path(file_id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<TokenParam>, QueryRejection>,
) -> Response {
    serve(&state, &file_id, Variant::Small, &headers, query).await
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found").into_response()
}

/// A range of a file of `len` bytes asked for by a `Range` header.
#[derive(Debug, PartialEq, Eq)]
enum RangeAsk {
    /// No range, or one we ignore (several ranges, bad syntax): the whole file.
    Whole,
    /// Bytes `start..=end`.
    Part(u64, u64),
    /// A range that starts past the end.
    Unsatisfiable,
}

fn parse_range(value: &str, len: u64) -> RangeAsk {
    let Some((unit, spec)) = value.trim().split_once('=') else {
        return RangeAsk::Whole;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return RangeAsk::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAsk::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        // A suffix: the last N bytes.
        return match last.parse::<u64>() {
            Ok(0) => RangeAsk::Unsatisfiable,
            Ok(_) if len == 0 => RangeAsk::Unsatisfiable,
            Ok(n) => RangeAsk::Part(len.saturating_sub(n), len - 1),
            Err(_) => RangeAsk::Whole,
        };
    }
    let Ok(start) = first.parse::<u64>() else {
        return RangeAsk::Whole;
    };
    let end = if last.is_empty() {
        u64::MAX
    } else {
        match last.parse::<u64>() {
            Ok(end) if end >= start => end,
            _ => return RangeAsk::Whole,
        }
    };
    if start >= len {
        RangeAsk::Unsatisfiable
    } else {
        RangeAsk::Part(start, end.min(len - 1))
    }
}

fn header_value(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

async fn serve(
    state: &AppState,
    file_id: &str,
    variant: Variant,
    headers: &HeaderMap,
    query: Result<Query<TokenParam>, QueryRejection>,
) -> Response {
    let token = token_from_headers(headers).or_else(|| query.ok().and_then(|Query(q)| q.token));
    // A bad token reads as no token: both answer 404, so a download never
    // tells whether a file exists to someone who may not see it.
    let viewer = token
        .and_then(|t| viewer_from_token(&state.keys, &state.sessions, &t).ok())
        .map(|v| v.user_id);
    let download = match service::find_download(state, viewer.as_deref(), file_id, variant).await {
        Ok(download) => download,
        Err(err) if err.code() == "NOT_FOUND" => return not_found(),
        // Other failures answer in the compat envelope, like the upload route.
        Err(err) => return CompatError(err).into_response(),
    };
    let mut common = HeaderMap::new();
    common.insert(header::ETAG, header_value(&download.etag));
    common.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    // The answer depends on who asks.
    common.insert(
        header::VARY,
        HeaderValue::from_static("authorization, token"),
    );
    let matches_etag = |name: HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .any(|t| t.trim() == download.etag || t.trim() == "*")
            })
    };
    if matches_etag(header::IF_NONE_MATCH) {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    common.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    common.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // A range only applies to the representation the client already has part of.
    let if_range_ok = headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.trim() == download.etag);
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(value) if if_range_ok => parse_range(value, download.size),
        _ => RangeAsk::Whole,
    };
    let (status, start, len) = match range {
        RangeAsk::Whole => (StatusCode::OK, 0, download.size),
        RangeAsk::Part(start, end) => {
            common.insert(
                header::CONTENT_RANGE,
                header_value(&format!("bytes {start}-{end}/{}", download.size)),
            );
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
        RangeAsk::Unsatisfiable => {
            common.insert(
                header::CONTENT_RANGE,
                header_value(&format!("bytes */{}", download.size)),
            );
            return (StatusCode::RANGE_NOT_SATISFIABLE, common).into_response();
        }
    };
    let reader = match state.files.store.open(&download.key, start, len).await {
        Ok(Some(reader)) => reader,
        Ok(None) => {
            tracing::error!(key = %download.key, "a recorded file is missing from the store");
            return not_found();
        }
        Err(err) => return CompatError(AppError::internal(err)).into_response(),
    };
    describe(&mut common, &download);
    common.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    (status, common, Body::from_stream(ReaderStream::new(reader))).into_response()
}

/// Content type and disposition: media shows inline, anything else downloads.
fn describe(headers: &mut HeaderMap, download: &Download) {
    headers.insert(header::CONTENT_TYPE, header_value(&download.mime));
    let inline = download.kind != MediaKind::File;
    let disposition =
        media::content_disposition(if inline { "inline" } else { "attachment" }, &download.name);
    headers.insert(header::CONTENT_DISPOSITION, header_value(&disposition));
    if !inline {
        // Even if opened in place, a file may not run script as us.
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("sandbox; default-src 'none'"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(parse_range("bytes=0-9", 100), RangeAsk::Part(0, 9));
        assert_eq!(parse_range("bytes=90-", 100), RangeAsk::Part(90, 99));
        assert_eq!(parse_range("bytes=90-200", 100), RangeAsk::Part(90, 99));
        assert_eq!(parse_range("bytes=-10", 100), RangeAsk::Part(90, 99));
        assert_eq!(parse_range("bytes=-200", 100), RangeAsk::Part(0, 99));
        assert_eq!(parse_range("bytes=100-", 100), RangeAsk::Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), RangeAsk::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), RangeAsk::Whole);
        assert_eq!(parse_range("bytes=9-1", 100), RangeAsk::Whole);
        assert_eq!(parse_range("items=0-1", 100), RangeAsk::Whole);
        assert_eq!(parse_range("bytes=0-", 0), RangeAsk::Unsatisfiable);
    }
}
