//! The variable registry's shared types: categories, access types and their reference shapes, the
//! DTOs of the API and the UI, and the pure validation rules used by browser and server alike.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a variable is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "server",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter)
)]
#[cfg_attr(
    feature = "server",
    sea_orm(
        rs_type = "String",
        db_type = "String(sea_orm::sea_query::StringLen::None)"
    )
)]
pub enum Category {
    #[cfg_attr(feature = "server", sea_orm(string_value = "config"))]
    Config,
    #[cfg_attr(feature = "server", sea_orm(string_value = "prot"))]
    Prot,
    #[cfg_attr(feature = "server", sea_orm(string_value = "oper"))]
    Oper,
}

impl Category {
    pub const ALL: [Category; 3] = [Category::Config, Category::Prot, Category::Oper];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Config => "config",
            Category::Prot => "prot",
            Category::Oper => "oper",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::Config => "Configuration",
            Category::Prot => "Protection",
            Category::Oper => "Operation",
        }
    }

    pub fn parse(text: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a variable can be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "server",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter)
)]
#[cfg_attr(
    feature = "server",
    sea_orm(
        rs_type = "String",
        db_type = "String(sea_orm::sea_query::StringLen::None)"
    )
)]
pub enum AccessType {
    #[cfg_attr(feature = "server", sea_orm(string_value = "memory_offset"))]
    MemoryOffset,
    #[cfg_attr(feature = "server", sea_orm(string_value = "modbus"))]
    Modbus,
    #[cfg_attr(feature = "server", sea_orm(string_value = "can"))]
    Can,
    #[cfg_attr(feature = "server", sea_orm(string_value = "rs485"))]
    Rs485,
    /// A 32-bit memory ID of the controller's shared memory (the prototype's `memory_id`).
    #[cfg_attr(feature = "server", sea_orm(string_value = "memory_id"))]
    MemoryId,
}

impl AccessType {
    pub const ALL: [AccessType; 5] = [
        AccessType::MemoryOffset,
        AccessType::Modbus,
        AccessType::Can,
        AccessType::Rs485,
        AccessType::MemoryId,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccessType::MemoryOffset => "memory_offset",
            AccessType::Modbus => "modbus",
            AccessType::Can => "can",
            AccessType::Rs485 => "rs485",
            AccessType::MemoryId => "memory_id",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AccessType::MemoryOffset => "Memory",
            AccessType::Modbus => "Modbus",
            AccessType::Can => "CAN",
            AccessType::Rs485 => "RS485",
            AccessType::MemoryId => "Memory ID",
        }
    }

    pub fn parse(text: &str) -> Option<AccessType> {
        AccessType::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

impl fmt::Display for AccessType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule broken by some input, with the path of the offending field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error one level further down, e.g. `offset` under `reference`.
    pub fn under(mut self, parent: &str) -> Self {
        self.field = if self.field.is_empty() {
            parent.to_string()
        } else if self.field.starts_with('[') {
            format!("{parent}{}", self.field)
        } else {
            format!("{parent}.{}", self.field)
        };
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

pub const MAX_NAME_LENGTH: usize = 96;

/// Names the Registry screens use as page paths (`/registry/new`, `/registry/import`).
pub const RESERVED_NAMES: [&str; 2] = ["new", "import"];

/// Variable names are snake_case identifiers: `cell_voltage_max_warn`.
pub fn validate_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    match chars.next() {
        None => return Err("must not be empty".into()),
        Some(first) if !first.is_ascii_lowercase() => {
            return Err(format!(
                "{name:?} must start with a lowercase letter (snake_case identifier)"
            ));
        }
        _ => {}
    }
    if RESERVED_NAMES.contains(&name) {
        return Err(format!("{name:?} is reserved; choose a more specific name"));
    }
    if name.len() > MAX_NAME_LENGTH {
        return Err(format!("must be at most {MAX_NAME_LENGTH} characters"));
    }
    if let Some(bad) = chars.find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        return Err(format!(
            "{name:?} contains {bad:?}; only lowercase letters, digits and _ are allowed"
        ));
    }
    Ok(())
}

/// Locators are dotted paths whose segments may carry an index placeholder or number:
/// `system.global`, `sbmu.chiller[n]`, `rbms.rack[n].module[m].cell[c]`, `rbms.rack[2]`.
/// A variable may have no locator at all (`None`); this checks one that is given.
pub fn validate_locator(locator: &str) -> Result<(), String> {
    if locator.is_empty() {
        return Err("must not be empty".into());
    }
    for segment in locator.split('.') {
        let (word, index) = match segment.split_once('[') {
            Some((word, rest)) => match rest.strip_suffix(']') {
                Some(index) => (word, Some(index)),
                None => return Err(format!("segment {segment:?} has an unclosed [")),
            },
            None => (segment, None),
        };
        let word_ok = word.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && word
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !word_ok {
            return Err(format!(
                "segment {segment:?} must be a lowercase identifier, optionally with [index]"
            ));
        }
        if let Some(index) = index {
            let index_ok = !index.is_empty() && index.chars().all(|c| c.is_ascii_alphanumeric());
            if !index_ok {
                return Err(format!(
                    "segment {segment:?}: the index must be a placeholder like n or a number"
                ));
            }
        }
    }
    Ok(())
}

/// A locator as a form's text field holds it: empty (or only spaces) means no locator.
pub fn locator_from_form(text: &str) -> Option<String> {
    (!text.trim().is_empty()).then(|| text.to_string())
}

/// Checks a form's locator field: empty is fine (no locator), anything else must be a locator.
pub fn validate_form_locator(text: &str) -> Result<(), String> {
    match locator_from_form(text) {
        Some(locator) => validate_locator(&locator),
        None => Ok(()),
    }
}

/// True when `locator` matches `pattern`, where `[*]` in the pattern matches any index
/// (`rbms.rack[*].module[*]` matches `rbms.rack[n].module[m]` and `rbms.rack[3].module[1]`).
/// Without `[*]` the match is exact.
pub fn locator_matches(pattern: &str, locator: &str) -> bool {
    let pattern_segments: Vec<&str> = pattern.split('.').collect();
    let locator_segments: Vec<&str> = locator.split('.').collect();
    pattern_segments.len() == locator_segments.len()
        && pattern_segments
            .iter()
            .zip(&locator_segments)
            .all(|(p, l)| match p.strip_suffix("[*]") {
                Some(word) => l
                    .split_once('[')
                    .is_some_and(|(lw, rest)| lw == word && rest.ends_with(']')),
                None => p == l,
            })
}

/// `cell_voltage_max` -> `Cell Voltage Max`.
pub fn title_case(name: &str) -> String {
    let mut title = String::with_capacity(name.len());
    for word in name.split('_').filter(|word| !word.is_empty()) {
        if !title.is_empty() {
            title.push(' ');
        }
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            title.push(first.to_ascii_uppercase());
            title.push_str(chars.as_str());
        }
    }
    title
}

// ------------------------------------------------------------------ access path references

/// Whether a memory table is bit-addressed: its name's last part is `bits` (`oper:rtos:bits`).
/// Offsets and sizes in such a table count bits, in every other table bytes.
pub fn is_bit_table(table: &str) -> bool {
    table.rsplit(':').next() == Some("bits")
}

