//! 405 answers with a body a client can read: RFC 9457 problem+json under `/api/v1`, FastAPI's
//! `{"detail": "Method Not Allowed"}` on the prototype's routes (axum's own 405 is empty). The
//! `Allow` header stays as the router set it.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Problem;
use super::prototype::errors::PrototypeError;

/// Which error dialect a path speaks.
#[derive(Debug, PartialEq, Eq)]
enum Dialect {
    ProblemJson,
    FastApi,
    /// Pages, static files: left as they are.
    None,
}

fn dialect_of(path: &str) -> Dialect {
    if path.starts_with("/api/v1/") {
        Dialect::ProblemJson
    } else if path.starts_with("/api/") || path.starts_with("/vars_api/") {
        Dialect::FastApi
    } else {
        Dialect::None
    }
}

/// Gives a bodiless 405 the body of its path's dialect.
pub(crate) async fn explain(request: Request<Body>, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let response = next.run(request).await;
    if response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let allowed = allow
        .as_ref()
        .and_then(|value| value.to_str().ok())
        .unwrap_or("no method")
        .to_owned();
    let mut answer = match dialect_of(&path) {
        Dialect::ProblemJson => Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            format!("{path} does not answer {method}; it answers {allowed}"),
        )
        .into_response(),
        Dialect::FastApi => {
            PrototypeError::Detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed".into())
                .into_response()
        }
        Dialect::None => return response,
    };
    if let Some(allow) = allow {
        answer.headers_mut().insert(header::ALLOW, allow);
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_path_speaks_its_dialect() {
        assert_eq!(dialect_of("/api/v1/variables/x"), Dialect::ProblemJson);
        assert_eq!(dialect_of("/api/vars"), Dialect::FastApi);
        assert_eq!(dialect_of("/vars_api/api/vars"), Dialect::FastApi);
        assert_eq!(dialect_of("/registry"), Dialect::None);
    }
}
