//! The field configuration: which buses exist, which registry `device` names they reach, and
//! where the site controller's memory tables live; and the mapping of a registry access path onto
//! one Modbus read/write (`Target`).
//!
//! The file is JSON (`--field-config`, see the README):
//! ```json
//! {
//!   "buses":   [{"name": "site", "endpoint": {"tcp": {"addr": "127.0.0.1:5020"}}}],
//!   "devices": {"inverter": "site", "bms": "site", "meter": "site"},
//!   "memory":  {"prot:sbmu:hold": {"bus": "site", "unit_id": 2, "table": "holding", "base": 0}}
//! }
//! ```

use std::collections::BTreeMap;

use devices::modbus::Endpoint;
use devices::{DataType, RegisterTable, WordOrder};
use serde::{Deserialize, Serialize};

use crate::model::registry::{self as model, AccessPath, AccessReference, Category};

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
    pub fn count(&self) -> u16 {
        self.width * self.elements
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

// The registry's enums (shared with the browser) and the devices crate's (server only) spell the
// same things; these say how each maps.
fn data_type(registry: model::DataType) -> DataType {
    match registry {
        model::DataType::Bool => DataType::Bool,
        model::DataType::U16 => DataType::U16,
        model::DataType::I16 => DataType::I16,
        model::DataType::U32 => DataType::U32,
        model::DataType::I32 => DataType::I32,
        model::DataType::F32 => DataType::F32,
        model::DataType::U64 => DataType::U64,
    }
}

fn register_table(registry: model::ModbusTable) -> RegisterTable {
    match registry {
        model::ModbusTable::Holding => RegisterTable::Holding,
        model::ModbusTable::Input => RegisterTable::Input,
        model::ModbusTable::Coil => RegisterTable::Coil,
        model::ModbusTable::Discrete => RegisterTable::Discrete,
    }
}

fn word_order(registry: model::WordOrder) -> WordOrder {
    match registry {
        model::WordOrder::BigEndian => WordOrder::BigEndian,
        model::WordOrder::LittleEndian => WordOrder::LittleEndian,
    }
}

impl FieldConfig {
    pub fn parse(file: &str, text: &str) -> Result<FieldConfig, String> {
        let config: FieldConfig = serde_json::from_str(text)
            .map_err(|e| format!("{file}:{}:{}: {e}", e.line(), e.column()))?;
        for (device, bus) in &config.devices {
            if !config.buses.iter().any(|b| &b.name == bus) {
                return Err(format!("{file}: devices.{device}: no bus named {bus:?}"));
            }
        }
        for (table, memory) in &config.memory {
            if !config.buses.iter().any(|b| b.name == memory.bus) {
                return Err(format!(
                    "{file}: memory.{table}.bus: no bus named {:?}",
                    memory.bus
                ));
            }
        }
        Ok(config)
    }

    /// The Modbus operation behind a path, or why it has none here.
    pub fn target(&self, path: &AccessPath) -> Result<Target, String> {
        let reference = AccessReference::parse(path.access_type, &path.reference)
            .map_err(|e| format!("invalid reference: {e:?}"))?;
        match reference {
            AccessReference::Modbus(m) => {
                let bus = self.devices.get(&m.device).ok_or_else(|| {
                    format!("device {:?} is not in the field configuration", m.device)
                })?;
                let data_type = data_type(m.data_type);
                let width = data_type.registers();
                Ok(Target {
                    bus: bus.clone(),
                    unit_id: m.unit_id,
                    table: register_table(m.table),
                    address: m.address,
                    width,
                    elements: (m.count / width).max(1),
                    data_type,
                    word_order: word_order(m.word_order),
                    scale: m.scale,
                })
            }
            AccessReference::MemoryOffset(m) => {
                let memory = self
                    .memory
                    .get(&m.table)
                    .ok_or_else(|| format!("memory table {:?} has no data source", m.table))?;
                if m.offset % 2 != 0 || !(m.size == 2 || m.size == 4) {
                    return Err(format!(
                        "memory table {:?}: offset {} size {} is not register-aligned",
                        m.table, m.offset, m.size
                    ));
                }
                let data_type = memory.data_type.unwrap_or(if m.size == 4 {
                    DataType::U32
                } else {
                    DataType::U16
                });
                let address = u32::from(memory.base) + m.offset / 2;
                let address = u16::try_from(address).map_err(|_| {
                    format!("memory table {:?}: offset past register 65535", m.table)
                })?;
                Ok(Target {
                    bus: memory.bus.clone(),
                    unit_id: memory.unit_id,
                    table: memory.table,
                    address,
                    width: data_type.registers(),
                    elements: m.num as u16,
                    data_type,
                    word_order: memory.word_order,
                    scale: 1.0,
                })
            }
            AccessReference::Rs485(r) => Ok(Target {
                bus: r.channel.clone(),
                unit_id: r.device_id,
                table: register_table(r.table),
                address: r.address,
                width: 1,
                elements: 1,
                data_type: DataType::U16,
                word_order: WordOrder::BigEndian,
                scale: 1.0,
            }),
            AccessReference::Can(_) => Err("CAN paths are not polled yet".into()),
        }
    }
}

/// Poll class of a variable: settings and limits change rarely, measurements often.
pub fn poll_class(category: Category) -> devices::planner::PollClass {
    match category {
        Category::Oper => devices::planner::PollClass::Normal,
        Category::Config | Category::Prot => devices::planner::PollClass::Slow,
    }
}
