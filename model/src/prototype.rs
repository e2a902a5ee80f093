//! The Python prototype's HTTP API on the wire (`/api/vars`, `/api/variables`, `/api/protections`
//! and the rest): the JSON shapes its dashboards and scripts send and read, field for field, and
//! FastAPI's error bodies, so that a prototype client cannot tell Powerdeck from the prototype.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::registry::{AccessType, Category};

/// An access path as the prototype shows it: the columns of its `variable_access_paths` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrototypeAccessPath {
    pub id: i64,
    pub access_type: AccessType,
    /// Where the path reads or writes, as a JSON object (the shape its `access_type` gives).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub reference: Value,
    pub priority: i32,
    pub read_only: bool,
    /// `null` = every rack.
    pub rack_number: Option<i32>,
    pub device_id: Option<String>,
    pub path_version: i64,
    /// The same as `path_version` (the prototype's single-variable read calls it `version`).
    pub version: i64,
    pub system_version: i64,
    /// ISO 8601 in UTC, as Python's `isoformat()` writes it (`2026-12-02T06:22:50.123456+00:00`).
    pub last_updated: String,
    /// `false` for a removed path (kept so that history and sync can see it).
    pub active: bool,
}

/// A variable as the prototype's lists show it (`GET /api/vars`, `GET /api/variables`, bulk,
/// the change feed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrototypeVariable {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    pub units: String,
    pub description: String,
    pub category: Category,
    /// `null` when the variable has no locator.
    pub locator: Option<String>,
    pub variable_version: i64,
    pub system_version: i64,
    pub source_system: String,
    /// ISO 8601 in UTC, as Python's `isoformat()` writes it (`2026-12-02T06:22:50.123456+00:00`).
    pub last_updated: String,
    /// `true` only for a deleted variable, which only the change feed reports.
    pub deleted: bool,
    /// Present where the route includes paths (see each route).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub access_paths: Option<Vec<PrototypeAccessPath>>,
}

/// `GET /api/vars`: one page by offset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrototypeVariableList {
    /// Variables matching the filters, across all pages.
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
    /// In name order, without access paths.
    pub variables: Vec<PrototypeVariable>,
}

/// The filters of `GET /api/vars` and `GET /api/variables`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrototypeFilter {
    /// Exact category text; one that is not a category matches nothing (the prototype compared
    /// strings).
    pub category: Option<String>,
    /// Exact locator, or a pattern where `[*]` matches any index.
    pub locator: Option<String>,
    /// SQL LIKE over the name (`%` any run, `_` one character); without either it matches
    /// names that contain it.
    pub name_pattern: Option<String>,
    /// Only variables whose last change is after this system version.
    pub since_version: Option<i64>,
}

/// `GET /api/variables/{name}`: the variable, at its current version or at `?version=N`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrototypeVariableAnswer {
    /// Always `true`.
    pub ok: bool,
    pub variable: PrototypeVariableAtVersion,
}

/// A variable as it is (or was) at one variable version, with its active paths then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrototypeVariableAtVersion {
    pub name: String,
    pub display_name: String,
    pub units: String,
    pub description: String,
    pub category: Category,
    /// `null` when the variable has no locator.
    pub locator: Option<String>,
    /// The variable version this state is (the prototype's name for it).
    pub version: i64,
    /// The same as `version`.
    pub variable_version: i64,
    pub system_version: i64,
    pub source_system: String,
    /// ISO 8601 in UTC, as Python's `isoformat()` writes it.
    pub last_updated: String,
    /// The active paths, highest priority first.
    pub access_paths: Vec<PrototypeAccessPath>,
}

/// `GET /`: what this service is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrototypeServiceInfo {
    pub service: String,
    /// Powerdeck's version.
    pub version: String,
    /// Variables in the registry (deleted ones not counted).
    pub variable_count: u64,
    pub system_version: i64,
    /// The database: `sqlite:PATH` or `postgres:HOST:PORT/DATABASE` (never a password).
    pub database: String,
}

/// `GET /api/system/version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrototypeSystemVersion {
    pub system_version: i64,
}

/// `GET /api/categories`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrototypeCategories {
    /// The categories in use, alphabetically.
    pub categories: Vec<String>,
}

/// `GET /api/locators`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrototypeLocators {
    /// The locators in use, alphabetically (variables without a locator add none).
    pub locators: Vec<String>,
}

/// `POST /api/variables/bulk`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrototypeBulkRequest {
    #[cfg_attr(feature = "openapi", schema(max_items = 10000))]
    pub variable_names: Vec<String>,
}

