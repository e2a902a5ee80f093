//! The built-in adapter types (seed 002 §4.1 `adapter_base`, §5): one JSON file per type in
//! `services/adapters/`, embedded in the binary, checked when loaded (the file parses, its
//! definition is sound, its schema compiles, its defaults obey it), and the catalog that checks
//! instance configurations against their type's JSON Schema.

use std::collections::BTreeMap;

use entity::site::adapter_base;
use model::error::AppError;
use model::site::adapters::{
    AdapterType, ConfigProblem, ConfigValidator, check_adapter_type, schema_default_problems,
};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, QuerySelect};
use serde_json::Value;

use crate::database::begin_write;
use crate::site::yaml::AdapterConfigCheck;

/// Every built-in type file: its name and its text. The name is the type's `adapter_type`.
const FILES: [(&str, &str); 8] = [
    (
        "jkbms_ble.json",
        include_str!("../../adapters/jkbms_ble.json"),
    ),
    (
        "modbus_generic.json",
        include_str!("../../adapters/modbus_generic.json"),
    ),
    (
        "simulator_bms.json",
        include_str!("../../adapters/simulator_bms.json"),
    ),
    (
        "simulator_inverter.json",
        include_str!("../../adapters/simulator_inverter.json"),
    ),
    (
        "simulator_meter.json",
        include_str!("../../adapters/simulator_meter.json"),
    ),
    (
        "sunspec_battery.json",
        include_str!("../../adapters/sunspec_battery.json"),
    ),
    (
        "sunspec_inverter.json",
        include_str!("../../adapters/sunspec_inverter.json"),
    ),
    (
        "sunspec_meter.json",
        include_str!("../../adapters/sunspec_meter.json"),
    ),
];

/// The rule of the problem `AdapterCatalog::validate` reports for a type it does not know.
pub const UNKNOWN_TYPE_RULE: &str = "adapter_type";

/// A type definition that cannot be used, with every reason found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("adapter type {name}: {}", .problems.join("; "))]
pub struct AdapterTypeError {
    /// The file name or the `adapter_type`.
    pub name: String,
    pub problems: Vec<String>,
}

/// Every built-in type, parsed and checked, in file name order.
pub fn builtin_types() -> Result<Vec<AdapterType>, AdapterTypeError> {
    FILES
        .iter()
        .map(|(file, text)| parse_type_file(file, text))
        .collect()
}

/// The built-in catalog, loaded and checked once per process (the console's and the API's
/// imports and checks share it).
pub fn builtin_catalog() -> Result<&'static AdapterCatalog, AppError> {
    static CATALOG: std::sync::LazyLock<Result<AdapterCatalog, String>> =
        std::sync::LazyLock::new(|| AdapterCatalog::builtin().map_err(|err| err.to_string()));
    CATALOG.as_ref().map_err(|err| {
        tracing::error!(error = %err, "the built-in adapter types do not load");
        AppError::Internal("the built-in adapter types do not load; see the server log".into())
    })
}

/// Parses one type file and checks it as `check_type` does; the type must be named as its file.
pub fn parse_type_file(file: &str, text: &str) -> Result<AdapterType, AdapterTypeError> {
    let failed = |problems: Vec<String>| AdapterTypeError {
        name: file.to_string(),
        problems,
    };
    let adapter: AdapterType =
        serde_json::from_str(text).map_err(|e| failed(vec![e.to_string()]))?;
    if file != format!("{}.json", adapter.adapter_type) {
        return Err(failed(vec![format!(
            "the file of type {:?} must be named {}.json",
            adapter.adapter_type, adapter.adapter_type
        )]));
    }
    check_type(&adapter).map_err(|e| failed(e.problems))?;
    Ok(adapter)
}

/// Checks a type definition and compiles its schema: the definition is sound
/// (`check_adapter_type`), the schema compiles, every `default` in it and the type's
/// `default_config` obey it.
pub fn check_type(adapter: &AdapterType) -> Result<ConfigValidator, AdapterTypeError> {
    let mut problems = check_adapter_type(adapter);
    let validator = ConfigValidator::new(&adapter.config_schema);
    let described = |p: ConfigProblem| format!("{} at {:?}: {}", p.rule, p.pointer, p.message);
    match &validator {
        Ok(validator) => {
            let defaults = validator.problems(&adapter.default_config);
            problems.extend(
                defaults
                    .into_iter()
                    .map(|p| format!("default_config: {}", described(p))),
            );
            problems.extend(
                schema_default_problems(&adapter.config_schema)
                    .into_iter()
                    .map(|p| format!("config_schema: {}", described(p))),
            );
        }
        Err(problem) => problems.push(format!("config_schema: {}", described(problem.clone()))),
    }
    match validator {
        Ok(validator) if problems.is_empty() => Ok(validator),
        _ => Err(AdapterTypeError {
            name: adapter.adapter_type.clone(),
            problems,
        }),
    }
}

