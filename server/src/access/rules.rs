//! Which permission each route needs: the one table the access layer reads and the role test
//! walks. Reads (`GET`) need `read` unless listed; every other method must be listed, and one
//! that is not is refused to everybody (a route missing from this table fails closed, and the
//! role test names it).

use axum::http::Method;
use model::auth::Permission;

/// What a request needs before it reaches its handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Anybody: the login page and its form, static assets, the probes.
    Public,
    /// A console page: `read`; without a session the browser is sent to the login page.
    Page,
    /// An API route or a server function that needs this permission.
    Needs(Permission),
    /// A write this table does not know: refused to every caller.
    Unlisted,
}

use Permission::{
    AcknowledgeAlarms, DeployProtections, EditRegistry, EditSite, ManageTokens, ManageUsers, Read,
    ReadAudit, ReadDevicesNow, SaveProtections, WriteDevices,
};

/// The server functions (`/api/<name>`, all `POST`) and what each needs. Reads are listed too:
/// a server function is a `POST` whatever it does.
const SERVER_FUNCTIONS: &[(&str, Permission)] = &[
    // Field I/O.
    ("live_values", Read),
    ("get_bus_overview", Read),
    ("read_variable_now", ReadDevicesNow),
    ("write_variable", WriteDevices),
    // Protections.
    // A read; recalling what the device holds (`source: device`) checks ReadDevicesNow itself.
    ("recall_protections", Read),
    ("save_protections", SaveProtections),
    ("preview_deploy", Read),
    ("deploy_protections", DeployProtections),
    ("list_profiles", Read),
    ("create_profile", SaveProtections),
    ("rename_profile", SaveProtections),
    ("delete_profile", SaveProtections),
    ("activate_profile", SaveProtections),
    ("deployment_history", Read),
    ("get_deployment", Read),
    ("alarm_overview", Read),
    ("grid_live", Read),
    ("acknowledge_alarm", AcknowledgeAlarms),
    // Registry.
    ("list_registry", Read),
    ("get_variable_detail", Read),
    ("get_variable_version", Read),
    ("restore_variable_version", EditRegistry),
    ("update_variable_metadata", EditRegistry),
    ("delete_variable", EditRegistry),
    ("import_registry", EditRegistry),
    ("create_variable", EditRegistry),
    ("add_access_path", EditRegistry),
    ("remove_access_path", EditRegistry),
    // Site configuration.
    ("get_site", Read),
    ("get_site_live", Read),
    ("preview_site_delete", Read),
    ("delete_site_row", EditSite),
    ("create_site_array", EditSite),
    ("rename_site_array", EditSite),
    ("attach_battery_array", EditSite),
    ("detach_battery_array", EditSite),
    ("create_inverter", EditSite),
    ("update_inverter", EditSite),
    ("create_battery_pack", EditSite),
    ("update_battery_pack", EditSite),
    ("create_meter", EditSite),
    ("update_meter", EditSite),
    ("check_adapter_config", Read),
    ("get_adapter_types", Read),
    ("create_site_adapter", EditSite),
    ("update_site_adapter", EditSite),
    ("test_adapter_connection", ReadDevicesNow),
    ("import_site_file", EditSite),
    // The console's frame.
    ("get_overview", Read),
    ("get_site_glance", Read),
    ("confirm_password", Read),
    ("get_audit", ReadAudit),
    // Accounts: one's own password; users and tokens for admins.
    ("change_password", Read),
    ("list_users_and_tokens", ManageUsers),
    ("create_user", ManageUsers),
    ("update_user", ManageUsers),
    ("create_api_token", ManageTokens),
    ("revoke_api_token", ManageTokens),
];

