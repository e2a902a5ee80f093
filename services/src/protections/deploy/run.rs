//! The device part of a deploy: refuse what cannot be written, read what the device holds, write
//! what differs, read it back and compare; on any failure restore the previous values and check
//! the restoration.

use std::collections::HashMap;

use devices::codec;

use super::io::{WriteFailure, read_all, write_all};
use super::plan::encode;
use super::resolve::Field;
use crate::field::FieldIo;
use crate::field::config::Target;
use model::profiles::FieldResult;

/// The outcome of one field, before it is recorded.
pub(super) struct Outcome {
    pub(super) before: Option<f64>,
    pub(super) written: Option<f64>,
    pub(super) read_back: Option<f64>,
    pub(super) status: FieldResult,
    pub(super) error: Option<String>,
}

/// Why the device part of a deploy failed, with the deployment's message.
pub(super) enum Failure {
    /// Nothing was sent: the set cannot be deployed as it is.
    Refused(String),
    /// The device could not be read or written, or did not hold what was written.
    Device(String),
}

/// The device part of a deploy; `Err` with the message when it failed (the device then holds
/// what it held before, or the message says which fields could not be restored).
pub(super) async fn run(
    field_io: &FieldIo,
    fields: &[Field],
    outcomes: &mut [Outcome],
) -> Result<(), Failure> {
    // Refuse before anything is sent: unreachable or unencodable fields.
    let mut refusals = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        if field.console_only() {
            continue;
        }
        let problem = match &field.target {
            Err(why) => Some(why.clone()),
            Ok(target) => encode(target, field.intended).err(),
        };
        if let Some(problem) = problem {
            outcomes[i].status = FieldResult::Failed;
            outcomes[i].error = Some(problem.clone());
            refusals.push(format!("{}: {problem}", field.path));
        }
    }
    if !refusals.is_empty() {
        return Err(Failure::Refused(format!(
            "nothing was written: {}",
            refusals.join("; ")
        )));
    }
    let targets: Vec<(usize, &Target)> = fields
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            f.target
                .as_ref()
                .ok()
                .filter(|_| !f.console_only())
                .map(|t| (i, t))
        })
        .collect();
    let before = read_all(field_io, &targets).await;
    let mut unreadable = Vec::new();
    for (i, _) in &targets {
        match &before[i] {
            Ok(value) => outcomes[*i].before = Some(*value),
            Err(why) => {
                outcomes[*i].status = FieldResult::Failed;
                outcomes[*i].error = Some(format!("cannot read the current value: {why}"));
                unreadable.push(format!("{}: {why}", fields[*i].path));
            }
        }
    }
    if !unreadable.is_empty() {
        return Err(Failure::Device(format!(
            "nothing was written: {}",
            unreadable.join("; ")
        )));
    }
    // Only values that differ from the device are written.
    let mut writes: Vec<(usize, &Target, Vec<u16>)> = Vec::new();
    for (i, target) in &targets {
        let now = outcomes[*i].before.expect("read above");
        let field = &fields[*i];
        if codec::same_value(field.intended, now, target.data_type, target.scale) {
            outcomes[*i].status = FieldResult::Unchanged;
            outcomes[*i].read_back = Some(now);
        } else {
            let words = encode(target, field.intended).expect("checked above");
            writes.push((*i, *target, words));
        }
    }
    if writes.is_empty() {
        return Ok(());
    }
    // `None` from this match (everything written and confirmed) ends the deploy successfully.
    let failure = match write_all(field_io, &writes).await {
        Err(WriteFailure {
            written,
            failed,
            why,
        }) => {
            for i in &written {
                outcomes[*i].status = FieldResult::Written;
                outcomes[*i].written = Some(fields[*i].intended);
            }
            for i in &failed {
                outcomes[*i].status = FieldResult::Failed;
                outcomes[*i].error = Some(format!("write failed: {why}"));
            }
            let names: Vec<String> = failed.iter().map(|i| fields[*i].path.to_string()).collect();
            Some(format!("writing {} failed: {why}", names.join(", ")))
        }
        Ok(()) => {
            // Read back and compare everything written.
            let written: Vec<(usize, &Target)> = writes.iter().map(|(i, t, _)| (*i, *t)).collect();
            let read_back = read_all(field_io, &written).await;
            let mut mismatches = Vec::new();
            for (i, target, _) in &writes {
                let field = &fields[*i];
                outcomes[*i].written = Some(field.intended);
                match &read_back[i] {
                    Ok(value) => {
                        outcomes[*i].read_back = Some(*value);
                        if codec::same_value(field.intended, *value, target.data_type, target.scale)
                        {
                            outcomes[*i].status = FieldResult::Written;
                        } else {
                            outcomes[*i].status = FieldResult::Failed;
                            outcomes[*i].error =
                                Some(format!("read back {value}, expected {}", field.intended));
                            mismatches.push(format!(
                                "{}: read back {value}, expected {}",
                                field.path, field.intended
                            ));
                        }
                    }
                    Err(why) => {
                        outcomes[*i].status = FieldResult::Failed;
                        outcomes[*i].error = Some(format!("read-back failed: {why}"));
                        mismatches.push(format!("{}: read-back failed: {why}", field.path));
                    }
                }
            }
            (!mismatches.is_empty()).then(|| mismatches.join("; "))
        }
    };
    let Some(failure) = failure else {
        return Ok(());
    };
    // Restore every field this deploy may have touched, then check the restoration.
    let restore: Vec<(usize, &Target, Vec<u16>)> = writes
        .iter()
        .map(|(i, target, _)| {
            let before = outcomes[*i].before.expect("read above");
            (
                *i,
                *target,
                encode(target, before).expect("the device's own value encodes"),
            )
        })
        .collect();
    let restored = restore_with_retries(field_io, &restore).await;
    let mut unrestored = Vec::new();
    for (i, target, _) in &restore {
        let before = outcomes[*i].before.expect("read above");
        match restored.get(i) {
            Some(Ok(value))
                if codec::same_value(before, *value, target.data_type, target.scale) =>
            {
                // A failed field keeps its failure; one never written stays so.
                if outcomes[*i].status == FieldResult::Written {
                    outcomes[*i].status = FieldResult::Restored;
                }
            }
            other => {
                let why = match other {
                    Some(Ok(value)) => format!("holds {value}, expected {before}"),
                    Some(Err(why)) => why.clone(),
                    None => "not read".into(),
                };
                outcomes[*i].status = FieldResult::Failed;
                let note = format!("could not be restored: {why}");
                outcomes[*i].error = Some(match outcomes[*i].error.take() {
                    Some(first) => format!("{first}; {note}"),
                    None => note,
                });
                unrestored.push(fields[*i].path.to_string());
            }
        }
    }
    if unrestored.is_empty() {
        Err(Failure::Device(format!(
            "{failure}; the previous values were restored"
        )))
    } else {
        Err(Failure::Device(format!(
            "{failure}; NOT restored: {} (check the device)",
            unrestored.join(", ")
        )))
    }
}

/// Tries the restoration a few times (a device that stopped answering may come back), then
/// reads the values back.
async fn restore_with_retries(
    field_io: &FieldIo,
    restore: &[(usize, &Target, Vec<u16>)],
) -> HashMap<usize, Result<f64, String>> {
    let targets: Vec<(usize, &Target)> = restore.iter().map(|(i, t, _)| (*i, *t)).collect();
    let mut last = HashMap::new();
    for attempt in 0..RESTORE_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(RESTORE_PAUSE).await;
        }
        if write_all(field_io, restore).await.is_err() {
            continue;
        }
        last = read_all(field_io, &targets).await;
        let all_back = restore.iter().all(|(i, target, words)| {
            let expected = codec::decode_array(words, target.data_type, target.word_order, 1, target.scale, 0.0)
                .map(|v| v[0])
                .unwrap_or(f64::NAN);
            matches!(last.get(i), Some(Ok(v)) if codec::same_value(expected, *v, target.data_type, target.scale))
        });
        if all_back {
            return last;
        }
    }
    if last.is_empty() {
        last = read_all(field_io, &targets).await;
    }
    last
}

const RESTORE_ATTEMPTS: usize = 10;
const RESTORE_PAUSE: std::time::Duration = std::time::Duration::from_millis(500);
