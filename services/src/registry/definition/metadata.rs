//! `var_metadata.json`: defaults, per-variable fields and name patterns, and which of them
//! applies to a variable.
//!
//! As in the prototype, a pattern matches like Python's `re.match`: at the start of the name
//! (not necessarily to its end), and `null` for a field means "none": the level that says so
//! decides, and the variable gets the derived default (Title Case name, the generated
//! description, no units, no locator).

use std::collections::HashMap;

use regex::Regex;
use serde_json::{Map, Value};

use super::{Checker, DefinitionError, Problems, parse_json};
use model::registry::{Category, validate_locator, validate_name};

/// One field of one metadata level: `None` when the key is absent (the next level decides),
/// `Some(None)` for an explicit `null` (no value: the derived default applies), `Some(Some(v))`
/// for a value.
pub type MetaField<T> = Option<Option<T>>;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetaFields {
    pub category: MetaField<Category>,
    pub locator: MetaField<String>,
    pub display_name: MetaField<String>,
    pub units: MetaField<String>,
    pub description: MetaField<String>,
}

/// The metadata that applies to one variable, borrowed from `Metadata` (resolving 100,000 names
/// must not copy the same strings 100,000 times). `None` = no value (absent at every level, or
/// `null` at the level that decided).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResolvedMeta<'a> {
    pub category: Option<Category>,
    pub locator: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub units: Option<&'a str>,
    pub description: Option<&'a str>,
}

/// The levels' fields while resolving: the outer `Option` is "decided yet?".
#[derive(Default)]
struct Resolving<'a> {
    category: MetaField<Category>,
    locator: MetaField<&'a str>,
    display_name: MetaField<&'a str>,
    units: MetaField<&'a str>,
    description: MetaField<&'a str>,
}

fn borrowed(field: &MetaField<String>) -> MetaField<&str> {
    field.as_ref().map(Option::as_deref)
}

