//! GraphQL adapters of files: `uploadFile` and the `Upload` scalar.

use async_graphql::{
    Context, InputValueError, InputValueResult, Object, Scalar, ScalarType, Value,
};

use super::{
    multipart::{StagedUploads, UPLOAD_MARKER},
    service,
    types::UploadedFile,
};
use crate::{error::AppError, graphql::context::ContextExt};

/// A file sent with the request, per the GraphQL multipart request spec.
///
/// Our own scalar rather than async-graphql's `Upload`, whose parser panics on
/// a forged marker such as `"#__graphql_file__:x"` in a plain JSON request.
#[derive(Debug, Clone, Copy)]
pub struct FileUpload(usize);

/// A file sent with the request as a part of a `multipart/form-data` body.
#[Scalar(
    name = "Upload",
    specified_by_url = "https://github.com/jaydenseric/graphql-multipart-request-spec"
)]
impl ScalarType for FileUpload {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => s
                .strip_prefix(UPLOAD_MARKER)
                .and_then(|i| i.parse().ok())
                .map(FileUpload)
                .ok_or_else(|| {
                    InputValueError::custom("send the file as a multipart/form-data upload")
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::Null
    }
}

/// Uploads.
#[derive(Default)]
pub struct FilesMutation;

#[Object]
impl FilesMutation {
    /// Upload a file (multipart request); media messages then name its `fileID`.
    #[graphql(name = "uploadFile")]
    async fn upload_file(
        &self,
        ctx: &Context<'_>,
        file: FileUpload,
    ) -> async_graphql::Result<Option<UploadedFile>> {
        let viewer = ctx.viewer()?;
        let state = ctx.state()?;
        let upload = ctx
            .data_opt::<StagedUploads>()
            .and_then(|staged| staged.take(file.0))
            .ok_or_else(|| {
                AppError::bad_input(
                    "file",
                    "no such upload in this request (each file can be stored once)",
                )
            })?;
        Ok(Some(
            service::upload_file(state, &viewer.user_id, upload).await?,
        ))
    }
}