/// The adapter types this server knows, each with its compiled schema.
#[derive(Debug)]
pub struct AdapterCatalog {
    types: BTreeMap<String, (AdapterType, ConfigValidator)>,
}

impl AdapterCatalog {
    /// The built-in types.
    pub fn builtin() -> Result<AdapterCatalog, AdapterTypeError> {
        AdapterCatalog::new(builtin_types()?)
    }

    /// A catalog of `types`, each checked with `check_type`; two types of one name are an error.
    pub fn new(types: Vec<AdapterType>) -> Result<AdapterCatalog, AdapterTypeError> {
        let mut catalog = BTreeMap::new();
        for adapter in types {
            let validator = check_type(&adapter)?;
            let name = adapter.adapter_type.clone();
            if catalog.insert(name.clone(), (adapter, validator)).is_some() {
                return Err(AdapterTypeError {
                    name,
                    problems: vec!["defined twice".into()],
                });
            }
        }
        Ok(AdapterCatalog { types: catalog })
    }

    pub fn get(&self, adapter_type: &str) -> Option<&AdapterType> {
        self.types.get(adapter_type).map(|(adapter, _)| adapter)
    }

    /// Every type, by `adapter_type`.
    pub fn list(&self) -> Vec<&AdapterType> {
        self.types.values().map(|(adapter, _)| adapter).collect()
    }

    /// Every problem of `config` against the schema of `adapter_type`; an unknown type is one
    /// problem with the rule `adapter_type`.
    pub fn validate(&self, adapter_type: &str, config: &Value) -> Vec<ConfigProblem> {
        match self.types.get(adapter_type) {
            Some((_, validator)) => validator.problems(config),
            None => vec![ConfigProblem {
                pointer: String::new(),
                rule: UNKNOWN_TYPE_RULE.into(),
                message: format!(
                    "{adapter_type:?} is not an adapter type (known: {})",
                    self.types.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            }],
        }
    }
}

/// The built-in types as the `config.yaml` reader's check: an unknown type and every schema
/// problem of a configuration are reported at their line in the file.
impl AdapterConfigCheck for AdapterCatalog {
    fn knows(&self, adapter_type: &str) -> bool {
        self.get(adapter_type).is_some()
    }

    fn check(&self, adapter_type: &str, config: &Value) -> Vec<(String, String)> {
        self.validate(adapter_type, config)
            .into_iter()
            .map(|problem| (problem.pointer, problem.message))
            .collect()
    }

    fn known_types(&self) -> Vec<String> {
        self.types.keys().cloned().collect()
    }
}

/// What `upsert_builtin_types` did, each list by `adapter_type`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpsertReport {
    /// Types the table did not have.
    pub inserted: Vec<String>,
    /// Rows replaced by a newer file version.
    pub updated: Vec<String>,
    /// Rows kept: the stored version is the file's or newer.
    pub unchanged: Vec<String>,
}

impl UpsertReport {
    /// Whether anything was written.
    pub fn changed(&self) -> bool {
        !self.inserted.is_empty() || !self.updated.is_empty()
    }
}

