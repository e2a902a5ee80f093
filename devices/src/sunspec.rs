//! SunSpec over Modbus, read-only: find the "SunS" marker at a base address, walk the device's
//! model chain (id and length headers up to 0xFFFF), and read a point of a model with its scale
//! factor applied. Only holding-register reads (function 3) are ever sent.
//!
//! The points are those of the SunSpec Alliance's model definitions (github.com/sunspec/models,
//! `json/model_<id>.json`, Apache-2.0, read at commit 7abdf8982d5364f8ae916deee18aac86c11be36d):
//! the common model 1, the inverter models 101–103, the meter models 201–204 and the battery
//! model 802. Only the points Powerdeck's adapter types map, and their scale factors, are listed;
//! offsets count from the model's `ID` register (`ID` = 0, `L` = 1), and the models of one family
//! share these offsets (checked against the definitions when the table was written).

use std::future::Future;

use crate::error::DeviceError;
use crate::modbus::RegisterTransport;
use crate::types::{MAX_READ_REGISTERS, RegisterTable};
use PointType::{Acc32, Enum16, Int16, Sunssf, Uint16};

/// Where a SunSpec device may place its marker, in the order they are tried.
pub const BASE_ADDRESSES: [u16; 3] = [40000, 0, 50000];
/// "SunS" as two registers.
pub const MARKER: [u16; 2] = [0x5375, 0x6e53];
/// The model id that ends the chain.
pub const END_MODEL: u16 = 0xFFFF;
/// A chain longer than this is taken as garbage rather than walked on.
pub const MAX_MODELS: usize = 64;

/// A SunSpec point type (the definitions' `type`), as far as this table needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointType {
    Int16,
    Uint16,
    Enum16,
    Acc32,
    Sunssf,
    String,
}

/// One point of a model definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointDefinition {
    /// As SunSpec spells it (`PhVphA`).
    pub name: &'static str,
    /// Registers from the model's `ID` register.
    pub offset: u16,
    /// Registers.
    pub size: u16,
    pub kind: PointType,
    /// The `sunssf` point of the same model that scales this one.
    pub scale_factor: Option<&'static str>,
    /// The definition's `units` (`W`, `Wh`, `Pct`, `%WHRtg`, ...), empty when none.
    pub units: &'static str,
}

const fn point(
    name: &'static str,
    offset: u16,
    size: u16,
    kind: PointType,
    scale_factor: Option<&'static str>,
    units: &'static str,
) -> PointDefinition {
    PointDefinition {
        name,
        offset,
        size,
        kind,
        scale_factor,
        units,
    }
}

/// Model 1 (common).
const COMMON: &[PointDefinition] = &[
    point("Mn", 2, 16, PointType::String, None, ""),
    point("Md", 18, 16, PointType::String, None, ""),
    point("SN", 50, 16, PointType::String, None, ""),
];

/// Models 101, 102 and 103 (inverters: single, split and three phase).
const INVERTER: &[PointDefinition] = &[
    point("A", 2, 1, Uint16, Some("A_SF"), "A"),
    point("AphA", 3, 1, Uint16, Some("A_SF"), "A"),
    point("AphB", 4, 1, Uint16, Some("A_SF"), "A"),
    point("AphC", 5, 1, Uint16, Some("A_SF"), "A"),
    point("A_SF", 6, 1, Sunssf, None, ""),
    point("PhVphA", 10, 1, Uint16, Some("V_SF"), "V"),
    point("PhVphB", 11, 1, Uint16, Some("V_SF"), "V"),
    point("PhVphC", 12, 1, Uint16, Some("V_SF"), "V"),
    point("V_SF", 13, 1, Sunssf, None, ""),
    point("W", 14, 1, Int16, Some("W_SF"), "W"),
    point("W_SF", 15, 1, Sunssf, None, ""),
    point("Hz", 16, 1, Uint16, Some("Hz_SF"), "Hz"),
    point("Hz_SF", 17, 1, Sunssf, None, ""),
    point("PF", 22, 1, Int16, Some("PF_SF"), "Pct"),
    point("PF_SF", 23, 1, Sunssf, None, ""),
    point("WH", 24, 2, Acc32, Some("WH_SF"), "Wh"),
    point("WH_SF", 26, 1, Sunssf, None, ""),
    point("DCA", 27, 1, Uint16, Some("DCA_SF"), "A"),
    point("DCA_SF", 28, 1, Sunssf, None, ""),
    point("DCV", 29, 1, Uint16, Some("DCV_SF"), "V"),
    point("DCV_SF", 30, 1, Sunssf, None, ""),
    point("DCW", 31, 1, Int16, Some("DCW_SF"), "W"),
    point("DCW_SF", 32, 1, Sunssf, None, ""),
    point("TmpCab", 33, 1, Int16, Some("Tmp_SF"), "C"),
    point("Tmp_SF", 37, 1, Sunssf, None, ""),
    point("St", 38, 1, Enum16, None, ""),
];