/// The REST routes (`/api/v1`, and the prototype's under `/api` and `/vars_api/api`) that need
/// more than `read`: every write, and the reads that ask a device now. `{…}` is one segment.
const ROUTES: &[(Method, &str, Permission)] = &[
    // Registry (stable API).
    (Method::POST, "/api/v1/variables", EditRegistry),
    // A bulk read, though a POST.
    (Method::POST, "/api/v1/variables/bulk", Read),
    (Method::PATCH, "/api/v1/variables/{name}", EditRegistry),
    (Method::DELETE, "/api/v1/variables/{name}", EditRegistry),
    (
        Method::POST,
        "/api/v1/variables/{name}/restore",
        EditRegistry,
    ),
    (
        Method::POST,
        "/api/v1/variables/{name}/access-paths",
        EditRegistry,
    ),
    (
        Method::PATCH,
        "/api/v1/variables/{name}/access-paths/{id}",
        EditRegistry,
    ),
    (
        Method::DELETE,
        "/api/v1/variables/{name}/access-paths/{id}",
        EditRegistry,
    ),
    // Field I/O.
    (
        Method::GET,
        "/api/v1/variables/{name}/value",
        ReadDevicesNow,
    ),
    (Method::PUT, "/api/v1/variables/{name}/value", WriteDevices),
    // Protections and alarms.
    (Method::POST, "/api/v1/protections", SaveProtections),
    (
        Method::POST,
        "/api/v1/protections/deploy",
        DeployProtections,
    ),
    (
        Method::POST,
        "/api/v1/protections/profiles",
        SaveProtections,
    ),
    (
        Method::PATCH,
        "/api/v1/protections/profiles/{name}",
        SaveProtections,
    ),
    (
        Method::DELETE,
        "/api/v1/protections/profiles/{name}",
        SaveProtections,
    ),
    (
        Method::POST,
        "/api/v1/protections/profiles/{name}/activate",
        SaveProtections,
    ),
    (
        Method::POST,
        "/api/v1/alarms/acknowledge",
        AcknowledgeAlarms,
    ),
    // Site configuration.
    (Method::POST, "/api/v1/site/import", EditSite),
    (Method::POST, "/api/v1/site/adapter-tests", ReadDevicesNow),
    (Method::POST, "/api/v1/site/systems", EditSite),
    (Method::PATCH, "/api/v1/site/systems/{id}", EditSite),
    (Method::DELETE, "/api/v1/site/systems/{id}", EditSite),
    (Method::POST, "/api/v1/site/adapters", EditSite),
    (Method::PATCH, "/api/v1/site/adapters/{id}", EditSite),
    (Method::DELETE, "/api/v1/site/adapters/{id}", EditSite),
    (Method::POST, "/api/v1/site/battery-arrays", EditSite),
    (Method::PATCH, "/api/v1/site/battery-arrays/{id}", EditSite),
    (Method::DELETE, "/api/v1/site/battery-arrays/{id}", EditSite),
    (
        Method::POST,
        "/api/v1/site/battery-arrays/{id}/attach",
        EditSite,
    ),
    (
        Method::POST,
        "/api/v1/site/battery-arrays/{id}/detach",
        EditSite,
    ),
    (Method::POST, "/api/v1/site/battery-packs", EditSite),
    (Method::PATCH, "/api/v1/site/battery-packs/{id}", EditSite),
    (Method::DELETE, "/api/v1/site/battery-packs/{id}", EditSite),
    (Method::POST, "/api/v1/site/inverter-arrays", EditSite),
    (Method::PATCH, "/api/v1/site/inverter-arrays/{id}", EditSite),
    (
        Method::DELETE,
        "/api/v1/site/inverter-arrays/{id}",
        EditSite,
    ),
    (Method::POST, "/api/v1/site/inverters", EditSite),
    (Method::PATCH, "/api/v1/site/inverters/{id}", EditSite),
    (Method::DELETE, "/api/v1/site/inverters/{id}", EditSite),
    (Method::POST, "/api/v1/site/meters", EditSite),
    (Method::PATCH, "/api/v1/site/meters/{id}", EditSite),
    (Method::DELETE, "/api/v1/site/meters/{id}", EditSite),
    // The audit log is for admins.
    (Method::GET, "/api/v1/audit", ReadAudit),
    (Method::GET, "/api/v1/audit.csv", ReadAudit),
    // Users and tokens are for admins; anybody signed in changes their own password.
    (Method::GET, "/api/v1/users", ManageUsers),
    (Method::POST, "/api/v1/users", ManageUsers),
    (Method::PATCH, "/api/v1/users/{name}", ManageUsers),
    (Method::GET, "/api/v1/tokens", ManageTokens),
    (Method::POST, "/api/v1/tokens", ManageTokens),
    (Method::DELETE, "/api/v1/tokens/{name}", ManageTokens),
    (Method::POST, "/api/v1/me/password", Read),
    // Demo mode's switch for pack 1's primary adapter (a simulated device).
    (Method::POST, "/api/v1/demo/pack1-primary", EditSite),
    // The prototype's API.
    // A bulk read, though a POST.
    (Method::POST, "/api/variables/bulk", Read),
    (Method::PUT, "/api/variables/{name}", EditRegistry),
    (
        Method::POST,
        "/api/variables/{name}/access_paths",
        EditRegistry,
    ),
    (Method::POST, "/api/protections", SaveProtections),
    (Method::POST, "/api/protections/deploy", DeployProtections),
];

