//! Small helpers shared by every domain.

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix seconds now.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The essence of a media type (`type/subtype`), lowercased, without its
/// parameters and surrounding blanks: `Application/JSON; charset=utf-8` gives
/// `application/json`. Serves `Content-Type` values and each `Accept` item.
pub fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The media type of a request's `Content-Type`; `None` when the header is
/// absent or not visible ASCII.
pub fn content_type(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(media_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_lose_parameters_and_case() {
        assert_eq!(
            media_type("Application/JSON; charset=utf-8"),
            "application/json"
        );
        assert_eq!(
            media_type(" multipart/form-data ;boundary=x"),
            "multipart/form-data"
        );
        assert_eq!(media_type(""), "");
        let mut headers = axum::http::HeaderMap::new();
        assert_eq!(content_type(&headers), None);
        headers.insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("text/plain;q=1"),
        );
        assert_eq!(content_type(&headers).as_deref(), Some("text/plain"));
    }
}
