//! Turning register words into engineering values and back: data types, word order, scale and
//! offset, bit fields and arrays.
//!
//! An engineering value is `raw * scale + offset`, rounded to the decimals the scale and offset
//! can carry (`engineering_value`). Values travel as `f64`, which holds every
//! integer up to 2^53 exactly; a `u64` counter above that is rounded to the nearest `f64` on the
//! way, so `decode_u64` / `encode_u64` give the exact integer path for callers that need it.

use crate::error::DeviceError;
use crate::types::{DataType, WordOrder};

/// Words in most-significant-first order, whatever order they have on the wire.
fn to_big_endian(words: &[u16], order: WordOrder) -> Vec<u16> {
    match order {
        WordOrder::BigEndian => words.to_vec(),
        WordOrder::LittleEndian => words.iter().rev().copied().collect(),
    }
}

fn from_big_endian(mut words: Vec<u16>, order: WordOrder) -> Vec<u16> {
    if order == WordOrder::LittleEndian {
        words.reverse();
    }
    words
}

/// The raw limits written as integers: `raw_range` is in `f64`, which cannot print
/// `u64::MAX` exactly.
pub(crate) fn raw_limits_text(data_type: DataType) -> &'static str {
    match data_type {
        DataType::Bool => "0..=1",
        DataType::U16 => "0..=65535",
        DataType::I16 => "-32768..=32767",
        DataType::U32 => "0..=4294967295",
        DataType::I32 => "-2147483648..=2147483647",
        DataType::F32 => "-3.4028235e38..=3.4028235e38",
        DataType::U64 => "0..=18446744073709551615",
    }
}

/// `value` rounded to 15 significant digits, so limits like `3276.7000000000003` (the float
/// noise of `32767 * 0.1`) print as `3276.7`.
fn tidy(value: f64) -> f64 {
    format!("{value:.14e}").parse().unwrap_or(value)
}

fn check_len(words: &[u16], data_type: DataType) -> Result<(), DeviceError> {
    let want = data_type.registers() as usize;
    if words.len() != want {
        return Err(DeviceError::Decode(format!(
            "{} needs {want} register(s), got {}",
            data_type.name(),
            words.len()
        )));
    }
    Ok(())
}

fn join(words: &[u16]) -> u64 {
    words
        .iter()
        .fold(0u64, |acc, &w| (acc << 16) | u64::from(w))
}

fn split(value: u64, count: usize) -> Vec<u16> {
    (0..count)
        .rev()
        .map(|i| low_u16(value >> (16 * i)))
        .collect()
}

/// The low 16 bits of `bits` (the higher bits are dropped on purpose).
pub(crate) fn low_u16(bits: u64) -> u16 {
    let [.., high, low] = bits.to_be_bytes();
    u16::from_be_bytes([high, low])
}

/// The low 32 bits of `bits` (the higher bits are dropped on purpose).
pub(crate) fn low_u32(bits: u64) -> u32 {
    let [.., b3, b2, b1, b0] = bits.to_be_bytes();
    u32::from_be_bytes([b3, b2, b1, b0])
}

/// The raw value of `data_type` whose bit pattern is the low bits of `bits`.
pub(crate) fn raw_from_bits(bits: u64, data_type: DataType) -> f64 {
    match data_type {
        DataType::Bool => f64::from(u8::from(bits != 0)),
        DataType::U16 => f64::from(low_u16(bits)),
        DataType::I16 => f64::from(low_u16(bits).cast_signed()),
        DataType::U32 => f64::from(low_u32(bits)),
        DataType::I32 => f64::from(low_u32(bits).cast_signed()),
        DataType::F32 => f64::from(f32::from_bits(low_u32(bits))),
        DataType::U64 => bits as f64,
    }
}

/// The bit pattern of the raw value `raw` of `data_type`, in the low bits of a `u64`.
///
/// The caller has already checked `raw` against `raw_range(data_type)` (and rounded it for the
/// integer types), so every float-to-integer cast below is exact: none can truncate. There is no
/// `TryFrom<f64>` for the integer types to say so in the types.
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn bits_from_raw(raw: f64, data_type: DataType) -> u64 {
    match data_type {
        DataType::Bool => u64::from(raw != 0.0),
        DataType::U16 => u64::from(raw as u16),
        DataType::I16 => u64::from((raw as i16).cast_unsigned()),
        DataType::U32 => u64::from(raw as u32),
        DataType::I32 => u64::from((raw as i32).cast_unsigned()),
        DataType::F32 => u64::from((raw as f32).to_bits()),
        DataType::U64 => raw as u64,
    }
}

