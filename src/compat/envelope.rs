//! The compat envelope (of data and of errors), body extractor and token
//! extractor.

use axum::{
    extract::{FromRef, FromRequest, FromRequestParts, Request},
    http::request::Parts,
    response::{IntoResponse, Response},
    Json,
};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::json;

use super::codes::tim_code;
use crate::{
    auth::{token_from_headers, viewer_from_token, Viewer},
    error::AppError,
    state::AppState,
};

/// What a compat handler returns: the envelope of `data`, or of the error.
pub type CompatResult = Result<Response, CompatError>;

/// An error answered as the compat envelope `{code, msg, data: null}` with
/// TIM's numeric code and the error's HTTP status. `?` converts any
/// [`AppError`] into it. `RATE_LIMITED` (429) answers `data: {retryAfterMs}`
/// and a `Retry-After` header in whole seconds.
#[derive(Debug)]
pub struct CompatError(pub AppError);

impl From<AppError> for CompatError {
    fn from(err: AppError) -> Self {
        Self(err)
    }
}

/// The boundary of compat errors (and of file downloads): an internal cause
/// is logged here, once.
impl IntoResponse for CompatError {
    fn into_response(self) -> Response {
        let Self(err) = self;
        err.report("compat");
        let retry_after_ms = err.retry_after_ms();
        let data = match retry_after_ms {
            Some(ms) => json!({ "retryAfterMs": ms }),
            None => serde_json::Value::Null,
        };
        let body = json!({ "code": tim_code(&err), "msg": err.message(), "data": data });
        let mut response = (err.status(), Json(body)).into_response();
        if let Some(ms) = retry_after_ms {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(ms.div_ceil(1000)),
            );
        }
        response
    }
}

/// `{code: 0, msg: "ok", data}`.
pub fn ok(data: impl Serialize) -> CompatResult {
    let data = serde_json::to_value(data).map_err(AppError::internal)?;
    Ok(Json(json!({ "code": 0, "msg": "ok", "data": data })).into_response())
}

/// A JSON body; an empty body reads as `{}`. Malformed JSON, wrong types and
/// unknown fields become `BAD_USER_INPUT` in the envelope.
pub struct CompatJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for CompatJson<T> {
    type Rejection = CompatError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = crate::util::content_type(req.headers()).map(|m| m == "application/json");
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| AppError::PayloadTooLarge("request body too large".into()))?;
        parse_body(&bytes, is_json).map(CompatJson)
    }
}

/// A compat body: blank reads as `{}`; `is_json` is whether the declared
/// media type is JSON (`None` when none was declared). Errors name the field
/// that failed. Public for the fuzz targets.
pub fn parse_body<T: DeserializeOwned>(
    bytes: &[u8],
    is_json: Option<bool>,
) -> Result<T, CompatError> {
    let text = if bytes.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        if is_json == Some(false) {
            return Err(AppError::bad_input("body", "send the body as application/json").into());
        }
        bytes
    };
    // The path of what failed, so the error names the field
    // (`adminForbidType: unknown variant ...`), not just the body.
    let mut json = serde_json::Deserializer::from_slice(text);
    serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "body" } else { path.as_str() };
        AppError::bad_input(field, e.into_inner()).into()
    })
}

/// The viewer from the `token` or `Authorization: Bearer` header.
pub struct CompatViewer(pub Viewer);

impl<S> FromRequestParts<S> for CompatViewer
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = CompatError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = token_from_headers(&parts.headers).ok_or_else(|| {
            AppError::Unauthenticated(
                "a token is required: send `token` or `Authorization: Bearer`".into(),
            )
        })?;
        viewer_from_token(&state.keys, &state.sessions, &token)
            .map(CompatViewer)
            .map_err(CompatError)
    }
}

/// A number given as a number or as a numeric string (the seed sends strings).
#[derive(Debug, Clone, Copy)]
pub struct LooseInt(pub i64);

impl<'de> serde::Deserialize<'de> for LooseInt {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Str(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(n) => Ok(LooseInt(n)),
            Raw::Str(s) => s
                .trim()
                .parse()
                .map(LooseInt)
                .map_err(|_| serde::de::Error::custom(format!("expected a number, got {s:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_internal_cause_stays_out_of_the_envelope() {
        let response = CompatError(AppError::internal("secret detail")).into_response();
        assert_eq!(response.status(), 500);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let body: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(
            body,
            json!({ "code": 500, "msg": "internal error", "data": null })
        );
    }
}
