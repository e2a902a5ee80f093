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
//!
//! The registry is a catalogue of memory and keeps paths this server cannot decode (16-byte
//! elements, odd byte offsets, multi-bit fields of a bit table, `memory_id` paths): `target` and
//! `source` say why, and the poller lists them as not polled with that reason.

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
    /// Registry `modbus` references name a device; this says which bus reaches it (and, for
    /// references that leave them out, its unit id and data type).
    #[serde(default)]
    pub devices: BTreeMap<String, DeviceEntry>,
    /// Which bus each RS485 channel number of the registry's `rs485` references is.
    #[serde(default)]
    pub rs485_channels: BTreeMap<u32, String>,
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

/// Unit id of a Modbus device whose reference and configuration give none.
pub const DEFAULT_UNIT_ID: u8 = 1;

/// A device of the `devices` map: the name of its bus, or its bus with the unit id, data type
/// and word order that references without them use.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum DeviceEntry {
    Bus(String),
    Settings(DeviceSettings),
}

/// Says which of the two spellings is wrong and how, where an untagged enum would only say
/// "did not match any variant".
impl<'de> Deserialize<'de> for DeviceEntry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(bus) => Ok(DeviceEntry::Bus(bus)),
            object @ serde_json::Value::Object(_) => DeviceSettings::deserialize(object)
                .map(DeviceEntry::Settings)
                .map_err(|e| D::Error::custom(format!("device entry: {e}"))),
            other => Err(D::Error::custom(format!(
                "a device is a bus name or {{\"bus\", \"unit_id\", \"data_type\", \"word_order\"}}, found {other}"
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSettings {
    pub bus: String,
    /// Default [`DEFAULT_UNIT_ID`].
    #[serde(default)]
    pub unit_id: Option<u8>,
    /// Default `u16` in register tables, `bool` in coil and discrete tables.
    #[serde(default)]
    pub data_type: Option<DataType>,
    #[serde(default)]
    pub word_order: Option<WordOrder>,
}

impl DeviceEntry {
    pub fn bus(&self) -> &str {
        match self {
            DeviceEntry::Bus(bus) => bus,
            DeviceEntry::Settings(settings) => &settings.bus,
        }
    }

    fn settings(&self) -> Option<&DeviceSettings> {
        match self {
            DeviceEntry::Bus(_) => None,
            DeviceEntry::Settings(settings) => Some(settings),
        }
    }
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
    /// An RS485 channel number is mapped to a bus that does not exist.
    #[error("{file}: rs485_channels.{channel}: no Modbus bus named {bus:?}")]
    UnknownChannelBus {
        file: String,
        channel: u32,
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
        for (device, entry) in &config.devices {
            let bus = entry.bus();
            if !config.buses.iter().any(|b| b.name == bus)
                && !config.can.iter().any(|c| c.name == bus)
            {
                return Err(FieldConfigError::UnknownDeviceBus {
                    file: file.to_string(),
                    device: device.clone(),
                    bus: bus.to_string(),
                });
            }
        }
        for (channel, bus) in &config.rs485_channels {
            if !config.buses.iter().any(|b| &b.name == bus) {
                return Err(FieldConfigError::UnknownChannelBus {
                    file: file.to_string(),
                    channel: *channel,
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
            .map_err(|e| MappingError::Unsupported(format!("invalid reference: {e}")))?;
        match reference {
            AccessReference::Modbus(m) => self.modbus_target(&m),
            AccessReference::MemoryOffset(m) => self.memory_target(&m),
            AccessReference::Rs485(r) => {
                let bus = match &r.channel {
                    reg::Rs485Channel::Name(name) => name.clone(),
                    reg::Rs485Channel::Number(number) => {
                        self.rs485_channels.get(number).cloned().ok_or_else(|| {
                            MappingError::NoSource(format!(
                                "RS485 channel {number} is not in the field configuration's rs485_channels"
                            ))
                        })?
                    }
                };
                Ok(Target {
                    bus: self.modbus_bus(&bus)?,
                    unit_id: r.device_id,
                    table: r.table,
                    address: r.address,
                    width: 1,
                    elements: 1,
                    data_type: if r.table.is_bits() {
                        DataType::Bool
                    } else {
                        DataType::U16
                    },
                    word_order: WordOrder::BigEndian,
                    scale: 1.0,
                })
            }
            AccessReference::Can(_) | AccessReference::CanBytes(_) => Err(MappingError::Unsupported(
                "a CAN path carries a broadcast signal, not registers: it is read from the bus, never written"
                    .into(),
            )),
            AccessReference::MemoryId(m) => Err(MappingError::Unsupported(format!(
                "memory id {:#010X} addresses the controller's shared memory directly; this server reaches memory only through the Modbus tables of \"memory\"",
                m.memory_id
            ))),
        }
    }

    /// A `modbus` reference; what it leaves out comes from its device's entry, then the defaults.
    fn modbus_target(&self, m: &reg::ModbusRef) -> Result<Target, MappingError> {
        let device = self.devices.get(&m.device).ok_or_else(|| {
            MappingError::NoSource(format!(
                "device {:?} is not in the field configuration",
                m.device
            ))
        })?;
        let settings = device.settings();
        let table = m.table;
        let data_type = m
            .data_type
            .or(settings.and_then(|s| s.data_type))
            .unwrap_or(if table.is_bits() {
                DataType::Bool
            } else {
                DataType::U16
            });
        if table.is_bits() != (data_type == DataType::Bool) {
            // The type came from the device's entry in the configuration (the reference's own
            // type is checked when the path is written).
            return Err(MappingError::Unsupported(format!(
                "device {:?}: {} cannot be read as {} (the device's data_type in the field configuration)",
                m.device,
                table_name(table),
                data_type.name()
            )));
        }
        let word_order = match (m.is_short(), settings.and_then(|s| s.word_order)) {
            (true, Some(configured)) => configured,
            _ => m.word_order,
        };
        let width = data_type.registers();
        let elements = (m.count / width).max(1);
        let elements = one_request(table, m.address, width, u32::from(elements))
            .map_err(|why| MappingError::Unsupported(why.to_string()))?;
        Ok(Target {
            bus: self.modbus_bus(device.bus())?,
            unit_id: m
                .unit_id
                .or(settings.and_then(|s| s.unit_id))
                .unwrap_or(DEFAULT_UNIT_ID),
            table,
            address: m.address,
            width,
            elements,
            data_type,
            word_order,
            scale: m.scale,
        })
    }

    /// A `memory_offset` reference, if its table has a data source and its elements can be
    /// decoded: single bits of a bit table (`...:bits`) from coils or discrete inputs, and
    /// 2-, 4- or 8-byte elements at even byte offsets from registers.
    fn memory_target(&self, m: &reg::MemoryOffsetRef) -> Result<Target, MappingError> {
        let memory = self.memory.get(&m.table).ok_or_else(|| {
            MappingError::NoSource(format!("memory table {:?} has no data source", m.table))
        })?;
        let unsupported =
            |why: String| MappingError::Unsupported(format!("memory table {:?}: {why}", m.table));
        let (address, data_type) = if m.is_bit_table() {
            if !memory.table.is_bits() {
                return Err(unsupported(format!(
                    "a bit-addressed table needs coils or discrete inputs, the configuration serves it from {} registers",
                    table_name(memory.table)
                )));
            }
            if m.size != 1 {
                return Err(unsupported(format!(
                    "{}-bit elements cannot be decoded; only single bits (size 1) are polled",
                    m.size
                )));
            }
            (u64::from(memory.base) + u64::from(m.offset), DataType::Bool)
        } else {
            if memory.table.is_bits() {
                return Err(unsupported(format!(
                    "a byte-addressed table needs registers, the configuration serves it from {}",
                    table_name(memory.table)
                )));
            }
            let data_type = memory.data_type.or(match m.size {
                2 => Some(DataType::U16),
                4 => Some(DataType::U32),
                8 => Some(DataType::U64),
                _ => None,
            });
            let Some(data_type) = data_type else {
                return Err(unsupported(format!(
                    "{}-byte elements cannot be decoded; 2-, 4- and 8-byte elements can",
                    m.size
                )));
            };
            if u32::from(data_type.registers()) * 2 != m.size {
                return Err(unsupported(format!(
                    "{}-byte elements do not fit its data_type {} ({} bytes)",
                    m.size,
                    data_type.name(),
                    data_type.registers() * 2
                )));
            }
            if !m.offset.is_multiple_of(2) {
                return Err(unsupported(format!(
                    "byte offset {} is odd; registers hold 2 bytes, so elements must start at an even offset",
                    m.offset
                )));
            }
            (u64::from(memory.base) + u64::from(m.offset / 2), data_type)
        };
        let address = u16::try_from(address)
            .map_err(|_| unsupported(format!("offset {} is past register 65535", m.offset)))?;
        let width = data_type.registers();
        let elements = one_request(memory.table, address, width, m.num)
            .map_err(|why| unsupported(why.to_string()))?;
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

    /// Where a path is read: its Modbus target, or its CAN bus and signal.
    pub fn source(&self, path: &AccessPath) -> Result<PathSource, MappingError> {
        if path.access_type != reg::AccessType::Can {
            return self.target(path).map(PathSource::Modbus);
        }
        let signal = match AccessReference::parse(path.access_type, &path.reference)
            .map_err(|e| MappingError::Unsupported(format!("invalid reference: {e}")))?
        {
            AccessReference::Can(can) => CanSignal {
                can_id: can.can_id,
                extended: can.extended,
                start_byte: can.start_byte,
                length: can.length,
                data_type: can.data_type,
                scale: can.scale,
                byte_order: devices::can::ByteOrder::LittleEndian,
            },
            AccessReference::CanBytes(bytes) => {
                let data_type = bytes.data_type().ok_or_else(|| {
                    MappingError::Unsupported(format!(
                        "bytes {}..={} are {} byte(s): only 2-, 4- and 8-byte values can be decoded",
                        bytes.data0,
                        bytes.data1,
                        bytes.length()
                    ))
                })?;
                CanSignal {
                    can_id: bytes.can_id,
                    extended: bytes.extended(),
                    start_byte: bytes.data0,
                    length: bytes.length(),
                    data_type,
                    scale: 1.0,
                    byte_order: devices::can::ByteOrder::LittleEndian,
                }
            }
            _ => return Err(MappingError::Unsupported("not a CAN reference".into())),
        };
        let no_source = |why: String| Err(MappingError::NoSource(why));
        let bus = match path
            .device_id
            .as_ref()
            .and_then(|d| self.devices.get(d))
            .map(DeviceEntry::bus)
        {
            Some(bus) if self.can.iter().any(|c| c.name == bus) => bus.to_string(),
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

    fn reference_path(access_type: reg::AccessType, reference: serde_json::Value) -> AccessPath {
        AccessPath {
            access_type,
            reference,
            ..memory_path(2, 1)
        }
    }

    #[test]
    fn short_references_take_the_devices_settings_or_the_defaults() {
        let text = r#"{"buses": [{"name": "site", "endpoint": {"tcp": {"addr": "127.0.0.1:9"}}}],
            "devices": {"rbms": {"bus": "site", "unit_id": 3, "data_type": "i16"}, "meter": "site"},
            "rs485_channels": {"1": "site"}}"#;
        let config = FieldConfig::parse("field.json", text).unwrap();
        let short = |device: &str, table: &str| {
            let reference = serde_json::json!({"device": device, "table": table, "address": 40010});
            config.target(&reference_path(reg::AccessType::Modbus, reference))
        };
        let rbms = short("rbms", "holding").unwrap();
        assert_eq!(
            (rbms.unit_id, rbms.address, rbms.data_type),
            (3, 40_010, DataType::I16)
        );
        let meter = short("meter", "input").unwrap();
        assert_eq!(
            (meter.unit_id, meter.data_type),
            (DEFAULT_UNIT_ID, DataType::U16)
        );
        assert_eq!(short("meter", "coil").unwrap().data_type, DataType::Bool);
        let error = short("rbms", "coil").unwrap_err().to_string();
        assert!(error.contains("cannot be read as i16"), "{error}");

        let channel = |number: u32| {
            let reference = serde_json::json!({"channel": number, "device_id": 5, "table": "holding", "address": 100});
            config.target(&reference_path(reg::AccessType::Rs485, reference))
        };
        assert_eq!(channel(1).unwrap().bus, "site");
        assert!(matches!(channel(2), Err(MappingError::NoSource(_))));

        let bad = [
            (
                r#"{"buses": [], "rs485_channels": {"1": "nowhere"}}"#,
                "rs485_channels.1: no Modbus bus named \"nowhere\"",
            ),
            (
                r#"{"buses": [{"name": "site", "endpoint": {"tcp": {"addr": "127.0.0.1:9"}}}],
                    "devices": {"rbms": {"bus": "site", "unit": 3}}}"#,
                "device entry: unknown field `unit`",
            ),
            (r#"{"devices": {"rbms": 3}}"#, "a device is a bus name or"),
        ];
        for (text, expected) in bad {
            let error = FieldConfig::parse("field.json", text)
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{text}\n-> {error}");
        }
    }

    /// Seed 001's `{"can_id": 291, "data0": 0, "data1": 1}`: bytes 0 and 1, little-endian.
    #[test]
    fn can_data_bytes_decode_little_endian_and_wider_spans_say_why_not() {
        let text = r#"{"can": [{"name": "bms_can", "interface": "builtin"}]}"#;
        let config = FieldConfig::parse("field.json", text).unwrap();
        let bytes = |data0: u8, data1: u8| {
            let reference = serde_json::json!({"can_id": 291, "data0": data0, "data1": data1});
            config.source(&reference_path(reg::AccessType::Can, reference))
        };
        let Ok(PathSource::Can { bus, signal }) = bytes(0, 1) else {
            panic!("{:?}", bytes(0, 1));
        };
        assert_eq!(bus, "bms_can");
        let frame = devices::can::CanFrame::new(291, false, &[0x34, 0x12, 0xFF]).unwrap();
        assert_eq!(
            devices::can::signal::decode(&signal, &frame).unwrap(),
            4660.0
        );
        let Ok(PathSource::Can { signal, .. }) = bytes(2, 5) else {
            panic!("{:?}", bytes(2, 5));
        };
        assert_eq!((signal.start_byte, signal.length), (2, 4));
        let three = bytes(0, 2).unwrap_err().to_string();
        assert!(three.contains("bytes 0..=2 are 3 byte(s)"), "{three}");
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
