//! The field configuration: which buses exist, which registry `device` names they reach, and
//! where the site controller's memory tables live; and the mapping of a registry access path onto
//! one Modbus read/write (`Target`).
//!
//! The file is JSON (`--field-config`, see the README):
//! ```json
//! {
//!   "buses":   [{"name": "site", "endpoint": {"tcp": {"addr": "127.0.0.1:5020"}}}],
//!   "devices": {"inverter": "site", "bms": "site", "meter": "site"},
//!   "memory":  {"prot:sbmu:hold": {"bus": "site", "unit_id": 2, "table": "holding", "base": 0}},
//!   "poll":    {"fast": ["inverter_*_power"], "slow": ["*_temp"]},
//!   "can":     [{"name": "bms_can", "interface": {"slcan": {"path": "/dev/ttyACM0", "bitrate": 500000}}}]
//! }
//! ```
//!
//! CAN paths are read from the latest broadcast frame of their id on the CAN bus named by the
//! path's `device_id` in `devices`, or on the only CAN bus when there is one; signals are
//! little-endian (the CAN convention).

use std::collections::BTreeMap;

use devices::can::CanSignal;
use devices::modbus::{Endpoint, table_name};
use devices::planner::PollClass;
use devices::{DataType, RegisterTable, WordOrder};
use serde::{Deserialize, Serialize};

use model::registry::{self as reg, AccessPath, AccessReference, Category};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldConfig {
    #[serde(default)]
    pub buses: Vec<BusEntry>,
    /// Registry `modbus` references name a device; this says which bus reaches it.
    #[serde(default)]
    pub devices: BTreeMap<String, String>,
    /// Memory tables (`memory_offset` references) served as Modbus registers.
    #[serde(default)]
    pub memory: BTreeMap<String, MemoryTable>,
    /// Per-variable poll classes; variables no rule names poll by their category.
    #[serde(default)]
    pub poll: PollRules,
    /// CAN buses, listened to for broadcast frames.
    #[serde(default)]
    pub can: Vec<CanEntry>,
}

/// One CAN bus and the adapter that reaches it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanEntry {
    pub name: String,
    pub interface: CanInterface,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum CanInterface {
    /// A USB-CAN adapter speaking slcan on a serial port.
    Slcan { path: String, bitrate: u32 },
    /// A Linux SocketCAN interface such as `can0` (servers built with the `socketcan` feature).
    Socketcan { interface: String },
    /// A bus the program provides itself: demo mode's simulated BMS (and tests).
    Builtin,
}

/// Why a path has no Modbus operation (or CAN signal) under this configuration. The message
/// reads as a plain sentence for operators.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// The configuration does not say where the path's data lives (no bus for its device, no
    /// data source for its memory table): fixing the configuration makes the path work.
    #[error("{0}")]
    NoSource(String),
    /// The path can never be served as asked: a CAN signal where registers are needed, or more
    /// registers than one request can carry.
    #[error("{0}")]
    Unsupported(String),
}

/// Where a path is read: registers over Modbus, or a signal of a broadcast CAN frame.
#[derive(Debug, Clone, PartialEq)]
pub enum PathSource {
    Modbus(Target),
    Can { bus: String, signal: CanSignal },
}

impl PathSource {
    /// Plain words for the UI.
    pub fn describe(&self) -> String {
        match self {
            PathSource::Modbus(target) => target.describe(),
            PathSource::Can { bus, signal } => format!(
                "CAN {bus}, id {:#x}, bytes {}..={}",
                signal.can_id,
                signal.start_byte,
                signal.start_byte + signal.length.saturating_sub(1)
            ),
        }
    }
}

/// Variable names (or `*` patterns) per poll class: fast 200 ms, normal 1 s, slow 10 s.
/// An exact name wins over a pattern; among patterns the first class that matches, fastest
/// first. Variables that no rule names poll by category (`oper` normal, `config`/`prot` slow).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollRules {
    #[serde(default)]
    pub fast: Vec<String>,
    #[serde(default)]
    pub normal: Vec<String>,
    #[serde(default)]
    pub slow: Vec<String>,
}