/// The raw (unscaled) value of one data type held in `words`.
pub fn decode_raw(
    words: &[u16],
    data_type: DataType,
    order: WordOrder,
) -> Result<f64, DeviceError> {
    check_len(words, data_type)?;
    let be = to_big_endian(words, order);
    Ok(raw_from_bits(join(&be), data_type))
}

/// The engineering value held in `words`: `raw * scale + offset` (see `engineering_value`).
pub fn decode(
    words: &[u16],
    data_type: DataType,
    order: WordOrder,
    scale: f64,
    offset: f64,
) -> Result<f64, DeviceError> {
    let raw = decode_raw(words, data_type, order)?;
    Ok(engineering_value(raw, data_type, scale, offset))
}

/// Most decimals `decimals` looks for; a step finer than 10^-12 is left unrounded.
const MAX_DECIMALS: i32 = 12;

/// The fewest decimals that write `step` exactly: 1 → 0, 10 → 0, 0.1 → 1, 0.5 → 1, 0.25 → 2,
/// -273.15 → 2. `None` when no short decimal does (1/3, NaN, steps below 10^-12).
pub fn decimals(step: f64) -> Option<u32> {
    if !step.is_finite() {
        return None;
    }
    (0..=MAX_DECIMALS)
        .find(|&d| {
            let shifted = step.abs() * 10f64.powi(d);
            let whole = shifted.round();
            // An f64 holds 0.1 as 0.1000000000000000055…; a relative tolerance far above that
            // noise and far below any real step absorbs it. A step that is still below 1 here
            // (0.001 at d = 2) is not whole, except 0 itself.
            (whole >= 1.0 || step == 0.0) && (shifted - whole).abs() <= shifted * 1e-14
        })
        .and_then(|d| u32::try_from(d).ok())
}

/// `raw * scale + offset` rounded to the decimals of `scale` and `offset` (the finest value
/// the register can carry), so that 5208 × 0.1 leaves the server as 520.8, not as the
/// `520.8000000000001` the `f64` arithmetic gives. The one place raw values are scaled.
///
/// Not rounded: `f32` raw values (they have no fixed step), a scale or offset without a short
/// decimal form (1/3), and values too large to have a fraction left in an `f64`.
pub fn engineering_value(raw: f64, data_type: DataType, scale: f64, offset: f64) -> f64 {
    let value = raw * scale + offset;
    if data_type == DataType::F32 {
        return value;
    }
    let (Some(scale_decimals), Some(offset_decimals)) = (decimals(scale), decimals(offset)) else {
        return value;
    };
    let exponent = i32::try_from(scale_decimals.max(offset_decimals)).unwrap_or(MAX_DECIMALS);
    let factor = 10f64.powi(exponent);
    let shifted = value * factor;
    // From 2^52 on an f64 has no fraction to round, and dividing back could only add noise.
    if !shifted.is_finite() || shifted.abs() >= 4_503_599_627_370_496.0 {
        return value;
    }
    // An integer divided by a power of ten is the f64 nearest that decimal: what it prints as.
    shifted.round() / factor
}

/// 2^64 - 2^11: above 2^63 consecutive `f64` values are 2^11 apart.
const LARGEST_F64_BELOW_2_POW_64: f64 = 18_446_744_073_709_549_568.0;

/// The raw range a data type can carry, as `f64` (`f32`: its finite range). For `u64` the top is
/// the largest `f64` below 2^64, because 2^64 itself (what `u64::MAX as f64` rounds to) does not
/// fit.
pub fn raw_range(data_type: DataType) -> (f64, f64) {
    match data_type {
        DataType::Bool => (0.0, 1.0),
        DataType::U16 => (0.0, f64::from(u16::MAX)),
        DataType::I16 => (f64::from(i16::MIN), f64::from(i16::MAX)),
        DataType::U32 => (0.0, f64::from(u32::MAX)),
        DataType::I32 => (f64::from(i32::MIN), f64::from(i32::MAX)),
        DataType::F32 => (f64::from(f32::MIN), f64::from(f32::MAX)),
        DataType::U64 => (0.0, LARGEST_F64_BELOW_2_POW_64),
    }
}

