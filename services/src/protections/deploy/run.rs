//! The device part of a deploy: refuse what cannot be written, read what the device holds, write
//! what differs, read it back and compare; on any failure restore the previous values and check
//! the restoration.

use std::collections::HashMap;

use devices::codec;

use super::io::{ReadError, WriteFailure, read_all, write_all};
use super::plan::{EncodeError, decode_one, encode};
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

/// A field bound for the device: its place in the set, its register, and the words of its
/// intended value (already known to be exactly what the register will hold).
struct Writable<'a> {
    index: usize,
    field: &'a Field,
    target: &'a Target,
    words: Vec<u16>,
}

/// A writable field with the value the device holds before the deploy.
struct Held<'a> {
    writable: Writable<'a>,
    before: f64,
}

/// The device part of a deploy; `Err` with the message when it failed (the device then holds
/// what it held before, or the message says which fields could not be restored).
pub(super) async fn run(
    field_io: &FieldIo,
    fields: &[Field],
    outcomes: &mut [Outcome],
) -> Result<(), Failure> {
    let writable = refuse_unwritable(fields, outcomes)?;
    let held = read_current(field_io, writable, outcomes).await?;
    // Only values that differ from the device are written.
    let changes = only_changes(held, outcomes);
    if changes.is_empty() {
        return Ok(());
    }
    let Some(failure) = write_and_verify(field_io, fields, &changes, outcomes).await else {
        return Ok(());
    };
    Err(restore(field_io, &changes, outcomes, failure).await)
}

/// Refuses before anything is sent when a field cannot reach the device or its register
/// cannot hold its value exactly; otherwise every device field with its words.
fn refuse_unwritable<'a>(
    fields: &'a [Field],
    outcomes: &mut [Outcome],
) -> Result<Vec<Writable<'a>>, Failure> {
    let mut writable = Vec::new();
    let mut refusals = Vec::new();
    for ((index, field), outcome) in fields.iter().enumerate().zip(outcomes.iter_mut()) {
        if field.console_only() {
            continue;
        }
        let encoded = match &field.target {
            Err(why) => Err(why.to_string()),
            Ok(target) => encode(target, field.intended)
                .map(|words| (target, words))
                .map_err(|why| why.to_string()),
        };
        match encoded {
            Ok((target, words)) => writable.push(Writable {
                index,
                field,
                target,
                words,
            }),
            Err(problem) => {
                outcome.status = FieldResult::Failed;
                outcome.error = Some(problem.clone());
                refusals.push(format!("{}: {problem}", field.path));
            }
        }
    }
    if !refusals.is_empty() {
        return Err(Failure::Refused(format!(
            "nothing was written: {}",
            refusals.join("; ")
        )));
    }
    Ok(writable)
}

/// Reads what the device holds for every writable field; nothing is written when any field
/// cannot be read.
async fn read_current<'a>(
    field_io: &FieldIo,
    writable: Vec<Writable<'a>>,
    outcomes: &mut [Outcome],
) -> Result<Vec<Held<'a>>, Failure> {
    let targets: Vec<(usize, &Target)> = writable.iter().map(|w| (w.index, w.target)).collect();
    let mut before = read_all(field_io, &targets).await;
    let mut held = Vec::new();
    let mut unreadable = Vec::new();
    for writable in writable {
        let outcome = &mut outcomes[writable.index];
        let why = match before.remove(&writable.index) {
            Some(Ok(value)) => {
                outcome.before = Some(value);
                held.push(Held {
                    writable,
                    before: value,
                });
                continue;
            }
            Some(Err(why)) => why.to_string(),
            None => "not read".to_string(),
        };
        outcome.status = FieldResult::Failed;
        outcome.error = Some(format!("cannot read the current value: {why}"));
        unreadable.push(format!("{}: {why}", writable.field.path));
    }
    if !unreadable.is_empty() {
        return Err(Failure::Device(format!(
            "nothing was written: {}",
            unreadable.join("; ")
        )));
    }
    Ok(held)
}

/// The fields whose device value differs from the set's; the others are marked unchanged.
fn only_changes<'a>(held: Vec<Held<'a>>, outcomes: &mut [Outcome]) -> Vec<Held<'a>> {
    let mut changes = Vec::new();
    for field in held {
        let Writable {
            index,
            target,
            field: set_field,
            ..
        } = &field.writable;
        if codec::same_value(
            set_field.intended,
            field.before,
            target.data_type,
            target.scale,
        ) {
            outcomes[*index].status = FieldResult::Unchanged;
            outcomes[*index].read_back = Some(field.before);
        } else {
            changes.push(field);
        }
    }
    changes
}