impl PollRules {
    fn classes(&self) -> [(PollClass, &Vec<String>); 3] {
        [
            (PollClass::Fast, &self.fast),
            (PollClass::Normal, &self.normal),
            (PollClass::Slow, &self.slow),
        ]
    }

    /// The poll class of one variable.
    pub fn class_of(&self, name: &str, category: Category) -> PollClass {
        let classes = self.classes();
        if let Some((class, _)) = classes
            .iter()
            .find(|(_, rules)| rules.iter().any(|rule| rule == name))
        {
            return *class;
        }
        classes
            .iter()
            .find(|(_, rules)| {
                rules
                    .iter()
                    .any(|rule| rule.contains('*') && glob_match(rule, name))
            })
            .map_or_else(|| poll_class(category), |(class, _)| *class)
    }
}

/// `*` matches any run of characters (also none); everything else matches itself.
fn glob_match(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        // No `*` at all: the whole name must be the prefix.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusEntry {
    pub name: String,
    pub endpoint: Endpoint,
    #[serde(default = "default_timeout_ms")]
    pub request_timeout_ms: u64,
}

fn default_timeout_ms() -> u64 {
    1_000
}

/// Where one memory table lives: register = `base` + byte offset / 2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryTable {
    pub bus: String,
    pub unit_id: u8,
    #[serde(default = "default_memory_table")]
    pub table: RegisterTable,
    #[serde(default)]
    pub base: u16,
    /// Element type; 2-byte elements default to u16, 4-byte ones to u32.
    #[serde(default)]
    pub data_type: Option<DataType>,
    #[serde(default)]
    pub word_order: WordOrder,
}

fn default_memory_table() -> RegisterTable {
    RegisterTable::Holding
}

/// One access path as a Modbus operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub bus: String,
    pub unit_id: u8,
    pub table: RegisterTable,
    pub address: u16,
    /// Registers per element.
    pub width: u16,
    /// Elements (`num` of a memory path, `count / width` of a Modbus path).
    pub elements: u16,
    pub data_type: DataType,
    pub word_order: WordOrder,
    pub scale: f64,
}

impl Target {
    /// Registers (or bits) the target covers. `FieldConfig::target` only builds targets that
    /// fit one request; saturating keeps a hand-built one from panicking, and 65535 registers
    /// is a request every transport refuses.
    pub fn count(&self) -> u16 {
        self.width.saturating_mul(self.elements)
    }

    /// Plain words for the UI: "bus site, unit 2, holding 12".
    pub fn describe(&self) -> String {
        let table = format!("{:?}", self.table).to_lowercase();
        if self.count() > 1 {
            format!(
                "bus {}, unit {}, {table} {}..={}",
                self.bus,
                self.unit_id,
                self.address,
                u32::from(self.address) + u32::from(self.count()) - 1
            )
        } else {
            format!(
                "bus {}, unit {}, {table} {}",
                self.bus, self.unit_id, self.address
            )
        }
    }
}

/// Why a path's registers do not fit one read request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestTooLarge {
    /// More (or fewer) registers than one read of the table carries.
    #[error(
        "{elements} element(s) of {width} register(s) need {registers}; one {table} read carries 1 to {limit}"
    )]
    Registers {
        elements: u32,
        width: u16,
        registers: u64,
        table: &'static str,
        limit: u16,
    },
    /// The registers would run past the last register address.
    #[error("{registers} registers at {address} run past register 65535")]
    PastLastRegister { registers: u64, address: u16 },
    /// More elements than a request's count can say.
    #[error("{elements} elements do not fit one request")]
    Elements { elements: u32 },
}

/// How many `width`-register elements at `address` one read request can carry: at most the
/// table's read limit, and not past register 65535. Counted in u64, so no registry number
/// (a memory path's `num` is any u32) can overflow on the way.
fn one_request(
    table: RegisterTable,
    address: u16,
    width: u16,
    elements: u32,
) -> Result<u16, RequestTooLarge> {
    let registers = u64::from(width) * u64::from(elements);
    let limit = table.max_read();
    if registers == 0 || registers > u64::from(limit) {
        return Err(RequestTooLarge::Registers {
            elements,
            width,
            registers,
            table: table_name(table),
            limit,
        });
    }
    if u64::from(address) + registers > 65_536 {
        return Err(RequestTooLarge::PastLastRegister { registers, address });
    }
    u16::try_from(elements).map_err(|_| RequestTooLarge::Elements { elements })
}

