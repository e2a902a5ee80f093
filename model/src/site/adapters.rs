//! Adapter types as data (seed 002 §4.1 `adapter_base`, §5): what a type is (category,
//! transports, whether this build can drive it, where its register map comes from), the shapes
//! of its register map, and the validation of an instance configuration against the type's JSON
//! Schema. The validation (feature `schema`) is the `jsonschema` crate's, so the server and,
//! where it opts in, the browser (this crate compiles to WASM) report the very same problems: a
//! JSON pointer, the broken keyword and a message.

use fieldbus::{DataType, RegisterTable, WordOrder};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ids;
use super::quantity::Quantity;

pub mod form;
use super::spec::DeviceCategory;

/// How an adapter reaches its device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// Modbus TCP.
    Tcp,
    /// Modbus RTU on a serial line (RS485).
    Rtu,
    /// CAN bus.
    Can,
    /// Bluetooth Low Energy.
    Ble,
}

impl Transport {
    pub const ALL: [Transport; 4] = [
        Transport::Tcp,
        Transport::Rtu,
        Transport::Can,
        Transport::Ble,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Rtu => "rtu",
            Transport::Can => "can",
            Transport::Ble => "ble",
        }
    }

    /// Whether this build has a driver for the transport (there is no Bluetooth stack).
    pub const fn drivable(self) -> bool {
        !matches!(self, Transport::Ble)
    }
}

/// A public document an adapter type's register map comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Citation {
    pub title: String,
    pub url: String,
}

/// One adapter type, as its file in `services/adapters/` holds it and `adapter_base` stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdapterType {
    /// The key (`simulator_inverter`, `sunspec_meter`); an id slug.
    pub adapter_type: String,
    /// Raised whenever the file changes; the stored row is replaced only by a newer version.
    pub version: u32,
    /// The kind of device the type serves; none for a generic type that serves any kind
    /// (`modbus_generic`: the instance's device decides, and its register map is checked
    /// against that device's category with `check_entry`).
    pub device_category: Option<DeviceCategory>,
    pub name: String,
    pub description: String,
    pub supported_transports: Vec<Transport>,
    /// False when this build cannot drive the type (e.g. Bluetooth): it is listed, never offered
    /// as working.
    pub drivable: bool,
    /// Why the type is not drivable; present exactly when `drivable` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_drivable_reason: Option<String>,
    /// The JSON Schema (draft 2020-12) of an instance configuration.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub config_schema: Value,
    /// A configuration valid against `config_schema`, the starting point of a new instance.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub default_config: Value,
    /// Where the standard quantities sit on the device. Empty when the instance configuration
    /// carries its own (`modbus_generic`). A quantity may be listed once per SunSpec model
    /// (inverter models 101, 102 and 103): the first model the device has is read.
    #[serde(default)]
    pub register_map: Vec<RegisterMapEntry>,
    /// The public documents the register map and the defaults come from.
    pub sources: Vec<Citation>,
}

impl AdapterType {
    /// Whether the type can serve a device of `category`.
    pub fn serves(&self, category: DeviceCategory) -> bool {
        self.device_category.is_none_or(|c| c == category)
    }
}

/// Where one standard quantity sits on a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum RegisterMapEntry {
    /// At a fixed register address.
    Register(RegisterPoint),
    /// A point of a SunSpec model, found by walking the device's model chain.
    Sunspec(SunspecPoint),
}

impl RegisterMapEntry {
    pub fn quantity(&self) -> Quantity {
        match self {
            RegisterMapEntry::Register(point) => point.quantity,
            RegisterMapEntry::Sunspec(point) => point.quantity,
        }
    }
}

/// A quantity at a fixed address: value = raw × `scale` + `offset`. In JSON:
/// `{"quantity": "grid_power_w", "table": "input", "address": 2, "data_type": "i16"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterPoint {
    pub quantity: Quantity,
    /// `holding` or `input`.
    pub table: RegisterTable,
    /// The protocol address (0-based) of the first register.
    pub address: u16,
    pub data_type: DataType,
    #[serde(default)]
    pub word_order: WordOrder,
    #[serde(default = "one")]
    pub scale: f64,
    #[serde(default)]
    pub offset: f64,
    /// Consecutive values of a per-element quantity (cells, sensors); 1 for anything else.
    #[serde(default = "one_value")]
    pub count: u16,
}

