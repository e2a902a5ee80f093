//! Turning a `CanSignal`'s bytes of a frame into an engineering value and back. The signal's
//! shape (`CanSignal`, `ByteOrder`) and its rules (`CanSignal::check`) are plain data in
//! `fieldbus::can`, re-exported here so `devices::can::CanSignal` keeps naming them.

pub use fieldbus::can::{ByteOrder, CanSignal, DecodeSignal, SignalError};

use super::CanFrame;
use crate::codec::{bits_from_raw, engineering_value, raw_from_bits, raw_limits_text, raw_range};
use crate::error::DeviceError;
use crate::types::DataType;

/// The bytes one value of `data_type` takes in a frame: a bool is one byte (any nonzero byte
/// reads as true), the others their natural width.
pub const fn byte_width(data_type: DataType) -> u8 {
    data_type.bytes()
}

/// A signal that breaks a rule is refused before anything is sent or decoded.
impl From<SignalError> for DeviceError {
    fn from(error: SignalError) -> Self {
        DeviceError::Refused(error.0)
    }
}

/// `signal.decode(&frame)` for the frames of this crate.
impl DecodeSignal for CanFrame {
    type Error = DeviceError;

    fn decode_signal(&self, signal: &CanSignal) -> Result<f64, DeviceError> {
        decode(signal, self)
    }
}

/// The engineering value `signal` holds in `frame`: raw × scale, rounded to the scale's
/// decimals (`codec::engineering_value`). Also spelled `signal.decode(&frame)`.
pub fn decode(signal: &CanSignal, frame: &CanFrame) -> Result<f64, DeviceError> {
    signal.check()?;
    if frame.id() != signal.can_id || frame.is_extended() != signal.extended {
        return Err(DeviceError::Decode(format!(
            "frame {:#x} is not this signal's id {:#x}",
            frame.id(),
            signal.can_id
        )));
    }
    if frame.is_remote() {
        return Err(DeviceError::Decode(format!(
            "frame {:#x} is a remote request and carries no data",
            frame.id()
        )));
    }
    let range = signal.bytes();
    let Some(bytes) = frame.data().get(range.clone()) else {
        return Err(DeviceError::Decode(format!(
            "frame {:#x} has {} data byte(s); the signal needs bytes {}..={}",
            frame.id(),
            frame.data().len(),
            range.start,
            range.end - 1
        )));
    };
    // Most significant byte first, whatever the order on the wire.
    let fold = |acc: u64, b: &u8| (acc << 8) | u64::from(*b);
    let bits = match signal.byte_order {
        ByteOrder::BigEndian => bytes.iter().fold(0, fold),
        ByteOrder::LittleEndian => bytes.iter().rev().fold(0, fold),
    };
    let raw = raw_from_bits(bits, signal.data_type);
    Ok(engineering_value(raw, signal.data_type, signal.scale, 0.0))
}