/// Why a field configuration file is refused; each message names the file and the place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldConfigError {
    /// Not JSON, or not the shape of a field configuration.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// A device is mapped to a bus that does not exist.
    #[error("{file}: devices.{device}: no bus named {bus:?}")]
    UnknownDeviceBus {
        file: String,
        device: String,
        bus: String,
    },
    /// A poll rule is empty.
    #[error("{file}: poll.{class}: {rule:?} is not a variable name or pattern")]
    EmptyPollRule {
        file: String,
        class: &'static str,
        rule: String,
    },
    /// A CAN bus has no name, or the name of a Modbus bus.
    #[error(
        "{file}: can[{index}].name: {name:?} must be non-empty and differ from every Modbus bus"
    )]
    CanBusName {
        file: String,
        index: usize,
        name: String,
    },
    /// A memory table is served by a bus that does not exist.
    #[error("{file}: memory.{table}.bus: no bus named {bus:?}")]
    UnknownMemoryBus {
        file: String,
        table: String,
        bus: String,
    },
}

impl FieldConfig {
    pub fn parse(file: &str, text: &str) -> Result<FieldConfig, FieldConfigError> {
        let config: FieldConfig =
            serde_json::from_str(text).map_err(|e| FieldConfigError::Syntax {
                file: file.to_string(),
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
        for (device, bus) in &config.devices {
            if !config.buses.iter().any(|b| &b.name == bus)
                && !config.can.iter().any(|c| &c.name == bus)
            {
                return Err(FieldConfigError::UnknownDeviceBus {
                    file: file.to_string(),
                    device: device.clone(),
                    bus: bus.clone(),
                });
            }
        }
        for (class, rules) in config.poll.classes() {
            if let Some(rule) = rules.iter().find(|rule| rule.is_empty()) {
                return Err(FieldConfigError::EmptyPollRule {
                    file: file.to_string(),
                    class: class.as_str(),
                    rule: rule.clone(),
                });
            }
        }
        for (index, entry) in config.can.iter().enumerate() {
            if entry.name.is_empty() || config.buses.iter().any(|b| b.name == entry.name) {
                return Err(FieldConfigError::CanBusName {
                    file: file.to_string(),
                    index,
                    name: entry.name.clone(),
                });
            }
        }
        for (table, memory) in &config.memory {
            if !config.buses.iter().any(|b| b.name == memory.bus) {
                return Err(FieldConfigError::UnknownMemoryBus {
                    file: file.to_string(),
                    table: table.clone(),
                    bus: memory.bus.clone(),
                });
            }
        }
        Ok(config)
    }

    /// The Modbus bus named `bus`, or why there is none.
    fn modbus_bus(&self, bus: &str) -> Result<String, MappingError> {
        if self.buses.iter().any(|b| b.name == bus) {
            Ok(bus.to_string())
        } else {
            Err(MappingError::NoSource(format!(
                "no Modbus bus named {bus:?} is configured"
            )))
        }
    }

    /// The Modbus operation behind a path (one request), or why it has none here.
    pub fn target(&self, path: &AccessPath) -> Result<Target, MappingError> {
        let reference = AccessReference::parse(path.access_type, &path.reference)
            .map_err(|e| MappingError::Unsupported(format!("invalid reference: {e:?}")))?;
        match reference {
            AccessReference::Modbus(m) => {
                let bus = self.devices.get(&m.device).ok_or_else(|| {
                    MappingError::NoSource(format!(
                        "device {:?} is not in the field configuration",
                        m.device
                    ))
                })?;
                let data_type = m.data_type;
                let width = data_type.registers();
                let table = m.table;
                let elements = (m.count / width).max(1);
                let elements = one_request(table, m.address, width, u32::from(elements))
                    .map_err(|why| MappingError::Unsupported(why.to_string()))?;
                Ok(Target {
                    bus: self.modbus_bus(bus)?,
                    unit_id: m.unit_id,
                    table,
                    address: m.address,
                    width,
                    elements,
                    data_type,
                    word_order: m.word_order,
                    scale: m.scale,
                })
            }
            AccessReference::MemoryOffset(m) => {
                let memory = self.memory.get(&m.table).ok_or_else(|| {
                    MappingError::NoSource(format!("memory table {:?} has no data source", m.table))
                })?;
                if m.offset % 2 != 0 || !(m.size == 2 || m.size == 4) {
                    return Err(MappingError::Unsupported(format!(
                        "memory table {:?}: offset {} size {} is not register-aligned",
                        m.table, m.offset, m.size
                    )));
                }
                let data_type = memory.data_type.unwrap_or(if m.size == 4 {
                    DataType::U32
                } else {
                    DataType::U16
                });
                let address = u32::from(memory.base) + m.offset / 2;
                let address = u16::try_from(address).map_err(|_| {
                    MappingError::Unsupported(format!(
                        "memory table {:?}: offset past register 65535",
                        m.table
                    ))
                })?;
                let width = data_type.registers();
                let elements = one_request(memory.table, address, width, m.num).map_err(|why| {
                    MappingError::Unsupported(format!("memory table {:?}: {why}", m.table))
                })?;
                Ok(Target {
                    bus: self.modbus_bus(&memory.bus)?,
                    unit_id: memory.unit_id,
                    table: memory.table,
                    address,
                    width,
                    elements,
                    data_type,
                    word_order: memory.word_order,
                    scale: 1.0,
                })
            }
            AccessReference::Rs485(r) => Ok(Target {
                bus: self.modbus_bus(&r.channel)?,
                unit_id: r.device_id,
                table: r.table,
                address: r.address,
                width: 1,
                elements: 1,
                data_type: DataType::U16,
                word_order: WordOrder::BigEndian,
                scale: 1.0,
            }),
            AccessReference::Can(_) => Err(MappingError::Unsupported(
                "a CAN path carries a broadcast signal, not registers: it is read from the bus, never written"
                    .into(),
            )),
        }
    }

    /// Where a path is read: its Modbus target, or its CAN bus and signal.
    pub fn source(&self, path: &AccessPath) -> Result<PathSource, MappingError> {
        if path.access_type != reg::AccessType::Can {
            return self.target(path).map(PathSource::Modbus);
        }
        let AccessReference::Can(can) =
            AccessReference::parse(path.access_type, &path.reference)
                .map_err(|e| MappingError::Unsupported(format!("invalid reference: {e:?}")))?
        else {
            return Err(MappingError::Unsupported("not a CAN reference".into()));
        };
        let no_source = |why: String| Err(MappingError::NoSource(why));
        let bus = match path.device_id.as_ref().and_then(|d| self.devices.get(d)) {
            Some(bus) if self.can.iter().any(|c| &c.name == bus) => bus.clone(),
            Some(bus) => return no_source(format!("device bus {bus:?} is not a CAN bus")),
            None => match self.can.as_slice() {
                [only] => only.name.clone(),
                [] => return no_source("no CAN bus is configured".into()),
                _ => {
                    return no_source(
                        "several CAN buses: map the path's device_id to one in \"devices\"".into(),
                    );
                }
            },
        };
        let signal = CanSignal {
            can_id: can.can_id,
            extended: can.extended,
            start_byte: can.start_byte,
            length: can.length,
            data_type: can.data_type,
            scale: can.scale,
            byte_order: devices::can::ByteOrder::LittleEndian,
        };
        signal
            .check()
            .map_err(|e| MappingError::Unsupported(e.to_string()))?;
        Ok(PathSource::Can { bus, signal })
    }
}

/// Poll class of a variable no rule names: settings and limits change rarely, measurements
/// often.
pub fn poll_class(category: Category) -> PollClass {
    match category {
        Category::Oper => PollClass::Normal,
        Category::Config | Category::Prot => PollClass::Slow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_patterns_match_runs_of_characters() {
        assert!(glob_match("inverter_*_power", "inverter_pv_power"));
        assert!(glob_match("*_temp", "cell_temp"));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("bms_*", "bms_"));
        assert!(glob_match("a*b*c", "aXbYc"));
        assert!(!glob_match("a*b*c", "aXcYb"));
        assert!(!glob_match("inverter_*_power", "inverter_pv_energy"));
        assert!(!glob_match("*_temp", "temp_max"));
        assert!(
            !glob_match("ab*ba", "aba"),
            "the prefix and suffix must not overlap"
        );
    }

    #[test]
    fn exact_names_win_then_the_fastest_matching_pattern_then_the_category() {
        let rules = PollRules {
            fast: vec!["inverter_*".into()],
            normal: vec!["cell_temp_max".into()],
            slow: vec!["*_temp*".into(), "inverter_energy_total".into()],
        };
        assert_eq!(
            rules.class_of("inverter_pv_power", Category::Oper),
            PollClass::Fast
        );
        assert_eq!(
            rules.class_of("inverter_energy_total", Category::Oper),
            PollClass::Slow,
            "an exact name beats the fast pattern"
        );
        assert_eq!(
            rules.class_of("cell_temp_max", Category::Oper),
            PollClass::Normal
        );
        assert_eq!(
            rules.class_of("cell_temp_min", Category::Oper),
            PollClass::Slow
        );
        assert_eq!(rules.class_of("soc", Category::Oper), PollClass::Normal);
        assert_eq!(
            rules.class_of("soc_max_warn", Category::Prot),
            PollClass::Slow
        );
    }

    fn memory_path(size: u32, num: u32) -> AccessPath {
        AccessPath {
            id: 7,
            access_type: reg::AccessType::MemoryOffset,
            reference: serde_json::json!({"table": "hold", "offset": 4, "size": size, "num": num}),
            priority: 0,
            read_only: false,
            rack_number: None,
            device_id: None,
            path_version: 1,
            system_version: 1,
            last_updated: String::new(),
            active: true,
        }
    }

    fn memory_config() -> FieldConfig {
        let text = r#"{"buses": [{"name": "site", "endpoint": {"tcp": {"addr": "127.0.0.1:9"}}}],
            "memory": {"hold": {"bus": "site", "unit_id": 2, "base": 100}}}"#;
        FieldConfig::parse("field.json", text).unwrap()
    }

    #[test]
    fn memory_paths_beyond_one_request_have_no_target_and_say_why() {
        let config = memory_config();
        let fits = config.target(&memory_path(4, 62)).unwrap();
        assert_eq!((fits.address, fits.width, fits.elements), (102, 2, 62));
        assert_eq!(fits.count(), 124);
        // 40,000 × 2 registers overflowed a u16 count; 70,000 was cut to 4,464 elements.
        for (size, num) in [(4, 40_000), (2, 70_000), (4, 63), (2, 126)] {
            let error = config.target(&memory_path(size, num)).unwrap_err();
            assert!(matches!(error, MappingError::Unsupported(_)), "{error:?}");
            assert!(error.to_string().contains(&num.to_string()), "{error}");
        }
        // A table the configuration does not place is a configuration gap, not a bad path.
        let mut elsewhere = memory_path(2, 1);
        elsewhere.reference["table"] = "oper:rack:sm16".into();
        assert_eq!(
            config.target(&elsewhere),
            Err(MappingError::NoSource(
                "memory table \"oper:rack:sm16\" has no data source".into()
            ))
        );
    }

    #[test]
    fn an_empty_poll_rule_is_refused_with_its_place() {
        let text = r#"{"buses": [], "poll": {"fast": ["soc", ""]}}"#;
        let error = FieldConfig::parse("field.json", text)
            .unwrap_err()
            .to_string();
        assert!(error.contains("poll.fast"), "{error}");
        let error = FieldConfig::parse("field.json", r#"{"poll": {"rapid": []}}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("field.json:1:"), "{error}");
    }
}