/// `POST /api/variables/bulk`'s answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrototypeBulkAnswer {
    /// The variables found, in the order asked, each with its active paths.
    pub variables: Vec<PrototypeVariable>,
    /// The names asked for that no variable has.
    pub not_found: Vec<String>,
}

/// `PUT /api/variables/{name}`'s body: the fields to change (absent or `null` = unchanged;
/// `locator: null` is read as unchanged too) and who changes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrototypeVariableUpdate {
    pub display_name: Option<String>,
    pub units: Option<String>,
    pub description: Option<String>,
    pub category: Option<Category>,
    pub locator: Option<String>,
    /// Recorded in the change log as who made the change. Default: `system`.
    pub changed_by: Option<String>,
    /// Recorded in the change log and on the variable as where the change came from.
    /// Default: `local`.
    pub source_system: Option<String>,
}

/// `PUT /api/variables/{name}`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrototypeUpdateAnswer {
    /// Always `true`.
    pub ok: bool,
    /// The variable's name.
    pub variable: String,
    pub variable_version: i64,
    pub system_version: i64,
}

/// `POST /api/variables/{name}/access_paths`'s body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrototypeAccessPathCreate {
    pub access_type: AccessType,
    /// The reference as a JSON object, or as the prototype stored it: a string holding JSON.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub reference: Value,
    /// Default: 0.
    pub priority: Option<i32>,
    /// Default: `false`.
    pub read_only: Option<bool>,
    /// `null` or absent: every rack.
    pub rack_number: Option<i32>,
    pub device_id: Option<String>,
    /// Recorded in the change log as who made the change. Default: `system`.
    pub changed_by: Option<String>,
    /// Recorded in the change log as where the change came from. Default: `local`.
    pub source_system: Option<String>,
}

/// What `POST /api/variables/{name}/access_paths` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PrototypePathChange {
    /// A new path.
    AccessPathAdded,
    /// The variable already had a path of this access type and reference: it was updated.
    AccessPathUpdated,
    /// The identical path already holds the posted values: nothing changed.
    Unchanged,
}

/// `POST /api/variables/{name}/access_paths`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrototypeAccessPathAnswer {
    /// Always `true`.
    pub ok: bool,
    /// The variable's name.
    pub variable: String,
    /// The variable version after the change (the prototype's name for it).
    pub version: i64,
    pub variable_version: i64,
    pub system_version: i64,
    /// The id of the added or updated path.
    pub access_path_id: i64,
    pub change: PrototypePathChange,
}

/// `GET /api/variables/changes`: every variable changed after `since_version`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrototypeChanges {
    /// Always `true`.
    pub ok: bool,
    pub current_system_version: i64,
    pub since_version: i64,
    /// In system-version order: each variable changed after `since_version` (itself or one of
    /// its paths; deleted ones with `deleted: true`), with `access_paths` holding its active
    /// paths changed after `since_version`.
    pub changes: Vec<PrototypeVariable>,
}

// ------------------------------------------------------------------ FastAPI's errors

/// FastAPI's error body for every status but 422: `{"detail": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrototypeErrorBody {
    /// What went wrong, safe to show to an operator.
    pub detail: String,
}

/// FastAPI's 422 body: every problem of the request, each with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrototypeValidationBody {
    pub detail: Vec<PrototypeValidationIssue>,
}

/// One problem of a request, as FastAPI (pydantic) reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrototypeValidationIssue {
    /// Where: `["query", "limit"]`, `["body", "variable_names", 0]`, `["path", "name"]`.
    pub loc: Vec<LocationPart>,
    /// What is wrong, e.g. `Input should be a valid integer, unable to parse string as an
    /// integer`.
    pub msg: String,
    /// pydantic's error type: `int_parsing`, `bool_parsing`, `missing`, `string_type`, `enum`,
    /// `greater_than_equal`, `less_than_equal`, `json_invalid`, `value_error`, ...
    #[serde(rename = "type")]
    pub kind: String,
}

impl PrototypeValidationIssue {
    pub fn new(loc: Vec<LocationPart>, kind: &str, msg: impl Into<String>) -> Self {
        PrototypeValidationIssue {
            loc,
            msg: msg.into(),
            kind: kind.to_string(),
        }
    }
}

/// One step of a `loc`: a name or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum LocationPart {
    Name(String),
    Index(u64),
}

impl From<&str> for LocationPart {
    fn from(name: &str) -> Self {
        LocationPart::Name(name.to_string())
    }
}