/// Writes the catalog's types into `adapter_base` in one write transaction: a missing type is
/// inserted; a stored one is replaced only when the file's `type_version` is newer; nothing is
/// deleted (an adapter instance may reference a type a newer build dropped).
pub async fn upsert_builtin_types(
    db: &DatabaseConnection,
    catalog: &AdapterCatalog,
) -> Result<UpsertReport, AppError> {
    let txn = begin_write(db).await?;
    let stored: BTreeMap<String, i32> = adapter_base::Entity::find()
        .select_only()
        .column(adapter_base::Column::AdapterType)
        .column(adapter_base::Column::TypeVersion)
        .into_tuple::<(String, i32)>()
        .all(&txn)
        .await?
        .into_iter()
        .collect();
    let now = chrono::Utc::now();
    let mut report = UpsertReport::default();
    for adapter in catalog.list() {
        let name = adapter.adapter_type.clone();
        let file_version = i32::try_from(adapter.version).map_err(|_| {
            AppError::Internal(format!(
                "adapter type {name}: version {} is too large",
                adapter.version
            ))
        })?;
        let row = adapter_base::ActiveModel {
            adapter_type: Set(name.clone()),
            device_category: Set(adapter.device_category),
            name: Set(adapter.name.clone()),
            description: Set(Some(adapter.description.clone())),
            config_schema: Set(adapter.config_schema.to_string()),
            supported_transports: Set(Some(to_json(&adapter.supported_transports)?)),
            default_config: Set(Some(adapter.default_config.to_string())),
            type_version: Set(file_version),
            drivable: Set(adapter.drivable),
            not_drivable_reason: Set(adapter.not_drivable_reason.clone()),
            register_map: Set(to_json(&adapter.register_map)?),
            sources: Set(to_json(&adapter.sources)?),
            version: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
        };
        match stored.get(&name) {
            None => {
                adapter_base::Entity::insert(row)
                    .exec_without_returning(&txn)
                    .await?;
                report.inserted.push(name);
            }
            Some(&old) if old < file_version => {
                let mut row = row;
                row.created_at = NotSet;
                row.update(&txn).await?;
                report.updated.push(name);
            }
            Some(_) => report.unchanged.push(name),
        }
    }
    txn.commit().await?;
    Ok(report)
}