/// `memory_offset`: a slice of a controller memory table, as written in `data_def.json`. The
/// registry is a catalogue of memory: any element width and offset the file states is kept as
/// written; field I/O decides what it can poll (see `services::field::config`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MemoryOffsetRef {
    /// Table name as written in the definition file, e.g. `prot:sbmu:hold`.
    pub table: String,
    /// Offset from the start of the table: bytes, or bits in a `...:bits` table.
    pub offset: u32,
    /// Element width as the file states it: bytes, or bits in a `...:bits` table.
    pub size: u32,
    /// Element count.
    pub num: u32,
}

impl MemoryOffsetRef {
    /// Units covered (bytes, or bits in a bit table): `size × num`.
    pub fn memory_size(&self) -> u64 {
        u64::from(self.size) * u64::from(self.num)
    }

    /// Whether `offset` and `size` count bits (a `...:bits` table) rather than bytes.
    pub fn is_bit_table(&self) -> bool {
        is_bit_table(&self.table)
    }

    /// The unit of `offset`, `size` and `memory_size` for people: `B` or `bit`.
    pub fn unit(&self) -> &'static str {
        if self.is_bit_table() { "bit" } else { "B" }
    }
}

// The field-bus vocabulary of the references is defined once, in `fieldbus`.
pub use fieldbus::{
    CAN_MAX_DATA_BYTES, CAN_MAX_EXTENDED_ID, CAN_MAX_STANDARD_ID, DataType,
    MAX_READ_REGISTERS as MODBUS_MAX_READ_REGISTERS, RegisterTable, WordOrder,
};

fn default_scale() -> f64 {
    1.0
}

fn default_count() -> u16 {
    1
}

/// `modbus`: registers of a Modbus device (TCP or RTU), on the endpoint named by `device`.
///
/// The prototype's short spelling `{"device", "table", "address"}` leaves `unit_id` and
/// `data_type` out: they then come from the device's entry in the field configuration (defaults:
/// unit 1, `u16`; `bool` in coil and discrete tables).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ModbusRef {
    /// Which configured device/endpoint serves it.
    pub device: String,
    /// Absent: the device's unit id from the field configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_id: Option<u8>,
    pub table: RegisterTable,
    /// The literal register address (the protocol address, 0 to 65535), e.g. `40010`.
    pub address: u16,
    #[serde(default = "default_count")]
    pub count: u16,
    /// Absent: the device's data type from the field configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<DataType>,
    #[serde(default)]
    pub word_order: WordOrder,
    #[serde(default = "default_scale")]
    pub scale: f64,
}

impl ModbusRef {
    /// Written in the prototype's short spelling: unit id and data type left to the device.
    pub fn is_short(&self) -> bool {
        self.unit_id.is_none() && self.data_type.is_none()
    }
}

/// `can`: bytes of a CAN frame, as a typed signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CanRef {
    pub can_id: u32,
    #[serde(default)]
    pub extended: bool,
    pub start_byte: u8,
    pub length: u8,
    pub data_type: DataType,
    #[serde(default = "default_scale")]
    pub scale: f64,
}

/// `can` in the prototype's spelling: bytes `data0` through `data1` (inclusive) of the frame,
/// one unsigned little-endian value. Ids above 0x7FF are 29-bit (extended) ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CanBytesRef {
    pub can_id: u32,
    /// First data byte, 0 to 7.
    pub data0: u8,
    /// Last data byte (inclusive), `data0` to 7.
    pub data1: u8,
}

impl CanBytesRef {
    /// Bytes covered, `data1 - data0 + 1` (1 when the reference is not valid yet).
    pub fn length(&self) -> u8 {
        self.data1.saturating_sub(self.data0).saturating_add(1)
    }

    /// Whether `can_id` needs a 29-bit identifier.
    pub fn extended(&self) -> bool {
        self.can_id > CAN_MAX_STANDARD_ID
    }

    /// The unsigned type as wide as the bytes, if there is one (2, 4 or 8 bytes).
    pub fn data_type(&self) -> Option<DataType> {
        match self.length() {
            2 => Some(DataType::U16),
            4 => Some(DataType::U32),
            8 => Some(DataType::U64),
            _ => None,
        }
    }
}

/// Which RS485 bus a path is on: a bus name, or the prototype's channel number (the field
/// configuration's `rs485_channels` says which bus each number is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Rs485Channel {
    Number(u32),
    Name(String),
}

impl fmt::Display for Rs485Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rs485Channel::Number(number) => write!(f, "channel {number}"),
            Rs485Channel::Name(name) => f.write_str(name),
        }
    }
}

/// `rs485`: a register on a device of an RS485 channel (Modbus RTU bus).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Rs485Ref {
    pub channel: Rs485Channel,
    pub device_id: u8,
    pub table: RegisterTable,
    pub address: u16,
}

/// `memory_id`: a value of the controller's shared memory named by its 32-bit memory ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MemoryIdRef {
    pub memory_id: u32,
    /// Width of the value in bits, 1 to 64.
    pub width: u32,
}

/// The JSON shape of a reference, for the OpenAPI document: one of the shapes, without a type
/// tag (the path's `access_type` says which applies; [`AccessReference::parse`] checks it).
#[cfg(feature = "openapi")]
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Documents `reference`, which is carried as JSON and parsed on write.
pub enum ReferenceShape {
    MemoryOffset(MemoryOffsetRef),
    Modbus(ModbusRef),
    Can(CanRef),
    CanBytes(CanBytesRef),
    Rs485(Rs485Ref),
    MemoryId(MemoryIdRef),
}

/// A validated reference of one of the access types, in the spelling it was written in (so it
/// is shown and stored as written: `to_json` gives that spelling back, keys sorted).
#[derive(Debug, Clone, PartialEq)]
pub enum AccessReference {
    MemoryOffset(MemoryOffsetRef),
    Modbus(ModbusRef),
    Can(CanRef),
    /// A `can` reference in the prototype's `{can_id, data0, data1}` spelling.
    CanBytes(CanBytesRef),
    Rs485(Rs485Ref),
    MemoryId(MemoryIdRef),
}

/// Keys of the short Modbus spelling that are left out of its JSON when they hold the default.
const MODBUS_DEFAULTS: [(&str, f64); 2] = [("count", 1.0), ("scale", 1.0)];

impl AccessReference {
    pub fn access_type(&self) -> AccessType {
        match self {
            AccessReference::MemoryOffset(_) => AccessType::MemoryOffset,
            AccessReference::Modbus(_) => AccessType::Modbus,
            AccessReference::Can(_) | AccessReference::CanBytes(_) => AccessType::Can,
            AccessReference::Rs485(_) => AccessType::Rs485,
            AccessReference::MemoryId(_) => AccessType::MemoryId,
        }
    }

