//! `GET /api/v1/audit` and `GET /api/v1/audit.csv`: the audit log for admins, filtered by who,
//! what and when; JSON one page at a time, or every matching row as CSV.

use app::ssr::state::AppState;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use model::auth::{AuditAction, AuditEntryView, AuditPage, AuditQuery};
use model::error::AppError;
use serde::Deserialize;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::registry::{ApiResult, query_params};
use super::responses::{DatabaseFailed, MalformedQuery};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(csv))
}

/// The filters of both answers.
#[derive(Debug, Deserialize)]
struct AuditParams {
    who: Option<String>,
    action: Option<AuditAction>,
    since: Option<String>,
    until: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

/// The filters of the CSV export (it has every matching row, no pages).
#[derive(Debug, Deserialize)]
struct CsvParams {
    who: Option<String>,
    action: Option<AuditAction>,
    since: Option<String>,
    until: Option<String>,
}

impl From<AuditParams> for AuditQuery {
    fn from(params: AuditParams) -> Self {
        AuditQuery {
            who: params.who.filter(|who| !who.trim().is_empty()),
            action: params.action,
            since: params.since.filter(|since| !since.trim().is_empty()),
            until: params.until.filter(|until| !until.trim().is_empty()),
            page: params.page,
            per_page: params.per_page,
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/audit",
    operation_id = "listAudit",
    tag = "Audit",
    summary = r#"The audit log (admins)"#,
    description = r#"Every write and every login attempt, newest first, one page at a time: who (name; session, token, cli, system or anonymous; the user, session or token id), when, from where (the client's address), what (action, target, before → after) and the outcome. Needs the admin role."#,
    params(
        ("who" = Option<String>, Query, nullable = false, description = r#"The actor's name, exactly."#, example = json!("alice")),
        ("action" = Option<AuditAction>, Query, nullable = false, description = r#"One action."#),
        ("since" = Option<String>, Query, nullable = false, description = r#"RFC 3339; rows at or after it."#, example = json!("2026-12-01T00:00:00Z")),
        ("until" = Option<String>, Query, nullable = false, description = r#"RFC 3339; rows before it."#, example = json!("2026-12-02T00:00:00Z")),
        ("page" = Option<u64>, Query, nullable = false, minimum = 1, maximum = 1000000000, description = r#"From 1. Default 1."#),
        ("per_page" = Option<u64>, Query, nullable = false, minimum = 1, maximum = 500, description = r#"Default 50, at most 500."#),
    ),
    responses(
        (status = 200, description = r#"One page of rows and the total."#, body = AuditPage, content_type = "application/json"),
        MalformedQuery,
        (status = 422, description = r#"Invalid input: `since` or `until` is not an RFC 3339 time, `page` is not from 1 to 1,000,000,000, or `per_page` is not from 1 to 500 (`field` names it)."#, body = super::docs::ProblemBody, content_type = "application/problem+json"),
        DatabaseFailed,
    )
)]
async fn list(
    State(state): State<AppState>,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> ApiResult<Json<AuditPage>> {
    let query = AuditQuery::from(query_params(params)?);
    if query
        .page
        .is_some_and(|page| !(1..=MAX_PAGE).contains(&page))
    {
        let message = format!("must be from 1 to {MAX_PAGE}");
        return Err(AppError::validation("page", message).into());
    }
    if query
        .per_page
        .is_some_and(|per_page| !(1..=AuditQuery::MAX_PER_PAGE).contains(&per_page))
    {
        let message = format!("must be from 1 to {}", AuditQuery::MAX_PER_PAGE);
        return Err(AppError::validation("per_page", message).into());
    }
    Ok(Json(services::auth::audit::list(&state.db, &query).await?))
}

/// The highest page asked for (far beyond any audit log).
const MAX_PAGE: u64 = 1_000_000_000;

/// The most rows one CSV export holds.
const CSV_MAX_ROWS: u64 = 100_000;

#[utoipa::path(
    get,
    path = "/api/v1/audit.csv",
    operation_id = "exportAuditCsv",
    tag = "Audit",
    summary = r#"The audit log as CSV (admins)"#,
    description = r#"Every row the filters select (at most 100,000), newest first, as CSV (RFC 4180): id, at, actor, actor_kind, address, action, target, outcome, before, after, detail (the last three as JSON). Needs the admin role."#,
    params(
        ("who" = Option<String>, Query, nullable = false, description = r#"The actor's name, exactly."#),
        ("action" = Option<AuditAction>, Query, nullable = false, description = r#"One action."#),
        ("since" = Option<String>, Query, nullable = false, description = r#"RFC 3339; rows at or after it."#),
        ("until" = Option<String>, Query, nullable = false, description = r#"RFC 3339; rows before it."#),
    ),
    responses(
        (status = 200, description = r#"The rows, with a header line."#, body = String, content_type = "text/csv"),
        MalformedQuery,
        (status = 422, description = r#"Invalid input: `since` or `until` is not an RFC 3339 time (`field` names it)."#, body = super::docs::ProblemBody, content_type = "application/problem+json"),
        DatabaseFailed,
    )
)]
async fn csv(
    State(state): State<AppState>,
    params: Result<Query<CsvParams>, QueryRejection>,
) -> ApiResult<Response> {
    let params = query_params(params)?;
    let mut query = AuditQuery::from(AuditParams {
        who: params.who,
        action: params.action,
        since: params.since,
        until: params.until,
        page: None,
        per_page: Some(AuditQuery::MAX_PER_PAGE),
    });
    let mut text = String::from(
        "id,at,actor,actor_kind,address,action,target,outcome,before,after,detail\r\n",
    );
    let mut page = 1;
    loop {
        query.page = Some(page);
        let rows = services::auth::audit::list(&state.db, &query).await?;
        for entry in &rows.entries {
            text.push_str(&csv_line(entry));
        }
        let read = page * AuditQuery::MAX_PER_PAGE;
        if read >= rows.total || read >= CSV_MAX_ROWS {
            break;
        }
        page += 1;
    }
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"powerdeck-audit.csv\""),
    );
    Ok(response)
}

/// One row as a CSV line (RFC 4180: fields with a comma, a quote or a line break are quoted,
/// quotes doubled).
fn csv_line(entry: &AuditEntryView) -> String {
    let json = |value: &Option<Value>| value.as_ref().map(Value::to_string).unwrap_or_default();
    let fields = [
        entry.id.to_string(),
        entry.at.clone(),
        entry.actor.clone(),
        entry.actor_kind.to_string(),
        entry.address.clone().unwrap_or_default(),
        entry.action.to_string(),
        entry.target.clone(),
        entry.outcome.to_string(),
        json(&entry.before),
        json(&entry.after),
        json(&entry.detail),
    ];
    let quoted: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
    format!("{}\r\n", quoted.join(","))
}

fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_as_rfc_4180_says() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }
}