/// Writes the changes in blocks, then reads back and compares everything written. `Some` with
/// the deployment's message when a write failed or a value read back wrong.
async fn write_and_verify(
    field_io: &FieldIo,
    fields: &[Field],
    changes: &[Held<'_>],
    outcomes: &mut [Outcome],
) -> Option<String> {
    let writes: Vec<(usize, &Target, Vec<u16>)> = changes
        .iter()
        .map(|c| {
            (
                c.writable.index,
                c.writable.target,
                c.writable.words.clone(),
            )
        })
        .collect();
    match write_all(field_io, &writes).await {
        Err(failure) => Some(note_write_failure(fields, failure, outcomes)),
        Ok(()) => verify(field_io, changes, outcomes).await,
    }
}

/// Marks the fields a failed block write reached and those it did not; the deployment's message.
fn note_write_failure(fields: &[Field], failure: WriteFailure, outcomes: &mut [Outcome]) -> String {
    let WriteFailure {
        written,
        failed,
        why,
    } = failure;
    for i in &written {
        outcomes[*i].status = FieldResult::Written;
        outcomes[*i].written = Some(fields[*i].intended);
    }
    for i in &failed {
        outcomes[*i].status = FieldResult::Failed;
        outcomes[*i].error = Some(format!("write failed: {why}"));
    }
    let names: Vec<String> = failed.iter().map(|i| fields[*i].path.to_string()).collect();
    format!("writing {} failed: {why}", names.join(", "))
}

/// Reads back every written field and compares it with the set; `Some` with the mismatches.
async fn verify(
    field_io: &FieldIo,
    changes: &[Held<'_>],
    outcomes: &mut [Outcome],
) -> Option<String> {
    let written: Vec<(usize, &Target)> = changes
        .iter()
        .map(|c| (c.writable.index, c.writable.target))
        .collect();
    let mut read_back = read_all(field_io, &written).await;
    let mut mismatches = Vec::new();
    for change in changes {
        let Writable {
            index,
            field,
            target,
            ..
        } = &change.writable;
        let outcome = &mut outcomes[*index];
        outcome.written = Some(field.intended);
        let why = match read_back.remove(index) {
            Some(Ok(value)) => {
                outcome.read_back = Some(value);
                if codec::same_value(field.intended, value, target.data_type, target.scale) {
                    outcome.status = FieldResult::Written;
                    continue;
                }
                outcome.status = FieldResult::Failed;
                outcome.error = Some(format!("read back {value}, expected {}", field.intended));
                mismatches.push(format!(
                    "{}: read back {value}, expected {}",
                    field.path, field.intended
                ));
                continue;
            }
            Some(Err(why)) => why.to_string(),
            None => "not read".to_string(),
        };
        outcome.status = FieldResult::Failed;
        outcome.error = Some(format!("read-back failed: {why}"));
        mismatches.push(format!("{}: read-back failed: {why}", field.path));
    }
    (!mismatches.is_empty()).then(|| mismatches.join("; "))
}

/// Restores every field this deploy may have touched, checks the restoration, and returns the
/// deployment's failure: `failure` and whether the previous values are back.
async fn restore(
    field_io: &FieldIo,
    changes: &[Held<'_>],
    outcomes: &mut [Outcome],
    failure: String,
) -> Failure {
    // The previous values were read from the registers, so they encode; a value that somehow
    // does not is reported as not restored rather than guessed at.
    let previous: Vec<Result<Vec<u16>, EncodeError>> = changes
        .iter()
        .map(|c| encode(c.writable.target, c.before))
        .collect();
    let restore: Vec<(usize, &Target, Vec<u16>)> = changes
        .iter()
        .zip(&previous)
        .filter_map(|(c, words)| {
            let words = words.as_ref().ok()?.clone();
            Some((c.writable.index, c.writable.target, words))
        })
        .collect();
    let restored = restore_with_retries(field_io, &restore).await;
    let mut unrestored = Vec::new();
    for (change, words) in changes.iter().zip(previous) {
        let Writable {
            index,
            field,
            target,
            ..
        } = &change.writable;
        let before = change.before;
        let outcome = &mut outcomes[*index];
        let why = match (words, restored.get(index)) {
            (Err(why), _) => format!("cannot encode {before}: {why}"),
            (Ok(_), Some(Ok(value)))
                if codec::same_value(before, *value, target.data_type, target.scale) =>
            {
                // A failed field keeps its failure; one never written stays so.
                if outcome.status == FieldResult::Written {
                    outcome.status = FieldResult::Restored;
                }
                continue;
            }
            (Ok(_), Some(Ok(value))) => format!("holds {value}, expected {before}"),
            (Ok(_), Some(Err(why))) => why.to_string(),
            (Ok(_), None) => "not read".into(),
        };
        outcome.status = FieldResult::Failed;
        let note = format!("could not be restored: {why}");
        outcome.error = Some(match outcome.error.take() {
            Some(first) => format!("{first}; {note}"),
            None => note,
        });
        unrestored.push(field.path.to_string());
    }
    if unrestored.is_empty() {
        Failure::Device(format!("{failure}; the previous values were restored"))
    } else {
        Failure::Device(format!(
            "{failure}; NOT restored: {} (check the device)",
            unrestored.join(", ")
        ))
    }
}

/// Tries the restoration a few times (a device that stopped answering may come back), then
/// reads the values back.
async fn restore_with_retries(
    field_io: &FieldIo,
    restore: &[(usize, &Target, Vec<u16>)],
) -> HashMap<usize, Result<f64, ReadError>> {
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
            let Ok(expected) = decode_one(words, target) else {
                return false;
            };
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
