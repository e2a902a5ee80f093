//! `data_def.json`: the memory tables and their items, checked value by value.

use std::borrow::Cow;

use serde::Deserialize;

use super::{Checker, DefinitionError, FastMap, Problems, parse_json};
use model::registry::{Category, validate_name};

/// Element width when an item gives none.
pub const DEFAULT_SIZE: u32 = 2;
/// Element count when an item gives none.
pub const DEFAULT_NUM: u32 = 1;

/// Items whose name starts with this only reserve space and are skipped.
pub const GAP_PREFIX: &str = "_gap";

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

/// The rules on the values of a well-shaped `data_def.json`; every broken rule is reported.
fn check_tables(file: &str, tables: Vec<RawTable<'_>>) -> Result<DataDef, DefinitionError> {
    let error = |path: String, message: String| DefinitionError::Invalid {
        file: file.to_string(),
        path,
        message,
    };
    let mut problems = Problems::default();
    let mut data_def = DataDef {
        tables: Vec::with_capacity(tables.len()),
        gaps_skipped: 0,
    };
    for (t, raw) in tables.into_iter().enumerate() {
        let category = problems
            .keep(table_category(&raw.table).map_err(|m| error(format!("$[{t}].table"), m)))
            .flatten();
        let mut table_def = TableDef {
            table: raw.table.into_owned(),
            category,
            items: Vec::with_capacity(raw.items.len()),
        };
        let mut seen: FastMap<&str, usize> =
            FastMap::with_capacity_and_hasher(raw.items.len(), Default::default());
        for (i, item) in raw.items.iter().enumerate() {
            let field = |key: &str| format!("{}.{key}", item_path(t, i));
            let offset = problems.keep(count(file, item.offset, || field("offset")));
            let size = match item.size {
                Some(size) => problems.keep(count(file, size, || field("size"))),
                None => Some(DEFAULT_SIZE),
            };
            let num = match item.num {
                Some(num) => problems.keep(count(file, num, || field("num"))),
                None => Some(DEFAULT_NUM),
            };
            let name: &str = &item.name;
            if name.starts_with(GAP_PREFIX) {
                data_def.gaps_skipped += 1;
                continue;
            }
            let mut valid = true;
            if let Err(m) = validate_name(name) {
                problems.found.push(error(field("name"), m));
                valid = false;
            }
            if size == Some(0) {
                problems.found.push(error(
                    field("size"),
                    "must be at least 1 (the element width: bytes, or bits in a :bits table)"
                        .into(),
                ));
                valid = false;
            }
            if num == Some(0) {
                problems
                    .found
                    .push(error(field("num"), "must be at least 1".into()));
                valid = false;
            }
            if let Some(first) = seen.insert(name, i) {
                problems.found.push(error(
                    field("name"),
                    format!("{name:?} is already defined at $[{t}].items[{first}] in this table"),
                ));
                valid = false;
            }
            if let (true, Some(offset), Some(size), Some(num)) = (valid, offset, size, num) {
                table_def.items.push(ItemDef {
                    name: name.to_string(),
                    offset,
                    size,
                    num,
                    index: i,
                });
            }
        }
        data_def.tables.push(table_def);
    }
    problems.finish(data_def)
}
