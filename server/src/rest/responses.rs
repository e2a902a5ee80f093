//! Error answers that many operations share, each documented once: `responses(TooLarge, ...)`
//! in an operation stands for the same problem+json answer everywhere.

// The types are never built: each names its status, description and body type for the document.
#![allow(dead_code)]

use utoipa::IntoResponses;

use super::docs::ProblemBody;

#[derive(IntoResponses)]
#[response(
    status = 400,
    description = r#"Bad request: the body is not syntactically valid JSON (title `Invalid request body`)."#,
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Invalid request body", "status": 400, "detail": "Failed to parse the request body as JSON: EOF while parsing an object at line 1 column 1"})
)]
pub(super) struct MalformedBody(ProblemBody);

#[derive(IntoResponses)]
#[response(
    status = 400,
    description = r#"Bad request: the query string could not be read (e.g. an unknown enum value or a non-numeric number; `detail` quotes the parser), or it names a parameter this operation does not take (`detail` names it and lists the ones it takes: offset paging with `limit` and `offset` is refused, not ignored)."#,
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Bad request", "status": 400, "detail": "unknown query parameters `limit`, `offset`; this operation takes `category`, `locator`, `q`, `access_type`, `since_version`, `include_paths`, `include_deleted`, `page`, `per_page`"})
)]
pub(super) struct MalformedQuery(ProblemBody);

#[derive(IntoResponses)]
#[response(
    status = 400,
    description = r#"Bad request: a malformed query string or path segment, or a query parameter this operation does not take (`detail` names it and lists the ones it takes) (title `Bad request`), or a body that is not valid JSON (title `Invalid request body`)."#,
    content_type = "application/problem+json"
)]
pub(super) struct MalformedRequest(ProblemBody);

#[derive(IntoResponses)]
#[response(
    status = 404,
    description = r#"Not found: no profile has this name."#,
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Not found", "status": 404, "detail": "not found: no protection profile named \"winter\""})
)]
pub(super) struct NoSuchProfile(ProblemBody);

#[derive(IntoResponses)]
#[response(
    status = 404,
    description = r#"Not found: no variable has this name, or it is deleted (a deleted variable cannot be written)."#,
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Not found", "status": 404, "detail": "not found: variable \"grid_frequency\" (deleted)"})
)]
pub(super) struct NoSuchWritableVariable(ProblemBody);

#[derive(IntoResponses)]
#[response(
    status = 409,
    description = r#"Changed by someone else: `If-Match` is not the variable's current `variable_version`. Nothing was written; `current` holds the variable as it is now (with all its paths) so the client can merge and retry with its `variable_version`."#,
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Changed by someone else", "status": 409, "detail": "conflict: variable \"rack_voltage\" is at version 2, not 1: it changed since you read it", "current": {"name": "rack_voltage", "display_name": "Rack Voltage", "units": "V", "description": "Rack DC bus voltage", "category": "oper", "locator": "rbms.rack[n]", "variable_version": 2, "system_version": 1290, "last_updated": "2025-03-02T09:30:00+00:00", "source_system": "rest", "deleted": false, "paths": [{"id": 2, "access_type": "memory_offset", "reference": {"num": 1, "offset": 2, "size": 2, "table": "oper:rack:sm16"}, "priority": 10, "read_only": true, "rack_number": null, "device_id": null, "path_version": 1, "system_version": 3, "last_updated": "2025-03-01T10:15:00+00:00", "active": true}], "path_count": 1}})
)]
pub(super) struct StaleVersion(ProblemBody);

#[derive(IntoResponses)]
#[response(
    status = 413,
    description = r#"Payload too large: the body is over the 2 MiB request limit."#,
    content_type = "application/problem+json"
)]
pub(super) struct TooLarge(ProblemBody);

#[derive(IntoResponses)]
#[response(
    status = 415,
    description = r#"Unsupported media type: the request has no `Content-Type: application/json`."#,
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Invalid request body", "status": 415, "detail": "Expected request with `Content-Type: application/json`"})
)]
pub(super) struct NotJson(ProblemBody);

#[derive(IntoResponses)]
#[response(
    status = 428,
    description = r#"If-Match required: the request has no `If-Match` header."#,
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "If-Match required", "status": 428, "detail": "send If-Match: <variable_version> so that no update is lost"})
)]
pub(super) struct IfMatchMissing(ProblemBody);

#[derive(IntoResponses)]
#[response(
    status = 500,
    description = r#"Server error: the database reported an error (the details are in the server log, never in the answer)."#,
    content_type = "application/problem+json"
)]
pub(super) struct DatabaseFailed(ProblemBody);