impl<'a> Resolving<'a> {
    /// Fills what no earlier level decided from `level`.
    fn or(self, level: Option<&'a MetaFields>) -> Resolving<'a> {
        let Some(level) = level else {
            return self;
        };
        Resolving {
            category: self.category.or(level.category),
            locator: self.locator.or(borrowed(&level.locator)),
            display_name: self.display_name.or(borrowed(&level.display_name)),
            units: self.units.or(borrowed(&level.units)),
            description: self.description.or(borrowed(&level.description)),
        }
    }

    fn done(self) -> ResolvedMeta<'a> {
        ResolvedMeta {
            category: self.category.flatten(),
            locator: self.locator.flatten(),
            display_name: self.display_name.flatten(),
            units: self.units.flatten(),
            description: self.description.flatten(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NamePattern {
    /// The pattern as the file writes it.
    pub source: String,
    /// `source` anchored at the start, as `re.match` applies it.
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
        Resolving::default()
            .or(exact)
            .or(pattern)
            .or(Some(&self.defaults))
            .done()
    }
}

/// A `name_pattern` that is not a regular expression, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid regular expression {pattern:?}: {why}")]
pub struct InvalidNamePattern {
    /// The pattern as the file wrote it (not anchored).
    pub pattern: String,
    /// The regex engine's reason, on one line.
    pub why: String,
}

/// Compiles a `name_pattern` to match as Python's `re.match` does: anchored at the start of the
/// name only (`cell_` matches `cell_voltage`, `_warn$` matches nothing that does not start with
/// `_warn`).
pub fn compile_name_pattern(source: &str) -> Result<Regex, InvalidNamePattern> {
    Regex::new(&format!("^(?:{source})")).map_err(|err| {
        // The error quotes the anchored pattern; say it about the one the file wrote.
        let why = one_line(&err.to_string());
        let why = why
            .rsplit("error:")
            .next()
            .unwrap_or(&why)
            .trim()
            .to_string();
        InvalidNamePattern {
            pattern: source.to_string(),
            why,
        }
    })
}

const META_KEYS: [&str; 5] = [
    "category",
    "locator",
    "display_name",
    "units",
    "description",
];

/// A text field of a metadata entry: absent, `null`, or a string.
fn text_field(
    checker: &Checker,
    object: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<MetaField<String>, DefinitionError> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(value) => checker
            .string(value, &format!("{path}.{key}"))
            .map(|text| Some(Some(text.to_string()))),
    }
}

fn meta_fields(
    checker: &Checker,
    problems: &mut Problems,
    value: &Value,
    path: &str,
    extra_keys: &[&str],
) -> Option<MetaFields> {
    let object = problems.keep(checker.object(value, path))?;
    let allowed: Vec<&str> = META_KEYS.iter().chain(extra_keys).copied().collect();
    problems.keep(checker.only_keys(object, path, &allowed));
    let mut text = |key: &str| {
        problems
            .keep(text_field(checker, object, key, path))
            .flatten()
    };
    let category_text = text("category");
    let locator = text("locator");
    let display_name = text("display_name");
    let units = text("units");
    let description = text("description");
    let category = match category_text {
        Some(Some(c)) => match Category::parse(&c) {
            Some(category) => Some(Some(category)),
            None => {
                problems.found.push(checker.error(
                    &format!("{path}.category"),
                    format!("unknown category {c:?}; expected config, prot or oper"),
                ));
                None
            }
        },
        Some(None) => Some(None),
        None => None,
    };
    if let Some(Some(locator)) = &locator
        && let Err(message) = validate_locator(locator)
    {
        problems
            .found
            .push(checker.error(&format!("{path}.locator"), message));
    }
    Some(MetaFields {
        category,
        locator,
        display_name,
        units,
        description,
    })
}

/// Parses and checks `var_metadata.json`, reporting every problem (each with its JSON path).
pub fn parse_metadata(file: &str, text: &str) -> Result<Metadata, DefinitionError> {
    let checker = Checker { file };
    let root = parse_json(file, text)?;
    let object = checker.object(&root, "$")?;
    let mut problems = Problems::default();
    problems.keep(checker.only_keys(object, "$", &["defaults", "variables", "patterns"]));
    let mut metadata = Metadata::default();
    if let Some(defaults) = object.get("defaults")
        && let Some(fields) = meta_fields(&checker, &mut problems, defaults, "$.defaults", &[])
    {
        metadata.defaults = fields;
    }
    if let Some(variables) = object.get("variables")
        && let Some(variables) = problems.keep(checker.object(variables, "$.variables"))
    {
        for (name, fields) in variables {
            let path = format!("$.variables.{name}");
            if let Err(message) = validate_name(name) {
                problems.found.push(checker.error(&path, message));
            }
            if let Some(fields) = meta_fields(&checker, &mut problems, fields, &path, &[]) {
                metadata.variables.insert(name.clone(), fields);
            }
        }
    }
    if let Some(patterns) = object.get("patterns")
        && let Some(patterns) = problems.keep(checker.array(patterns, "$.patterns"))
    {
        for (i, entry) in patterns.iter().enumerate() {
            let path = format!("$.patterns[{i}]");
            let fields = meta_fields(&checker, &mut problems, entry, &path, &["name_pattern"]);
            if let Some(pattern) = name_pattern(&checker, &mut problems, entry, &path)
                && let Some(fields) = fields
            {
                metadata.patterns.push(NamePattern {
                    source: pattern.0,
                    regex: pattern.1,
                    fields,
                });
            }
        }
    }
    problems.finish(metadata)
}

/// The `name_pattern` of a pattern entry, compiled; `None` after recording why not.
fn name_pattern(
    checker: &Checker,
    problems: &mut Problems,
    entry: &Value,
    path: &str,
) -> Option<(String, Regex)> {
    let object = entry.as_object()?;
    let pattern_path = format!("{path}.name_pattern");
    let Some(value) = object.get("name_pattern") else {
        problems
            .found
            .push(checker.error(path, "missing \"name_pattern\""));
        return None;
    };
    let source = problems.keep(checker.string(value, &pattern_path))?;
    match compile_name_pattern(source) {
        Ok(regex) => Some((source.to_string(), regex)),
        Err(invalid) => {
            problems
                .found
                .push(checker.error(&pattern_path, invalid.to_string()));
            None
        }
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
