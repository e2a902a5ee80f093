//! Parsing and checking `data_def.json` and `var_metadata.json`, and resolving them into the
//! registry they describe. Pure: no database. Every error names the file and the JSON path (or the
//! line and column for malformed JSON) and the rule that was broken.
//!
//! This module owns the error type and the JSON walking both files share; [`data_def`] reads the
//! tables, [`metadata`] the per-variable metadata, and [`resolve`] joins them into variables.

mod data_def;
mod metadata;
mod resolve;

use std::collections::HashMap;

use serde_json::{Map, Value};

pub use self::data_def::{
    DEFAULT_NUM, DEFAULT_SIZE, DataDef, GAP_PREFIX, ItemDef, TableDef, item_path, parse_data_def,
    table_category,
};
pub use self::metadata::{
    MetaField, MetaFields, Metadata, NamePattern, ResolvedMeta, compile_name_pattern,
    parse_metadata,
};
pub use self::resolve::{
    DEFAULT_CATEGORY, DesiredPath, DesiredVariable, IMPORTED_PATH_PRIORITY, resolve,
    table_is_writable,
};

/// Maps keyed by the file's own names, built once per import: foldhash instead of SipHash,
/// which was a third of resolving 100,000 names.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    #[error("{file}:{line}:{column}: malformed JSON: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: {path}: {message}")]
    Invalid {
        file: String,
        path: String,
        message: String,
    },
    /// Several problems of one file, in file order: all of them are reported at once.
    #[error("{}", lines(.0))]
    Many(Vec<DefinitionError>),
}

fn lines(errors: &[DefinitionError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Collects every problem of one file instead of stopping at the first.
#[derive(Default)]
pub(super) struct Problems {
    pub(super) found: Vec<DefinitionError>,
}

impl Problems {
    /// The value, or `None` after recording its error.
    pub(super) fn keep<T>(&mut self, result: Result<T, DefinitionError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.found.push(error);
                None
            }
        }
    }

    pub(super) fn finish<T>(self, value: T) -> Result<T, DefinitionError> {
        let mut found = self.found;
        match found.len() {
            0 => Ok(value),
            1 => Err(found.remove(0)),
            _ => Err(DefinitionError::Many(found)),
        }
    }
}

pub(super) fn parse_json(file: &str, text: &str) -> Result<Value, DefinitionError> {
    serde_json::from_str(text).map_err(|err| DefinitionError::Syntax {
        file: file.to_string(),
        line: err.line(),
        column: err.column(),
        message: err
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_string(),
    })
}

/// Walks a JSON document keeping the file name for errors.
pub(super) struct Checker<'a> {
    pub(super) file: &'a str,
}

