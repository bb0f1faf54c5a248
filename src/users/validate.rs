//! Input rules for accounts, shared by every surface.

use crate::{
    error::{AppError, AppResult},
    util,
};

/// A userID: 1 to 32 of `A-Z a-z 0-9 _ - .`.
pub fn user_id(field: &str, value: &str) -> AppResult<()> {
    let ok = (1..=32).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(AppError::bad_input(
            field,
            "must be 1 to 32 of A-Z a-z 0-9 _ - .",
        ))
    }
}

/// A plausible email address (one `@`, a dotted domain, no spaces), at most 254 bytes.
pub fn email(value: &str) -> AppResult<()> {
    let bad = || AppError::bad_input("email", "is not a valid email address");
    if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = value.split_once('@').ok_or_else(bad)?;
    let domain_ok = !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local.is_empty() || local.len() > 64 || !domain_ok {
        return Err(bad());
    }
    Ok(())
}

/// A password: 8 to 128 characters, never truncated.
pub fn password(value: &str) -> AppResult<()> {
    let n = value.chars().count();
    if (8..=128).contains(&n) {
        Ok(())
    } else {
        Err(AppError::bad_input(
            "password",
            "must be 8 to 128 characters",
        ))
    }
}

/// A text either database can store: any Unicode but NUL (U+0000), which
/// PostgreSQL cannot hold in text. Bidi controls and other format characters
/// are kept as given (lone surrogates never reach here: JSON and GraphQL
/// parsing refuse them). Every free-text input passes here, mostly through
/// [`max_bytes`].
pub fn text(field: &str, value: &str) -> AppResult<()> {
    if value.contains('\0') {
        return Err(AppError::bad_input(
            field,
            "must not contain NUL (U+0000) characters",
        ));
    }
    Ok(())
}

/// A text field ([`text`]) of at most `max` bytes.
pub fn max_bytes(field: &str, value: &str, max: usize) -> AppResult<()> {
    text(field, value)?;
    if value.len() > max {
        Err(AppError::bad_input(
            field,
            format!("must be at most {max} bytes"),
        ))
    } else {
        Ok(())
    }
}

/// A list of userIDs: duplicates dropped (first seen kept, see
/// [`util::distinct`]), at most `max` distinct, each valid.
pub fn user_id_list(field: &str, ids: &[String], max: usize) -> AppResult<Vec<String>> {
    let out = util::distinct(field, ids, max)?;
    for id in &out {
        user_id(field, id)?;
    }
    Ok(out)
}