    /// Parses and checks `reference` for `access_type`; errors name the field under `reference`.
    pub fn parse(access_type: AccessType, reference: &Value) -> Result<Self, FieldError> {
        fn shape<T: serde::de::DeserializeOwned>(value: &Value) -> Result<T, FieldError> {
            T::deserialize(value).map_err(|err| {
                let message = err.to_string();
                // serde names the field in "missing field `x`" / "unknown field `x`"
                let field = message
                    .split('`')
                    .nth(1)
                    .filter(|_| message.contains("field `"))
                    .unwrap_or("")
                    .to_string();
                FieldError::new(field, message)
            })
        }
        let is_can_bytes = ["data0", "data1"]
            .iter()
            .any(|key| reference.get(key).is_some());
        let parsed = match access_type {
            AccessType::MemoryOffset => AccessReference::MemoryOffset(shape(reference)?),
            AccessType::Modbus => AccessReference::Modbus(shape(reference)?),
            AccessType::Can if is_can_bytes => AccessReference::CanBytes(shape(reference)?),
            AccessType::Can => AccessReference::Can(shape(reference)?),
            AccessType::Rs485 => AccessReference::Rs485(shape(reference)?),
            AccessType::MemoryId => AccessReference::MemoryId(shape(reference)?),
        };
        parsed.validate()?;
        Ok(parsed)
    }

    /// The semantic rules of each shape.
    pub fn validate(&self) -> Result<(), FieldError> {
        match self {
            AccessReference::MemoryOffset(m) => validate_memory_offset(m),
            AccessReference::Modbus(m) => validate_modbus(m),
            AccessReference::Can(c) => validate_can(c),
            AccessReference::CanBytes(c) => validate_can_bytes(c),
            AccessReference::Rs485(r) => validate_rs485(r),
            AccessReference::MemoryId(m) => {
                if m.width == 0 || m.width > 64 {
                    return Err(FieldError::new(
                        "width",
                        format!("must be 1 to 64 bits, found {}", m.width),
                    ));
                }
                Ok(())
            }
        }
    }

    /// Canonical JSON (keys sorted) in the spelling it was written in: the stored and compared
    /// form. A short Modbus reference leaves out `count` and `scale` of 1 and the default word
    /// order, as the prototype wrote it.
    pub fn to_json(&self) -> Value {
        let value = match self {
            AccessReference::MemoryOffset(m) => serde_json::to_value(m),
            AccessReference::Modbus(m) => serde_json::to_value(m),
            AccessReference::Can(c) => serde_json::to_value(c),
            AccessReference::CanBytes(c) => serde_json::to_value(c),
            AccessReference::Rs485(r) => serde_json::to_value(r),
            AccessReference::MemoryId(m) => serde_json::to_value(m),
        };
        let mut value = value.unwrap_or(Value::Null);
        if let (AccessReference::Modbus(m), Value::Object(object)) = (self, &mut value)
            && m.is_short()
        {
            for (key, default) in MODBUS_DEFAULTS {
                if object.get(key).and_then(Value::as_f64) == Some(default) {
                    object.remove(key);
                }
            }
            if m.word_order == WordOrder::default() {
                object.remove("word_order");
            }
        }
        value
    }

    /// One line for people: `prot:sbmu:hold @ 24, 2 B × 1`.
    pub fn summary(&self) -> String {
        match self {
            AccessReference::MemoryOffset(m) => {
                let unit = m.unit();
                format!("{} @ {}, {} {unit} × {}", m.table, m.offset, m.size, m.num)
            }
            AccessReference::Modbus(m) => modbus_summary(m),
            AccessReference::Can(c) => format!(
                "{:#X}{} bytes {}..{} {:?}",
                c.can_id,
                if c.extended { " (ext)" } else { "" },
                c.start_byte,
                u16::from(c.start_byte) + u16::from(c.length),
                c.data_type
            ),
            AccessReference::CanBytes(c) => format!(
                "{:#X} data{}..data{} (bytes {}..={}, little-endian)",
                c.can_id, c.data0, c.data1, c.data0, c.data1
            ),
            AccessReference::Rs485(r) => {
                format!(
                    "{} device {} {:?} {}",
                    r.channel, r.device_id, r.table, r.address
                )
            }
            AccessReference::MemoryId(m) => {
                format!("memory id {:#010X}, {} bits", m.memory_id, m.width)
            }
        }
    }
}

fn modbus_summary(m: &ModbusRef) -> String {
    let unit = m.unit_id.map_or_else(
        || "device's unit".to_string(),
        |unit| format!("unit {unit}"),
    );
    let data_type = m
        .data_type
        .map_or_else(|| "device's type".to_string(), |t| format!("{t:?}"));
    format!(
        "{} {unit} {:?} {} ×{} {data_type}",
        m.device, m.table, m.address, m.count
    )
}

fn validate_memory_offset(m: &MemoryOffsetRef) -> Result<(), FieldError> {
    if m.table.trim().is_empty() {
        return Err(FieldError::new("table", "must not be empty"));
    }
    if m.size == 0 {
        let unit = if m.is_bit_table() { "bit" } else { "byte" };
        return Err(FieldError::new(
            "size",
            format!("must be at least 1 (element width in {unit}s)"),
        ));
    }
    if m.num == 0 {
        return Err(FieldError::new("num", "must be at least 1"));
    }
    Ok(())
}

fn validate_modbus(m: &ModbusRef) -> Result<(), FieldError> {
    if m.device.trim().is_empty() {
        return Err(FieldError::new(
            "device",
            "must name the device or endpoint",
        ));
    }
    if m.count == 0 || m.count > MODBUS_MAX_READ_REGISTERS {
        return Err(FieldError::new(
            "count",
            format!("must be between 1 and {MODBUS_MAX_READ_REGISTERS}"),
        ));
    }
    if u32::from(m.address) + u32::from(m.count) > 65_536 {
        return Err(FieldError::new(
            "count",
            "address + count must stay within the 65,536-register space",
        ));
    }
    if let Some(data_type) = m.data_type
        && m.table.is_bits() != (data_type == DataType::Bool)
    {
        return Err(FieldError::new(
            "data_type",
            "coils and discrete inputs hold bool values, registers hold numbers",
        ));
    }
    validate_scale(m.scale)
}

fn validate_can_id(can_id: u32, extended: bool) -> Result<(), FieldError> {
    let max_id = if extended {
        CAN_MAX_EXTENDED_ID
    } else {
        CAN_MAX_STANDARD_ID
    };
    if can_id > max_id {
        return Err(FieldError::new(
            "can_id",
            format!(
                "must be at most {max_id:#X} for a {} id",
                if extended { "29-bit" } else { "11-bit" }
            ),
        ));
    }
    Ok(())
}

fn validate_can(c: &CanRef) -> Result<(), FieldError> {
    validate_can_id(c.can_id, c.extended)?;
    if c.length == 0 || u16::from(c.start_byte) + u16::from(c.length) > CAN_MAX_DATA_BYTES {
        return Err(FieldError::new(
            "length",
            "start_byte + length must fit in the 8 data bytes, length at least 1",
        ));
    }
    if c.data_type != DataType::Bool && c.length < c.data_type.bytes() {
        return Err(FieldError::new(
            "length",
            format!("{:?} needs {} bytes", c.data_type, c.data_type.bytes()),
        ));
    }
    validate_scale(c.scale)
}

fn validate_can_bytes(c: &CanBytesRef) -> Result<(), FieldError> {
    validate_can_id(c.can_id, true)?;
    let last = CAN_MAX_DATA_BYTES - 1;
    if u16::from(c.data0) > last {
        return Err(FieldError::new(
            "data0",
            format!("must be a data byte 0 to {last}, found {}", c.data0),
        ));
    }
    if u16::from(c.data1) > last || c.data1 < c.data0 {
        return Err(FieldError::new(
            "data1",
            format!(
                "must be a data byte from data0 ({}) to {last}, found {}",
                c.data0, c.data1
            ),
        ));
    }
    Ok(())
}

