//! The OpenAPI 3.1 document of `/api/v1` and a readable HTML page rendered from it on the server
//! (no scripts, no external assets: it works offline).

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

/// The hand-maintained OpenAPI document; `tests/rest.rs` checks it covers every route.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

pub async fn openapi() -> Response {
    let mut response = OPENAPI_JSON.into_response();
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

pub async fn page() -> Html<String> {
    let doc: Value = serde_json::from_str(OPENAPI_JSON).unwrap_or(Value::Null);
    let mut body = String::new();
    let info = &doc["info"];
    body.push_str(&format!(
        "<h1>{}</h1><p>{}</p><p><a href=\"/api/v1/openapi.json\">openapi.json</a> · <a href=\"/\">Powerdeck</a></p>",
        escape(text(info, "title")),
        escape(text(info, "description"))
    ));
    body.push_str("<h2>Operations</h2>");
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
    body.push_str("<h2>Schemas</h2>");
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
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Powerdeck API</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>"
    ))
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1b2430}main{max-width:60rem;margin:0 auto;padding:2rem}h1{margin-top:0}.op{background:#fff;border:1px solid #d5dbe1;border-radius:8px;padding:.75rem 1rem;margin:.75rem 0}.op h3{margin:.25rem 0;font-size:1rem}.method{display:inline-block;min-width:4.5rem;text-align:center;border-radius:4px;padding:0 .4rem;color:#fff;font-size:.8rem;background:#5b6775}.get{background:#0f5e9c}.post{background:#1d7a46}.patch{background:#9a6200}.delete{background:#b42318}table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.5rem 0}th,td{text-align:left;border-bottom:1px solid #eef1f4;padding:.25rem .5rem;vertical-align:top}th{color:#5b6775}.responses{font-size:.85rem;color:#5b6775}code{font-family:ui-monospace,monospace}";
