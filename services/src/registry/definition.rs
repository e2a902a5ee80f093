//! Parsing and checking `data_def.json` and `var_metadata.json`, and resolving them into the
//! registry they describe. Pure: no database. Every error names the file and the JSON path (or the
//! line and column for malformed JSON) and the rule that was broken.

use std::collections::HashMap;

/// Maps keyed by the file's own names, built once per import: foldhash instead of SipHash,
/// which was a third of resolving 100,000 names.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

use std::borrow::Cow;

use regex::Regex;
use serde::Deserialize;
use serde_json::{Map, Value};

use model::registry::{Category, MemoryOffsetRef, title_case, validate_locator, validate_name};

/// Element width when an item gives none.
pub const DEFAULT_SIZE: u32 = 2;
/// Element count when an item gives none.
pub const DEFAULT_NUM: u32 = 1;
/// Locator of variables that neither the metadata nor its defaults place anywhere.
pub const FALLBACK_LOCATOR: &str = "system.global";
/// Items whose name starts with this only reserve space and are skipped.
pub const GAP_PREFIX: &str = "_gap";

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
}

fn parse_json(file: &str, text: &str) -> Result<Value, DefinitionError> {
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
struct Checker<'a> {
    file: &'a str,
}

impl Checker<'_> {
    fn error(&self, path: &str, message: impl Into<String>) -> DefinitionError {
        DefinitionError::Invalid {
            file: self.file.to_string(),
            path: path.to_string(),
            message: message.into(),
        }
    }

    fn object<'v>(
        &self,
        value: &'v Value,
        path: &str,
    ) -> Result<&'v Map<String, Value>, DefinitionError> {
        value
            .as_object()
            .ok_or_else(|| self.error(path, format!("expected an object, found {}", kind(value))))
    }

    fn array<'v>(&self, value: &'v Value, path: &str) -> Result<&'v Vec<Value>, DefinitionError> {
        value
            .as_array()
            .ok_or_else(|| self.error(path, format!("expected an array, found {}", kind(value))))
    }

    fn string<'v>(&self, value: &'v Value, path: &str) -> Result<&'v str, DefinitionError> {
        value
            .as_str()
            .ok_or_else(|| self.error(path, format!("expected a string, found {}", kind(value))))
    }

    fn only_keys(
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
    fn integer(
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

// ------------------------------------------------------------------ data_def.json

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemDef {
    pub name: String,
    pub offset: u32,
    pub size: u32,
    pub num: u32,
    /// Position in its table's `items` in the file (gaps count), for later errors.
    pub index: usize,
}

/// The JSON path of an item, for errors: `$[3].items[12]`.
pub fn item_path(table: usize, item: usize) -> String {
    format!("$[{table}].items[{item}]")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    pub table: String,
    /// The category prefix of the table name, if it has one.
    pub category: Option<Category>,
    pub items: Vec<ItemDef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DataDef {
    pub tables: Vec<TableDef>,
    /// `_gap` items skipped.
    pub gaps_skipped: u64,
}

/// The category prefix of a table name: `prot:sbmu:hold` -> `prot`. A name with three or more
/// parts must start with a known category; shorter names (`rack:sm16`) carry none.
pub fn table_category(table: &str) -> Result<Option<Category>, String> {
    let parts: Vec<&str> = table.split(':').collect();
    if parts.iter().any(|p| p.trim().is_empty()) {
        return Err(format!("{table:?} has an empty part between colons"));
    }
    match Category::parse(parts[0]) {
        Some(category) => Ok(Some(category)),
        None if parts.len() >= 3 => Err(format!(
            "{table:?} starts with unknown category prefix {:?}; expected config, prot or oper",
            parts[0]
        )),
        None => Ok(None),
    }
}

/// `data_def.json` as serde reads it on the fast path: keys and JSON types only. The rules on
/// the values are `check_tables`'s, whichever path read the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable<'a> {
    #[serde(borrow)]
    table: Cow<'a, str>,
    items: Vec<RawItem<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    offset: i64,
    #[serde(default, deserialize_with = "present_integer")]
    size: Option<i64>,
    #[serde(default, deserialize_with = "present_integer")]
    num: Option<i64>,
}

/// An optional key that, when present, holds an integer (`null` is not "absent").
fn present_integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    i64::deserialize(d).map(Some)
}

/// Parses and checks `data_def.json`.
///
/// Well-formed files (the common case, and 100,000 items in the benchmark) go through typed
/// serde structs in one pass. When serde rejects the file, the generic walk in `shape_error`
/// finds the first problem and names its JSON path, or the line and column of malformed JSON.
pub fn parse_data_def(file: &str, text: &str) -> Result<DataDef, DefinitionError> {
    match serde_json::from_str::<Vec<RawTable>>(text) {
        Ok(tables) => check_tables(file, tables),
        Err(error) => Err(shape_error(file, text, &error)),
    }
}

/// Why serde rejected the file, with the JSON path of the first misshapen value.
fn shape_error(file: &str, text: &str, typed_error: &serde_json::Error) -> DefinitionError {
    let checker = Checker { file };
    let root = match parse_json(file, text) {
        Ok(root) => root,
        Err(syntax) => return syntax,
    };
    let walk = || -> Result<(), DefinitionError> {
        for (t, table_value) in checker.array(&root, "$")?.iter().enumerate() {
            let table_path = format!("$[{t}]");
            let table_object = checker.object(table_value, &table_path)?;
            checker.only_keys(table_object, &table_path, &["table", "items"])?;
            checker.string(
                table_object
                    .get("table")
                    .ok_or_else(|| checker.error(&table_path, "missing \"table\""))?,
                &format!("{table_path}.table"),
            )?;
            let items_path = format!("{table_path}.items");
            let items = checker.array(
                table_object
                    .get("items")
                    .ok_or_else(|| checker.error(&table_path, "missing \"items\""))?,
                &items_path,
            )?;
            for (i, item_value) in items.iter().enumerate() {
                let item_path = format!("{items_path}[{i}]");
                let item = checker.object(item_value, &item_path)?;
                checker.only_keys(item, &item_path, &["name", "offset", "size", "num"])?;
                checker.string(
                    item.get("name")
                        .ok_or_else(|| checker.error(&item_path, "missing \"name\""))?,
                    &format!("{item_path}.name"),
                )?;
                if !item.contains_key("offset") {
                    return Err(checker.error(&item_path, "missing \"offset\""));
                }
                for key in ["offset", "size", "num"] {
                    checker.integer(item, key, &item_path)?;
                }
            }
        }
        Ok(())
    };
    match walk() {
        Err(error) => error,
        // Something serde alone objects to, such as a key given twice.
        Ok(()) => DefinitionError::Invalid {
            file: file.to_string(),
            path: format!(
                "line {}, column {}",
                typed_error.line(),
                typed_error.column()
            ),
            message: typed_error
                .to_string()
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_string(),
        },
    }
}

/// A count from the file: non-negative and within u32.
fn count(file: &str, value: i64, path: impl FnOnce() -> String) -> Result<u32, DefinitionError> {
    let error = |message: String| DefinitionError::Invalid {
        file: file.to_string(),
        path: path(),
        message,
    };
    if value < 0 {
        return Err(error(format!("must not be negative, found {value}")));
    }
    u32::try_from(value).map_err(|_| error(format!("{value} is too large")))
}

/// The rules on the values of a well-shaped `data_def.json`.
fn check_tables(file: &str, tables: Vec<RawTable<'_>>) -> Result<DataDef, DefinitionError> {
    let error = |path: String, message: String| DefinitionError::Invalid {
        file: file.to_string(),
        path,
        message,
    };
    let mut data_def = DataDef {
        tables: Vec::with_capacity(tables.len()),
        gaps_skipped: 0,
    };
    for (t, raw) in tables.into_iter().enumerate() {
        let category = table_category(&raw.table).map_err(|m| error(format!("$[{t}].table"), m))?;
        let mut table_def = TableDef {
            table: raw.table.into_owned(),
            category,
            items: Vec::with_capacity(raw.items.len()),
        };
        let mut seen: FastMap<&str, usize> =
            FastMap::with_capacity_and_hasher(raw.items.len(), Default::default());
        for (i, item) in raw.items.iter().enumerate() {
            let field = |key: &str| format!("{}.{key}", item_path(t, i));
            let offset = count(file, item.offset, || field("offset"))?;
            let size = match item.size {
                Some(size) => count(file, size, || field("size"))?,
                None => DEFAULT_SIZE,
            };
            let num = match item.num {
                Some(num) => count(file, num, || field("num"))?,
                None => DEFAULT_NUM,
            };
            let name: &str = &item.name;
            if name.starts_with(GAP_PREFIX) {
                data_def.gaps_skipped += 1;
                continue;
            }
            validate_name(name).map_err(|m| error(field("name"), m))?;
            if ![1, 2, 4, 8].contains(&size) {
                return Err(error(
                    field("size"),
                    format!("must be 1, 2, 4 or 8 (element width in bytes), found {size}"),
                ));
            }
            if num == 0 {
                return Err(error(field("num"), "must be at least 1".into()));
            }
            if let Some(first) = seen.insert(name, i) {
                return Err(error(
                    field("name"),
                    format!("{name:?} is already defined at $[{t}].items[{first}] in this table"),
                ));
            }
            table_def.items.push(ItemDef {
                name: name.to_string(),
                offset,
                size,
                num,
                index: i,
            });
        }
        data_def.tables.push(table_def);
    }
    Ok(data_def)
}

// ------------------------------------------------------------------ var_metadata.json

/// Fields the metadata may give a variable; `None` = not given here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetaFields {
    pub category: Option<Category>,
    pub locator: Option<String>,
    pub display_name: Option<String>,
    pub units: Option<String>,
    pub description: Option<String>,
}