/// Models 201, 202, 203 and 204 (meters: single, split, wye and delta three phase).
const METER: &[PointDefinition] = &[
    point("A", 2, 1, Int16, Some("A_SF"), "A"),
    point("AphA", 3, 1, Int16, Some("A_SF"), "A"),
    point("AphB", 4, 1, Int16, Some("A_SF"), "A"),
    point("AphC", 5, 1, Int16, Some("A_SF"), "A"),
    point("A_SF", 6, 1, Sunssf, None, ""),
    point("PhV", 7, 1, Int16, Some("V_SF"), "V"),
    point("PhVphA", 8, 1, Int16, Some("V_SF"), "V"),
    point("PhVphB", 9, 1, Int16, Some("V_SF"), "V"),
    point("PhVphC", 10, 1, Int16, Some("V_SF"), "V"),
    point("V_SF", 15, 1, Sunssf, None, ""),
    point("Hz", 16, 1, Int16, Some("Hz_SF"), "Hz"),
    point("Hz_SF", 17, 1, Sunssf, None, ""),
    point("W", 18, 1, Int16, Some("W_SF"), "W"),
    point("WphA", 19, 1, Int16, Some("W_SF"), "W"),
    point("WphB", 20, 1, Int16, Some("W_SF"), "W"),
    point("WphC", 21, 1, Int16, Some("W_SF"), "W"),
    point("W_SF", 22, 1, Sunssf, None, ""),
    point("PF", 33, 1, Int16, Some("PF_SF"), "Pct"),
    point("PF_SF", 37, 1, Sunssf, None, ""),
    point("TotWhExp", 38, 2, Acc32, Some("TotWh_SF"), "Wh"),
    point("TotWhImp", 46, 2, Acc32, Some("TotWh_SF"), "Wh"),
    point("TotWh_SF", 54, 1, Sunssf, None, ""),
];

/// Model 802 (battery base model).
const BATTERY: &[PointDefinition] = &[
    point("SoC", 11, 1, Uint16, Some("SoC_SF"), "%WHRtg"),
    point("SoH", 13, 1, Uint16, Some("SoH_SF"), "%"),
    point("V", 34, 1, Uint16, Some("V_SF"), "V"),
    point("CellVMax", 37, 1, Uint16, Some("CellV_SF"), "V"),
    point("CellVMin", 40, 1, Uint16, Some("CellV_SF"), "V"),
    point("A", 44, 1, Int16, Some("A_SF"), "A"),
    point("W", 47, 1, Int16, Some("W_SF"), "W"),
    point("SoC_SF", 56, 1, Sunssf, None, ""),
    point("SoH_SF", 58, 1, Sunssf, None, ""),
    point("V_SF", 59, 1, Sunssf, None, ""),
    point("CellV_SF", 60, 1, Sunssf, None, ""),
    point("A_SF", 61, 1, Sunssf, None, ""),
    point("W_SF", 63, 1, Sunssf, None, ""),
];