fn to_json(value: &impl serde::Serialize) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|e| AppError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use devices::simulator::{self, bms, inverter, meter};
    use model::site::adapters::{RegisterMapEntry, RegisterPoint, Transport};
    use model::site::quantity::Quantity;
    use model::site::spec::DeviceCategory;
    use serde_json::json;

    use super::*;

    fn catalog() -> AdapterCatalog {
        AdapterCatalog::builtin().unwrap()
    }

    /// The (pointer, rule) pairs of the problems of `config` against `adapter_type`.
    fn rules(adapter_type: &str, config: Value) -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> = catalog()
            .validate(adapter_type, &config)
            .into_iter()
            .map(|p| (p.pointer, p.rule))
            .collect();
        found.sort();
        found
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(p, r)| (p.to_string(), r.to_string()))
            .collect()
    }

    #[test]
    fn every_type_file_parses_compiles_and_obeys_its_own_schema() {
        // builtin_types checks each file: definition, schema, defaults, default_config.
        let types = builtin_types().unwrap();
        let names: Vec<&str> = types.iter().map(|t| t.adapter_type.as_str()).collect();
        assert_eq!(
            names,
            [
                "jkbms_ble",
                "modbus_generic",
                "simulator_bms",
                "simulator_inverter",
                "simulator_meter",
                "sunspec_battery",
                "sunspec_inverter",
                "sunspec_meter",
            ]
        );
        for adapter in &types {
            assert_eq!(
                catalog().validate(&adapter.adapter_type, &adapter.default_config),
                []
            );
        }
    }

    #[test]
    fn a_broken_file_is_refused_with_its_reasons() {
        let (_, text) = FILES[2];
        let mut adapter: Value = serde_json::from_str(text).unwrap();
        adapter["default_config"]["unit_id"] = json!(0);
        adapter["config_schema"]["properties"]["port"]["default"] = json!("502");
        let error = parse_type_file("simulator_bms.json", &adapter.to_string()).unwrap_err();
        let reasons = error.problems.join("\n");
        assert!(
            reasons.contains("default_config: minimum at \"/unit_id\""),
            "{reasons}"
        );
        assert!(
            reasons.contains("config_schema: type at \"/properties/port/default\""),
            "{reasons}"
        );
        let misnamed = parse_type_file("simulator_meter.json", text).unwrap_err();
        assert!(
            misnamed
                .to_string()
                .contains("must be named simulator_bms.json"),
            "{misnamed}"
        );
        assert!(parse_type_file("x.json", "{").is_err());
    }

    #[test]
    fn only_bluetooth_is_listed_as_not_drivable() {
        let catalog = catalog();
        for adapter in catalog.list() {
            let ble = adapter.supported_transports.contains(&Transport::Ble);
            assert_eq!(adapter.drivable, !ble, "{}", adapter.adapter_type);
        }
        let jk = catalog.get("jkbms_ble").unwrap();
        assert_eq!(
            jk.not_drivable_reason.as_deref(),
            Some("Bluetooth is not supported by this build")
        );
    }

    #[test]
    fn transport_dependent_members_are_required_and_foreign_ones_refused() {
        assert_eq!(
            rules(
                "sunspec_meter",
                json!({"transport": "tcp", "unit_id": 1, "base_address": 40000})
            ),
            pairs(&[("/host", "required")])
        );
        assert_eq!(
            rules(
                "simulator_meter",
                json!({"transport": "rtu", "unit_id": 3, "serial_port": "/dev/ttyUSB0",
                       "port": 502, "baudrate": 115200})
            ),
            pairs(&[("/port", "falseSchema")])
        );
        assert_eq!(
            rules(
                "sunspec_inverter",
                json!({"transport": "tcp", "host": "10.0.0.2", "unit_id": 1, "base_address": 40001,
                       "parity": "none"})
            ),
            pairs(&[("/base_address", "enum"), ("/parity", "falseSchema")])
        );
        assert_eq!(
            rules(
                "simulator_inverter",
                json!({"transport": "can", "unit_id": 1})
            ),
            pairs(&[("/transport", "enum")])
        );
    }

    #[test]
    fn a_generic_register_map_is_checked_entry_by_entry() {
        let config = json!({
            "transport": "tcp", "host": "10.0.0.9", "unit_id": 1,
            "register_map": [
                {"quantity": "grid_power_w", "table": "holding", "address": 70000, "data_type": "i16"},
                {"quantity": "pv_power", "table": "coil", "address": 1, "data_type": "u16",
                 "scale": 0},
                {"quantity": "load_power_w", "address": 1, "data_type": "u16"}
            ]
        });
        assert_eq!(
            rules("modbus_generic", config),
            pairs(&[
                ("/register_map/0/address", "maximum"),
                ("/register_map/1/quantity", "enum"),
                ("/register_map/1/scale", "not"),
                ("/register_map/1/table", "enum"),
                ("/register_map/2/table", "required"),
            ])
        );
        assert_eq!(
            rules(
                "modbus_generic",
                json!({"transport": "tcp", "host": "h", "unit_id": 1})
            ),
            pairs(&[("/register_map", "required")])
        );
    }

    #[test]
    fn the_generic_schema_and_the_rust_register_point_agree() {
        let generic = catalog().get("modbus_generic").unwrap().clone();
        let items = &generic.config_schema["properties"]["register_map"]["items"];
        let names: Vec<&str> = Quantity::ALL.iter().map(|q| q.as_str()).collect();
        assert_eq!(items["properties"]["quantity"]["enum"], json!(names));
        // Every point a built-in type maps validates as a generic entry, and every entry the
        // schema accepts parses as a RegisterPoint.
        for adapter in catalog().list() {
            for entry in &adapter.register_map {
                if let RegisterMapEntry::Register(point) = entry {
                    let value = serde_json::to_value(point).unwrap();
                    assert_eq!(model::site::adapters::validate_config(items, &value), []);
                    let back: RegisterPoint = serde_json::from_value(value).unwrap();
                    assert_eq!(&back, point);
                }
            }
        }
        assert_eq!(generic.device_category, None);
    }

    #[test]
    fn an_unknown_type_is_one_problem() {
        let problems = catalog().validate("powdrive", &json!({}));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].rule, UNKNOWN_TYPE_RULE);
        assert!(
            problems[0].message.contains("simulator_bms"),
            "{}",
            problems[0].message
        );
    }

    /// The SunSpec `units` a quantity may be read from, and the extra factor that takes the
    /// point to the quantity's unit.
    fn sunspec_units(quantity: Quantity) -> (&'static [&'static str], f64) {
        use model::site::quantity::Unit;
        match quantity.unit() {
            Unit::Watt => (&["W"], 1.0),
            Unit::WattHour => (&["Wh"], 1.0),
            Unit::Volt => (&["V"], 1.0),
            Unit::Ampere => (&["A"], 1.0),
            Unit::Hertz => (&["Hz"], 1.0),
            Unit::Percent => (&["%", "%WHRtg"], 1.0),
            Unit::DegreeCelsius => (&["C"], 1.0),
            // Power factor: SunSpec gives it in percent.
            Unit::Dimensionless if quantity == Quantity::PowerFactor => (&["Pct"], 0.01),
            Unit::Dimensionless => (&[""], 1.0),
        }
    }

    #[test]
    fn every_sunspec_point_is_one_the_walker_reads_in_a_fitting_unit() {
        for adapter in catalog().list() {
            for entry in &adapter.register_map {
                let RegisterMapEntry::Sunspec(entry) = entry else {
                    continue;
                };
                let what = format!("{} {} {}", adapter.adapter_type, entry.model, entry.point);
                let point = devices::sunspec::point_definition(entry.model, &entry.point)
                    .unwrap_or_else(|| panic!("{what}: no such point"));
                let (units, scale) = sunspec_units(entry.quantity);
                assert!(
                    units.contains(&point.units),
                    "{what}: {} for {}",
                    point.units,
                    entry.quantity
                );
                assert_eq!(entry.scale, scale, "{what}");
            }
        }
    }

    /// The register point of `quantity` in a type's map.
    fn point(adapter: &AdapterType, quantity: Quantity) -> RegisterPoint {
        adapter
            .register_map
            .iter()
            .find_map(|entry| match entry {
                RegisterMapEntry::Register(p) if p.quantity == quantity => Some(p.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{quantity} in {}", adapter.adapter_type))
    }

    /// A simulator type, the unit id of its device, its category and where its quantities sit.
    type SimulatorCase = (&'static str, u8, DeviceCategory, &'static [(Quantity, u16)]);

    #[test]
    fn the_simulator_types_match_the_simulator() {
        let catalog = catalog();
        let cases: [SimulatorCase; 3] = [
            (
                "simulator_inverter",
                simulator::INVERTER_UNIT,
                DeviceCategory::Inverter,
                &[
                    (Quantity::PvPowerW, inverter::PV_POWER),
                    (Quantity::LoadPowerW, inverter::LOAD_POWER),
                    (Quantity::GridPowerW, inverter::GRID_POWER),
                    (Quantity::BatteryVoltageV, inverter::BATTERY_VOLTAGE),
                    (Quantity::BatteryCurrentA, inverter::BATTERY_CURRENT),
                    (Quantity::BatterySocPct, inverter::BATTERY_SOC),
                    (Quantity::InverterTempC, inverter::TEMPERATURE),
                    (Quantity::BatteryPowerW, inverter::BATTERY_POWER),
                    (Quantity::PvEnergyWh, inverter::PV_ENERGY),
                    (Quantity::LoadEnergyWh, inverter::LOAD_ENERGY),
                ],
            ),
            (
                "simulator_bms",
                simulator::BMS_UNIT,
                DeviceCategory::Battery,
                &[
                    (Quantity::BatteryVoltageV, bms::PACK_VOLTAGE),
                    (Quantity::BatteryCurrentA, bms::PACK_CURRENT),
                    (Quantity::BatterySocPct, bms::SOC),
                    (Quantity::BatterySohPct, bms::SOH),
                    (Quantity::CellVoltageV, bms::CELL_VOLTAGE_0),
                    (Quantity::CellTempC, bms::TEMP_0),
                    (Quantity::CellVoltageMaxV, bms::MAX_CELL_VOLTAGE),
                    (Quantity::CellVoltageMinV, bms::MIN_CELL_VOLTAGE),
                ],
            ),
            (
                "simulator_meter",
                simulator::METER_UNIT,
                DeviceCategory::Meter,
                &[
                    (Quantity::VoltagePhaseA, meter::VOLTAGE_L1),
                    (Quantity::VoltagePhaseC, meter::VOLTAGE_L1 + 2),
                    (Quantity::CurrentPhaseA, meter::CURRENT_L1),
                    (Quantity::PowerPhaseB, meter::POWER_L1 + 1),
                    (Quantity::GridPowerW, meter::TOTAL_POWER),
                    (Quantity::GridFrequencyHz, meter::FREQUENCY),
                    (Quantity::GridImportWh, meter::IMPORT_ENERGY),
                    (Quantity::GridExportWh, meter::EXPORT_ENERGY),
                ],
            ),
        ];
        for (name, unit, category, addresses) in cases {
            let adapter = catalog.get(name).unwrap();
            assert_eq!(adapter.device_category, Some(category));
            assert_eq!(adapter.default_config["unit_id"], json!(unit), "{name}");
            for (quantity, address) in addresses {
                assert_eq!(
                    point(adapter, *quantity).address,
                    *address,
                    "{name} {quantity}"
                );
            }
        }
        let bms_type = catalog.get("simulator_bms").unwrap();
        assert_eq!(point(bms_type, Quantity::CellVoltageV).count, bms::CELLS);
        assert_eq!(
            point(bms_type, Quantity::CellTempC).count,
            bms::TEMP_SENSORS
        );
    }
}
