//! The OpenAPI 3.1 document of `/api/v1`, generated from the handlers and the DTO types, and a
//! readable HTML page rendered from it on the server (no scripts, no external assets: it works
//! offline).

use std::sync::LazyLock;

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoParams, OpenApi, ToSchema};

/// What the OpenAPI document says beside its operations: info, servers, tags and the problem
/// schema. The operations and every other schema come from the handlers and the DTO types.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Powerdeck API",
        version = "1",
        description = "The stable REST API of Powerdeck's variable registry, under /api/v1 (JSON). Versioning: one global, monotonic, gapless system version orders all changes; every change of a variable or of an access path takes the next system version, in commit order (a path change also touches its variable, so it takes two: one for the variable, then one for the path). Each variable also has its own variable_version (1 when created, +1 per change of it or of its paths): it is the ETag of every single-variable response, and every write must send it back in If-Match (missing: 428; stale: 409 with the variable as it is now in `current`, so no update is lost). Authentication: every operation but the probes and this document needs an API token, sent as `Authorization: Bearer pd_…` (create one with `powerdeck token create NAME --role ROLE`, or in the console), or a console session's cookie; without one it answers 401, and 403 when the token's role (or its scopes, for deploying and device writes) does not allow the operation. The writer recorded in the change log and the audit log is the token's (or the session's) name; X-Powerdeck-Source names the system it writes from (default `rest`). Protection limits (profiles, save, deploy with read-back and rollback) live under /api/v1/protections and the live alarm states under /api/v1/alarms; their writes take no If-Match. Sync: poll GET /api/v1/changes?since=X (start with 0) and continue with since=next_since while has_more is true; keep next_since for the next poll. Errors are RFC 9457 application/problem+json bodies (type, title, status, detail; `field` on invalid input; `current` on a 409 after a stale If-Match). Exceptions: a wrong method on a known path answers 405 with an Allow header (and a problem+json body); an unknown path under /api/ answers 404 with {\"error\": \"not_found\", \"message\": ...} as application/json."
    ),
    servers((url = "/")),
    tags(
        (name = "Variables", description = "Read and write registry variables."),
        (name = "Access paths", description = "Ways to reach a variable."),
        (name = "Facets", description = "Counts per category and locator."),
        (name = "Sync", description = "The change feed other controllers poll."),
        (name = "System", description = "The global system version."),
        (name = "Documentation", description = "This document and its HTML page."),
        (name = "Probes", description = "Liveness and readiness for orchestrators."),
        (name = "Field I/O", description = "Live values, reads and writes that reach the devices."),
        (name = "Protections", description = "Protection limits: recall, save and deploy them; profiles; deployment history."),
        (name = "Alarms", description = "Live alarm states, the alarm journal and acknowledgements."),
        (name = "Audit", description = "Who did what, when and from where: every write and every login attempt (admins)."),
        (name = "Users and tokens", description = "Accounts and API tokens (admins), and changing one's own password."),
        (name = "Prototype API", description = "The Python prototype's API (FastAPI), kept so that its dashboards and scripts work unchanged: its paths (outside /api/v1), JSON shapes and status codes, and FastAPI's errors: {\"detail\": \"...\"} for every status but 422, and for 422 {\"detail\": [{\"loc\": [...], \"msg\": \"...\", \"type\": \"...\"}]} listing every problem. Every route also answers under the /vars_api prefix (e.g. /vars_api/api/vars), the path the prototype's dashboard proxies through. Writes take no If-Match (the prototype's last writer wins) and are versioned and logged like every other write, with the body's changed_by and source_system. New clients should use /api/v1.")
    ),
    components(schemas(ProblemBody))
)]
pub(crate) struct ApiDoc;

/// The body of every error answer, `application/problem+json` (RFC 9457). Answered by
/// [`super::Problem`]; this type documents it.
#[derive(Serialize, ToSchema)]
#[schema(as = Problem)]
pub(crate) struct ProblemBody {
    /// Always `about:blank`.
    #[serde(rename = "type")]
    #[schema(example = "about:blank")]
    kind: String,
    /// Short summary: `Bad request`, `Invalid request body`, `If-Match required`, `Invalid input`,
    /// `Not found`, `Changed by someone else`, `Not configured`, `Device error`, `Deploy refused`,
    /// `Deploy failed`, `Server error`.
    title: String,
    /// The HTTP status.
    #[schema(minimum = 400, maximum = 599)]
    status: u16,
    /// What went wrong, safe to show to an operator.
    detail: String,
    /// On 422 `Invalid input`: the path of the offending field, e.g. `locator`,
    /// `reference.can_id`, `paths[0].reference.size`, `soc.max.alert.threshold`, `source`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    field: Option<String>,
    /// On a 409 from a write with a stale `If-Match`: the variable as it is now, with all its paths.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    current: Option<model::registry::Variable>,
    /// On a failed deploy (422 `Deploy refused`, 502 `Deploy failed`): the recorded deployment
    /// with every field's outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    deployment: Option<model::profiles::DeploymentDetail>,
}