/// A quantity as a SunSpec point: `{"quantity": "pv_power_w", "model": 103, "point": "DCW"}`.
/// The point's own scale factor (its `sunssf` point) applies first, then `scale` (e.g. 0.01 to
/// turn SunSpec's power factor in percent into a ratio).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SunspecPoint {
    pub quantity: Quantity,
    /// The SunSpec model id (103 = three-phase inverter).
    pub model: u16,
    /// The point name exactly as the SunSpec model definition spells it (`PhVphA`, `TotWhImp`).
    pub point: String,
    #[serde(default = "one")]
    pub scale: f64,
}

fn one() -> f64 {
    1.0
}

fn one_value() -> u16 {
    1
}

/// What is wrong with an adapter type's definition itself (not with an instance configuration);
/// the words name the field. Empty when the definition is sound.
pub fn check_adapter_type(adapter: &AdapterType) -> Vec<String> {
    let mut problems = Vec::new();
    if let Err(e) = ids::check_id(&adapter.adapter_type) {
        problems.push(format!("adapter_type: {e}"));
    }
    if adapter.version == 0 {
        problems.push("version: starts at 1".into());
    }
    if adapter.supported_transports.is_empty() {
        problems.push("supported_transports: name at least one transport".into());
    }
    let build_drives = adapter.supported_transports.iter().all(|t| t.drivable());
    match (adapter.drivable, &adapter.not_drivable_reason) {
        (true, _) if !build_drives => problems.push(
            "drivable: this build has no driver for every supported transport (Bluetooth)".into(),
        ),
        (true, Some(_)) => {
            problems.push("not_drivable_reason: only for a type not drivable".into())
        }
        (false, None) => {
            problems.push("not_drivable_reason: say why the type is not drivable".into())
        }
        _ => {}
    }
    if adapter.sources.is_empty() && !adapter.register_map.is_empty() {
        problems.push("sources: cite the public register documentation".into());
    }
    problems.extend(check_register_map(adapter));
    problems
}

/// The register map's own problems: entries that do not fit the category, and quantities
/// mapped twice (except once per SunSpec model).
fn check_register_map(adapter: &AdapterType) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(category) = adapter.device_category else {
        if !adapter.register_map.is_empty() {
            problems
                .push("register_map: a generic type's map is in the instance configuration".into());
        }
        return problems;
    };
    for (index, entry) in adapter.register_map.iter().enumerate() {
        let earlier = &adapter.register_map[..index];
        if earlier.iter().any(|e| same_place(e, entry)) {
            problems.push(format!(
                "register_map/{index}: {} is mapped twice",
                entry.quantity()
            ));
        }
        problems.extend(
            check_entry(entry, category)
                .into_iter()
                .map(|p| format!("register_map/{index}: {p}")),
        );
    }
    problems
}

/// Whether two entries map the same quantity for the same device: always, unless both are
/// points of different SunSpec models (a device has one of them).
fn same_place(a: &RegisterMapEntry, b: &RegisterMapEntry) -> bool {
    match (a, b) {
        (RegisterMapEntry::Sunspec(a), RegisterMapEntry::Sunspec(b)) => {
            a.quantity == b.quantity && a.model == b.model
        }
        _ => a.quantity() == b.quantity(),
    }
}

/// What is wrong with one register-map entry of an adapter of `category`.
pub fn check_entry(entry: &RegisterMapEntry, category: DeviceCategory) -> Vec<String> {
    let mut problems = Vec::new();
    let quantity = entry.quantity();
    if !quantity.applies_to(category) {
        problems.push(format!(
            "{quantity} is not a quantity of a {} adapter",
            category.as_str()
        ));
    }
    let scale = match entry {
        RegisterMapEntry::Register(point) => {
            problems.extend(check_register_point(point));
            point.scale
        }
        RegisterMapEntry::Sunspec(point) => {
            if point.point.is_empty() {
                problems.push("point: name the SunSpec point".into());
            }
            point.scale
        }
    };
    if !scale.is_finite() || scale == 0.0 {
        problems.push(format!("scale: {scale} is not a usable factor"));
    }
    problems
}

