//! The form of an adapter configuration, generated from its type's JSON Schema: one field per
//! property (an `enum` is a choice, an integer or number an input with its `minimum` and
//! `maximum`, a string an input with its `minLength`, `maxLength` and `pattern`, a boolean a
//! checkbox; `title` and `description` are the label and help, `default` fills the field and
//! `required` marks it), and the schema's conditions (`allOf` of `if: {properties: {F: {const:
//! V}}} then: {required, properties: {P: false}}`), which say which fields a choice needs and
//! which it excludes (a transport's). A property the generator has no input for (an array, an
//! object, several types) is a raw JSON field, never dropped.
//!
//! The form's inputs are text, as a browser posts them; [`ConfigForm::config`] turns them into
//! the configuration (the same function on the server, for a form posted without JavaScript,
//! and in the browser, as you type), which the type's `ConfigValidator` then checks. Pure and
//! wasm-safe.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ConfigProblem;

/// The rule of a problem found while reading an input, before the schema is asked: a raw JSON
/// field whose text is not JSON.
pub const JSON_RULE: &str = "json";

/// What kind of input a property gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FieldKind {
    /// `enum` (or `const`): one of these values.
    Choice { options: Vec<Value> },
    /// `type: integer`, with `minimum` / `maximum`.
    Integer {
        minimum: Option<f64>,
        maximum: Option<f64>,
    },
    /// `type: number`, with `minimum` / `maximum`.
    Number {
        minimum: Option<f64>,
        maximum: Option<f64>,
    },
    /// `type: string`, with `minLength` / `maxLength` / `pattern`.
    Text {
        min_length: Option<u64>,
        max_length: Option<u64>,
        pattern: Option<String>,
    },
    /// `type: boolean`.
    Checkbox,
    /// Anything else (arrays, objects, several types): edited as JSON text.
    Json,
}

/// One property of the configuration as a form field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormField {
    /// The property name (the configuration's key).
    pub name: String,
    /// `title`, else the property name.
    pub label: String,
    /// `description`.
    pub help: Option<String>,
    pub kind: FieldKind,
    /// In the schema's own `required`.
    pub required: bool,
    pub default: Option<Value>,
}

/// `if: {properties: {field: {const: value}}}`: while `field` is `value`, the `then` branch's
/// `required` members are required and its members whose schema is `false` are excluded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub field: String,
    pub value: Value,
    pub requires: Vec<String>,
    pub excludes: Vec<String>,
}

/// A configuration form: its fields in display order and the conditions between them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigForm {
    pub fields: Vec<FormField>,
    pub conditions: Vec<Condition>,
}

/// The form's inputs as typed: property name → text (a checkbox posts `on` when ticked and
/// nothing when not).
pub type Inputs = BTreeMap<String, String>;

