//! `/file/upload`.

use axum::{
    extract::FromRef,
    extract::{Request, State},
    routing::post,
    Router,
};

use super::envelope::{ok, CompatResult, CompatViewer};
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
    CompatViewer(viewer): CompatViewer,
    request: Request,
) -> CompatResult {
    let (parts, body) = request.into_parts();
    let upload =
        multipart::receive_file(&state, &viewer.user_id, &parts.headers, body, "file").await?;
    ok(service::upload_file(&state, &viewer.user_id, upload).await?)
}