/// The metadata that applies to one variable, borrowed from `Metadata` (resolving 100,000 names
/// must not copy the same strings 100,000 times).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResolvedMeta<'a> {
    pub category: Option<Category>,
    pub locator: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub units: Option<&'a str>,
    pub description: Option<&'a str>,
}

impl<'a> ResolvedMeta<'a> {
    /// Fills what `self` lacks from `fallback`.
    fn or(self, fallback: Option<&'a MetaFields>) -> ResolvedMeta<'a> {
        let Some(fallback) = fallback else {
            return self;
        };
        ResolvedMeta {
            category: self.category.or(fallback.category),
            locator: self.locator.or(fallback.locator.as_deref()),
            display_name: self.display_name.or(fallback.display_name.as_deref()),
            units: self.units.or(fallback.units.as_deref()),
            description: self.description.or(fallback.description.as_deref()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NamePattern {
    pub regex: Regex,
    pub fields: MetaFields,
}

#[derive(Debug, Clone, Default)]
pub struct Metadata {
    pub defaults: MetaFields,
    pub variables: HashMap<String, MetaFields>,
    pub patterns: Vec<NamePattern>,
}

impl Metadata {
    /// Exact name first, then the first matching pattern, then the defaults (field by field).
    pub fn resolve(&self, name: &str) -> ResolvedMeta<'_> {
        let exact = self.variables.get(name);
        let pattern = self
            .patterns
            .iter()
            .find(|p| p.regex.is_match(name))
            .map(|p| &p.fields);
        ResolvedMeta::default()
            .or(exact)
            .or(pattern)
            .or(Some(&self.defaults))
    }
}

const META_KEYS: [&str; 5] = [
    "category",
    "locator",
    "display_name",
    "units",
    "description",
];

fn meta_fields(
    checker: &Checker,
    value: &Value,
    path: &str,
    extra_keys: &[&str],
) -> Result<MetaFields, DefinitionError> {
    let object = checker.object(value, path)?;
    let allowed: Vec<&str> = META_KEYS.iter().chain(extra_keys).copied().collect();
    checker.only_keys(object, path, &allowed)?;
    let text = |key: &str| -> Result<Option<String>, DefinitionError> {
        object
            .get(key)
            .map(|v| {
                checker
                    .string(v, &format!("{path}.{key}"))
                    .map(str::to_string)
            })
            .transpose()
    };
    let category = match text("category")? {
        Some(c) => Some(Category::parse(&c).ok_or_else(|| {
            checker.error(
                &format!("{path}.category"),
                format!("unknown category {c:?}; expected config, prot or oper"),
            )
        })?),
        None => None,
    };
    let locator = text("locator")?;
    if let Some(locator) = &locator {
        validate_locator(locator).map_err(|m| checker.error(&format!("{path}.locator"), m))?;
    }
    Ok(MetaFields {
        category,
        locator,
        display_name: text("display_name")?,
        units: text("units")?,
        description: text("description")?,
    })
}

pub fn parse_metadata(file: &str, text: &str) -> Result<Metadata, DefinitionError> {
    let checker = Checker { file };
    let root = parse_json(file, text)?;
    let object = checker.object(&root, "$")?;
    checker.only_keys(object, "$", &["defaults", "variables", "patterns"])?;
    let mut metadata = Metadata::default();
    if let Some(defaults) = object.get("defaults") {
        metadata.defaults = meta_fields(&checker, defaults, "$.defaults", &[])?;
    }
    if let Some(variables) = object.get("variables") {
        for (name, fields) in checker.object(variables, "$.variables")? {
            let path = format!("$.variables.{name}");
            validate_name(name).map_err(|m| checker.error(&path, m))?;
            metadata
                .variables
                .insert(name.clone(), meta_fields(&checker, fields, &path, &[])?);
        }
    }
    if let Some(patterns) = object.get("patterns") {
        for (i, entry) in checker.array(patterns, "$.patterns")?.iter().enumerate() {
            let path = format!("$.patterns[{i}]");
            let fields = meta_fields(&checker, entry, &path, &["name_pattern"])?;
            let pattern_path = format!("{path}.name_pattern");
            let source = checker.string(
                checker
                    .object(entry, &path)?
                    .get("name_pattern")
                    .ok_or_else(|| checker.error(&path, "missing \"name_pattern\""))?,
                &pattern_path,
            )?;
            let regex = Regex::new(source).map_err(|err| {
                checker.error(
                    &pattern_path,
                    format!(
                        "invalid regular expression {source:?}: {}",
                        one_line(&err.to_string())
                    ),
                )
            })?;
            metadata.patterns.push(NamePattern { regex, fields });
        }
    }
    Ok(metadata)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ------------------------------------------------------------------ the registry they describe

/// A memory path as the files describe it, with the attributes it gets when created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredPath {
    pub reference: MemoryOffsetRef,
    pub priority: i32,
    pub read_only: bool,
}

/// A variable as the files describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredVariable {
    pub name: String,
    pub display_name: String,
    pub units: String,
    pub description: String,
    pub category: Category,
    pub locator: String,
    pub paths: Vec<DesiredPath>,
}

/// Imported memory paths all get this priority; other access types are added through the API.
pub const IMPORTED_PATH_PRIORITY: i32 = 10;

/// Holding tables (`...:hold`) and configuration tables are writable; measurements are not.
pub fn table_is_writable(table: &str, category: Option<Category>) -> bool {
    table.ends_with(":hold") || category == Some(Category::Config)
}

/// Resolves every item into variables: one variable per name, one memory path per table it
/// appears in. Variables come out in order of first appearance.
pub fn resolve(
    data_def: &DataDef,
    metadata: &Metadata,
    data_def_file: &str,
) -> Result<Vec<DesiredVariable>, DefinitionError> {
    let items: usize = data_def.tables.iter().map(|t| t.items.len()).sum();
    let mut variables: Vec<DesiredVariable> = Vec::with_capacity(items);
    let mut index: FastMap<&str, usize> =
        FastMap::with_capacity_and_hasher(items, Default::default());
    for (t, table) in data_def.tables.iter().enumerate() {
        for item in &table.items {
            let reference = MemoryOffsetRef {
                table: table.table.clone(),
                offset: item.offset,
                size: item.size,
                num: item.num,
            };
            let path = DesiredPath {
                reference,
                priority: IMPORTED_PATH_PRIORITY,
                read_only: !table_is_writable(&table.table, table.category),
            };
            if let Some(&at) = index.get(item.name.as_str()) {
                variables[at].paths.push(path);
                continue;
            }
            let meta = metadata.resolve(&item.name);
            let category = table.category.or(meta.category).ok_or_else(|| DefinitionError::Invalid {
                file: data_def_file.to_string(),
                path: format!("{}.name", item_path(t, item.index)),
                message: format!(
                    "no category for {:?}: table {:?} has no category prefix and the metadata gives none",
                    item.name, table.table
                ),
            })?;
            let display_name = match meta.display_name {
                Some(given) => given.to_string(),
                None if item.num > 1 => format!("{} [{}]", title_case(&item.name), item.num),
                None => title_case(&item.name),
            };
            let description = meta.description.map(str::to_string).unwrap_or_else(|| {
                format!(
                    "Imported from {}, {} element(s) of size {} bytes",
                    table.table, item.num, item.size
                )
            });
            index.insert(&item.name, variables.len());
            variables.push(DesiredVariable {
                name: item.name.clone(),
                display_name,
                units: meta.units.unwrap_or_default().to_string(),
                description,
                category,
                locator: meta.locator.unwrap_or(FALLBACK_LOCATOR).to_string(),
                paths: vec![path],
            });
        }
    }
    Ok(variables)
}

#[cfg(test)]
mod tests {
    use super::*;

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
                r#"[{"table": "oper:a:b", "items": [{"name": "a", "offset": 0, "size": 3}]}]"#,
                "$[0].items[0].size: must be 1, 2, 4 or 8",
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
            {"name_pattern": "_warn$", "category": "prot", "locator": "sbmu.protection"}
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
        let variables = resolve(&data_def, &metadata, "dd.json").unwrap();
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

        let no_meta = resolve(&data_def, &Metadata::default(), "dd.json").unwrap();
        assert_eq!(no_meta[0].display_name, "Cell Voltage [96]");
        assert_eq!(no_meta[0].locator, FALLBACK_LOCATOR);
    }

    #[test]
    fn the_table_prefix_wins_over_the_metadata_category() {
        let data_def = parse_data_def(
            "dd.json",
            r#"[{"table": "config:rack:sm16", "items": [{"name": "x_warn", "offset": 0}]}]"#,
        )
        .unwrap();
        let metadata = parse_metadata("m.json", METADATA).unwrap();
        let variables = resolve(&data_def, &metadata, "dd.json").unwrap();
        assert_eq!(variables[0].category, Category::Config);
    }

    #[test]
    fn a_variable_without_any_category_is_an_error() {
        let data_def = parse_data_def(
            "dd.json",
            r#"[{"table": "rack:sm16", "items": [{"name": "a", "offset": 0}]}]"#,
        )
        .unwrap();
        let message = err(resolve(&data_def, &Metadata::default(), "dd.json"));
        assert!(
            message.starts_with("dd.json: $[0].items[0].name: no category"),
            "{message}"
        );
    }
}
