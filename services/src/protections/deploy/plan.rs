//! Planning the device traffic of a deploy: the register words of each limit (refusing values a
//! register cannot hold exactly), the grouping of registers into block requests, and the
//! read-only preview of what a deploy would change.

use std::collections::BTreeMap;

use devices::{DeviceError, RegisterTable, codec};
use sea_orm::DatabaseConnection;

use super::io::read_all;
use super::resolve::resolve_every_rack;
use crate::field::FieldIo;
use crate::field::config::Target;
use crate::protections::naming::NamingRule;
use model::error::AppError;
use model::profiles::{DeployPreview, PlannedField};
use model::protections::ProtectionSet;

/// Largest registers one block write may carry (Modbus FC 16).
pub(super) const MAX_WRITE_BLOCK: u16 = devices::types::MAX_WRITE_REGISTERS;
/// Largest registers one block read may ask for (Modbus FC 3/4).
pub(super) const MAX_READ_BLOCK: u16 = devices::types::MAX_READ_REGISTERS;

/// Registers of one device table, for grouping into blocks.
pub(super) type TableKey = (String, u8, RegisterTable);

fn table_key(target: &Target) -> TableKey {
    (target.bus.clone(), target.unit_id, target.table)
}

/// Groups `(member, target)` into runs of registers that one request can cover: same device
/// table, `gap` = 0 for writes (only adjacent registers), up to `limit` registers. Each block
/// names its members, in the order given for registers at the same address.
pub(super) fn blocks<'a, M>(
    items: impl IntoIterator<Item = (M, &'a Target)>,
    limit: u16,
) -> Vec<(TableKey, u16, u16, Vec<M>)> {
    let mut by_table: BTreeMap<TableKey, Vec<(u16, u16, M)>> = BTreeMap::new();
    for (member, target) in items {
        by_table.entry(table_key(target)).or_default().push((
            target.address,
            target.count(),
            member,
        ));
    }
    let mut out = Vec::new();
    for (key, mut registers) in by_table {
        // Stable: members on the same registers stay in the order given.
        registers.sort_by_key(|(address, count, _)| (*address, *count));
        let mut current: Option<(u16, u16, Vec<M>)> = None;
        for (address, count, member) in registers {
            let end = u32::from(address) + u32::from(count);
            match &mut current {
                Some((start, length, members))
                    if u32::from(*start) + u32::from(*length) == u32::from(address)
                        && end - u32::from(*start) <= u32::from(limit) =>
                {
                    // `end - start` is at most `limit`, a u16: the saturation never happens.
                    *length = u16::try_from(end - u32::from(*start)).unwrap_or(u16::MAX);
                    members.push(member);
                }
                // Two fields on one register (the same variable twice) share the read.
                Some((start, length, members))
                    if u32::from(address) >= u32::from(*start)
                        && end <= u32::from(*start) + u32::from(*length) =>
                {
                    members.push(member);
                }
                _ => {
                    if let Some((start, length, members)) = current.take() {
                        out.push((key.clone(), start, length, members));
                    }
                    current = Some((address, count, vec![member]));
                }
            }
        }
        if let Some((start, length, members)) = current {
            out.push((key.clone(), start, length, members));
        }
    }
    out
}

/// Why a limit cannot be sent to its register as it is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(super) enum EncodeError {
    /// The register's data type cannot represent the value at all.
    #[error("{0}")]
    Codec(#[from] DeviceError),
    /// The register would hold a different value (0.5 in an integer register).
    #[error(
        "{value} cannot be held exactly by the device register (resolution {resolution}; nearest {nearest})"
    )]
    Inexact {
        value: f64,
        resolution: f64,
        nearest: f64,
    },
}

/// The one value held in `words` by a one-element target, in the limit's units. The codec
/// rounds it to the decimals of the step (`codec::engineering_value`): 3 counts of 0.1 read as
/// 0.3, not as the 0.30000000000000004 that `3 × 0.1` makes.
pub(super) fn decode_one(words: &[u16], target: &Target) -> Result<f64, DeviceError> {
    codec::decode_array(
        words,
        target.data_type,
        target.word_order,
        1,
        target.scale,
        0.0,
    )?
    .first()
    .copied()
    .ok_or_else(|| DeviceError::Decode("no value in the answer".into()))
}

/// The register words for a limit. A value the register cannot hold exactly (0.5 in an
/// integer register) is refused rather than rounded: a limit must reach the device as set.
pub(super) fn encode(target: &Target, value: f64) -> Result<Vec<u16>, EncodeError> {
    let words = codec::encode_array(
        &[value],
        target.data_type,
        target.word_order,
        target.scale,
        0.0,
    )?;
    let held = decode_one(&words, target)?;
    let tolerance = if target.data_type == devices::DataType::F32 {
        value.abs() * 1e-6
    } else {
        target.scale.abs() * 1e-6
    };
    if (held - value).abs() > tolerance {
        return Err(EncodeError::Inexact {
            value,
            resolution: target.scale.abs(),
            nearest: held,
        });
    }
    Ok(words)
}