/// The words that carry the engineering value `value`, or a refusal naming the limits.
pub fn encode(
    value: f64,
    data_type: DataType,
    order: WordOrder,
    scale: f64,
    offset: f64,
) -> Result<Vec<u16>, DeviceError> {
    if !value.is_finite() {
        return Err(DeviceError::Refused(format!("{value} is not a number")));
    }
    if scale == 0.0 || !scale.is_finite() {
        return Err(DeviceError::Refused(format!(
            "scale {scale} cannot be inverted"
        )));
    }
    let raw = (value - offset) / scale;
    let raw = if data_type == DataType::F32 {
        raw
    } else {
        raw.round()
    };
    let (low, high) = raw_range(data_type);
    if raw < low || raw > high {
        let (value_low, value_high) = engineering_range(data_type, scale, offset);
        return Err(DeviceError::Refused(format!(
            "{value} is out of range for {} ({}) after scale {scale} and offset {offset}: \
             the limits are {}..={}",
            data_type.name(),
            raw_limits_text(data_type),
            tidy(value_low),
            tidy(value_high),
        )));
    }
    let bits = bits_from_raw(raw, data_type);
    Ok(from_big_endian(
        split(bits, data_type.registers() as usize),
        order,
    ))
}

/// The engineering values a data type can carry with this scale and offset, lowest first.
pub fn engineering_range(data_type: DataType, scale: f64, offset: f64) -> (f64, f64) {
    let (low, high) = raw_range(data_type);
    let (a, b) = (low * scale + offset, high * scale + offset);
    if a <= b { (a, b) } else { (b, a) }
}

/// The smallest step between two engineering values the encoding can tell apart.
///
/// For the integer types that is `|scale|`. An `f32` has no fixed step: it keeps 24 significant
/// bits, so its step is relative, and this returns that relative step (`f32::EPSILON`, about
/// 1.2e-7); multiply by the magnitude of `raw * scale` to get an absolute step.
pub fn resolution(data_type: DataType, scale: f64) -> f64 {
    match data_type {
        DataType::F32 => f64::from(f32::EPSILON),
        _ => scale.abs(),
    }
}

/// Whether a read-back value matches what was written, within the encoding's resolution: half a
/// step for integer types (the encoder rounds to the nearest raw value), one relative `f32` step
/// of the raw part for `f32`. Both allow for the `f64` noise of applying scale and offset.
pub fn read_back_matches(
    written: f64,
    read: f64,
    data_type: DataType,
    scale: f64,
    offset: f64,
) -> bool {
    // `raw * scale + offset` in f64 is off by a few ulps of the largest term involved.
    let arithmetic_noise = 4.0 * f64::EPSILON * (written.abs() + offset.abs());
    let tolerance = match data_type {
        // The f32 rounding error is relative to the raw value, i.e. to `written - offset`, not
        // to `written`: 25 °C stored as f32 kelvin (offset -273.15) is off by about 6e-6.
        // The `MIN_POSITIVE` term covers subnormal raw values, whose precision is absolute.
        DataType::F32 => {
            resolution(data_type, scale) * (written - offset).abs()
                + f64::from(f32::MIN_POSITIVE) * scale.abs()
        }
        _ => resolution(data_type, scale) / 2.0,
    };
    (written - read).abs() <= tolerance + arithmetic_noise
}

/// `read_back_matches` for an encoding without offset. With a large offset an `f32` read-back
/// can be wrongly reported as different; prefer `read_back_matches`.
pub fn same_value(written: f64, read: f64, data_type: DataType, scale: f64) -> bool {
    read_back_matches(written, read, data_type, scale, 0.0)
}

/// Exact `u64` from four words (no `f64` on the way).
pub fn decode_u64(words: &[u16], order: WordOrder) -> Result<u64, DeviceError> {
    check_len(words, DataType::U64)?;
    Ok(join(&to_big_endian(words, order)))
}

/// Exact four words for a `u64`.
pub fn encode_u64(value: u64, order: WordOrder) -> Vec<u16> {
    from_big_endian(split(value, 4), order)
}

/// `width` bits of `word` starting at bit `first_bit` (bit 0 = least significant).
pub fn decode_bits(word: u16, first_bit: u8, width: u8) -> Result<u16, DeviceError> {
    let mask = bit_mask(first_bit, width)?;
    Ok((word & mask) >> first_bit)
}