fn validate_rs485(r: &Rs485Ref) -> Result<(), FieldError> {
    if let Rs485Channel::Name(name) = &r.channel
        && name.trim().is_empty()
    {
        return Err(FieldError::new(
            "channel",
            "must name the RS485 bus or give its channel number",
        ));
    }
    if r.device_id == 0 || r.device_id > 247 {
        return Err(FieldError::new(
            "device_id",
            "must be a Modbus unit id 1..247",
        ));
    }
    Ok(())
}

fn validate_scale(scale: f64) -> Result<(), FieldError> {
    if !scale.is_finite() || scale == 0.0 {
        return Err(FieldError::new(
            "scale",
            "must be a finite, non-zero number",
        ));
    }
    Ok(())
}

// ------------------------------------------------------------------ DTOs

/// An access path as the API and the UI see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessPath {
    pub id: i64,
    pub access_type: AccessType,
    /// Where the path reads or writes, in the shape its `access_type` gives.
    #[cfg_attr(feature = "openapi", schema(value_type = ReferenceShape))]
    pub reference: Value,
    pub priority: i32,
    pub read_only: bool,
    /// `None` = every rack.
    pub rack_number: Option<i32>,
    pub device_id: Option<String>,
    pub path_version: i64,
    pub system_version: i64,
    pub last_updated: String,
    pub active: bool,
}

/// A variable as the API and the UI see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Variable {
    pub name: String,
    pub display_name: String,
    pub units: String,
    pub description: String,
    pub category: Category,
    /// `null` when the variable has no locator.
    pub locator: Option<String>,
    pub variable_version: i64,
    pub system_version: i64,
    pub last_updated: String,
    pub source_system: String,
    pub deleted: bool,
    /// Present when asked for (`include_paths`) and on single-variable reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<AccessPath>>,
    /// Active paths, always present (cheap to count, handy in lists).
    pub path_count: u32,
}

/// What one row of a variable's history records (the column `variable_change_log.change_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "server",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter)
)]
#[cfg_attr(
    feature = "server",
    sea_orm(
        rs_type = "String",
        db_type = "String(sea_orm::sea_query::StringLen::None)"
    )
)]
pub enum ChangeType {
    #[cfg_attr(feature = "server", sea_orm(string_value = "created"))]
    Created,
    #[cfg_attr(feature = "server", sea_orm(string_value = "updated"))]
    Updated,
    #[cfg_attr(feature = "server", sea_orm(string_value = "deleted"))]
    Deleted,
    #[cfg_attr(feature = "server", sea_orm(string_value = "path_added"))]
    PathAdded,
    #[cfg_attr(feature = "server", sea_orm(string_value = "path_updated"))]
    PathUpdated,
    #[cfg_attr(feature = "server", sea_orm(string_value = "path_removed"))]
    PathRemoved,
}

impl ChangeType {
    pub const ALL: [ChangeType; 6] = [
        ChangeType::Created,
        ChangeType::Updated,
        ChangeType::Deleted,
        ChangeType::PathAdded,
        ChangeType::PathUpdated,
        ChangeType::PathRemoved,
    ];

    /// The spelling stored in the database and sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeType::Created => "created",
            ChangeType::Updated => "updated",
            ChangeType::Deleted => "deleted",
            ChangeType::PathAdded => "path_added",
            ChangeType::PathUpdated => "path_updated",
            ChangeType::PathRemoved => "path_removed",
        }
    }

    pub fn parse(text: &str) -> Option<ChangeType> {
        ChangeType::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

impl fmt::Display for ChangeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of a variable's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeLogEntry {
    pub change_type: ChangeType,
    pub field_name: Option<String>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub timestamp: String,
    pub changed_by: String,
    pub source_system: String,
    pub path_id: Option<i64>,
    pub variable_version: i64,
    pub system_version: i64,
}

/// Filters of the variable list (`GET /api/v1/variables`, the Registry page).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VariableQuery {
    pub category: Option<Category>,
    /// Exact locator, or a pattern with `[*]` over indices.
    pub locator: Option<String>,
    /// Case-insensitive search in name, display name and description.
    pub q: Option<String>,
    pub access_type: Option<AccessType>,
    /// Only variables changed (themselves or a path) after this system version.
    pub since_version: Option<i64>,
    #[serde(default)]
    pub include_paths: bool,
    #[serde(default)]
    pub include_deleted: bool,
    /// 1-based.
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

pub const DEFAULT_PER_PAGE: u64 = 50;
pub const MAX_PER_PAGE: u64 = 1_000;

impl VariableQuery {
    pub fn page(&self) -> u64 {
        self.page.unwrap_or(1).max(1)
    }

    pub fn per_page(&self) -> u64 {
        self.per_page
            .unwrap_or(DEFAULT_PER_PAGE)
            .clamp(1, MAX_PER_PAGE)
    }
}

/// A page of results with the total across all pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    pub items: Vec<T>,
}

/// A facet value with the number of (non-deleted) variables that have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// A new variable (`POST /api/v1/variables`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewVariable {
    pub name: String,
    /// Defaults to the name in Title Case.
    pub display_name: Option<String>,
    #[serde(default)]
    pub units: String,
    #[serde(default)]
    pub description: String,
    pub category: Category,
    /// Absent or `null`: the variable has no locator.
    #[serde(default)]
    pub locator: Option<String>,
    #[serde(default)]
    pub paths: Vec<NewAccessPath>,
}

/// Changes to a variable's metadata (`PATCH /api/v1/variables/{name}`); absent = unchanged.
/// `locator: null` removes the locator (as `rack_number: null` does in [`AccessPathPatch`]);
/// `null` for any other field leaves it unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VariablePatch {
    pub display_name: Option<String>,
    pub units: Option<String>,
    pub description: Option<String>,
    pub category: Option<Category>,
    /// Absent: unchanged; `null`: no locator; a text: that locator.
    // Skipped when absent: serialized as `null`, it would read back as "no locator".
    #[serde(
        default,
        with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub locator: Option<Option<String>>,
}

/// A new access path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAccessPath {
    pub access_type: AccessType,
    /// Where the path reads or writes, in the shape its `access_type` gives.
    #[cfg_attr(feature = "openapi", schema(value_type = ReferenceShape))]
    pub reference: Value,
    #[serde(default)]
    pub priority: i32,
    #[serde(default)]
    pub read_only: bool,
    pub rack_number: Option<i32>,
    pub device_id: Option<String>,
}

/// Changes to an access path; absent = unchanged. `rack_number: null` means every rack.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccessPathPatch {
    /// A new reference, in the shape of the path's `access_type`.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<ReferenceShape>, nullable = false))]
    pub reference: Option<Value>,
    pub priority: Option<i32>,
    pub read_only: Option<bool>,
    #[serde(default, with = "double_option")]
    pub rack_number: Option<Option<i32>>,
    #[serde(default, with = "double_option")]
    pub device_id: Option<Option<String>>,
    pub active: Option<bool>,
}

