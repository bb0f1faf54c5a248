//! `/file/upload`.

use axum::{
    extract::FromRef,
    extract::{Request, State},
    routing::post,
    Router,
};

use axum::response::IntoResponse;

use super::envelope::{ok, CompatError, CompatResult, CompatViewer};
use crate::{
    files::{multipart, service},
    state::AppState,
};

/// File routes.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    Router::new().route("/file/upload", post(upload))
}

/// Multipart with the file in the field `file`; `data` is the File.
async fn upload(
    State(state): State<AppState>,
    viewer: Result<CompatViewer, CompatError>,
    request: Request,
) -> CompatResult {
    let (parts, body) = request.into_parts();
    let viewer = match viewer {
        Ok(CompatViewer(viewer)) => viewer,
        Err(refused) => {
            // Read a small refused body first, so the client can read the answer.
            let drained = multipart::drain_refused(&parts.headers, body).await;
            let response = refused.into_response();
            return Ok(if drained {
                response
            } else {
                multipart::close_connection(response)
            });
        }
    };
    let upload =
        multipart::receive_file(&state, &viewer.user_id, &parts.headers, body, "file").await?;
    ok(service::upload_file(&state, &viewer.user_id, upload).await?)
}