/// `old` with `width` bits at `first_bit` replaced by `value` (read-modify-write of a bit field).
pub fn encode_bits(old: u16, first_bit: u8, width: u8, value: u16) -> Result<u16, DeviceError> {
    let mask = bit_mask(first_bit, width)?;
    if u32::from(value) >= 1u32 << width {
        return Err(DeviceError::Refused(format!(
            "{value} does not fit in {width} bit(s)"
        )));
    }
    Ok((old & !mask) | ((value << first_bit) & mask))
}

fn bit_mask(first_bit: u8, width: u8) -> Result<u16, DeviceError> {
    if width == 0 || u32::from(first_bit) + u32::from(width) > 16 {
        return Err(DeviceError::Refused(format!(
            "bit field {first_bit}+{width} does not fit in a 16-bit register"
        )));
    }
    // `width` ones, shifted to `first_bit`: 1 <= width and first_bit + width <= 16, so neither
    // shift overflows.
    Ok((u16::MAX >> (16 - width)) << first_bit)
}

/// `num` consecutive values of one type.
pub fn decode_array(
    words: &[u16],
    data_type: DataType,
    order: WordOrder,
    num: usize,
    scale: f64,
    offset: f64,
) -> Result<Vec<f64>, DeviceError> {
    let width = data_type.registers() as usize;
    if words.len() != width * num {
        return Err(DeviceError::Decode(format!(
            "{num} × {} needs {} registers, got {}",
            data_type.name(),
            width * num,
            words.len()
        )));
    }
    words
        .chunks(width)
        .map(|element| decode(element, data_type, order, scale, offset))
        .collect()
}