/// Writes the engineering value `value` into the signal's bytes of `data` (value / scale,
/// rounded for the integer types); the other bytes are left alone, so several signals can share
/// one frame.
pub fn encode_into(signal: &CanSignal, value: f64, data: &mut [u8; 8]) -> Result<(), DeviceError> {
    signal.check()?;
    if !value.is_finite() {
        return Err(DeviceError::Refused(format!("{value} is not a number")));
    }
    let raw = value / signal.scale;
    let raw = if signal.data_type == DataType::F32 {
        raw
    } else {
        raw.round()
    };
    let (low, high) = raw_range(signal.data_type);
    if raw < low || raw > high {
        return Err(DeviceError::Refused(format!(
            "{value} is out of range for {} ({}) after scale {}",
            signal.data_type.name(),
            raw_limits_text(signal.data_type),
            signal.scale
        )));
    }
    let bits = bits_from_raw(raw, signal.data_type);
    let width = usize::from(signal.length);
    let le = bits.to_le_bytes();
    for (i, slot) in data[signal.bytes()].iter_mut().enumerate() {
        *slot = match signal.byte_order {
            ByteOrder::LittleEndian => le[i],
            ByteOrder::BigEndian => le[width - 1 - i],
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(start_byte: u8, data_type: DataType, scale: f64, order: ByteOrder) -> CanSignal {
        CanSignal {
            byte_order: order,
            ..CanSignal::new(0x356, start_byte, data_type, scale)
        }
    }

    fn frame(data: &[u8]) -> CanFrame {
        CanFrame::new(0x356, false, data).unwrap()
    }

    #[test]
    fn every_type_round_trips_in_both_byte_orders() {
        let cases: [(DataType, f64, &[f64]); 7] = [
            (DataType::Bool, 1.0, &[0.0, 1.0]),
            (DataType::U16, 0.1, &[0.0, 51.7, 6553.5]),
            (DataType::I16, 0.1, &[-3276.8, -12.3, 0.0, 3276.7]),
            (DataType::U32, 1.0, &[0.0, 70_000.0, 4_294_967_295.0]),
            (DataType::I32, 0.01, &[-21_474_836.48, -1.5, 21_474_836.47]),
            (DataType::F32, 1.0, &[-1.5, 0.0, 1_048_576.5]),
            (DataType::U64, 1.0, &[0.0, 1.0, 9_007_199_254_740_992.0]),
        ];
        for order in [ByteOrder::LittleEndian, ByteOrder::BigEndian] {
            for (data_type, scale, values) in cases {
                // At the end of the frame, so the last byte is used too.
                let start = 8 - byte_width(data_type);
                let signal = signal(start, data_type, scale, order);
                for &value in values {
                    let mut data = [0xAA; 8];
                    encode_into(&signal, value, &mut data).unwrap();
                    assert!(
                        data[..usize::from(start)].iter().all(|b| *b == 0xAA),
                        "bytes before the signal were touched: {data:?}"
                    );
                    let back = signal.decode(&frame(&data)).unwrap();
                    assert!(
                        (back - value).abs() <= scale.abs() * 1e-6 + value.abs() * 1e-9,
                        "{data_type:?} {order:?}: {value} came back as {back}"
                    );
                }
            }
        }
    }

    #[test]
    fn byte_order_puts_the_bytes_where_the_convention_says() {
        let mut data = [0; 8];
        let le = signal(2, DataType::U16, 1.0, ByteOrder::LittleEndian);
        encode_into(&le, f64::from(0x1234u16), &mut data).unwrap();
        assert_eq!(data, [0, 0, 0x34, 0x12, 0, 0, 0, 0]);
        let be = signal(4, DataType::I32, 1.0, ByteOrder::BigEndian);
        encode_into(&be, -2.0, &mut data).unwrap();
        assert_eq!(data, [0, 0, 0x34, 0x12, 0xFF, 0xFF, 0xFF, 0xFE]);
        assert_eq!(
            le.decode(&frame(&[0, 0, 0xE8, 0x03])).unwrap(),
            1000.0,
            "0x03E8 little-endian"
        );
        let be16 = signal(0, DataType::I16, 0.1, ByteOrder::BigEndian);
        assert_eq!(be16.decode(&frame(&[0xFF, 0x9C])).unwrap(), -10.0);
    }

    #[test]
    fn scaled_signals_leave_without_float_noise() {
        // 5208 × 0.1 is 520.8000000000001 in f64; the signal can only mean 520.8.
        let voltage = signal(0, DataType::U16, 0.1, ByteOrder::LittleEndian);
        let value = voltage.decode(&frame(&[0x58, 0x14])).unwrap();
        assert_eq!(serde_json::to_string(&value).unwrap(), "520.8");
    }

    #[test]
    fn any_nonzero_byte_reads_as_true() {
        let flag = signal(3, DataType::Bool, 1.0, ByteOrder::LittleEndian);
        assert_eq!(flag.decode(&frame(&[0, 0, 0, 0x80])).unwrap(), 1.0);
        assert_eq!(flag.decode(&frame(&[1, 1, 1, 0])).unwrap(), 0.0);
        let mut data = [0; 8];
        encode_into(&flag, 1.0, &mut data).unwrap();
        assert_eq!(data[3], 1);
    }

    #[test]
    fn values_out_of_range_are_refused_with_the_limits() {
        let mut data = [0; 8];
        let current = signal(0, DataType::I16, 0.1, ByteOrder::LittleEndian);
        let error = encode_into(&current, 3276.8, &mut data).unwrap_err();
        assert!(matches!(error, DeviceError::Refused(_)), "{error:?}");
        let text = error.to_string();
        assert!(
            text.contains("out of range for i16 (-32768..=32767)"),
            "{text}"
        );
        assert!(encode_into(&current, -3276.9, &mut data).is_err());
        assert!(encode_into(&current, f64::NAN, &mut data).is_err());
        let soc = signal(0, DataType::U16, 1.0, ByteOrder::LittleEndian);
        let error = encode_into(&soc, -1.0, &mut data).unwrap_err();
        assert!(
            error.to_string().contains("out of range for u16"),
            "{error}"
        );
        assert_eq!(data, [0; 8], "a refused value writes nothing");
        // Rounding to the nearest step happens before the range check.
        assert!(encode_into(&soc, 65_535.4, &mut data).is_ok());
    }

    #[test]
    fn a_short_frame_names_its_id_and_the_bytes_it_lacks() {
        let voltage = signal(4, DataType::U16, 0.01, ByteOrder::LittleEndian);
        let error = voltage.decode(&frame(&[1, 2, 3, 4, 5])).unwrap_err();
        assert_eq!(
            error,
            DeviceError::Decode(
                "frame 0x356 has 5 data byte(s); the signal needs bytes 4..=5".into()
            )
        );
        let other = CanFrame::new(0x355, false, &[0; 8]).unwrap();
        assert!(matches!(
            voltage.decode(&other),
            Err(DeviceError::Decode(_))
        ));
        let extended = CanFrame::new(0x356, true, &[0; 8]).unwrap();
        assert!(
            voltage.decode(&extended).is_err(),
            "11-bit and 29-bit ids differ"
        );
        let remote = CanFrame::remote(0x356, false, 8).unwrap();
        assert!(voltage.decode(&remote).is_err());
    }

    #[test]
    fn check_names_the_rule_a_signal_breaks() {
        let good = CanSignal::new(0x351, 6, DataType::U16, 0.1);
        assert!(good.check().is_ok());
        let cases = [
            (
                CanSignal { length: 4, ..good },
                "a u16 signal is 2 byte(s) long, not 4",
            ),
            (
                CanSignal {
                    start_byte: 7,
                    ..good
                },
                "start_byte 7 + length 2 runs past the 8 bytes",
            ),
            (
                CanSignal::new(0x351, 1, DataType::U64, 1.0),
                "start_byte 1 + length 8",
            ),
            (
                CanSignal { scale: 0.0, ..good },
                "scale 0 cannot be inverted",
            ),
            (
                CanSignal {
                    can_id: 0x800,
                    ..good
                },
                "does not fit a 11-bit id",
            ),
        ];
        for (signal, rule) in cases {
            let error = signal.check().unwrap_err().to_string();
            assert!(error.contains(rule), "{error} should say {rule:?}");
            let mut data = [0; 8];
            assert!(encode_into(&signal, 1.0, &mut data).is_err());
            assert!(signal.decode(&frame(&[0; 8])).is_err());
        }
        let extended = CanSignal {
            can_id: 0x1800_0000,
            extended: true,
            ..good
        };
        assert!(extended.check().is_ok());
    }

    #[test]
    fn the_registry_json_reads_with_its_defaults() {
        let signal: CanSignal = serde_json::from_str(
            r#"{"can_id": 853, "start_byte": 0, "length": 2, "data_type": "u16"}"#,
        )
        .unwrap();
        assert_eq!(signal, CanSignal::new(0x355, 0, DataType::U16, 1.0));
        let signal: CanSignal = serde_json::from_str(
            r#"{"can_id": 419385573, "extended": true, "start_byte": 4, "length": 4,
                "data_type": "f32", "scale": 0.5, "byte_order": "big_endian"}"#,
        )
        .unwrap();
        assert!(signal.extended);
        assert_eq!(signal.byte_order, ByteOrder::BigEndian);
        assert_eq!(signal.scale, 0.5);
        assert!(signal.check().is_ok());
    }
}