/// `loc` from a dotted field path of a rule (`reference.can_id`, `paths[0].size`), under
/// `first` (`body`): `["body", "reference", "can_id"]`, `["body", "paths", 0, "size"]`.
pub fn location_of(first: &str, field: &str) -> Vec<LocationPart> {
    let mut loc = vec![LocationPart::from(first)];
    for segment in field.split('.').filter(|s| !s.is_empty()) {
        let mut rest = segment;
        if let Some(open) = rest.find('[') {
            loc.push(LocationPart::from(&rest[..open]));
            rest = &rest[open..];
            while let Some(close) = rest.find(']') {
                match rest[1..close].parse::<u64>() {
                    Ok(index) => loc.push(LocationPart::Index(index)),
                    Err(_) => loc.push(LocationPart::from(&rest[1..close])),
                }
                rest = &rest[close + 1..];
                if !rest.starts_with('[') {
                    break;
                }
            }
        } else {
            loc.push(LocationPart::from(rest));
        }
    }
    loc
}

/// SQL LIKE as the prototype's `name_pattern` uses it: `%` matches any run of characters, `_`
/// exactly one; everything else matches itself, ASCII letters case-insensitively as SQLite's
/// LIKE does. A pattern without `%` or `_` matches as "contains" (`voltage` finds
/// `cell_voltage_max`), as the prototype's documented example expects.
pub fn name_pattern_matches(pattern: &str, name: &str) -> bool {
    if pattern.contains(['%', '_']) {
        sql_like(pattern, name)
    } else {
        let (needle, hay) = (pattern.as_bytes(), name.as_bytes());
        needle.is_empty()
            || hay
                .windows(needle.len())
                .any(|window| window.eq_ignore_ascii_case(needle))
    }
}

/// The prototype's locator filter: exact, or with `[*]` read as its SQL LIKE `[%]`
/// (`sbmu.chiller[*]` matches `sbmu.chiller[n]`, and, as LIKE does, `sbmu.chiller[1].pump[2]`).
pub fn locator_filter_matches(filter: &str, locator: &str) -> bool {
    if filter.contains("[*]") {
        sql_like(&filter.replace("[*]", "[%]"), locator)
    } else {
        filter == locator
    }
}

/// SQL LIKE over bytes (registry names and locators are ASCII): `%` any run, `_` one byte, ASCII
/// letters case-insensitive. Iterative, backtracking only to the last `%`.
pub fn sql_like(pattern: &str, text: &str) -> bool {
    let (pattern, text) = (pattern.as_bytes(), text.as_bytes());
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'%') => {
                star = Some((p, t));
                p += 1;
            }
            Some(b'_') => {
                p += 1;
                t += 1;
            }
            Some(c) if c.eq_ignore_ascii_case(&text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == b'%')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_patterns_are_sql_like_and_plain_words_mean_contains() {
        let cases = [
            ("voltage", "cell_voltage_max", true),
            ("voltage", "soc", false),
            ("cell%", "cell_voltage_max", true),
            ("cell%", "max_cell", false),
            ("%_max", "cell_voltage_max", true),
            ("soc", "SOC", true),
            ("s_c", "soc", true),
            ("s_c", "sooc", false),
            ("%", "", true),
            ("a%b%c", "axxbyyc", true),
            ("a%b%c", "axxbyy", false),
            ("rack__voltage", "rack_voltage", false),
            ("", "anything", true),
        ];
        for (pattern, name, expected) in cases {
            assert_eq!(
                name_pattern_matches(pattern, name),
                expected,
                "{pattern:?} on {name:?}"
            );
        }
    }

    #[test]
    fn locator_wildcards_are_the_prototypes_like() {
        assert!(locator_filter_matches("sbmu.chiller[*]", "sbmu.chiller[n]"));
        assert!(locator_filter_matches("sbmu.chiller[*]", "sbmu.chiller[2]"));
        assert!(!locator_filter_matches("sbmu.chiller[*]", "sbmu.pump[n]"));
        assert!(locator_filter_matches("sbmu.chiller[n]", "sbmu.chiller[n]"));
        assert!(!locator_filter_matches(
            "sbmu.chiller[n]",
            "sbmu.chiller[2]"
        ));
        assert!(locator_filter_matches(
            "rbms.rack[*].module[*]",
            "rbms.rack[n].module[m]"
        ));
    }

    #[test]
    fn locations_split_dotted_paths_and_indices() {
        let loc = location_of("body", "paths[2].reference.size");
        assert_eq!(
            serde_json::to_value(&loc).unwrap(),
            serde_json::json!(["body", "paths", 2, "reference", "size"])
        );
        let loc = location_of("query", "limit");
        assert_eq!(
            serde_json::to_value(&loc).unwrap(),
            serde_json::json!(["query", "limit"])
        );
    }
}