/// The models this table knows: (id, length `L` of the definition, points).
pub const MODELS: [(u16, u16, &[PointDefinition]); 9] = [
    (1, 66, COMMON),
    (101, 50, INVERTER),
    (102, 50, INVERTER),
    (103, 50, INVERTER),
    (201, 105, METER),
    (202, 105, METER),
    (203, 105, METER),
    (204, 105, METER),
    (802, 62, BATTERY),
];

/// The definition of `point` in model `model`, if this table has it.
pub fn point_definition(model: u16, point: &str) -> Option<&'static PointDefinition> {
    MODELS
        .iter()
        .find(|(id, _, _)| *id == model)?
        .2
        .iter()
        .find(|p| p.name == point)
}

/// What can go wrong between a SunSpec device and a value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SunspecError {
    #[error(transparent)]
    Device(#[from] DeviceError),
    #[error("no SunSpec marker \"SunS\" at register {0:?}")]
    NoMarker(Vec<u16>),
    #[error("the model chain is broken at register {address}: {reason}")]
    BrokenChain { address: u16, reason: String },
    #[error("the device has no SunSpec model {0}")]
    NoModel(u16),
    #[error("SunSpec model {model} has no point {point:?} in this build's table")]
    UnknownPoint { model: u16, point: String },
    #[error("model {model} on the device is {length} registers long, too short for {point}")]
    ShortModel {
        model: u16,
        length: u16,
        point: String,
    },
    #[error("point {point} of model {model} is not a number")]
    NotNumeric { model: u16, point: String },
}

/// The read-only access the walk needs: holding registers (function 3), nothing else.
pub trait HoldingReader: Send {
    fn read_holding(
        &mut self,
        unit_id: u8,
        start: u16,
        count: u16,
    ) -> impl Future<Output = Result<Vec<u16>, DeviceError>> + Send;
}

impl<T: RegisterTransport> HoldingReader for T {
    fn read_holding(
        &mut self,
        unit_id: u8,
        start: u16,
        count: u16,
    ) -> impl Future<Output = Result<Vec<u16>, DeviceError>> + Send {
        self.read(unit_id, RegisterTable::Holding, start, count)
    }
}

/// One model on the device: its id, the address of its `ID` register and its length `L`
/// (registers after the two header registers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelHeader {
    pub id: u16,
    pub address: u16,
    pub length: u16,
}

/// The device's model chain, in the order the device lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelChain {
    /// Where the marker is.
    pub base: u16,
    pub models: Vec<ModelHeader>,
}

impl ModelChain {
    /// The first model of the chain with id `model`.
    pub fn model(&self, model: u16) -> Option<ModelHeader> {
        self.models.iter().copied().find(|m| m.id == model)
    }
}

/// Finds the marker, trying `preferred` first and then the standard bases, and walks the chain.
pub async fn discover(
    reader: &mut impl HoldingReader,
    unit_id: u8,
    preferred: Option<u16>,
) -> Result<ModelChain, SunspecError> {
    let mut tried = Vec::new();
    for base in preferred.into_iter().chain(BASE_ADDRESSES) {
        if tried.contains(&base) {
            continue;
        }
        tried.push(base);
        if has_marker(reader, unit_id, base).await? {
            return walk(reader, unit_id, base).await;
        }
    }
    Err(SunspecError::NoMarker(tried))
}