impl ConfigForm {
    /// The form of an object schema (a schema without `properties` has no fields).
    pub fn from_schema(schema: &Value) -> ConfigForm {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut fields: Vec<FormField> = schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|properties| {
                properties
                    .iter()
                    .map(|(name, sub)| field(name, sub, required.contains(&name.as_str())))
                    .collect()
            })
            .unwrap_or_default();
        let conditions = conditions(schema);
        fields.sort_by_key(|f| order(f, &conditions));
        ConfigForm { fields, conditions }
    }

    pub fn field(&self, name: &str) -> Option<&FormField> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The conditions that hold for these inputs.
    fn active<'a>(&'a self, inputs: &'a Inputs) -> impl Iterator<Item = &'a Condition> + 'a {
        self.conditions.iter().filter(move |c| {
            inputs.get(&c.field).is_some_and(|text| {
                self.field(&c.field)
                    .and_then(|f| value_of(f, text).ok().flatten())
                    .is_some_and(|v| v == c.value)
            })
        })
    }

    /// Whether `name` belongs in the form for these inputs (no condition that holds excludes it).
    pub fn shown(&self, name: &str, inputs: &Inputs) -> bool {
        !self
            .active(inputs)
            .any(|c| c.excludes.iter().any(|e| e == name))
    }

    /// Whether `name` must be given for these inputs.
    pub fn required(&self, name: &str, inputs: &Inputs) -> bool {
        self.field(name).is_some_and(|f| f.required)
            || self
                .active(inputs)
                .any(|c| c.requires.iter().any(|r| r == name))
    }

    /// The fields that hold a condition's choice (`transport`), whose change shows and hides
    /// others.
    pub fn controls(&self, name: &str) -> bool {
        self.conditions.iter().any(|c| c.field == name)
    }

    /// The inputs of a configuration: each field's value as text, or its default when the
    /// configuration does not have it.
    pub fn inputs(&self, config: &Value) -> Inputs {
        self.fields
            .iter()
            .filter_map(|f| {
                let value = config.get(&f.name).or(f.default.as_ref())?;
                let text = text_of(f, value)?;
                Some((f.name.clone(), text))
            })
            .collect()
    }

    /// The configuration the inputs say: blank inputs and the fields the chosen options exclude
    /// are left out, numbers are numbers and choices their schema values. An input that cannot be
    /// read (a number that is not one, JSON that is not JSON) is a problem at the field's pointer,
    /// and left out.
    pub fn config(&self, inputs: &Inputs) -> (Value, Vec<ConfigProblem>) {
        let mut config = Map::new();
        let mut problems = Vec::new();
        for f in &self.fields {
            if !self.shown(&f.name, inputs) {
                continue;
            }
            let text = inputs.get(&f.name).map_or("", String::as_str);
            match value_of(f, text) {
                Ok(Some(value)) => {
                    config.insert(f.name.clone(), value);
                }
                Ok(None) => {}
                Err((rule, message)) => problems.push(ConfigProblem {
                    pointer: format!("/{}", escape(&f.name)),
                    rule: rule.into(),
                    message,
                }),
            }
        }
        // Inputs of no field (a hand-made post): kept, so the schema reports them.
        for (name, text) in inputs {
            if self.field(name).is_none() && !text.is_empty() {
                config.insert(name.clone(), Value::String(text.clone()));
            }
        }
        (Value::Object(config), problems)
    }
}

/// The field a problem belongs to: the first segment of its pointer (`/register_map/0/address`
/// → `register_map`); none for a problem of the whole configuration.
pub fn problem_field(pointer: &str) -> Option<String> {
    let first = pointer.strip_prefix('/')?.split('/').next()?;
    (!first.is_empty()).then(|| first.replace("~1", "/").replace("~0", "~"))
}

/// A choice's value as the text of its option (`tcp`, `9600`).
pub fn option_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

fn field(name: &str, schema: &Value, required: bool) -> FormField {
    let text = |key: &str| schema.get(key).and_then(Value::as_str).map(str::to_string);
    let number = |key: &str| schema.get(key).and_then(Value::as_f64);
    let count = |key: &str| schema.get(key).and_then(Value::as_u64);
    let options = schema
        .get("enum")
        .and_then(Value::as_array)
        .cloned()
        .or_else(|| schema.get("const").map(|c| vec![c.clone()]));
    let kind = match (options, schema.get("type").and_then(Value::as_str)) {
        (Some(options), _) if options.iter().all(is_scalar) => FieldKind::Choice { options },
        (Some(_), _) => FieldKind::Json,
        (None, Some("integer")) => FieldKind::Integer {
            minimum: number("minimum"),
            maximum: number("maximum"),
        },
        (None, Some("number")) => FieldKind::Number {
            minimum: number("minimum"),
            maximum: number("maximum"),
        },
        (None, Some("string")) => FieldKind::Text {
            min_length: count("minLength"),
            max_length: count("maxLength"),
            pattern: text("pattern"),
        },
        (None, Some("boolean")) => FieldKind::Checkbox,
        _ => FieldKind::Json,
    };
    FormField {
        name: name.to_string(),
        label: text("title").unwrap_or_else(|| name.to_string()),
        help: text("description"),
        kind,
        required,
        default: schema.get("default").cloned(),
    }
}