/// Paths anybody may `GET` (and the login form's `POST`).
/// The API's description is public: it is the same on every site and says how to authenticate.
const PUBLIC_PATHS: &[&str] = &[
    "/login",
    "/logout",
    "/healthz",
    "/readyz",
    "/favicon.svg",
    "/api/v1/openapi.json",
    "/api/v1/docs",
];

/// The prefix under which the prototype's dashboard proxies its API.
const PROXY_PREFIX: &str = crate::rest::prototype::PROXY_PREFIX;

/// What `method path` needs.
pub fn rule_for(method: &Method, path: &str) -> Rule {
    let is_read = method == Method::GET || method == Method::HEAD;
    if PUBLIC_PATHS.contains(&path) || (is_read && path.starts_with("/pkg/")) {
        return Rule::Public;
    }
    // CORS preflights are answered before this layer; any other OPTIONS is a 405 or a 404.
    if method == Method::OPTIONS {
        return Rule::Public;
    }
    if let Some(name) = server_function_name(path)
        && let Some((_, permission)) = SERVER_FUNCTIONS.iter().find(|(n, _)| *n == name)
    {
        return Rule::Needs(*permission);
    }
    // The prototype's routes again under its proxy prefix.
    let api_path = path
        .strip_prefix(PROXY_PREFIX)
        .filter(|rest| rest.starts_with("/api/"))
        .unwrap_or(path);
    let listed = ROUTES.iter().find(|(route_method, pattern, _)| {
        (route_method == method || (method == Method::HEAD && route_method == Method::GET))
            && matches_pattern(pattern, api_path)
    });
    if let Some((_, _, permission)) = listed {
        return Rule::Needs(*permission);
    }
    match (is_read, is_api(path)) {
        (true, true) => Rule::Needs(Read),
        (true, false) => Rule::Page,
        (false, _) => Rule::Unlisted,
    }
}

/// Whether `path` is answered in JSON (an unauthenticated caller gets a 401, not a redirect).
pub fn is_api(path: &str) -> bool {
    path == "/api"
        || path.starts_with("/api/")
        || path == PROXY_PREFIX
        || path.starts_with(&format!("{PROXY_PREFIX}/"))
}

/// Whether `path` is a server function's (the console's own calls).
pub fn is_server_function(path: &str) -> bool {
    server_function_name(path)
        .is_some_and(|name| SERVER_FUNCTIONS.iter().any(|(known, _)| *known == name))
}

/// Whether `path` is one of the prototype's routes (FastAPI's error shapes): under `/api/` but
/// not `/api/v1/`, or under its proxy prefix.
pub fn is_prototype(path: &str) -> bool {
    (path.starts_with("/api/") && !path.starts_with("/api/v1/") && !is_server_function(path))
        || path == PROXY_PREFIX
        || path.starts_with(&format!("{PROXY_PREFIX}/"))
}

/// `/api/<name>` with one segment: where a server function answers.
fn server_function_name(path: &str) -> Option<&str> {
    path.strip_prefix("/api/")
        .filter(|name| !name.is_empty() && !name.contains('/'))
}

