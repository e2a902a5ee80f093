//! `var_metadata.json`: defaults, per-variable fields and name patterns, and which of them
//! applies to a variable.

use std::collections::HashMap;

use regex::Regex;
use serde_json::Value;

use super::{Checker, DefinitionError, parse_json};
use model::registry::{Category, validate_locator, validate_name};

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