/// The words for consecutive values of one type.
pub fn encode_array(
    values: &[f64],
    data_type: DataType,
    order: WordOrder,
    scale: f64,
    offset: f64,
) -> Result<Vec<u16>, DeviceError> {
    let mut words = Vec::with_capacity(values.len() * data_type.registers() as usize);
    for (i, &value) in values.iter().enumerate() {
        let element = encode(value, data_type, order, scale, offset).map_err(|e| match e {
            // Name the element only when there are several.
            DeviceError::Refused(why) if values.len() > 1 => {
                DeviceError::Refused(format!("element {i}: {why}"))
            }
            other => other,
        })?;
        words.extend(element);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPES: [DataType; 7] = [
        DataType::Bool,
        DataType::U16,
        DataType::I16,
        DataType::U32,
        DataType::I32,
        DataType::F32,
        DataType::U64,
    ];
    const ORDERS: [WordOrder; 2] = [WordOrder::BigEndian, WordOrder::LittleEndian];

    fn samples(data_type: DataType) -> Vec<f64> {
        match data_type {
            DataType::Bool => vec![0.0, 1.0],
            DataType::U16 => vec![0.0, 1.0, 258.0, 65_535.0],
            DataType::I16 => vec![-32_768.0, -1.0, 0.0, 12_345.0, 32_767.0],
            DataType::U32 => vec![0.0, 65_536.0, 4_294_967_295.0],
            DataType::I32 => vec![-2_147_483_648.0, -70_000.0, 0.0, 2_147_483_647.0],
            DataType::F32 => vec![-1.5, 0.0, 3.25, 1.0e10],
            DataType::U64 => vec![
                0.0,
                4_294_967_296.0,
                9_007_199_254_740_992.0,
                LARGEST_F64_BELOW_2_POW_64,
            ],
        }
    }

    #[test]
    fn every_type_round_trips_in_both_word_orders() {
        for data_type in TYPES {
            for order in ORDERS {
                for value in samples(data_type) {
                    let words = encode(value, data_type, order, 1.0, 0.0).unwrap();
                    assert_eq!(words.len(), data_type.registers() as usize);
                    let back = decode(&words, data_type, order, 1.0, 0.0).unwrap();
                    assert_eq!(back, value, "{data_type:?} {order:?}");
                }
            }
        }
    }

    #[test]
    fn scale_and_offset_round_trip_to_the_resolution() {
        for order in ORDERS {
            let words = encode(-12.3, DataType::I16, order, 0.1, 0.0).unwrap();
            assert_eq!(words, vec![(-123i16) as u16]);
            let back = decode(&words, DataType::I16, order, 0.1, 0.0).unwrap();
            assert!(same_value(-12.3, back, DataType::I16, 0.1));
            // Kelvin offset: 25 °C stored as 0.1 K.
            let words = encode(25.0, DataType::U32, order, 0.1, -273.15).unwrap();
            let back = decode(&words, DataType::U32, order, 0.1, -273.15).unwrap();
            assert!((back - 25.0).abs() < 0.051, "{back}");
        }
    }

    #[test]
    fn word_order_puts_the_most_significant_word_where_it_says() {
        let big = encode(
            0x0001_0002 as f64,
            DataType::U32,
            WordOrder::BigEndian,
            1.0,
            0.0,
        );
        let little = encode(
            0x0001_0002 as f64,
            DataType::U32,
            WordOrder::LittleEndian,
            1.0,
            0.0,
        );
        assert_eq!(big.unwrap(), vec![1, 2]);
        assert_eq!(little.unwrap(), vec![2, 1]);
        let f = encode(1.0, DataType::F32, WordOrder::BigEndian, 1.0, 0.0).unwrap();
        assert_eq!(f, vec![0x3F80, 0x0000]);
    }

    #[test]
    fn values_outside_the_type_are_refused_with_the_limits() {
        let err = encode(40_000.0, DataType::I16, WordOrder::BigEndian, 1.0, 0.0).unwrap_err();
        assert!(err.to_string().contains("-32768..=32767"), "{err}");
        let err = encode(3276.8, DataType::I16, WordOrder::BigEndian, 0.1, 0.0).unwrap_err();
        assert_eq!(
            err,
            DeviceError::Refused(
                "3276.8 is out of range for i16 (-32768..=32767) after scale 0.1 and offset 0: \
                 the limits are -3276.8..=3276.7"
                    .into()
            )
        );
        // 2^64 itself does not fit a u64 (it used to saturate to u64::MAX).
        let two_pow_64 = 18_446_744_073_709_551_616.0;
        let err = encode(two_pow_64, DataType::U64, WordOrder::BigEndian, 1.0, 0.0).unwrap_err();
        assert!(
            err.to_string().contains("0..=18446744073709551615"),
            "{err}"
        );
        assert!(encode(70_000.0, DataType::U16, WordOrder::BigEndian, 1.0, 0.0).is_err());
        assert!(encode(-1.0, DataType::U32, WordOrder::BigEndian, 1.0, 0.0).is_err());
        assert!(
            encode(
                2_147_483_648.0,
                DataType::I32,
                WordOrder::BigEndian,
                1.0,
                0.0
            )
            .is_err()
        );
        assert!(encode(2.0, DataType::Bool, WordOrder::BigEndian, 1.0, 0.0).is_err());
        assert!(encode(1.0e39, DataType::F32, WordOrder::BigEndian, 1.0, 0.0).is_err());
        assert!(encode(f64::INFINITY, DataType::U16, WordOrder::BigEndian, 1.0, 0.0).is_err());
        let err = encode(-0.6, DataType::U16, WordOrder::BigEndian, 1.0, 0.0).unwrap_err();
        assert!(matches!(err, DeviceError::Refused(_)));
        assert!(encode(f64::NAN, DataType::F32, WordOrder::BigEndian, 1.0, 0.0).is_err());
        assert!(encode(1.0, DataType::U16, WordOrder::BigEndian, 0.0, 0.0).is_err());
        // 3276.7 fits an i16 at scale 0.1, 3276.8 does not.
        assert!(encode(3276.7, DataType::I16, WordOrder::BigEndian, 0.1, 0.0).is_ok());
        assert!(encode(3276.8, DataType::I16, WordOrder::BigEndian, 0.1, 0.0).is_err());
    }

    #[test]
    fn short_input_is_a_decode_error() {
        let err = decode(&[1], DataType::U32, WordOrder::BigEndian, 1.0, 0.0).unwrap_err();
        assert_eq!(
            err,
            DeviceError::Decode("u32 needs 2 register(s), got 1".into())
        );
        assert!(decode(&[1, 2, 3], DataType::U64, WordOrder::BigEndian, 1.0, 0.0).is_err());
        assert!(decode(&[1, 2], DataType::U16, WordOrder::BigEndian, 1.0, 0.0).is_err());
        let err =
            decode_array(&[1, 2, 3], DataType::U32, WordOrder::BigEndian, 2, 1.0, 0.0).unwrap_err();
        assert_eq!(
            err,
            DeviceError::Decode("2 × u32 needs 4 registers, got 3".into())
        );
    }

    #[test]
    fn bool_reads_any_non_zero_word_as_true_and_writes_zero_or_one() {
        let decode_bool = |word| decode(&[word], DataType::Bool, WordOrder::BigEndian, 1.0, 0.0);
        assert_eq!(decode_bool(0).unwrap(), 0.0);
        assert_eq!(decode_bool(1).unwrap(), 1.0);
        assert_eq!(decode_bool(0x8000).unwrap(), 1.0);
        assert_eq!(
            encode(1.0, DataType::Bool, WordOrder::BigEndian, 1.0, 0.0).unwrap(),
            vec![1]
        );
        assert_eq!(
            encode(0.0, DataType::Bool, WordOrder::BigEndian, 1.0, 0.0).unwrap(),
            vec![0]
        );
    }

    #[test]
    fn read_back_is_compared_within_the_resolution() {
        // Integer types: the encoder rounds to the nearest raw step, so half a step matches.
        assert!(read_back_matches(3.2004, 3.2, DataType::U16, 0.001, 0.0));
        assert!(!read_back_matches(3.2006, 3.2, DataType::U16, 0.001, 0.0));
        assert!(!read_back_matches(3.2, 3.201, DataType::U16, 0.001, 0.0));

        // f32 holding kelvin: 25 °C comes back as 24.99999389... and must still match.
        let words = encode(25.0, DataType::F32, WordOrder::BigEndian, 1.0, -273.15).unwrap();
        let read = decode(&words, DataType::F32, WordOrder::BigEndian, 1.0, -273.15).unwrap();
        assert_ne!(read, 25.0, "the f32 step should show here");
        assert!(read_back_matches(25.0, read, DataType::F32, 1.0, -273.15));
        assert!(!read_back_matches(
            25.001,
            read,
            DataType::F32,
            1.0,
            -273.15
        ));
        assert!(
            !same_value(25.0, read, DataType::F32, 1.0),
            "why the offset is needed"
        );

        // Every raw step of a scaled i16 matches itself and not its neighbour.
        for raw in [-32_768i16, -1, 0, 1, 32_767] {
            let value = f64::from(raw) * 0.1 - 40.0;
            let words = encode(value, DataType::I16, WordOrder::BigEndian, 0.1, -40.0).unwrap();
            assert_eq!(words, vec![raw as u16]);
            let read = decode(&words, DataType::I16, WordOrder::BigEndian, 0.1, -40.0).unwrap();
            assert!(read_back_matches(value, read, DataType::I16, 0.1, -40.0));
            assert!(!read_back_matches(
                value + 0.1,
                read,
                DataType::I16,
                0.1,
                -40.0
            ));
        }
        assert_eq!(resolution(DataType::I16, -0.1), 0.1);
    }

    #[test]
    fn u64_has_an_exact_path_above_two_to_the_53() {
        let big = u64::MAX - 1;
        for order in ORDERS {
            assert_eq!(decode_u64(&encode_u64(big, order), order).unwrap(), big);
        }
        assert_eq!(encode_u64(1, WordOrder::BigEndian), vec![0, 0, 0, 1]);
        assert_eq!(encode_u64(1, WordOrder::LittleEndian), vec![1, 0, 0, 0]);

        // The f64 path is honest about what it cannot do: 2^53 + 1 reads as 2^53.
        let above = (1u64 << 53) + 1;
        let words = encode_u64(above, WordOrder::BigEndian);
        let as_f64 = decode(&words, DataType::U64, WordOrder::BigEndian, 1.0, 0.0).unwrap();
        assert_eq!(as_f64, (1u64 << 53) as f64);
        assert_eq!(decode_u64(&words, WordOrder::BigEndian).unwrap(), above);
        assert!(decode_u64(&[0, 1], WordOrder::BigEndian).is_err());
    }

    #[test]
    fn bit_fields_read_and_replace_only_their_bits() {
        let word = 0b1011_0110_0000_0001;
        assert_eq!(decode_bits(word, 0, 1).unwrap(), 1);
        assert_eq!(decode_bits(word, 9, 3).unwrap(), 0b011);
        assert_eq!(decode_bits(word, 12, 4).unwrap(), 0b1011);
        let replaced = encode_bits(word, 9, 3, 0b100).unwrap();
        assert_eq!(replaced, 0b1011_1000_0000_0001);
        assert!(encode_bits(word, 9, 3, 8).is_err());
        assert!(decode_bits(word, 14, 3).is_err());
    }

    #[test]
    fn scaled_values_leave_without_float_noise() {
        // 5208 × 0.1 is 520.8000000000001 in f64; the register can only mean 520.8.
        let value = decode(&[5208], DataType::U16, WordOrder::BigEndian, 0.1, 0.0).unwrap();
        assert_eq!(serde_json::to_string(&value).unwrap(), "520.8");
        let values = decode_array(
            &[5208, 3, 65_535],
            DataType::U16,
            WordOrder::BigEndian,
            3,
            0.01,
            0.0,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&values).unwrap(),
            "[52.08,0.03,655.35]"
        );
        let negative = decode(
            &[(-123i16) as u16],
            DataType::I16,
            WordOrder::BigEndian,
            0.1,
            0.0,
        );
        assert_eq!(negative.unwrap(), -12.3);
        // 25 °C stored in 0.1 K: the offset's decimals count too.
        let kelvin = decode(&[2982], DataType::U16, WordOrder::BigEndian, 0.1, -273.15).unwrap();
        assert_eq!(serde_json::to_string(&kelvin).unwrap(), "25.05");
    }

    #[test]
    fn decimals_come_from_the_step() {
        assert_eq!(decimals(1.0), Some(0));
        assert_eq!(decimals(10.0), Some(0));
        assert_eq!(decimals(0.0), Some(0));
        assert_eq!(decimals(0.1), Some(1));
        assert_eq!(decimals(0.5), Some(1));
        assert_eq!(decimals(-0.1), Some(1));
        assert_eq!(decimals(0.01), Some(2));
        assert_eq!(decimals(0.25), Some(2));
        assert_eq!(decimals(0.001), Some(3));
        assert_eq!(decimals(0.07), Some(2));
        assert_eq!(decimals(-273.15), Some(2));
        assert_eq!(decimals(1e-12), Some(12));
        assert_eq!(decimals(1.0 / 3.0), None);
        assert_eq!(decimals(1e-13), None);
        assert_eq!(decimals(f64::NAN), None);
    }

    #[test]
    fn engineering_values_are_rounded_to_the_step_of_the_scale() {
        let u16 = DataType::U16;
        assert_eq!(engineering_value(5208.0, u16, 0.1, 0.0), 520.8);
        assert_eq!(engineering_value(3.0, u16, 0.5, 0.0), 1.5);
        assert_eq!(engineering_value(7.0, u16, 0.07, 0.0), 0.49);
        assert_eq!(engineering_value(3212.0, u16, 1.0, 0.0), 3212.0);
        assert_eq!(engineering_value(-123.0, DataType::I16, 0.1, 0.0), -12.3);
        assert_eq!(engineering_value(2981.0, u16, 0.1, -273.15), 24.95);
        // No short decimal form: left as computed.
        assert_eq!(
            engineering_value(3.0, u16, 1.0 / 3.0, 0.0),
            3.0 * (1.0 / 3.0)
        );
        // f32 has no fixed step: 0.1f32 stays the f32 it is.
        let f32_tenth = f64::from(0.1f32);
        assert_eq!(
            engineering_value(f32_tenth, DataType::F32, 1.0, 0.0),
            f32_tenth
        );
        // Above 2^52 there is nothing to round.
        let big = 18_446_744_073_709_549_568.0;
        assert_eq!(engineering_value(big, DataType::U64, 1.0, 0.0), big);
        assert_eq!(engineering_value(big, DataType::U64, 0.1, 0.0), big * 0.1);
    }

    #[test]
    fn arrays_decode_element_by_element() {
        let values = [3.2, 3.3, 3.4];
        let words = encode_array(&values, DataType::U16, WordOrder::BigEndian, 0.001, 0.0).unwrap();
        assert_eq!(words, vec![3200, 3300, 3400]);
        let back =
            decode_array(&words, DataType::U16, WordOrder::BigEndian, 3, 0.001, 0.0).unwrap();
        for (a, b) in values.iter().zip(&back) {
            assert!(same_value(*a, *b, DataType::U16, 0.001));
        }
        let err =
            encode_array(&[1.0, -1.0], DataType::U16, WordOrder::BigEndian, 1.0, 0.0).unwrap_err();
        assert!(err.to_string().contains("element 1"), "{err}");
    }
}