fn check_register_point(point: &RegisterPoint) -> Vec<String> {
    let mut problems = Vec::new();
    if !matches!(point.table, RegisterTable::Holding | RegisterTable::Input) {
        problems.push("table: a quantity is read from holding or input registers".into());
    }
    if point.data_type == DataType::Bool {
        problems.push("data_type: a quantity is a number, not a bool".into());
    }
    if point.count == 0 || (point.count > 1 && !point.quantity.per_element()) {
        problems.push(format!(
            "count: {} is one value per device; count must be 1",
            point.quantity
        ));
    }
    let end = u32::from(point.address)
        + u32::from(point.count.max(1)) * u32::from(point.data_type.registers());
    if end > 1 << 16 {
        problems.push(format!(
            "address: the values run past register 65535 (to {})",
            end - 1
        ));
    }
    if !point.offset.is_finite() {
        problems.push("offset: must be a finite number".into());
    }
    problems
}

/// One thing wrong with a configuration: where (`pointer`, a JSON pointer into the
/// configuration; for a missing or unexpected member, the member's own pointer), which rule
/// (`rule`, the JSON Schema keyword: `required`, `minimum`, `enum`, ...) and in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfigProblem {
    pub pointer: String,
    pub rule: String,
    pub message: String,
}

/// The rule of a `ConfigProblem` that says the schema itself does not compile.
pub const SCHEMA_RULE: &str = "schema";

/// A compiled configuration schema, to check many configurations against one type.
#[cfg(feature = "schema")]
pub struct ConfigValidator {
    validator: jsonschema::Validator,
}

#[cfg(feature = "schema")]
impl std::fmt::Debug for ConfigValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConfigValidator")
    }
}

#[cfg(feature = "schema")]
impl ConfigValidator {
    /// Compiles `schema` (checked against its meta-schema first). The error's pointer is into
    /// the schema.
    pub fn new(schema: &Value) -> Result<ConfigValidator, ConfigProblem> {
        jsonschema::validator_for(schema)
            .map(|validator| ConfigValidator { validator })
            .map_err(|error| ConfigProblem {
                pointer: error.instance_path().as_str().to_string(),
                rule: SCHEMA_RULE.into(),
                message: format!("the schema does not compile: {error}"),
            })
    }

    /// Every problem of `config`, in the order the schema finds them; empty when it is valid.
    pub fn problems(&self, config: &Value) -> Vec<ConfigProblem> {
        self.validator
            .iter_errors(config)
            .flat_map(|error| problems_of(&error))
            .collect()
    }
}

/// Every problem of `config` against `schema`; a schema that does not compile is one problem
/// with the rule `schema`.
#[cfg(feature = "schema")]
pub fn validate_config(schema: &Value, config: &Value) -> Vec<ConfigProblem> {
    match ConfigValidator::new(schema) {
        Ok(validator) => validator.problems(config),
        Err(problem) => vec![problem],
    }
}

/// One validation error as problems: a missing member and each unexpected member get their
/// own pointer, so a form can put the message beside the field.
#[cfg(feature = "schema")]
fn problems_of(error: &jsonschema::ValidationError<'_>) -> Vec<ConfigProblem> {
    let at = error.instance_path().as_str();
    let rule = error.kind().keyword().to_string();
    let message = error.to_string();
    match error.kind() {
        jsonschema::error::ValidationErrorKind::Required { property } => {
            let name = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_string);
            vec![ConfigProblem {
                pointer: format!("{at}/{}", escape_pointer(&name)),
                rule,
                message,
            }]
        }
        jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|name| ConfigProblem {
                pointer: format!("{at}/{}", escape_pointer(name)),
                rule: rule.clone(),
                message: format!("{name:?} is not a setting of this adapter type"),
            })
            .collect(),
        _ => vec![ConfigProblem {
            pointer: at.to_string(),
            rule,
            message,
        }],
    }
}

