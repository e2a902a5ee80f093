//! `/api/v1` refuses query parameters an operation does not know: an offset-paging client that
//! sends `limit` and `offset` gets a 400 naming them and the parameters that exist, instead of
//! page 1 forever. The parameters each operation knows are read from the generated OpenAPI
//! document, so the check and the documentation cannot disagree.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{MatchedPath, Query, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::OpenApi;
use utoipa::openapi::path::{Operation, ParameterIn};

use super::Problem;

/// Per method and route (`/api/v1/variables/{name}`), the query parameters its operation
/// documents. Operations without query parameters are not listed and are not checked.
#[derive(Debug, Default)]
pub(crate) struct KnownQueries(HashMap<(Method, String), Vec<String>>);

impl KnownQueries {
    /// The `/api/v1` operations of `document` that take query parameters.
    pub(crate) fn of(document: &OpenApi) -> Self {
        let mut known = HashMap::new();
        for (path, item) in &document.paths.paths {
            if !path.starts_with("/api/v1/") {
                continue;
            }
            let operations: [(Method, &Option<Operation>); 5] = [
                (Method::GET, &item.get),
                (Method::POST, &item.post),
                (Method::PUT, &item.put),
                (Method::PATCH, &item.patch),
                (Method::DELETE, &item.delete),
            ];
            for (method, operation) in operations {
                let names: Vec<String> = operation
                    .iter()
                    .flat_map(|op| op.parameters.iter().flatten())
                    .filter(|p| p.parameter_in == ParameterIn::Query)
                    .map(|p| p.name.clone())
                    .collect();
                if !names.is_empty() {
                    known.insert((method, path.clone()), names);
                }
            }
        }
        KnownQueries(known)
    }

    /// The problem to answer when `query` names a parameter the operation does not know.
    fn check(&self, method: &Method, route: &str, query: &[(String, String)]) -> Option<Problem> {
        let known = self.0.get(&(method.clone(), route.to_string()))?;
        let mut unknown: Vec<&str> = query
            .iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| !known.iter().any(|k| k == name))
            .collect();
        unknown.dedup();
        let quoted = |names: &mut dyn Iterator<Item = &str>| {
            names
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match unknown.as_slice() {
            [] => None,
            [one] => Some(Problem::bad_request(format!(
                "unknown query parameter `{one}`; this operation takes {}",
                quoted(&mut known.iter().map(String::as_str))
            ))),
            many => Some(Problem::bad_request(format!(
                "unknown query parameters {}; this operation takes {}",
                quoted(&mut many.iter().copied()),
                quoted(&mut known.iter().map(String::as_str))
            ))),
        }
    }
}

/// Route middleware: answers 400 problem+json before the handler runs when the query string
/// names a parameter the matched operation does not document.
pub(crate) async fn refuse_unknown_queries(
    State(known): State<Arc<KnownQueries>>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(route) = &matched
        && let Ok(Query(query)) = Query::<Vec<(String, String)>>::try_from_uri(request.uri())
        && let Some(problem) = known.check(request.method(), route.as_str(), &query)
    {
        return problem.into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> KnownQueries {
        let mut map = HashMap::new();
        map.insert(
            (Method::GET, "/api/v1/variables".to_string()),
            vec!["category".to_string(), "page".to_string()],
        );
        KnownQueries(map)
    }

    fn pairs(names: &[&str]) -> Vec<(String, String)> {
        names
            .iter()
            .map(|n| ((*n).to_string(), "1".to_string()))
            .collect()
    }

    #[test]
    fn unknown_parameters_are_named_with_the_ones_that_exist() {
        let known = known();
        let route = "/api/v1/variables";
        assert!(
            known
                .check(&Method::GET, route, &pairs(&["page"]))
                .is_none()
        );
        assert!(known.check(&Method::GET, route, &[]).is_none());
        let problem = known
            .check(&Method::GET, route, &pairs(&["page", "limit"]))
            .unwrap();
        assert_eq!(
            problem.0.detail,
            "unknown query parameter `limit`; this operation takes `category`, `page`"
        );
        let problem = known
            .check(&Method::GET, route, &pairs(&["limit", "offset"]))
            .unwrap();
        assert!(
            problem
                .0
                .detail
                .starts_with("unknown query parameters `limit`, `offset`")
        );
        // Operations without documented query parameters are not checked.
        assert!(known.check(&Method::POST, route, &pairs(&["x"])).is_none());
    }
}