/// Tells "absent" (`None`) from "null" (`Some(None)`) in a JSON patch.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<T: Serialize, S: Serializer>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

/// Checks a new variable before anything is written; errors carry the field path.
pub fn validate_new_variable(new: &NewVariable) -> Result<(), FieldError> {
    validate_name(&new.name).map_err(|m| FieldError::new("name", m))?;
    if let Some(locator) = &new.locator {
        validate_locator(locator).map_err(|m| FieldError::new("locator", m))?;
    }
    if new
        .display_name
        .as_deref()
        .is_some_and(|d| d.trim().is_empty())
    {
        return Err(FieldError::new("display_name", "must not be blank"));
    }
    for (i, path) in new.paths.iter().enumerate() {
        validate_new_path(path).map_err(|e| e.under(&format!("paths[{i}]")))?;
    }
    Ok(())
}

pub fn validate_patch(patch: &VariablePatch) -> Result<(), FieldError> {
    if let Some(Some(locator)) = &patch.locator {
        validate_locator(locator).map_err(|m| FieldError::new("locator", m))?;
    }
    if patch
        .display_name
        .as_deref()
        .is_some_and(|d| d.trim().is_empty())
    {
        return Err(FieldError::new("display_name", "must not be blank"));
    }
    Ok(())
}

pub fn validate_new_path(path: &NewAccessPath) -> Result<AccessReference, FieldError> {
    if path.rack_number.is_some_and(|r| r < 0) {
        return Err(FieldError::new("rack_number", "must not be negative"));
    }
    AccessReference::parse(path.access_type, &path.reference).map_err(|e| e.under("reference"))
}

/// One field that an import (or an edit) changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldChange {
    /// `display_name`, `category`, ..., or `path[prot:sbmu:hold]` for a memory path.
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Whether an import creates a variable or changes an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    New,
    Changed,
    /// Nothing changes: the files differ only in fields someone edited, which are kept.
    Kept,
}

impl DiffKind {
    /// The spelling sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            DiffKind::New => "new",
            DiffKind::Changed => "changed",
            DiffKind::Kept => "kept",
        }
    }
}

impl fmt::Display for DiffKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an import does (or would do, on a dry run) to one variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VariableDiff {
    pub name: String,
    pub kind: DiffKind,
    pub changes: Vec<FieldChange>,
    /// Fields the files give another value but someone edited in the console or over the API:
    /// the import keeps the edit (unless told to overwrite edits).
    #[serde(default)]
    pub kept: Vec<KeptEdit>,
}

/// A display name, units or description an import leaves as someone edited it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeptEdit {
    /// `display_name`, `units` or `description`.
    pub field: String,
    /// The edited value, which stays.
    pub kept: String,
    /// What the files say.
    pub file: String,
    /// Who made the edit and from where (the change log's `changed_by` and `source_system`).
    pub edited_by: String,
    pub source_system: String,
    /// The variable version and system version the edit made.
    pub variable_version: i64,
    pub system_version: i64,
}

/// The outcome of an import: counts, and per variable the field-level diff.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub new: u64,
    pub changed: u64,
    pub unchanged: u64,
    /// `_gap` items skipped.
    pub skipped: u64,
    pub paths_added: u64,
    pub paths_updated: u64,
    /// Paths deactivated by `--prune`.
    pub paths_deactivated: u64,
    /// Edited fields kept although the files differ (see `VariableDiff::kept`).
    #[serde(default)]
    pub kept: u64,
    /// System versions taken (0 when nothing changed or on a dry run).
    pub versions_used: u64,
    /// The system version after the import.
    pub system_version: i64,
    pub dry_run: bool,
    /// The first `MAX_REPORTED_DIFFS` variables that are new or changed.
    pub diffs: Vec<VariableDiff>,
    pub diffs_truncated: bool,
}