fn is_scalar(value: &Value) -> bool {
    matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

/// The `if`/`then` pairs of the schema itself and of its `allOf` whose `if` is one member's
/// `const` (or one-value `enum`); other conditions are left to the validator.
fn conditions(schema: &Value) -> Vec<Condition> {
    let mut branches = vec![schema];
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        branches.extend(all);
    }
    branches.into_iter().filter_map(condition).collect()
}

fn condition(branch: &Value) -> Option<Condition> {
    let when = branch.get("if")?.get("properties")?.as_object()?;
    let then = branch.get("then")?;
    let [(field, test)] = when.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let value = test
        .get("const")
        .cloned()
        .or_else(|| match test.get("enum") {
            Some(Value::Array(values)) if values.len() == 1 => Some(values[0].clone()),
            _ => None,
        })?;
    let names = |list: Option<&Value>| -> Vec<String> {
        list.and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let excludes = then
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| {
            p.iter()
                .filter(|(_, s)| **s == Value::Bool(false))
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default();
    Some(Condition {
        field: field.clone(),
        value,
        requires: names(then.get("required")),
        excludes,
    })
}

/// Display order (`serde_json` keeps no key order): the fields that choose (transport) first,
/// then the fields of each choice in the conditions' order (those it requires first), then the
/// other inputs by name, then the JSON fields.
fn order(field: &FormField, conditions: &[Condition]) -> (u8, usize, u8, String) {
    let name = field.name.clone();
    if conditions.iter().any(|c| c.field == field.name) {
        return (0, 0, 0, name);
    }
    // The choice a field belongs to: the first condition that does not exclude it, of those
    // fields that some condition excludes.
    let excluded = conditions.iter().any(|c| c.excludes.contains(&field.name));
    if excluded
        && let Some(i) = conditions
            .iter()
            .position(|c| !c.excludes.contains(&field.name))
    {
        let required_first = u8::from(!conditions[i].requires.contains(&field.name));
        return (1, i, required_first, name);
    }
    let json = u8::from(field.kind == FieldKind::Json);
    (2 + json, 0, 0, name)
}

/// The text an input shows for a value; none when the field cannot show it (then it is blank).
fn text_of(field: &FormField, value: &Value) -> Option<String> {
    match (&field.kind, value) {
        (FieldKind::Choice { .. }, v) => Some(option_text(v)),
        (FieldKind::Checkbox, Value::Bool(b)) => b.then(|| "on".to_string()),
        (FieldKind::Json, v) => serde_json::to_string_pretty(v).ok(),
        (_, Value::String(s)) => Some(s.clone()),
        (_, Value::Number(n)) => Some(n.to_string()),
        (_, other) => Some(other.to_string()),
    }
}

/// An input's value: none when blank; an error (rule, words) when it cannot be read.
fn value_of(field: &FormField, text: &str) -> Result<Option<Value>, (&'static str, String)> {
    if field.kind == FieldKind::Checkbox {
        return Ok(Some(Value::Bool(matches!(text, "on" | "true"))));
    }
    if text.trim().is_empty() {
        return Ok(None);
    }
    match &field.kind {
        FieldKind::Choice { options } => Ok(Some(
            options
                .iter()
                .find(|o| option_text(o) == text)
                .cloned()
                .unwrap_or_else(|| Value::String(text.to_string())),
        )),
        FieldKind::Integer { .. } | FieldKind::Number { .. } => {
            let trimmed = text.trim();
            let number = trimmed.parse::<i64>().map(Value::from).ok().or_else(|| {
                trimmed
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
            });
            // Text that is no number goes to the schema as text: its `type` rule names it.
            Ok(Some(
                number.unwrap_or_else(|| Value::String(text.to_string())),
            ))
        }
        FieldKind::Text { .. } => Ok(Some(Value::String(text.to_string()))),
        FieldKind::Json => serde_json::from_str(text)
            .map(Some)
            .map_err(|e| (JSON_RULE, format!("not JSON: {e}"))),
        FieldKind::Checkbox => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn modbus_like() -> Value {
        json!({
            "type": "object",
            "properties": {
                "transport": {"title": "Transport", "description": "TCP or RTU",
                              "enum": ["tcp", "rtu"], "default": "tcp"},
                "host": {"title": "Host", "type": "string", "minLength": 1, "maxLength": 253,
                         "pattern": "^[A-Za-z0-9.:-]+$"},
                "port": {"title": "TCP port", "type": "integer", "minimum": 1,
                         "maximum": 65535, "default": 502},
                "serial_port": {"type": "string", "minLength": 2},
                "baudrate": {"enum": [9600, 19200], "default": 9600},
                "unit_id": {"type": "integer", "minimum": 1, "maximum": 247, "default": 1},
                "scale": {"type": "number", "minimum": 0.5},
                "invert": {"type": "boolean", "default": true},
                "register_map": {"type": "array", "items": {"type": "object"}}
            },
            "required": ["transport", "unit_id"],
            "additionalProperties": false,
            "allOf": [
                {"if": {"properties": {"transport": {"const": "tcp"}}, "required": ["transport"]},
                 "then": {"required": ["host"],
                          "properties": {"serial_port": false, "baudrate": false}}},
                {"if": {"properties": {"transport": {"const": "rtu"}}, "required": ["transport"]},
                 "then": {"required": ["serial_port"],
                          "properties": {"host": false, "port": false}}}
            ]
        })
    }

    fn inputs(pairs: &[(&str, &str)]) -> Inputs {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn each_keyword_becomes_its_input() {
        let form = ConfigForm::from_schema(&modbus_like());
        let names: Vec<&str> = form.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "transport",
                "host",
                "port",
                "serial_port",
                "baudrate",
                "invert",
                "scale",
                "unit_id",
                "register_map"
            ]
        );
        let transport = form.field("transport").unwrap();
        assert_eq!(
            transport.kind,
            FieldKind::Choice {
                options: vec![json!("tcp"), json!("rtu")]
            }
        );
        assert_eq!(
            (transport.label.as_str(), transport.help.as_deref()),
            ("Transport", Some("TCP or RTU"))
        );
        assert!(transport.required);
        assert_eq!(
            form.field("port").unwrap().kind,
            FieldKind::Integer {
                minimum: Some(1.0),
                maximum: Some(65535.0)
            }
        );
        assert_eq!(
            form.field("scale").unwrap().kind,
            FieldKind::Number {
                minimum: Some(0.5),
                maximum: None
            }
        );
        assert_eq!(
            form.field("host").unwrap().kind,
            FieldKind::Text {
                min_length: Some(1),
                max_length: Some(253),
                pattern: Some("^[A-Za-z0-9.:-]+$".into())
            }
        );
        assert_eq!(form.field("invert").unwrap().kind, FieldKind::Checkbox);
        // Untitled: the property name is the label.
        assert_eq!(form.field("serial_port").unwrap().label, "serial_port");
        // No input for an array: edited as JSON, not dropped.
        assert_eq!(form.field("register_map").unwrap().kind, FieldKind::Json);
        assert!(!form.field("port").unwrap().required);
    }

    #[test]
    fn defaults_fill_the_inputs_and_values_win_over_them() {
        let form = ConfigForm::from_schema(&modbus_like());
        let filled = form.inputs(&json!({}));
        assert_eq!(
            filled,
            inputs(&[
                ("baudrate", "9600"),
                ("invert", "on"),
                ("port", "502"),
                ("transport", "tcp"),
                ("unit_id", "1")
            ])
        );
        let filled = form.inputs(&json!({"transport": "rtu", "serial_port": "/dev/ttyUSB0",
                                         "register_map": [{"a": 1}], "invert": false}));
        assert_eq!(filled["transport"], "rtu");
        assert_eq!(filled["serial_port"], "/dev/ttyUSB0");
        assert!(!filled.contains_key("invert"));
        assert_eq!(
            serde_json::from_str::<Value>(&filled["register_map"]).unwrap(),
            json!([{"a": 1}])
        );
    }

    #[test]
    fn the_chosen_transport_shows_and_requires_its_fields() {
        let form = ConfigForm::from_schema(&modbus_like());
        assert!(form.controls("transport") && !form.controls("host"));
        let tcp = inputs(&[("transport", "tcp")]);
        assert!(form.shown("host", &tcp) && form.shown("port", &tcp));
        assert!(!form.shown("serial_port", &tcp) && !form.shown("baudrate", &tcp));
        assert!(form.required("host", &tcp) && !form.required("serial_port", &tcp));
        let rtu = inputs(&[("transport", "rtu")]);
        assert!(!form.shown("host", &rtu) && form.shown("serial_port", &rtu));
        assert!(form.required("serial_port", &rtu) && form.required("unit_id", &rtu));
        // No transport chosen: every field is shown, none conditionally required.
        let none = Inputs::new();
        assert!(form.shown("host", &none) && form.shown("serial_port", &none));
        assert!(!form.required("host", &none));
    }

    #[test]
    fn inputs_become_the_configuration() {
        let form = ConfigForm::from_schema(&modbus_like());
        let (config, problems) = form.config(&inputs(&[
            ("transport", "tcp"),
            ("host", "10.0.0.5"),
            ("port", "502"),
            ("serial_port", "/dev/ttyUSB0"),
            ("baudrate", "19200"),
            ("unit_id", "3"),
            ("scale", "0.75"),
            ("register_map", "[]"),
        ]));
        assert_eq!(problems, []);
        // The RTU fields are left out under TCP; a blank or unticked checkbox is false.
        assert_eq!(
            config,
            json!({"transport": "tcp", "host": "10.0.0.5", "port": 502, "unit_id": 3,
                   "scale": 0.75, "invert": false, "register_map": []})
        );
        let (config, _) = form.config(&inputs(&[
            ("transport", "rtu"),
            ("host", "h"),
            ("serial_port", "/dev/x"),
            ("baudrate", "19200"),
            ("invert", "on"),
        ]));
        assert_eq!(
            config,
            json!({"transport": "rtu", "serial_port": "/dev/x", "baudrate": 19200, "invert": true})
        );
    }

    #[test]
    fn unreadable_inputs_are_named_by_pointer_and_rule() {
        let form = ConfigForm::from_schema(&modbus_like());
        let (config, problems) = form.config(&inputs(&[
            ("transport", "tcp"),
            ("port", "five"),
            ("register_map", "[{"),
            ("hots", "x"),
        ]));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            (problems[0].pointer.as_str(), problems[0].rule.as_str()),
            ("/register_map", JSON_RULE)
        );
        // A number that is not one goes to the schema as text (its `type` rule reports it); an
        // input of no field is kept for `additionalProperties` to report.
        assert_eq!(config["port"], json!("five"));
        assert_eq!(config["hots"], json!("x"));
    }

    #[cfg(feature = "schema")]
    #[test]
    fn the_validator_reports_what_the_form_marks() {
        use super::super::validate_config;
        let schema = modbus_like();
        let form = ConfigForm::from_schema(&schema);
        let (config, _) = form.config(&inputs(&[
            ("transport", "tcp"),
            ("port", "70000"),
            ("unit_id", "1"),
        ]));
        let mut found: Vec<(Option<String>, String)> = validate_config(&schema, &config)
            .into_iter()
            .map(|p| (problem_field(&p.pointer), p.rule))
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                (Some("host".into()), "required".into()),
                (Some("port".into()), "maximum".into())
            ]
        );
    }

    #[test]
    fn problems_belong_to_their_top_level_field() {
        assert_eq!(
            problem_field("/register_map/0/address").as_deref(),
            Some("register_map")
        );
        assert_eq!(problem_field("/a~1b").as_deref(), Some("a/b"));
        assert_eq!(problem_field(""), None);
        assert_eq!(option_text(&json!(9600)), "9600");
        assert_eq!(option_text(&json!("tcp")), "tcp");
    }

    #[test]
    fn other_if_shapes_and_non_scalar_enums_are_left_to_the_validator() {
        let form = ConfigForm::from_schema(&json!({
            "properties": {"mode": {"enum": [[1], [2]]}, "any": {}},
            "allOf": [{"if": {"required": ["mode"]}, "then": {"required": ["any"]}}]
        }));
        assert_eq!(form.conditions, []);
        assert_eq!(form.field("mode").unwrap().kind, FieldKind::Json);
        assert_eq!(form.field("any").unwrap().kind, FieldKind::Json);
    }
}
