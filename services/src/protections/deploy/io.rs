//! The device I/O of a deploy: reading many registers and writing many limits in as few block
//! requests as the device tables allow, and the live read of the device's limits.

use std::collections::HashMap;

use devices::codec;
use sea_orm::DatabaseConnection;

use super::plan::{MAX_READ_BLOCK, MAX_WRITE_BLOCK, blocks};
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
) -> HashMap<usize, Result<f64, String>> {
    let mut values = HashMap::new();
    for ((bus, unit, table), start, count, members) in
        blocks(targets.iter().copied(), MAX_READ_BLOCK)
    {
        let result = field_io
            .read_registers(&bus, unit, table, start, count)
            .await;
        for index in members {
            let target = targets
                .iter()
                .find(|(i, _)| *i == index)
                .map(|(_, t)| *t)
                .expect("a member is one of the targets");
            let value = match &result {
                Ok(words) => {
                    let from = usize::from(target.address - start);
                    let to = from + usize::from(target.count());
                    words
                        .get(from..to)
                        .ok_or_else(|| "short answer".to_string())
                        .and_then(|w| {
                            codec::decode_array(
                                w,
                                target.data_type,
                                target.word_order,
                                1,
                                target.scale,
                                0.0,
                            )
                            .map_err(|e| e.to_string())
                        })
                        .map(|v| v[0])
                }
                Err(error) => Err(error.to_string()),
            };
            values.insert(index, value);
        }
    }
    values
}

/// A block write that failed: the fields written before it, the fields of the failed block,
/// and why.
pub(super) struct WriteFailure {
    pub(super) written: Vec<usize>,
    pub(super) failed: Vec<usize>,
    pub(super) why: String,
}

/// Writes `(index, target, words)` in contiguous blocks, stopping at the first failure.
pub(super) async fn write_all(
    field_io: &FieldIo,
    writes: &[(usize, &Target, Vec<u16>)],
) -> Result<(), WriteFailure> {
    let targets: Vec<(usize, &Target)> = writes.iter().map(|(i, t, _)| (*i, *t)).collect();
    let mut written = Vec::new();
    for ((bus, unit, table), start, count, members) in blocks(targets, MAX_WRITE_BLOCK) {
        let mut words = vec![0u16; usize::from(count)];
        for index in &members {
            let (_, target, encoded) = writes
                .iter()
                .find(|(i, _, _)| i == index)
                .expect("a member is one of the writes");
            let from = usize::from(target.address - start);
            words[from..from + encoded.len()].copy_from_slice(encoded);
        }
        if let Err(error) = field_io
            .write_registers(&bus, unit, table, start, &words)
            .await
        {
            return Err(WriteFailure {
                written,
                failed: members,
                why: error.to_string(),
            });
        }
        written.extend(members);
    }
    Ok(())
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
            (Err(why), _) => Err(why.clone()),
            (Ok(_), Some(Ok(value))) => Ok(*value),
            (Ok(_), Some(Err(why))) => Err(why.clone()),
            (Ok(_), None) => Err("not read".into()),
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
