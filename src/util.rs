//! Small helpers shared by every domain.

use std::{
    collections::HashSet,
    hash::Hash,
    time::{SystemTime, UNIX_EPOCH},
};

use crate::error::{AppError, AppResult};

/// How many times its limit a raw list input may be long before it is refused
/// unread: duplicates are ignored, but not without bound.
pub const RAW_LIST_FACTOR: usize = 10;

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

/// Refuse a list input of `len` raw items when it is more than
/// [`RAW_LIST_FACTOR`] times its limit `max`: the first check on every list,
/// before any item is looked at.
pub fn check_raw_list(field: &str, len: usize, max: usize) -> AppResult<()> {
    if len > max.saturating_mul(RAW_LIST_FACTOR) {
        return Err(AppError::bad_input(
            field,
            format!("at most {max} distinct items (this list has {len})"),
        ));
    }
    Ok(())
}

/// The distinct items of a list input by `key`, first seen first, at most
/// `max` of them: the raw length is checked first ([`check_raw_list`]), then
/// duplicates are dropped in one pass, then the limit applies to what is left.
pub fn distinct_by<'a, T, K: Eq + Hash>(
    field: &str,
    items: &'a [T],
    max: usize,
    key: impl Fn(&'a T) -> K,
) -> AppResult<Vec<&'a T>> {
    check_raw_list(field, items.len(), max)?;
    let mut seen = HashSet::with_capacity(items.len());
    let out: Vec<&T> = items.iter().filter(|item| seen.insert(key(item))).collect();
    if out.len() > max {
        return Err(AppError::bad_input(
            field,
            format!("at most {max} distinct items"),
        ));
    }
    Ok(out)
}

/// The distinct strings of a list input, first seen first, at most `max`
/// (see [`distinct_by`]).
pub fn distinct(field: &str, items: &[String], max: usize) -> AppResult<Vec<String>> {
    Ok(distinct_by(field, items, max, String::as_str)?
        .into_iter()
        .cloned()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_lose_duplicates_in_order_and_the_limit_counts_distinct_items() {
        let list: Vec<String> = ["b", "a", "b", "c", "a"].map(String::from).to_vec();
        assert_eq!(
            distinct("l", &list, 3).ok(),
            Some(vec!["b".into(), "a".into(), "c".into()])
        );
        assert!(distinct("l", &list, 2).is_err());
        let many = vec!["x".to_string(); 31];
        assert!(distinct("l", &many, 3).is_err(), "over ten times the limit");
        assert_eq!(distinct("l", &many[..30], 3).ok(), Some(vec!["x".into()]));
    }

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
