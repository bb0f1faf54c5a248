//! The GraphiQL IDE, served entirely from assets compiled into the binary.
//!
//! `GET /` returns a small page (`assets/graphiql/index.html`) that mounts
//! GraphiQL 4 wired to the same-origin endpoints `/graphql` (HTTP) and
//! `/graphql/ws` (WebSocket, `graphql-transport-ws`). A bar above the IDE holds
//! the auth token: HTTP requests carry `Authorization: Bearer <token>` and the
//! WebSocket's `connection_init` payload is `{ "token": "<token>" }`.
//!
//! The page loads its scripts and styles from `/graphiql/<file>`; those files
//! are vendored from the npm registry (graphiql 4.x UMD build, React 18 and
//! ReactDOM 18 UMD builds) and embedded with `include_bytes!`, so the IDE works
//! with no internet access. Their licences are embedded and served alongside.
//! Nothing is read from disk at run time.

use axum::{
    extract::Path,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

/// The GraphiQL page served at `/`.
const INDEX_HTML: &str = include_str!("../../assets/graphiql/index.html");

/// `Cache-Control` for the vendored assets: their content only changes with a
/// new binary, so a day of caching is safe enough.
const ASSET_CACHE_CONTROL: &str = "public, max-age=86400";

/// `Cache-Control` for the page itself, so a new binary's page is seen at once.
const PAGE_CACHE_CONTROL: &str = "no-cache";

/// One embedded file served under `/graphiql/`.
struct Asset {
    /// File name, as it appears in the URL path.
    name: &'static str,
    /// Value of the `Content-Type` header.
    content_type: &'static str,
    /// The file's bytes.
    body: &'static [u8],
}

/// `Content-Type` of the JavaScript files.
const JS: &str = "text/javascript; charset=utf-8";
/// `Content-Type` of the stylesheet.
const CSS: &str = "text/css; charset=utf-8";
/// `Content-Type` of the licence and notice files.
const TEXT: &str = "text/plain; charset=utf-8";

/// Every file served under `/graphiql/`; any other name is a 404.
const ASSETS: &[Asset] = &[
    Asset {
        name: "graphiql.min.js",
        content_type: JS,
        body: include_bytes!("../../assets/graphiql/graphiql.min.js"),
    },
    Asset {
        name: "graphiql.min.css",
        content_type: CSS,
        body: include_bytes!("../../assets/graphiql/graphiql.min.css"),
    },
    Asset {
        name: "react.production.min.js",
        content_type: JS,
        body: include_bytes!("../../assets/graphiql/react.production.min.js"),
    },
    Asset {
        name: "react-dom.production.min.js",
        content_type: JS,
        body: include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    },
    Asset {
        name: "LICENSE.graphiql",
        content_type: TEXT,
        body: include_bytes!("../../assets/graphiql/LICENSE.graphiql"),
    },
    Asset {
        name: "LICENSE.react",
        content_type: TEXT,
        body: include_bytes!("../../assets/graphiql/LICENSE.react"),
    },
    Asset {
        name: "LICENSE.react-dom",
        content_type: TEXT,
        body: include_bytes!("../../assets/graphiql/LICENSE.react-dom"),
    },
    Asset {
        name: "THIRD-PARTY-NOTICES.graphiql",
        content_type: TEXT,
        body: include_bytes!("../../assets/graphiql/THIRD-PARTY-NOTICES.graphiql"),
    },
];

/// Routes serving the GraphiQL page and its vendored assets.
///
/// * `GET /` — the page, `text/html; charset=utf-8`, `Cache-Control: no-cache`.
/// * `GET /graphiql/{file}` — one of the embedded files, with its content type
///   and `Cache-Control: public, max-age=86400`; 404 for any other name.
///
/// `HEAD` is answered for both, as axum does for every `GET` route.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route("/graphiql/{file}", get(asset))
}

/// Serves the GraphiQL page.
async fn index() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, PAGE_CACHE_CONTROL),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        INDEX_HTML,
    )
        .into_response()
}

/// Serves one embedded asset by exact file name, or 404.
async fn asset(Path(file): Path<String>) -> Response {
    match find_asset(&file) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, ASSET_CACHE_CONTROL),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            asset.body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Looks an embedded asset up by its exact file name.
fn find_asset(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    /// Sends a GET for `uri` to the GraphiQL routes.
    async fn get_uri(uri: &str) -> Response {
        let request = Request::get(uri).body(Body::empty());
        let Ok(request) = request else {
            panic!("bad request for {uri}");
        };
        match routes::<()>().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }

    /// Returns a header's value as text, or "" when it is absent.
    fn header_text(response: &Response, name: header::HeaderName) -> String {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    #[tokio::test]
    async fn page_is_served_uncached_as_html() {
        let response = get_uri("/").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header_text(&response, header::CONTENT_TYPE),
            "text/html; charset=utf-8"
        );
        assert_eq!(header_text(&response, header::CACHE_CONTROL), "no-cache");
        let Ok(body) = response.into_body().collect().await else {
            panic!("body failed");
        };
        let body = String::from_utf8_lossy(&body.to_bytes()).into_owned();
        assert!(body.contains("<title>imgql · GraphiQL</title>"));
        assert!(body.contains("/graphql/ws"));
    }

    #[tokio::test]
    async fn every_page_asset_is_served() {
        for asset in ASSETS {
            if asset.content_type != TEXT {
                assert!(
                    INDEX_HTML.contains(&format!("/graphiql/{}", asset.name)),
                    "{} is not referenced by the page",
                    asset.name
                );
            }
            let response = get_uri(&format!("/graphiql/{}", asset.name)).await;
            assert_eq!(response.status(), StatusCode::OK, "{}", asset.name);
            assert_eq!(
                header_text(&response, header::CONTENT_TYPE),
                asset.content_type
            );
            assert_eq!(
                header_text(&response, header::CACHE_CONTROL),
                ASSET_CACHE_CONTROL
            );
            assert!(!asset.body.is_empty(), "{} is empty", asset.name);
        }
    }

    #[tokio::test]
    async fn unknown_assets_are_not_found() {
        for uri in [
            "/graphiql/index.html",
            "/graphiql/nope.js",
            "/graphiql/..%2Fgraphiql.rs",
            "/graphiql/GRAPHIQL.MIN.JS",
        ] {
            assert_eq!(get_uri(uri).await.status(), StatusCode::NOT_FOUND, "{uri}");
        }
    }
}