pub const MAX_REPORTED_DIFFS: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_must_be_snake_case_identifiers() {
        for good in ["soc", "cell_voltage_max_warn", "t1", "a_b_c_9"] {
            assert_eq!(validate_name(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "Soc",
            "1abc",
            "_gap1",
            "cell-voltage",
            "cell voltage",
            "sóc",
            "new",
            "import",
        ] {
            assert!(validate_name(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(validate_name(&"a".repeat(MAX_NAME_LENGTH + 1)).is_err());
    }

    #[test]
    fn locators_are_dotted_paths_with_optional_indices() {
        for good in [
            "system.global",
            "sbmu.chiller[n]",
            "rbms.rack[n].module[m].cell[c]",
            "rbms.rack[3]",
        ] {
            assert_eq!(validate_locator(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "rbms..rack",
            "Rbms.rack",
            "rbms.rack[",
            "rbms.rack[]",
            "rbms.rack[n-1]",
            "a b",
        ] {
            assert!(validate_locator(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn locator_wildcards_match_any_index() {
        let cases = [
            ("rbms.rack[*]", "rbms.rack[n]", true),
            ("rbms.rack[*]", "rbms.rack[3]", true),
            ("rbms.rack[*].module[*]", "rbms.rack[n].module[m]", true),
            ("rbms.rack[*]", "rbms.rack[n].module[m]", false),
            ("rbms.rack[*]", "rbms.rack", false),
            ("rbms.rack[*]", "sbmu.rack[n]", false),
            ("system.global", "system.global", true),
            ("rbms.rack[n]", "rbms.rack[3]", false),
            ("rbms.rack[n]", "rbms.rack[n]", true),
        ];
        for (pattern, locator, expected) in cases {
            assert_eq!(
                locator_matches(pattern, locator),
                expected,
                "{pattern} vs {locator}"
            );
        }
    }

    #[test]
    fn no_locator_is_absent_or_null_and_a_given_one_is_checked() {
        let new: NewVariable =
            serde_json::from_value(json!({"name": "soc", "category": "oper"})).unwrap();
        assert_eq!(new.locator, None);
        assert_eq!(validate_new_variable(&new), Ok(()));
        let null: NewVariable =
            serde_json::from_value(json!({"name": "soc", "category": "oper", "locator": null}))
                .unwrap();
        assert_eq!(null.locator, None);
        let bad = NewVariable {
            locator: Some(String::new()),
            ..new
        };
        assert_eq!(validate_new_variable(&bad).unwrap_err().field, "locator");
    }

    #[test]
    fn a_patch_tells_an_absent_locator_from_a_null_one() {
        let absent: VariablePatch = serde_json::from_value(json!({"units": "V"})).unwrap();
        assert_eq!(absent.locator, None, "absent: unchanged");
        let null: VariablePatch = serde_json::from_value(json!({"locator": null})).unwrap();
        assert_eq!(null.locator, Some(None), "null: no locator");
        let given: VariablePatch =
            serde_json::from_value(json!({"locator": "rbms.rack[n]"})).unwrap();
        assert_eq!(given.locator, Some(Some("rbms.rack[n]".to_string())));
        assert_eq!(validate_patch(&null), Ok(()));
        let bad: VariablePatch = serde_json::from_value(json!({"locator": "A B"})).unwrap();
        assert_eq!(validate_patch(&bad).unwrap_err().field, "locator");
        // Serialized back, null stays null and absent stays absent.
        assert_eq!(serde_json::to_value(&null).unwrap()["locator"], json!(null));
        assert!(
            serde_json::to_value(&absent)
                .unwrap()
                .get("locator")
                .is_none()
        );
    }

    #[test]
    fn an_empty_form_locator_is_no_locator() {
        assert_eq!(locator_from_form(""), None);
        assert_eq!(locator_from_form("  "), None);
        assert_eq!(
            locator_from_form("sbmu.global"),
            Some("sbmu.global".to_string())
        );
        assert_eq!(validate_form_locator(""), Ok(()));
        assert!(validate_form_locator("Not A Locator").is_err());
    }

    #[test]
    fn title_case_from_snake_case() {
        assert_eq!(title_case("cell_voltage_max_warn"), "Cell Voltage Max Warn");
        assert_eq!(title_case("soc"), "Soc");
        assert_eq!(title_case("t1__x"), "T1 X");
    }

    #[test]
    fn references_are_checked_per_access_type_with_field_paths() {
        let memory = json!({"table": "prot:sbmu:hold", "offset": 24, "size": 2, "num": 1});
        let parsed = AccessReference::parse(AccessType::MemoryOffset, &memory).unwrap();
        assert_eq!(parsed.to_json(), memory);

        let cases = [
            (
                AccessType::MemoryOffset,
                json!({"table": "t", "offset": -1, "size": 2, "num": 1}),
                "",
            ),
            (
                AccessType::MemoryOffset,
                json!({"table": "t", "offset": 0, "size": 0, "num": 1}),
                "size",
            ),
            (
                AccessType::MemoryOffset,
                json!({"table": "t", "offset": 0, "size": 2, "num": 0}),
                "num",
            ),
            (
                AccessType::MemoryOffset,
                json!({"table": "t", "offset": 0, "size": 2}),
                "num",
            ),
            (
                AccessType::MemoryOffset,
                json!({"table": "t", "offset": 0, "size": 2, "num": 1, "x": 1}),
                "x",
            ),
            (
                AccessType::Modbus,
                json!({"device": "bms", "unit_id": 1, "table": "holding", "address": 10, "count": 126, "data_type": "u16"}),
                "count",
            ),
            (
                AccessType::Modbus,
                json!({"device": "bms", "unit_id": 1, "table": "coil", "address": 10, "data_type": "u16"}),
                "data_type",
            ),
            (
                AccessType::Modbus,
                json!({"device": "bms", "unit_id": 1, "table": "holding", "address": 10, "data_type": "u16", "scale": 0.0}),
                "scale",
            ),
            (
                AccessType::Can,
                json!({"can_id": 2048, "start_byte": 0, "length": 2, "data_type": "u16"}),
                "can_id",
            ),
            (
                AccessType::Can,
                json!({"can_id": 256, "start_byte": 7, "length": 2, "data_type": "u16"}),
                "length",
            ),
            (
                AccessType::Rs485,
                json!({"channel": "rs485-1", "device_id": 0, "table": "holding", "address": 1}),
                "device_id",
            ),
        ];
        for (access_type, reference, field) in cases {
            let err = AccessReference::parse(access_type, &reference)
                .expect_err(&format!("{reference} was accepted"));
            assert_eq!(err.field, field, "{reference}: {err}");
        }

        let extended = json!({"can_id": 0x18FF50E5u32, "extended": true, "start_byte": 0, "length": 4, "data_type": "u32"});
        assert!(AccessReference::parse(AccessType::Can, &extended).is_ok());
        let modbus = json!({"device": "inverter", "unit_id": 1, "table": "input", "address": 30775, "count": 2, "data_type": "i32", "scale": 0.1});
        assert!(AccessReference::parse(AccessType::Modbus, &modbus).is_ok());
    }

    #[test]
    fn memory_size_is_width_times_count() {
        let m = MemoryOffsetRef {
            table: "oper:rack:sm16".into(),
            offset: 0,
            size: 2,
            num: 96,
        };
        assert_eq!(m.memory_size(), 192);
    }

    /// The prototype's files and its seed's paths (001 "`access_type` values"): accepted,
    /// stored in the spelling they were written in, and summarised from it.
    #[test]
    fn the_prototype_spellings_are_accepted_and_kept_as_written() {
        let cases = [
            (
                AccessType::Modbus,
                json!({"device": "rbms", "table": "holding", "address": 40010}),
                "rbms device's unit Holding 40010 ×1 device's type",
            ),
            (
                AccessType::Rs485,
                json!({"channel": 1, "device_id": 5, "table": "holding", "address": 100}),
                "channel 1 device 5 Holding 100",
            ),
            (
                AccessType::Can,
                json!({"can_id": 291, "data0": 0, "data1": 1}),
                "0x123 data0..data1 (bytes 0..=1, little-endian)",
            ),
            (
                AccessType::MemoryId,
                json!({"memory_id": 2_952_790_016u32, "width": 16}),
                "memory id 0xB0000000, 16 bits",
            ),
            (
                AccessType::MemoryOffset,
                json!({"table": "rack:sm16", "offset": 7182, "size": 16, "num": 1}),
                "rack:sm16 @ 7182, 16 B × 1",
            ),
            (
                AccessType::MemoryOffset,
                json!({"table": "oper:rtos:bits", "offset": 1, "size": 1, "num": 3}),
                "oper:rtos:bits @ 1, 1 bit × 3",
            ),
        ];
        for (access_type, written, summary) in cases {
            let parsed = AccessReference::parse(access_type, &written)
                .unwrap_or_else(|e| panic!("{written} was refused: {e}"));
            assert_eq!(parsed.access_type(), access_type);
            assert_eq!(parsed.to_json(), written, "stored as written");
            assert_eq!(parsed.summary(), summary);
        }
        let can = CanBytesRef {
            can_id: 291,
            data0: 0,
            data1: 1,
        };
        assert_eq!((can.length(), can.data_type()), (2, Some(DataType::U16)));
        assert!(!can.extended());
        let three = CanBytesRef { data1: 2, ..can };
        assert_eq!(three.data_type(), None, "no 3-byte type");
        // The full shapes keep their stored text, defaults included.
        let full = json!({"address": 30775, "count": 2, "data_type": "i32", "device": "inverter",
            "scale": 0.1, "table": "input", "unit_id": 1, "word_order": "big_endian"});
        let parsed = AccessReference::parse(AccessType::Modbus, &full).unwrap();
        assert_eq!(parsed.to_json(), full);
        // A short spelling with a non-default count keeps it.
        let counted = json!({"address": 10, "count": 2, "device": "rbms", "table": "input"});
        let parsed = AccessReference::parse(AccessType::Modbus, &counted).unwrap();
        assert_eq!(parsed.to_json(), counted);
    }

    #[test]
    fn wrong_prototype_spellings_are_refused_with_the_field() {
        let cases = [
            (
                AccessType::Can,
                json!({"can_id": 291, "data0": 1, "data1": 0}),
                "data1",
            ),
            (
                AccessType::Can,
                json!({"can_id": 291, "data0": 8, "data1": 9}),
                "data0",
            ),
            (AccessType::Can, json!({"can_id": 291, "data0": 0}), "data1"),
            (
                AccessType::Can,
                json!({"can_id": 0x2000_0000u32, "data0": 0, "data1": 1}),
                "can_id",
            ),
            (
                AccessType::Can,
                json!({"can_id": 291, "data0": 0, "data1": 1, "scale": 2}),
                "scale",
            ),
            (
                AccessType::MemoryId,
                json!({"memory_id": 1, "width": 0}),
                "width",
            ),
            (
                AccessType::MemoryId,
                json!({"memory_id": 4_294_967_296u64, "width": 16}),
                "",
            ),
            (AccessType::MemoryId, json!({"memory_id": 1}), "width"),
            (
                AccessType::Rs485,
                json!({"channel": -1, "device_id": 5, "table": "holding", "address": 1}),
                "",
            ),
            (
                AccessType::Rs485,
                json!({"channel": "", "device_id": 5, "table": "holding", "address": 1}),
                "channel",
            ),
            (
                AccessType::Modbus,
                json!({"device": "rbms", "table": "holding", "address": 70000}),
                "",
            ),
            (
                AccessType::Modbus,
                json!({"device": "", "table": "holding", "address": 1}),
                "device",
            ),
            (
                AccessType::MemoryOffset,
                json!({"table": "oper:rtos:bits", "offset": 1, "size": 0, "num": 3}),
                "size",
            ),
        ];
        for (access_type, reference, field) in cases {
            let err = AccessReference::parse(access_type, &reference)
                .expect_err(&format!("{reference} was accepted"));
            assert_eq!(err.field, field, "{reference}: {err}");
            let path = NewAccessPath {
                access_type,
                reference: reference.clone(),
                priority: 0,
                read_only: false,
                rack_number: None,
                device_id: None,
            };
            let under = validate_new_path(&path).unwrap_err();
            assert!(under.field.starts_with("reference"), "{under}");
        }
    }
}

// ------------------------------------------------------------------ listing and change feed

/// Everything the Registry list shows: one page of variables and the facet counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistryListing {
    pub page: Page<Variable>,
    pub categories: Vec<FacetCount>,
    pub locators: Vec<FacetCount>,
    pub system_version: i64,
    /// Latest polled values of the page's variables.
    #[serde(default)]
    pub live: Vec<crate::field::LiveValue>,
    /// The page's variables that have access paths but none of them is polled, and why.
    #[serde(default)]
    pub not_polled: Vec<NotPolled>,
}

/// A variable that is not polled, and why (its first path's reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotPolled {
    pub name: String,
    /// E.g. `memory table "oper:sbmu:input" has no data source`.
    pub reason: String,
}

/// One entry of the change feed: the current state of a variable or a path whose last change
/// has this system version. Deleted variables and removed paths appear as tombstones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeItem {
    Variable {
        system_version: i64,
        /// True for a soft-deleted variable (a tombstone).
        deleted: bool,
        variable: Variable,
    },
    Path {
        system_version: i64,
        variable: String,
        /// True for a deactivated path (a tombstone).
        removed: bool,
        path: AccessPath,
    },
}

impl ChangeItem {
    pub fn system_version(&self) -> i64 {
        match self {
            ChangeItem::Variable { system_version, .. }
            | ChangeItem::Path { system_version, .. } => *system_version,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeFeed {
    /// The system version now.
    pub current_version: i64,
    /// Pass as `since` to continue; equals `since` when nothing was returned.
    pub next_since: i64,
    /// True when more changes follow `next_since`.
    pub has_more: bool,
    pub items: Vec<ChangeItem>,
}

// ------------------------------------------------------------------ metadata form and merge

/// The metadata fields the variable page's form edits, as the form holds them (the category as
/// its `as_str` text, no locator as the empty text: see [`locator_from_form`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetadataForm {
    pub display_name: String,
    pub units: String,
    pub description: String,
    pub category: String,
    pub locator: String,
}

impl MetadataForm {
    /// The form as it opens for `variable`.
    pub fn of(variable: &Variable) -> Self {
        MetadataForm {
            display_name: variable.display_name.clone(),
            units: variable.units.clone(),
            description: variable.description.clone(),
            category: variable.category.as_str().to_string(),
            locator: variable.locator.clone().unwrap_or_default(),
        }
    }

    /// The fields with their names, in the form's order.
    pub fn fields(&self) -> [(&'static str, &str); 5] {
        [
            ("display_name", &self.display_name),
            ("units", &self.units),
            ("description", &self.description),
            ("category", &self.category),
            ("locator", &self.locator),
        ]
    }

    fn field_mut(&mut self, field: &str) -> Option<&mut String> {
        match field {
            "display_name" => Some(&mut self.display_name),
            "units" => Some(&mut self.units),
            "description" => Some(&mut self.description),
            "category" => Some(&mut self.category),
            "locator" => Some(&mut self.locator),
            _ => None,
        }
    }

    /// The fields that differ from `self` to `other`, as (field, old, new).
    pub fn changes_to(&self, other: &MetadataForm) -> Vec<(&'static str, String, String)> {
        self.fields()
            .into_iter()
            .zip(other.fields())
            .filter(|((_, old), (_, new))| old != new)
            .map(|((field, old), (_, new))| (field, old.to_string(), new.to_string()))
            .collect()
    }
}

/// What "Overwrite with mine" saves: the merged form, and how it differs from the current state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MergedMetadata {
    /// The form to save, at the current (theirs) version.
    pub form: MetadataForm,
    /// Field by field, theirs → the merged form (`old` = theirs, `new` = result).
    pub changes: Vec<FieldChange>,
}

/// A three-way merge of the metadata form: the fields this user changed (`base` → `mine`, where
/// `base` is what the form was opened with) are applied onto `theirs` (the current state); every
/// other field keeps theirs. Where both changed a field, mine wins: that is what overwrite means.
pub fn merge_mine(
    base: &MetadataForm,
    mine: &MetadataForm,
    theirs: &MetadataForm,
) -> MergedMetadata {
    let mut form = theirs.clone();
    for (field, _, new) in base.changes_to(mine) {
        if let Some(slot) = form.field_mut(field) {
            *slot = new;
        }
    }
    let changes = theirs
        .changes_to(&form)
        .into_iter()
        .map(|(field, old, new)| FieldChange {
            field: field.to_string(),
            old: Some(old),
            new: Some(new),
        })
        .collect();
    MergedMetadata { form, changes }
}

#[cfg(test)]
mod spelling_tests {
    use super::*;

    #[test]
    fn kinds_are_spelled_as_stored() {
        for category in Category::ALL {
            assert_spelled_as_str!(category);
        }
        for access_type in AccessType::ALL {
            assert_spelled_as_str!(access_type);
        }
        for change_type in ChangeType::ALL {
            assert_spelled_as_str!(change_type);
            assert_eq!(ChangeType::parse(change_type.as_str()), Some(change_type));
        }
        assert_eq!(serde_json::to_value(DiffKind::New).unwrap(), "new");
        assert_eq!(serde_json::to_value(DiffKind::Changed).unwrap(), "changed");
    }
}

#[cfg(test)]
mod merge_tests {
    use super::*;

    fn form(units: &str, description: &str) -> MetadataForm {
        MetadataForm {
            display_name: "Humidity".into(),
            units: units.into(),
            description: description.into(),
            category: "oper".into(),
            locator: "system.global".into(),
        }
    }

    fn change(field: &str, old: &str, new: &str) -> FieldChange {
        FieldChange {
            field: field.into(),
            old: Some(old.into()),
            new: Some(new.into()),
        }
    }

    /// The reported defect: tab A saved new units, tab B changed only the description and
    /// overwrites. Tab A's units must survive; only the description changes.
    #[test]
    fn overwrite_keeps_their_units_and_saves_my_description() {
        let base = form("%", "Relative humidity");
        let theirs = form("% RH", "Relative humidity");
        let mine = form("%", "Humidity in the enclosure");
        let merged = merge_mine(&base, &mine, &theirs);
        assert_eq!(merged.form, form("% RH", "Humidity in the enclosure"));
        assert_eq!(
            merged.changes,
            vec![change(
                "description",
                "Relative humidity",
                "Humidity in the enclosure"
            )]
        );
    }

    #[test]
    fn where_both_changed_a_field_mine_wins_and_is_shown() {
        let base = form("%", "Old");
        let theirs = form("% RH", "Theirs");
        let mine = form("%", "Mine");
        let merged = merge_mine(&base, &mine, &theirs);
        assert_eq!(merged.form, form("% RH", "Mine"));
        assert_eq!(
            merged.changes,
            vec![change("description", "Theirs", "Mine")]
        );
    }

    #[test]
    fn every_field_merges_independently() {
        let base = MetadataForm {
            display_name: "A".into(),
            units: "V".into(),
            description: "d".into(),
            category: "oper".into(),
            locator: "system.global".into(),
        };
        let mine = MetadataForm {
            display_name: "A2".into(),
            category: "config".into(),
            ..base.clone()
        };
        let theirs = MetadataForm {
            units: "mV".into(),
            locator: "sbmu.ambient".into(),
            ..base.clone()
        };
        let merged = merge_mine(&base, &mine, &theirs);
        assert_eq!(
            merged.form,
            MetadataForm {
                display_name: "A2".into(),
                units: "mV".into(),
                description: "d".into(),
                category: "config".into(),
                locator: "sbmu.ambient".into(),
            }
        );
        assert_eq!(
            merged.changes,
            vec![
                change("display_name", "A", "A2"),
                change("category", "oper", "config")
            ]
        );
    }

    #[test]
    fn no_change_of_mine_keeps_theirs_and_changes_nothing() {
        let base = form("%", "Old");
        let theirs = form("% RH", "Theirs");
        let merged = merge_mine(&base, &base, &theirs);
        assert_eq!(merged.form, theirs);
        assert!(merged.changes.is_empty());
        // The same change on both sides is no change either.
        let same = merge_mine(&base, &theirs, &theirs);
        assert_eq!(same.form, theirs);
        assert!(same.changes.is_empty());
    }

    #[test]
    fn the_form_opens_with_the_variables_fields() {
        let variable = Variable {
            name: "humidity".into(),
            display_name: "Humidity".into(),
            units: "%".into(),
            description: "Relative humidity".into(),
            category: Category::Oper,
            locator: Some("system.global".into()),
            variable_version: 1,
            system_version: 1,
            last_updated: String::new(),
            source_system: "import".into(),
            deleted: false,
            paths: None,
            path_count: 0,
        };
        assert_eq!(MetadataForm::of(&variable), form("%", "Relative humidity"));
        let without = Variable {
            locator: None,
            ..variable.clone()
        };
        assert_eq!(MetadataForm::of(&without).locator, "");
        assert_eq!(
            variable_changes(&variable, &without),
            vec![FieldChange {
                field: "locator".into(),
                old: Some("system.global".into()),
                new: None,
            }]
        );
        assert_eq!(
            form("%", "a").changes_to(&form("% RH", "a")),
            vec![("units", "%".to_string(), "% RH".to_string())]
        );
    }
}

// ------------------------------------------------------------------ history (past versions)

/// The whole registry as it was at a system version (`GET /api/v1/registry/snapshot`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrySnapshot {
    /// The system version the snapshot shows.
    pub at_system_version: i64,
    /// The system version now.
    pub current_version: i64,
    /// Every variable that existed then, in name order, each with all its paths as they were
    /// (soft-deleted variables as tombstones, deactivated paths with `active: false`).
    pub variables: Vec<Variable>,
}

/// Restore a past version of a variable (`POST /api/v1/variables/{name}/restore`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RestoreRequest {
    /// The variable version to bring back (it becomes a new version).
    pub version: i64,
}

/// The `field_name` of the change-log row that marks a restore: `old_value` is the variable
/// version before the restore, `new_value` the version restored. The restore's other rows are
/// the ordinary field and path changes it made.
pub const RESTORED_VERSION_FIELD: &str = "restored_version";

/// How `old` differs from `new`, field by field and path by path (paths matched by id): what the
/// history shows for a past version against today, and what a restore would change.
pub fn variable_changes(old: &Variable, new: &Variable) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    // `None` is a value too: no locator.
    let mut compare = |field: &str, before: Option<&str>, after: Option<&str>| {
        if before != after {
            changes.push(FieldChange {
                field: field.to_string(),
                old: before.map(str::to_string),
                new: after.map(str::to_string),
            });
        }
    };
    compare(
        "display_name",
        Some(&old.display_name),
        Some(&new.display_name),
    );
    compare("units", Some(&old.units), Some(&new.units));
    compare(
        "description",
        Some(&old.description),
        Some(&new.description),
    );
    compare(
        "category",
        Some(old.category.as_str()),
        Some(new.category.as_str()),
    );
    compare("locator", old.locator.as_deref(), new.locator.as_deref());
    compare(
        "deleted",
        Some(&old.deleted.to_string()),
        Some(&new.deleted.to_string()),
    );
    let no_paths = Vec::new();
    let old_paths = old.paths.as_ref().unwrap_or(&no_paths);
    let new_paths = new.paths.as_ref().unwrap_or(&no_paths);
    for before in old_paths {
        let after = new_paths.iter().find(|p| p.id == before.id);
        changes.extend(path_changes(Some(before), after));
    }
    for after in new_paths {
        if !old_paths.iter().any(|p| p.id == after.id) {
            changes.extend(path_changes(None, Some(after)));
        }
    }
    changes
}

/// One access path's state in one line: what the history and the diffs show.
pub fn path_state_summary(path: &AccessPath) -> String {
    let reference = AccessReference::parse(path.access_type, &path.reference)
        .map_or_else(|_| path.reference.to_string(), |r| r.summary());
    let rack = path
        .rack_number
        .map_or_else(|| "all racks".to_string(), |r| format!("rack {r}"));
    let mut text = format!(
        "{} {reference}, priority {}, {}, {rack}",
        path.access_type.label(),
        path.priority,
        if path.read_only {
            "read-only"
        } else {
            "writable"
        },
    );
    if let Some(device) = &path.device_id {
        text.push_str(&format!(", device {device}"));
    }
    if !path.active {
        text.push_str(" (inactive)");
    }
    text
}

fn path_changes(old: Option<&AccessPath>, new: Option<&AccessPath>) -> Option<FieldChange> {
    let id = old.or(new).map(|p| p.id)?;
    let before = old.map(path_state_summary);
    let after = new.map(path_state_summary);
    (before != after).then(|| FieldChange {
        field: format!("path {id}"),
        old: before,
        new: after,
    })
}