impl Checker<'_> {
    pub(super) fn error(&self, path: &str, message: impl Into<String>) -> DefinitionError {
        DefinitionError::Invalid {
            file: self.file.to_string(),
            path: path.to_string(),
            message: message.into(),
        }
    }

    pub(super) fn object<'v>(
        &self,
        value: &'v Value,
        path: &str,
    ) -> Result<&'v Map<String, Value>, DefinitionError> {
        value
            .as_object()
            .ok_or_else(|| self.error(path, format!("expected an object, found {}", kind(value))))
    }

    pub(super) fn array<'v>(
        &self,
        value: &'v Value,
        path: &str,
    ) -> Result<&'v Vec<Value>, DefinitionError> {
        value
            .as_array()
            .ok_or_else(|| self.error(path, format!("expected an array, found {}", kind(value))))
    }

    pub(super) fn string<'v>(
        &self,
        value: &'v Value,
        path: &str,
    ) -> Result<&'v str, DefinitionError> {
        value
            .as_str()
            .ok_or_else(|| self.error(path, format!("expected a string, found {}", kind(value))))
    }

    pub(super) fn only_keys(
        &self,
        object: &Map<String, Value>,
        path: &str,
        allowed: &[&str],
    ) -> Result<(), DefinitionError> {
        match object.keys().find(|key| !allowed.contains(&key.as_str())) {
            Some(key) => Err(self.error(
                &format!("{path}.{key}"),
                format!("unknown key; expected one of {}", allowed.join(", ")),
            )),
            None => Ok(()),
        }
    }

    /// An optional key that, when present, holds an integer (its range is checked later).
    pub(super) fn integer(
        &self,
        object: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Result<(), DefinitionError> {
        match object.get(key) {
            None => Ok(()),
            Some(value) if value.is_i64() => Ok(()),
            Some(value) => Err(self.error(
                &format!("{path}.{key}"),
                format!("expected a non-negative integer, found {}", kind(value)),
            )),
        }
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::registry::Category;

    fn err(result: Result<impl std::fmt::Debug, DefinitionError>) -> String {
        result.expect_err("expected an error").to_string()
    }

    #[test]
    fn items_get_default_size_and_num_and_gaps_are_counted() {
        let text = r#"[{"table": "prot:sbmu:hold", "items": [
            {"name": "soc_max_warn", "offset": 0},
            {"name": "_gap1", "offset": 2, "size": 2, "num": 3},
            {"name": "cell_voltage", "offset": 8, "size": 2, "num": 96}
        ]}]"#;
        let def = parse_data_def("data_def.json", text).unwrap();
        assert_eq!(def.gaps_skipped, 1);
        let table = &def.tables[0];
        assert_eq!(table.category, Some(Category::Prot));
        assert_eq!(table.items.len(), 2);
        assert_eq!((table.items[0].size, table.items[0].num), (2, 1));
        assert_eq!((table.items[1].offset, table.items[1].num), (8, 96));
    }

    #[test]
    fn malformed_json_names_file_line_and_column() {
        let text = "[\n  {\"table\": \"a\",\n   \"items\": [}\n]";
        let message = err(parse_data_def("data_def.json", text));
        assert!(message.starts_with("data_def.json:3:"), "{message}");
        assert!(message.contains("malformed JSON"), "{message}");
    }

    #[test]
    fn semantic_errors_name_the_json_path_and_the_rule() {
        let cases = [
            (r#"{"table": "x"}"#, "$: expected an array"),
            (
                r#"[{"table": "oper:a:b", "items": [{"name": "a", "offset": -4}]}]"#,
                "$[0].items[0].offset: must not be negative",
            ),
            (
                r#"[{"table": "oper:a:b", "items": [{"name": "a", "offset": 0, "num": 0}]}]"#,
                "$[0].items[0].num: must be at least 1",
            ),
            (
                r#"[{"table": "oper:a:b", "items": [{"name": "a", "offset": 0, "size": 0}]}]"#,
                "$[0].items[0].size: must be at least 1",
            ),
            (
                r#"[{"table": "oper:a:b", "items": [{"name": "Bad-Name", "offset": 0}]}]"#,
                "$[0].items[0].name:",
            ),
            (
                r#"[{"table": "oper:a:b", "items": [{"name": "a", "offset": "0"}]}]"#,
                "$[0].items[0].offset: expected a non-negative integer",
            ),
            (
                r#"[{"table": "oper:a:b", "items": [{"name": "a"}]}]"#,
                "$[0].items[0]: missing \"offset\"",
            ),
            (
                r#"[{"table": "oper:a:b", "items": [{"name": "a", "offset": 0, "width": 2}]}]"#,
                "$[0].items[0].width: unknown key",
            ),
            (
                r#"[{"table": "misc:a:b", "items": []}]"#,
                "$[0].table: \"misc:a:b\" starts with unknown category prefix \"misc\"",
            ),
            (
                r#"[{"table": "oper:a:b", "items": [{"name": "a", "offset": 0}, {"name": "a", "offset": 2}]}]"#,
                "$[0].items[1].name: \"a\" is already defined at $[0].items[0]",
            ),
            (
                r#"[{"table": "oper:a:b", "items": [{"name": "a", "offset": 0, "size": null}]}]"#,
                "$[0].items[0].size: expected a non-negative integer, found null",
            ),
            (
                r#"[{"table": "oper:a:b", "items": [{"name": "a", "offset": 4294967296}]}]"#,
                "$[0].items[0].offset: 4294967296 is too large",
            ),
            (
                r#"[{"table": "oper:a:b", "items": [{"name": "a", "offset": 0}]},
                    {"table": "oper:c:d", "items": [{"name": "b", "offset": 0}, {"name": "c", "offset": 1.5}]}]"#,
                "$[1].items[1].offset: expected a non-negative integer, found a number",
            ),
            (
                r#"[{"table": "oper:a:b", "items": [{"name": "a", "offset": 0, "offset": 2}]}]"#,
                "line 1, column 68: duplicate field `offset`",
            ),
        ];
        for (text, expected) in cases {
            let message = err(parse_data_def("dd.json", text));
            assert!(
                message.starts_with(&format!("dd.json: {expected}")),
                "{text}\n-> {message}"
            );
        }
    }

    #[test]
    fn tables_without_three_parts_carry_no_category() {
        assert_eq!(table_category("rack:sm16"), Ok(None));
        assert_eq!(
            table_category("config:rack:sm16"),
            Ok(Some(Category::Config))
        );
        assert!(table_category("oper::x").is_err());
    }

    const METADATA: &str = r#"{
        "defaults": {"category": "oper", "locator": "system.global"},
        "variables": {"cell_voltage": {"units": "mV", "locator": "rbms.rack[n].module[m].cell[c]", "display_name": "Cell Voltage"}},
        "patterns": [
            {"name_pattern": "^cell_", "units": "V", "description": "A cell value"},
            {"name_pattern": ".*_warn$", "category": "prot", "locator": "sbmu.protection"}
        ]
    }"#;

    #[test]
    fn metadata_resolves_exact_then_first_pattern_then_defaults() {
        let metadata = parse_metadata("var_metadata.json", METADATA).unwrap();
        let exact = metadata.resolve("cell_voltage");
        assert_eq!(exact.units, Some("mV"), "exact wins over the pattern");
        assert_eq!(
            exact.description,
            Some("A cell value"),
            "pattern fills gaps"
        );
        assert_eq!(
            exact.category,
            Some(Category::Oper),
            "defaults fill the rest"
        );

        let first_pattern = metadata.resolve("cell_temp_warn");
        assert_eq!(first_pattern.units, Some("V"));
        assert_eq!(
            first_pattern.locator,
            Some("system.global"),
            "only the first matching pattern applies"
        );

        let second = metadata.resolve("soc_max_warn");
        assert_eq!(second.category, Some(Category::Prot));
        assert_eq!(second.locator, Some("sbmu.protection"));
    }

    #[test]
    fn bad_metadata_is_rejected_with_its_path() {
        let cases = [
            (
                r#"{"patterns": [{"name_pattern": "("}]}"#,
                "$.patterns[0].name_pattern: invalid regular expression \"(\"",
            ),
            (
                r#"{"defaults": {"category": "misc"}}"#,
                "$.defaults.category: unknown category \"misc\"",
            ),
            (
                r#"{"variables": {"soc": {"locator": "a..b"}}}"#,
                "$.variables.soc.locator:",
            ),
            (
                r#"{"variables": {"soc": {"unit": "%"}}}"#,
                "$.variables.soc.unit: unknown key",
            ),
            (
                r#"{"patterns": [{"units": "%"}]}"#,
                "$.patterns[0]: missing \"name_pattern\"",
            ),
        ];
        for (text, expected) in cases {
            let message = err(parse_metadata("m.json", text));
            assert!(
                message.starts_with(&format!("m.json: {expected}")),
                "{text}\n-> {message}"
            );
        }
    }

    #[test]
    fn resolution_merges_tables_and_derives_names_and_descriptions() {
        let data_def = parse_data_def(
            "dd.json",
            r#"[
                {"table": "oper:rack:sm16", "items": [{"name": "cell_voltage", "offset": 0, "num": 96}, {"name": "rack_soc", "offset": 192}]},
                {"table": "prot:sbmu:hold", "items": [{"name": "soc_max_warn", "offset": 0}]},
                {"table": "oper:sbmu:input", "items": [{"name": "rack_soc", "offset": 40, "size": 2}]}
            ]"#,
        )
        .unwrap();
        let metadata = parse_metadata("m.json", METADATA).unwrap();
        let variables = resolve(&data_def, &metadata);
        let names: Vec<&str> = variables.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["cell_voltage", "rack_soc", "soc_max_warn"]);

        let rack_soc = &variables[1];
        assert_eq!(rack_soc.display_name, "Rack Soc");
        assert_eq!(
            rack_soc.description,
            "Imported from oper:rack:sm16, 1 element(s) of size 2 bytes"
        );
        assert_eq!(
            rack_soc.paths.len(),
            2,
            "same name in two tables: two paths"
        );
        assert!(rack_soc.paths.iter().all(|p| p.read_only));

        let warn = &variables[2];
        assert_eq!(warn.category, Category::Prot);
        assert!(!warn.paths[0].read_only, "holding tables are writable");

        let no_meta = resolve(&data_def, &Metadata::default());
        assert_eq!(no_meta[0].display_name, "Cell Voltage [96]");
        assert_eq!(no_meta[0].locator, None, "no metadata: no locator");
        assert_eq!(
            variables[0].locator.as_deref(),
            Some("rbms.rack[n].module[m].cell[c]")
        );
        assert_eq!(
            rack_soc.locator.as_deref(),
            Some("system.global"),
            "the default applies where no entry or pattern says anything"
        );
    }

    #[test]
    fn the_table_prefix_wins_over_the_metadata_category() {
        let data_def = parse_data_def(
            "dd.json",
            r#"[{"table": "config:rack:sm16", "items": [{"name": "x_warn", "offset": 0}]}]"#,
        )
        .unwrap();
        let metadata = parse_metadata("m.json", METADATA).unwrap();
        let variables = resolve(&data_def, &metadata);
        assert_eq!(variables[0].category, Category::Config);
    }

    #[test]
    fn a_variable_without_any_category_gets_oper_as_in_the_prototype() {
        let data_def = parse_data_def(
            "dd.json",
            r#"[{"table": "rack:sm16", "items": [{"name": "a", "offset": 0}]}]"#,
        )
        .unwrap();
        let variables = resolve(&data_def, &Metadata::default());
        assert_eq!(variables[0].category, Category::Oper);
        let metadata = parse_metadata("m.json", r#"{"defaults": {"category": "config"}}"#).unwrap();
        assert_eq!(resolve(&data_def, &metadata)[0].category, Category::Config);
    }

    #[test]
    fn patterns_match_at_the_start_of_the_name_like_re_match() {
        let metadata = parse_metadata(
            "m.json",
            r#"{"patterns": [
                {"name_pattern": "_limit$", "units": "never"},
                {"name_pattern": "cell_", "units": "mV"},
                {"name_pattern": ".*_limit$", "units": "A"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(metadata.resolve("cell_voltage").units, Some("mV"));
        assert_eq!(metadata.resolve("max_cell_voltage").units, None);
        assert_eq!(metadata.resolve("current_limit").units, Some("A"));
        // Not anchored at the end: `cell_` matches a longer name, as re.match does.
        assert_eq!(metadata.resolve("cell_").units, Some("mV"));
    }

    #[test]
    fn null_means_none_at_the_level_that_says_so() {
        let metadata = parse_metadata(
            "m.json",
            r#"{"defaults": {"category": "oper", "locator": null},
                "variables": {"soc": {"locator": null, "units": "%"}},
                "patterns": [{"name_pattern": "^soc", "locator": "sbmu.global", "units": null}]}"#,
        )
        .unwrap();
        let soc = metadata.resolve("soc");
        assert_eq!(
            soc.locator, None,
            "the exact entry's null wins over the pattern"
        );
        assert_eq!(soc.units, Some("%"));
        let soc_max = metadata.resolve("soc_max");
        assert_eq!(soc_max.locator, Some("sbmu.global"));
        assert_eq!(soc_max.units, None);
        assert_eq!(metadata.resolve("other").locator, None);
        let data_def = parse_data_def(
            "dd.json",
            r#"[{"table": "rack:sm16", "items": [{"name": "soc", "offset": 0}]}]"#,
        )
        .unwrap();
        assert_eq!(
            resolve(&data_def, &metadata)[0].locator,
            None,
            "null means no locator, with no fallback"
        );
    }

    #[test]
    fn every_problem_of_a_file_is_reported_with_its_place() {
        let message = err(parse_metadata(
            "m.json",
            r#"{"defaults": {"category": "misc"},
                "patterns": [{"name_pattern": "(?=x)y"}, {"name_pattern": "ok"}, {"name_pattern": "[a-"}]}"#,
        ));
        let lines: Vec<&str> = message.lines().collect();
        assert_eq!(lines.len(), 3, "{message}");
        assert!(lines[0].starts_with("m.json: $.defaults.category: unknown category"));
        assert!(
            lines[1].starts_with(
                "m.json: $.patterns[0].name_pattern: invalid regular expression \"(?=x)y\": look-around"
            ),
            "{message}"
        );
        assert!(
            lines[2].starts_with(
                "m.json: $.patterns[2].name_pattern: invalid regular expression \"[a-\""
            ),
            "{message}"
        );
        let message = err(parse_data_def(
            "dd.json",
            r#"[{"table": "oper:a:b", "items": [{"name": "a", "offset": 0, "size": 0},
                {"name": "B", "offset": 2}, {"name": "c", "offset": 4, "num": 0}]}]"#,
        ));
        let lines: Vec<&str> = message.lines().collect();
        assert_eq!(
            lines,
            [
                "dd.json: $[0].items[0].size: must be at least 1 (the element width: bytes, or bits in a :bits table)",
                "dd.json: $[0].items[1].name: \"B\" must start with a lowercase letter (snake_case identifier)",
                "dd.json: $[0].items[2].num: must be at least 1",
            ]
        );
    }
}