/// Whether "SunS" is at `base`. A device that refuses the address (an exception) has no marker
/// there; a silent or unreachable device is an error.
async fn has_marker(
    reader: &mut impl HoldingReader,
    unit_id: u8,
    base: u16,
) -> Result<bool, SunspecError> {
    match reader.read_holding(unit_id, base, 2).await {
        Ok(words) => Ok(words == MARKER),
        Err(DeviceError::Exception { .. }) => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Walks the model headers after the marker at `base` until the end model (0xFFFF).
pub async fn walk(
    reader: &mut impl HoldingReader,
    unit_id: u8,
    base: u16,
) -> Result<ModelChain, SunspecError> {
    if !has_marker(reader, unit_id, base).await? {
        return Err(SunspecError::NoMarker(vec![base]));
    }
    let broken = |address: u16, reason: String| SunspecError::BrokenChain { address, reason };
    let mut models = Vec::new();
    let mut address = base
        .checked_add(2)
        .ok_or_else(|| broken(base, "no room for a model after the marker".into()))?;
    loop {
        let header = reader.read_holding(unit_id, address, 2).await?;
        let [id, length] = header[..] else {
            return Err(broken(
                address,
                format!("{} words for a header", header.len()),
            ));
        };
        if id == END_MODEL {
            return Ok(ModelChain { base, models });
        }
        if models.len() == MAX_MODELS {
            return Err(broken(address, format!("more than {MAX_MODELS} models")));
        }
        models.push(ModelHeader {
            id,
            address,
            length,
        });
        address = address
            .checked_add(2)
            .and_then(|a| a.checked_add(length))
            .ok_or_else(|| broken(address, format!("model {id} runs past register 65535")))?;
    }
}

/// Every register of a model (its header included), read in requests of at most 125.
pub async fn read_model(
    reader: &mut impl HoldingReader,
    unit_id: u8,
    model: ModelHeader,
) -> Result<Vec<u16>, SunspecError> {
    let total = u32::from(model.length) + 2;
    let mut words = Vec::with_capacity(usize::from(model.length) + 2);
    let mut offset: u32 = 0;
    while offset < total {
        let count = (total - offset).min(u32::from(MAX_READ_REGISTERS));
        let start = u32::from(model.address) + offset;
        let (Ok(start), Ok(count)) = (u16::try_from(start), u16::try_from(count)) else {
            return Err(SunspecError::BrokenChain {
                address: model.address,
                reason: format!("model {} runs past register 65535", model.id),
            });
        };
        words.extend(reader.read_holding(unit_id, start, count).await?);
        offset += u32::from(count);
    }
    Ok(words)
}

/// The value of `point` in the registers of model `model` (as `read_model` returns them), its
/// scale factor applied; `None` when the device marks the point (or its scale factor) as not
/// implemented.
pub fn point_value(model: u16, words: &[u16], point: &str) -> Result<Option<f64>, SunspecError> {
    let definition = point_definition(model, point).ok_or_else(|| SunspecError::UnknownPoint {
        model,
        point: point.to_string(),
    })?;
    let Some(raw) = raw_value(model, words, definition)? else {
        return Ok(None);
    };
    let Some(sf_name) = definition.scale_factor else {
        return Ok(Some(raw));
    };
    let sf = point_definition(model, sf_name).ok_or_else(|| SunspecError::UnknownPoint {
        model,
        point: sf_name.to_string(),
    })?;
    let exponent = registers_of(model, words, sf)?
        .first()
        .filter(|word| **word != 0x8000)
        .map(|word| i32::from(word.cast_signed()));
    Ok(exponent.map(|exponent| raw * 10f64.powi(exponent)))
}

/// The registers of a point within the model's registers.
fn registers_of<'a>(
    model: u16,
    words: &'a [u16],
    point: &PointDefinition,
) -> Result<&'a [u16], SunspecError> {
    let start = usize::from(point.offset);
    words
        .get(start..start + usize::from(point.size))
        .ok_or_else(|| SunspecError::ShortModel {
            model,
            length: u16::try_from(words.len().saturating_sub(2)).unwrap_or(u16::MAX),
            point: point.name.to_string(),
        })
}

/// A point's number as the registers hold it, before scaling; `None` for SunSpec's
/// "not implemented" value of its type.
fn raw_value(
    model: u16,
    words: &[u16],
    point: &PointDefinition,
) -> Result<Option<f64>, SunspecError> {
    let value = match (point.kind, registers_of(model, words, point)?) {
        (Int16 | Sunssf, [word]) => (*word != 0x8000).then(|| f64::from(word.cast_signed())),
        (Uint16 | Enum16, [word]) => (*word != 0xFFFF).then(|| f64::from(*word)),
        (Acc32, [high, low]) => {
            let value = (u32::from(*high) << 16) | u32::from(*low);
            (value != 0).then(|| f64::from(value))
        }
        _ => {
            return Err(SunspecError::NotNumeric {
                model,
                point: point.name.to_string(),
            });
        }
    };
    Ok(value)
}