/// The header of a write that names the system it comes from (see [`super::actor`]).
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // Read from the `HeaderMap`; this type documents them.
pub(crate) struct WriterHeaders {
    /// From which system the change comes, recorded as `source_system` in the change log (and on
    /// the variable for create, update and delete). Missing or blank: `rest`.
    #[param(
        rename = "X-Powerdeck-Source",
        nullable = false,
        example = "site-scada"
    )]
    source: Option<String>,
}

/// The headers of a versioned registry write: the version the writer last saw, and from where.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // Read from the `HeaderMap` by [`super::if_match`]; this type documents them.
pub(crate) struct VersionedWriteHeaders {
    /// The `variable_version` the client last saw (the `ETag` of its last read): `3`, `"3"` or
    /// `W/"3"`. Missing: 428 Precondition Required. Not a version (e.g. `*`): 400. Not the
    /// current version: 409 with the variable as it is now in `current`.
    #[param(
        rename = "If-Match",
        pattern = r#"^[ \t]*(W/)?"?[0-9]{1,18}"?[ \t]*$"#,
        example = "\"3\""
    )]
    if_match: String,
    /// From which system the change comes, recorded as `source_system` in the change log (and on
    /// the variable for create, update and delete). Missing or blank: `rest`.
    #[param(
        rename = "X-Powerdeck-Source",
        nullable = false,
        example = "site-scada"
    )]
    source: Option<String>,
}

/// How callers authenticate, on every operation but the public ones (the probes and this
/// document): a bearer token or the console's session cookie, and the 401 and 403 answers.
fn document_access(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::security::{
        ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
    };
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};

    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
            crate::access::SESSION_COOKIE,
        ))),
    );
    // The prototype's routes answer in FastAPI's shape, the others in problem+json.
    let problem = |description: &str, prototype: bool| {
        let (content_type, schema) = if prototype {
            ("application/json", "PrototypeErrorBody")
        } else {
            ("application/problem+json", "Problem")
        };
        ResponseBuilder::new()
            .description(description)
            .content(
                content_type,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(schema)))
                    .build(),
            )
            .build()
    };
    for (path, item) in &mut document.paths.paths {
        let public = crate::access::rules::rule_for(&axum::http::Method::GET, path)
            == crate::access::rules::Rule::Public;
        if public {
            continue;
        }
        let prototype = crate::access::rules::is_prototype(path);
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
        ]
        .into_iter()
        .flatten()
        {
            operation.security = Some(vec![
                SecurityRequirement::new("bearer", Vec::<String>::new()),
                SecurityRequirement::new("session", Vec::<String>::new()),
            ]);
            let responses = &mut operation.responses.responses;
            responses.entry("401".into()).or_insert_with(|| {
                problem(
                    "No token or session, or one that is unknown, expired or revoked.",
                    prototype,
                )
                .into()
            });
            responses.entry("403".into()).or_insert_with(|| {
                problem(
                    "The caller's role, or the token's scopes, do not allow this operation; or a console session's write came from another site.",
                    prototype,
                )
                .into()
            });
        }
    }
}

/// The OpenAPI document of every route of [`super::documented_routes`], built once.
pub(crate) static OPENAPI_JSON: LazyLock<String> = LazyLock::new(|| {
    let (_router, mut document) = super::documented_routes().split_for_parts();
    document_access(&mut document);
    document.to_pretty_json().unwrap_or_else(|err| {
        format!("{{\"error\": \"the OpenAPI document failed to render: {err}\"}}")
    })
});