/// What a deploy of `set` to every rack would do, read from the device; nothing is written.
/// On a multi-rack site each rack's fields are listed with their rack.
pub async fn preview(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    naming: &NamingRule,
    profile: &str,
    set: &ProtectionSet,
) -> Result<DeployPreview, AppError> {
    let (racks, fields) = resolve_every_rack(db, field_io, naming, set).await?;
    let targets: Vec<(usize, &Target)> = fields
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.target.as_ref().ok().map(|t| (i, t)))
        .collect();
    let device = read_all(field_io, &targets).await;
    let planned = fields
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let read = device.get(&i);
            let current = read.and_then(|r| r.as_ref().ok()).copied();
            let problem = if field.console_only() {
                None
            } else {
                match (&field.target, read) {
                    (Err(why), _) => Some(why.to_string()),
                    (Ok(target), Some(Ok(_))) => {
                        encode(target, field.intended).err().map(|e| e.to_string())
                    }
                    (Ok(_), Some(Err(why))) => Some(format!("cannot read: {why}")),
                    (Ok(_), None) => Some("not read".into()),
                }
            };
            let changes = match (&field.target, current) {
                (Ok(target), Some(now)) => {
                    !codec::same_value(field.intended, now, target.data_type, target.scale)
                }
                _ => false,
            };
            PlannedField {
                path: field.path.to_string(),
                rack: field.rack,
                device_variable: field.variable.clone(),
                intended: field.intended,
                device: current,
                changes,
                problem,
            }
        })
        .collect();
    Ok(DeployPreview {
        profile: profile.to_string(),
        racks,
        fields: planned,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use devices::{DataType, WordOrder};

    fn target(unit_id: u8, address: u16) -> Target {
        Target {
            bus: "site".into(),
            unit_id,
            table: RegisterTable::Holding,
            address,
            width: 1,
            elements: 1,
            data_type: DataType::U16,
            word_order: WordOrder::BigEndian,
            scale: 1.0,
        }
    }

    #[test]
    fn adjacent_registers_share_a_block_and_gaps_split_them() {
        let targets = [
            target(2, 3),
            target(2, 1),
            target(2, 2),
            target(2, 7),
            target(3, 4),
        ];
        let items: Vec<(usize, &Target)> = targets.iter().enumerate().collect();
        let found: Vec<(u8, u16, u16, Vec<usize>)> = blocks(items, MAX_WRITE_BLOCK)
            .into_iter()
            .map(|((_, unit, _), start, count, members)| (unit, start, count, members))
            .collect();
        assert_eq!(
            found,
            vec![
                (2, 1, 3, vec![1, 2, 0]),
                (2, 7, 1, vec![3]),
                (3, 4, 1, vec![4]),
            ]
        );
    }

    #[test]
    fn blocks_stop_at_the_request_limit() {
        let targets: Vec<Target> = (0..130).map(|a| target(2, a)).collect();
        let items: Vec<(usize, &Target)> = targets.iter().enumerate().collect();
        let found = blocks(items, MAX_WRITE_BLOCK);
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].1, found[0].2), (0, MAX_WRITE_BLOCK));
        assert_eq!(
            (found[1].1, found[1].2),
            (MAX_WRITE_BLOCK, 130 - MAX_WRITE_BLOCK)
        );
    }

    #[test]
    fn values_in_steps_read_without_float_noise() {
        // `counts` register counts of `step`, as a deploy reads them.
        let read = |counts: u16, step: f64| {
            let mut register = target(2, 0);
            register.scale = step;
            decode_one(&[counts], &register).unwrap()
        };
        assert_eq!(read(3, 0.1), 0.3);
        assert_eq!(read(5, 0.1), 0.5);
        assert_eq!(read(4321, 0.01), 43.21);
        assert_eq!(read(17, 0.25), 4.25);
        assert_eq!(read(7, 1.0), 7.0);
        assert_eq!(read(7, 10.0), 70.0);
        // A path's scale times the units' step (0.1 × 0.1) reads as cleanly.
        assert_eq!(read(3, 0.1 * 0.1), 0.03);
        // An encoded limit decodes to exactly the value set.
        let mut tenth = target(2, 0);
        tenth.scale = 0.1;
        for value in [0.5, 0.3, 45.0, 95.5, 6553.5] {
            let words = encode(&tenth, value).unwrap();
            assert_eq!(decode_one(&words, &tenth).unwrap(), value, "{value}");
        }
        assert!(matches!(
            encode(&tenth, 0.55),
            Err(EncodeError::Inexact { .. })
        ));
    }

    #[test]
    fn one_register_named_twice_is_read_once() {
        let targets = [target(2, 5), target(2, 5)];
        let items: Vec<(usize, &Target)> = targets.iter().enumerate().collect();
        let found = blocks(items, MAX_READ_BLOCK);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].3, vec![0, 1]);
    }
}