/// A member name as a JSON pointer segment (RFC 6901: `~` → `~0`, `/` → `~1`).
#[cfg(feature = "schema")]
fn escape_pointer(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Every `default` in `schema` that breaks its own subschema (a form would offer a value the
/// server refuses). Pointers are into the schema, e.g. `/properties/port/default`. Walks
/// `properties`, `items`, `allOf`/`anyOf`/`oneOf`, `then` and `else`.
#[cfg(feature = "schema")]
pub fn schema_default_problems(schema: &Value) -> Vec<ConfigProblem> {
    let mut problems = Vec::new();
    collect_default_problems(schema, "", &mut problems);
    problems
}

#[cfg(feature = "schema")]
fn collect_default_problems(node: &Value, at: &str, problems: &mut Vec<ConfigProblem>) {
    let Some(object) = node.as_object() else {
        return;
    };
    if let Some(default) = object.get("default") {
        for mut problem in validate_config(node, default) {
            problem.pointer = format!("{at}/default{}", problem.pointer);
            problems.push(problem);
        }
    }
    for (keyword, child) in object {
        match (keyword.as_str(), child) {
            ("properties", Value::Object(members)) => {
                for (name, sub) in members {
                    let here = format!("{at}/properties/{}", escape_pointer(name));
                    collect_default_problems(sub, &here, problems);
                }
            }
            ("allOf" | "anyOf" | "oneOf", Value::Array(branches)) => {
                for (index, sub) in branches.iter().enumerate() {
                    collect_default_problems(sub, &format!("{at}/{keyword}/{index}"), problems);
                }
            }
            ("items" | "then" | "else", sub) => {
                collect_default_problems(sub, &format!("{at}/{keyword}"), problems);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A configuration schema shaped like the built-in types': a transport chooses which
    /// members are required (if/then), the rest are typed and bounded.
    fn transport_schema() -> Value {
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "transport": {"enum": ["tcp", "rtu"]},
                "host": {"type": "string", "minLength": 1, "maxLength": 253,
                         "pattern": "^[A-Za-z0-9.-]+$"},
                "port": {"type": "integer", "minimum": 1, "maximum": 65535, "default": 502},
                "serial_port": {"type": "string", "minLength": 1},
                "baudrate": {"enum": [9600, 19200, 115200], "default": 9600},
                "unit_id": {"type": "integer", "minimum": 1, "maximum": 247, "default": 1}
            },
            "required": ["transport", "unit_id"],
            "additionalProperties": false,
            "allOf": [
                {"if": {"properties": {"transport": {"const": "tcp"}}},
                 "then": {"required": ["host"]}},
                {"if": {"properties": {"transport": {"const": "rtu"}}},
                 "then": {"required": ["serial_port"]}}
            ]
        })
    }

    /// The (pointer, rule) pairs of the problems of `config`.
    fn rules(schema: &Value, config: Value) -> Vec<(String, String)> {
        validate_config(schema, &config)
            .into_iter()
            .map(|p| (p.pointer, p.rule))
            .collect()
    }

    fn one(pointer: &str, rule: &str) -> Vec<(String, String)> {
        vec![(pointer.to_string(), rule.to_string())]
    }

    #[test]
    fn a_valid_configuration_has_no_problems() {
        let schema = transport_schema();
        let tcp = json!({"transport": "tcp", "host": "10.0.0.5", "port": 502, "unit_id": 1});
        assert_eq!(validate_config(&schema, &tcp), []);
        let rtu = json!({"transport": "rtu", "serial_port": "/dev/ttyUSB0", "unit_id": 247});
        assert_eq!(validate_config(&schema, &rtu), []);
    }

    #[test]
    fn type_enum_and_bounds_name_the_member_and_the_keyword() {
        let schema = transport_schema();
        let base = |key: &str, value: Value| {
            let mut config = json!({"transport": "tcp", "host": "h", "unit_id": 1});
            config[key] = value;
            config
        };
        assert_eq!(
            rules(&schema, base("port", json!("502"))),
            one("/port", "type")
        );
        assert_eq!(
            rules(&schema, base("port", json!(0))),
            one("/port", "minimum")
        );
        assert_eq!(
            rules(&schema, base("port", json!(70000))),
            one("/port", "maximum")
        );
        assert_eq!(
            rules(&schema, base("baudrate", json!(4800))),
            one("/baudrate", "enum")
        );
        assert_eq!(
            rules(&schema, base("transport", json!("ble"))),
            one("/transport", "enum")
        );
        assert_eq!(
            rules(&schema, base("unit_id", json!(248))),
            one("/unit_id", "maximum")
        );
    }

    #[test]
    fn string_length_and_pattern() {
        let schema = transport_schema();
        let host = |h: Value| json!({"transport": "tcp", "host": h, "unit_id": 1});
        // An empty host breaks both rules that apply to it, and each is reported.
        assert_eq!(
            rules(&schema, host(json!(""))),
            [
                ("/host".to_string(), "minLength".to_string()),
                ("/host".to_string(), "pattern".to_string())
            ]
        );
        assert_eq!(
            rules(&schema, host(json!("a".repeat(254)))),
            one("/host", "maxLength")
        );
        assert_eq!(
            rules(&schema, host(json!("no spaces"))),
            one("/host", "pattern")
        );
    }

    #[test]
    fn a_missing_member_is_named_by_its_own_pointer() {
        let schema = transport_schema();
        let problems = validate_config(&schema, &json!({"transport": "tcp", "host": "h"}));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            (problems[0].pointer.as_str(), problems[0].rule.as_str()),
            ("/unit_id", "required")
        );
        assert!(
            problems[0].message.contains("unit_id"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn if_then_requires_the_members_of_the_chosen_transport() {
        let schema = transport_schema();
        assert_eq!(
            rules(&schema, json!({"transport": "tcp", "unit_id": 1})),
            one("/host", "required")
        );
        assert_eq!(
            rules(&schema, json!({"transport": "rtu", "unit_id": 1})),
            one("/serial_port", "required")
        );
    }

    #[test]
    fn every_unexpected_member_is_a_problem_of_its_own() {
        let schema = transport_schema();
        let config = json!({"transport": "tcp", "host": "h", "unit_id": 1, "hots": "x", "a/b": 1});
        let mut found = rules(&schema, config);
        found.sort();
        assert_eq!(
            found,
            [
                ("/a~1b".to_string(), "additionalProperties".to_string()),
                ("/hots".to_string(), "additionalProperties".to_string())
            ]
        );
    }

    #[test]
    fn one_of_is_reported_at_the_member_it_constrains() {
        let schema = json!({
            "type": "object",
            "properties": {
                "transport": {"oneOf": [
                    {"type": "object", "required": ["host"], "properties": {"host": {"type": "string"}}},
                    {"type": "object", "required": ["serial_port"]}
                ]}
            }
        });
        assert_eq!(
            rules(&schema, json!({"transport": {"port": 502}})),
            one("/transport", "oneOf")
        );
        assert_eq!(rules(&schema, json!({"transport": {"host": "h"}})), []);
        assert_eq!(
            rules(
                &schema,
                json!({"transport": {"host": "h", "serial_port": "p"}})
            ),
            one("/transport", "oneOf")
        );
    }

    #[test]
    fn problems_inside_arrays_carry_the_index() {
        let schema = json!({
            "type": "object",
            "properties": {"register_map": {"type": "array", "minItems": 1, "items": {
                "type": "object",
                "required": ["address"],
                "properties": {"address": {"type": "integer", "minimum": 0, "maximum": 65535}}
            }}}
        });
        assert_eq!(
            rules(
                &schema,
                json!({"register_map": [{"address": 1}, {"address": -1}]})
            ),
            one("/register_map/1/address", "minimum")
        );
        assert_eq!(
            rules(&schema, json!({"register_map": [{}]})),
            one("/register_map/0/address", "required")
        );
        assert_eq!(
            rules(&schema, json!({"register_map": []})),
            one("/register_map", "minItems")
        );
    }

    #[test]
    fn a_default_is_not_required_but_must_obey_its_own_rules() {
        let schema = transport_schema();
        // `port` has a default and is not required: leaving it out is fine.
        let config = json!({"transport": "tcp", "host": "h", "unit_id": 1});
        assert_eq!(validate_config(&schema, &config), []);
        assert_eq!(schema_default_problems(&schema), []);

        let mut broken = transport_schema();
        broken["properties"]["port"]["default"] = json!(0);
        broken["allOf"][0]["then"]["properties"] =
            json!({"host": {"type": "string", "default": 5}});
        let mut found: Vec<(String, String)> = schema_default_problems(&broken)
            .into_iter()
            .map(|p| (p.pointer, p.rule))
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                (
                    "/allOf/0/then/properties/host/default".to_string(),
                    "type".to_string()
                ),
                (
                    "/properties/port/default".to_string(),
                    "minimum".to_string()
                )
            ]
        );
    }

    #[test]
    fn a_schema_that_does_not_compile_is_one_problem() {
        let problems = validate_config(&json!({"type": "integr"}), &json!(1));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].rule, SCHEMA_RULE);
    }

    fn simulator_like_type() -> AdapterType {
        serde_json::from_value(json!({
            "adapter_type": "example_meter",
            "version": 1,
            "device_category": "meter",
            "name": "Example meter",
            "description": "An example",
            "supported_transports": ["tcp", "rtu"],
            "drivable": true,
            "config_schema": transport_schema(),
            "default_config": {"transport": "tcp", "host": "h", "unit_id": 1},
            "register_map": [
                {"quantity": "grid_power_w", "table": "input", "address": 9, "data_type": "i16"},
                {"quantity": "grid_import_wh", "table": "input", "address": 12,
                 "data_type": "u32", "scale": 100},
                {"quantity": "power_factor", "model": 203, "point": "PF", "scale": 0.01}
            ],
            "sources": [{"title": "A manual", "url": "https://example.com/manual.pdf"}]
        }))
        .unwrap()
    }

    #[test]
    fn register_map_entries_parse_by_their_shape() {
        let adapter = simulator_like_type();
        assert_eq!(check_adapter_type(&adapter), Vec::<String>::new());
        let RegisterMapEntry::Register(power) = &adapter.register_map[0] else {
            panic!("{:?}", adapter.register_map[0]);
        };
        assert_eq!((power.scale, power.offset, power.count), (1.0, 0.0, 1));
        assert_eq!(power.word_order, WordOrder::BigEndian);
        let RegisterMapEntry::Sunspec(pf) = &adapter.register_map[2] else {
            panic!("{:?}", adapter.register_map[2]);
        };
        assert_eq!((pf.model, pf.point.as_str(), pf.scale), (203, "PF", 0.01));
        // Round trip: what is written is read back the same.
        let again: AdapterType =
            serde_json::from_value(serde_json::to_value(&adapter).unwrap()).unwrap();
        assert_eq!(again, adapter);
        // A misspelled member is refused, not silently dropped.
        let typo =
            json!({"quantity": "pv_power_w", "table": "input", "adress": 1, "data_type": "u16"});
        assert!(serde_json::from_value::<RegisterMapEntry>(typo).is_err());
    }

    #[test]
    fn an_unsound_type_definition_is_reported() {
        let mut adapter = simulator_like_type();
        adapter.adapter_type = "Example Meter".into();
        adapter.supported_transports = vec![Transport::Ble];
        adapter.register_map.push(adapter.register_map[0].clone());
        adapter
            .register_map
            .push(RegisterMapEntry::Register(RegisterPoint {
                quantity: Quantity::CellVoltageV,
                table: RegisterTable::Coil,
                address: 65535,
                data_type: DataType::U16,
                word_order: WordOrder::BigEndian,
                scale: 0.0,
                offset: 0.0,
                count: 2,
            }));
        let problems = check_adapter_type(&adapter).join("\n");
        for expected in [
            "adapter_type:",
            "drivable: this build has no driver",
            "register_map/3: grid_power_w is mapped twice",
            "register_map/4: cell_voltage_v is not a quantity of a meter adapter",
            "register_map/4: table:",
            "register_map/4: address: the values run past register 65535",
            "register_map/4: scale: 0 is not a usable factor",
        ] {
            assert!(problems.contains(expected), "{expected} in\n{problems}");
        }

        adapter.drivable = false;
        let problems = check_adapter_type(&adapter).join("\n");
        assert!(
            problems.contains("not_drivable_reason: say why"),
            "{problems}"
        );
    }

    #[test]
    fn a_false_member_schema_refuses_a_member_of_the_other_transport() {
        let mut schema = transport_schema();
        schema["allOf"][1]["then"]["properties"] = json!({"host": false});
        let config = json!({"transport": "rtu", "serial_port": "/dev/ttyUSB0", "unit_id": 1,
                            "host": "h"});
        assert_eq!(rules(&schema, config), one("/host", "falseSchema"));
    }

    #[test]
    fn a_quantity_may_be_listed_once_per_sunspec_model() {
        let mut adapter = simulator_like_type();
        let sunspec = |model: u16| {
            RegisterMapEntry::Sunspec(SunspecPoint {
                quantity: Quantity::GridImportWh,
                model,
                point: "TotWhImp".into(),
                scale: 1.0,
            })
        };
        adapter.register_map = vec![sunspec(201), sunspec(203)];
        assert_eq!(check_adapter_type(&adapter), Vec::<String>::new());
        adapter.register_map.push(sunspec(203));
        assert_eq!(
            check_adapter_type(&adapter),
            ["register_map/2: grid_import_wh is mapped twice"]
        );

        adapter.device_category = None;
        let problems = check_adapter_type(&adapter).join("\n");
        assert!(problems.contains("a generic type's map"), "{problems}");
        adapter.register_map.clear();
        assert!(adapter.serves(DeviceCategory::Battery));
        assert_eq!(check_adapter_type(&adapter), Vec::<String>::new());
    }

    #[test]
    fn transports_are_spelled_as_their_str() {
        for transport in Transport::ALL {
            assert_eq!(serde_json::to_value(transport).unwrap(), transport.as_str());
        }
        assert!(!Transport::Ble.drivable() && Transport::Rtu.drivable());
    }
}