/// Reads one point of `model` from the device: finds the model in `chain`, reads its registers
/// and scales the point (see `point_value`).
pub async fn read_point(
    reader: &mut impl HoldingReader,
    unit_id: u8,
    chain: &ModelChain,
    model: u16,
    point: &str,
) -> Result<Option<f64>, SunspecError> {
    let header = chain.model(model).ok_or(SunspecError::NoModel(model))?;
    let words = read_model(reader, unit_id, header).await?;
    point_value(model, &words, point)
}

/// The text of a string point (`Mn`, `Md`, `SN` of model 1): two characters a register, up to
/// the first NUL, trailing spaces dropped.
pub fn string_value(model: u16, words: &[u16], point: &str) -> Result<String, SunspecError> {
    let definition = point_definition(model, point).ok_or_else(|| SunspecError::UnknownPoint {
        model,
        point: point.to_string(),
    })?;
    let registers = registers_of(model, words, definition)?;
    let bytes: Vec<u8> = registers.iter().flat_map(|w| w.to_be_bytes()).collect();
    let text = bytes.split(|b| *b == 0).next().unwrap_or_default();
    Ok(String::from_utf8_lossy(text).trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Model 103's registers (header included) with the given words at their offsets.
    fn inverter_block(values: &[(u16, u16)]) -> Vec<u16> {
        let mut words = vec![0u16; 52];
        words[0] = 103;
        words[1] = 50;
        for (offset, word) in values {
            words[usize::from(*offset)] = *word;
        }
        words
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn scale_factors_apply_and_unimplemented_values_read_as_none() {
        let words = inverter_block(&[
            (14, 4500),
            (15, 0),
            (3, 1234),
            (6, (-2i16).cast_unsigned()),
            (24, 1),
            (25, 57920),
            (26, 1),
            (16, 5002),
            (17, 0x8000),
            (11, 0xFFFF),
            (31, (-20i16).cast_unsigned()),
            (32, 2),
        ]);
        assert!(close(point_value(103, &words, "W").unwrap(), 4500.0));
        assert!(close(point_value(103, &words, "AphA").unwrap(), 12.34));
        assert!(close(point_value(103, &words, "WH").unwrap(), 1_234_560.0));
        assert!(close(point_value(103, &words, "DCW").unwrap(), -2000.0));
        // An unimplemented scale factor makes the value unknown, as does the point's own.
        assert_eq!(point_value(103, &words, "Hz").unwrap(), None);
        assert_eq!(point_value(103, &words, "PhVphB").unwrap(), None);
        assert!(matches!(
            point_value(103, &words, "Nope"),
            Err(SunspecError::UnknownPoint { .. })
        ));
        assert!(matches!(
            point_value(103, &words[..14], "W"),
            Err(SunspecError::ShortModel { length: 12, .. })
        ));
    }

    #[test]
    fn strings_stop_at_the_first_nul() {
        let mut words = vec![0u16; 68];
        words[2] = u16::from_be_bytes(*b"Su");
        words[3] = u16::from_be_bytes(*b"nS");
        words[4] = u16::from_be_bytes(*b"pe");
        words[5] = u16::from_be_bytes([b'c', 0]);
        assert_eq!(string_value(1, &words, "Mn").unwrap(), "SunSpec");
        assert!(matches!(
            point_value(1, &words, "Mn"),
            Err(SunspecError::NotNumeric { .. })
        ));
    }

    #[test]
    fn every_scale_factor_named_is_a_sunssf_point_of_its_model() {
        for (model, length, points) in MODELS {
            for point in points {
                assert!(
                    point.offset + point.size <= length + 2,
                    "{model} {}",
                    point.name
                );
                if let Some(sf) = point.scale_factor {
                    let sf = point_definition(model, sf).unwrap();
                    assert_eq!(sf.kind, PointType::Sunssf, "{model} {}", point.name);
                }
            }
        }
    }
}