#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "getOpenApi",
    tag = "Documentation",
    summary = r#"This OpenAPI document"#,
    description = r#"The OpenAPI 3.1 document of the API (this document), as JSON."#,
    responses(
        (status = 200, description = r#"The OpenAPI document."#, body = serde_json::Value, content_type = "application/json"),
    )
)]
pub(crate) async fn openapi() -> Response {
    let mut response = OPENAPI_JSON.as_str().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The schema of a parameter or body in a few words: `string`, `integer`, `Variable`, ...
fn type_name(schema: &Value) -> String {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return reference
            .rsplit('/')
            .next()
            .unwrap_or(reference)
            .to_string();
    }
    match schema.get("type") {
        Some(Value::String(t)) if t == "array" => {
            format!(
                "array of {}",
                type_name(schema.get("items").unwrap_or(&Value::Null))
            )
        }
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "object".to_string(),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/docs",
    operation_id = "getApiDocs",
    tag = "Documentation",
    summary = r#"Readable API documentation"#,
    description = r#"A human-readable HTML page rendered on the server from this document (operations, parameters, responses and schemas); no scripts, no external assets, works offline."#,
    responses(
        (status = 200, description = r#"The HTML page."#, body = String, content_type = "text/html"),
    )
)]
pub(crate) async fn page() -> Html<String> {
    let doc: Value = serde_json::from_str(&OPENAPI_JSON).unwrap_or(Value::Null);
    let mut body = String::new();
    let info = &doc["info"];
    body.push_str(&format!(
        "<h1>{}</h1><p>{}</p><p><a href=\"/api/v1/openapi.json\">openapi.json</a> · <a href=\"/\">Powerdeck</a></p>",
        escape(text(info, "title")),
        escape(text(info, "description"))
    ));
    body.push_str("<h2>Operations</h2>");
    push_operations(&mut body, &doc);
    body.push_str("<h2>Schemas</h2>");
    push_schemas(&mut body, &doc);
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Powerdeck API</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>"
    ))
}

/// Appends one section per operation of the document: method, path, summary, description, a
/// table of its parameters and its responses.
fn push_operations(body: &mut String, doc: &Value) {
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            let Some(methods) = item.as_object() else {
                continue;
            };
            for (method, operation) in methods {
                if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    continue;
                }
                body.push_str(&format!(
                    "<section class=\"op\"><h3><span class=\"method {m}\">{M}</span> <code>{p}</code></h3><p><strong>{s}</strong></p><p>{d}</p>",
                    m = method,
                    M = method.to_uppercase(),
                    p = escape(path),
                    s = escape(text(operation, "summary")),
                    d = escape(text(operation, "description")),
                ));
                if let Some(parameters) =
                    operation["parameters"].as_array().filter(|p| !p.is_empty())
                {
                    body.push_str("<table><tr><th>Parameter</th><th>In</th><th>Type</th><th>Description</th></tr>");
                    for parameter in parameters {
                        body.push_str(&format!(
                            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                            escape(text(parameter, "name")),
                            if parameter["required"] == Value::Bool(true) {
                                " *"
                            } else {
                                ""
                            },
                            escape(text(parameter, "in")),
                            escape(&type_name(&parameter["schema"])),
                            escape(text(parameter, "description")),
                        ));
                    }
                    body.push_str("</table>");
                }
                if let Some(responses) = operation["responses"].as_object() {
                    let codes: Vec<String> = responses
                        .iter()
                        .map(|(code, r)| {
                            format!(
                                "<code>{}</code> {}",
                                escape(code),
                                escape(text(r, "description"))
                            )
                        })
                        .collect();
                    body.push_str(&format!("<p class=\"responses\">{}</p>", codes.join(" · ")));
                }
                body.push_str("</section>");
            }
        }
    }
}

/// Appends one section per schema of the document, with a table of its fields.
fn push_schemas(body: &mut String, doc: &Value) {
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            body.push_str(&format!(
                "<section class=\"op\"><h3 id=\"{n}\">{n}</h3><p>{d}</p>",
                n = escape(name),
                d = escape(text(schema, "description"))
            ));
            if let Some(properties) = schema["properties"].as_object() {
                let required: Vec<&str> = schema["required"]
                    .as_array()
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                body.push_str("<table><tr><th>Field</th><th>Type</th><th>Description</th></tr>");
                for (field, property) in properties {
                    body.push_str(&format!(
                        "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td></tr>",
                        escape(field),
                        if required.contains(&field.as_str()) {
                            " *"
                        } else {
                            ""
                        },
                        escape(&type_name(property)),
                        escape(text(property, "description")),
                    ));
                }
                body.push_str("</table>");
            }
            body.push_str("</section>");
        }
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1b2430}main{max-width:60rem;margin:0 auto;padding:2rem}h1{margin-top:0}.op{background:#fff;border:1px solid #d5dbe1;border-radius:8px;padding:.75rem 1rem;margin:.75rem 0}.op h3{margin:.25rem 0;font-size:1rem}.method{display:inline-block;min-width:4.5rem;text-align:center;border-radius:4px;padding:0 .4rem;color:#fff;font-size:.8rem;background:#5b6775}.get{background:#0f5e9c}.post{background:#1d7a46}.patch{background:#9a6200}.delete{background:#b42318}table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.5rem 0}th,td{text-align:left;border-bottom:1px solid #eef1f4;padding:.25rem .5rem;vertical-align:top}th{color:#5b6775}.responses{font-size:.85rem;color:#5b6775}code{font-family:ui-monospace,monospace}";
