//! `/file/upload`.

use axum::{
    extract::{Request, State},
    http::header,
    routing::post,
    Router,
};

use super::envelope::{ok, CompatResult, CompatViewer};
use crate::{
    app::AppState,
    files::{multipart, service},
};

/// File routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/file/upload", post(upload))
}

/// Multipart with the file in the field `file`; `data` is the File.
async fn upload(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    request: Request,
) -> CompatResult {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let upload =
        multipart::receive_file(&state, content_type.as_deref(), request.into_body(), "file")
            .await?;
    ok(service::upload_file(&state, &viewer.user_id, upload).await?)
}