/// Whether `path` matches `pattern`, where a `{…}` segment matches any one non-empty segment.
fn matches_pattern(pattern: &str, path: &str) -> bool {
    let mut pattern_segments = pattern.split('/');
    let mut path_segments = path.split('/');
    loop {
        match (pattern_segments.next(), path_segments.next()) {
            (None, None) => return true,
            (Some(expected), Some(actual)) => {
                let wildcard = expected.starts_with('{') && expected.ends_with('}');
                if !(wildcard && !actual.is_empty() || expected == actual) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// The operations this server answers that the table does not list, as `METHOD path`: the
/// REST routes (from the OpenAPI document, which every route is registered with) and the
/// server functions. The server refuses to start unless this is empty, so a write added
/// without its permission can never be served (and the role test names it).
pub fn unlisted_operations(
    document: &utoipa::openapi::OpenApi,
    server_functions: impl IntoIterator<Item = String>,
) -> Vec<String> {
    let mut unlisted = Vec::new();
    for (path, item) in &document.paths.paths {
        // `{name}` stands for any one segment; a concrete stand-in matches the same patterns.
        let concrete = path.replace(['{', '}'], "");
        for method in operation_methods(item) {
            if rule_for(&method, &concrete) == Rule::Unlisted {
                unlisted.push(format!("{method} {path}"));
            }
        }
    }
    for path in server_functions {
        let listed = server_function_name(&path)
            .is_some_and(|name| SERVER_FUNCTIONS.iter().any(|(known, _)| *known == name));
        if !listed {
            unlisted.push(format!("POST {path} (server function)"));
        }
    }
    unlisted.sort();
    unlisted
}

/// The methods a path item of the OpenAPI document answers.
pub fn operation_methods(item: &utoipa::openapi::path::PathItem) -> Vec<Method> {
    [
        (Method::GET, item.get.is_some()),
        (Method::PUT, item.put.is_some()),
        (Method::POST, item.post.is_some()),
        (Method::DELETE, item.delete.is_some()),
        (Method::PATCH, item.patch.is_some()),
        (Method::HEAD, item.head.is_some()),
    ]
    .into_iter()
    .filter_map(|(method, present)| present.then_some(method))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_segments() {
        assert!(matches_pattern(
            "/api/v1/variables/{name}",
            "/api/v1/variables/soc"
        ));
        assert!(!matches_pattern(
            "/api/v1/variables/{name}",
            "/api/v1/variables/"
        ));
        assert!(!matches_pattern(
            "/api/v1/variables/{name}",
            "/api/v1/variables/soc/value"
        ));
        assert!(!matches_pattern(
            "/api/v1/variables",
            "/api/v1/variables/soc"
        ));
    }

    #[test]
    fn reads_need_read_writes_need_their_permission_and_unknown_writes_fail_closed() {
        assert_eq!(
            rule_for(&Method::GET, "/api/v1/variables"),
            Rule::Needs(Read)
        );
        assert_eq!(rule_for(&Method::GET, "/registry"), Rule::Page);
        assert_eq!(rule_for(&Method::GET, "/pkg/powerdeck.js"), Rule::Public);
        assert_eq!(rule_for(&Method::POST, "/pkg/powerdeck.js"), Rule::Unlisted);
        assert_eq!(
            rule_for(&Method::PUT, "/api/v1/variables/soc/value"),
            Rule::Needs(WriteDevices)
        );
        assert_eq!(
            rule_for(&Method::GET, "/api/v1/variables/soc/value"),
            Rule::Needs(ReadDevicesNow)
        );
        assert_eq!(
            rule_for(&Method::PUT, "/vars_api/api/variables/soc"),
            Rule::Needs(EditRegistry)
        );
        assert_eq!(
            rule_for(&Method::POST, "/api/deploy_protections"),
            Rule::Needs(DeployProtections)
        );
        assert_eq!(
            rule_for(&Method::POST, "/api/no_such_function"),
            Rule::Unlisted
        );
        assert_eq!(
            rule_for(&Method::DELETE, "/api/v1/nothing/here"),
            Rule::Unlisted
        );
    }
}
