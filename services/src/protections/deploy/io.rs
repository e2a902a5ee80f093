//! The device I/O of a deploy: reading many registers and writing many limits in as few block
//! requests as the device tables allow, and the live read of the device's limits.

use std::collections::HashMap;

use devices::DeviceError;
use sea_orm::DatabaseConnection;

use super::plan::{MAX_READ_BLOCK, MAX_WRITE_BLOCK, blocks, decode_one};
use super::resolve::resolve;
use crate::field::FieldIo;
use crate::field::config::Target;
use crate::protections::naming::NamingRule;
use model::error::AppError;
use model::profiles::FieldProblem;
use model::protections::{FieldValue, ProtectionSet};

/// Reads the current value of every target in as few requests as the tables allow.
pub(super) async fn read_all(
    field_io: &FieldIo,
    targets: &[(usize, &Target)],
) -> HashMap<usize, Result<f64, ReadError>> {
    let mut values = HashMap::new();
    let members = targets
        .iter()
        .map(|&(index, target)| ((index, target), target));
    for ((bus, unit, table), start, count, members) in blocks(members, MAX_READ_BLOCK) {
        let result = field_io
            .read_registers(&bus, unit, table, start, count)
            .await;
        for (index, target) in members {
            let value = match &result {
                Ok(words) => value_in_block(words, start, target),
                Err(error) => Err(ReadError::Device(error.clone())),
            };
            values.insert(index, value);
        }
    }
    values
}

/// Why the value of one field could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(super) enum ReadError {
    /// The device answered with fewer registers than asked for.
    #[error("short answer")]
    ShortAnswer,
    /// The read failed, or its words do not decode.
    #[error(transparent)]
    Device(#[from] DeviceError),
}

/// The value of `target` in the words of a block read from register `start` on.
fn value_in_block(words: &[u16], start: u16, target: &Target) -> Result<f64, ReadError> {
    let from = usize::from(target.address - start);
    let to = from + usize::from(target.count());
    let words = words.get(from..to).ok_or(ReadError::ShortAnswer)?;
    Ok(decode_one(words, target)?)
}

/// A block write that failed: the fields written before it, the fields of the failed block,
/// and why.
pub(super) struct WriteFailure {
    pub(super) written: Vec<usize>,
    pub(super) failed: Vec<usize>,
    pub(super) why: DeviceError,
}

/// Writes `(index, target, words)` in contiguous blocks, stopping at the first failure.
pub(super) async fn write_all(
    field_io: &FieldIo,
    writes: &[(usize, &Target, Vec<u16>)],
) -> Result<(), WriteFailure> {
    let mut written = Vec::new();
    let members = writes.iter().map(|write| (write, write.1));
    for ((bus, unit, table), start, count, members) in blocks(members, MAX_WRITE_BLOCK) {
        let indices: Vec<usize> = members.iter().map(|(index, _, _)| *index).collect();
        let result = match block_words(start, count, &members) {
            Ok(words) => {
                field_io
                    .write_registers(&bus, unit, table, start, &words)
                    .await
            }
            Err(error) => Err(error),
        };
        if let Err(why) = result {
            return Err(WriteFailure {
                written,
                failed: indices,
                why,
            });
        }
        written.extend(indices);
    }
    Ok(())
}

/// The words of one block write of `count` registers from `start`: each member's words at its
/// register.
fn block_words(
    start: u16,
    count: u16,
    members: &[&(usize, &Target, Vec<u16>)],
) -> Result<Vec<u16>, DeviceError> {
    let mut words = vec![0u16; usize::from(count)];
    for (_, target, encoded) in members {
        let from = usize::from(target.address - start);
        let slot = words.get_mut(from..from + encoded.len()).ok_or_else(|| {
            DeviceError::Refused(format!(
                "{} words at register {} do not fit the block of {count} from {start}",
                encoded.len(),
                target.address
            ))
        })?;
        slot.copy_from_slice(encoded);
    }
    Ok(words)
}

/// The device's limits, read live, laid over `base` (fields the device does not hold keep the
/// base's values); with the fields kept in the console and those that could not be read.
pub async fn read_device(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    naming: &NamingRule,
    base: &ProtectionSet,
) -> Result<(ProtectionSet, Vec<String>, Vec<FieldProblem>), AppError> {
    let fields = resolve(db, field_io, naming, base).await?;
    let targets: Vec<(usize, &Target)> = fields
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.target.as_ref().ok().map(|t| (i, t)))
        .collect();
    let device = read_all(field_io, &targets).await;
    let mut set = base.clone();
    let mut console_only = Vec::new();
    let mut problems = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        if field.console_only() {
            console_only.push(field.path.to_string());
            continue;
        }
        let value = match (&field.target, device.get(&i)) {
            (Err(why), _) => Err(why.to_string()),
            (Ok(_), Some(Ok(value))) => Ok(*value),
            (Ok(_), Some(Err(why))) => Err(why.to_string()),
            (Ok(_), None) => Err("not read".to_string()),
        };
        match value {
            Ok(value) => {
                let value = match base.get_field(&field.path) {
                    Some(FieldValue::Bool(_)) => FieldValue::Bool(value != 0.0),
                    _ => FieldValue::Number(value),
                };
                set.set_field(&field.path, value)
                    .map_err(|e| AppError::Internal(format!("{}: {e:?}", field.path)))?;
            }
            Err(problem) => problems.push(FieldProblem {
                path: field.path.to_string(),
                problem,
            }),
        }
    }
    Ok((set, console_only, problems))
}
