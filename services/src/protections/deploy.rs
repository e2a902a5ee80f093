//! Deploying protection limits to the device: resolve every field to its registry variable and
//! writable register, read what the device holds, write only what differs in contiguous blocks,
//! read everything back and compare; on any failure or mismatch restore what the device held
//! before. Every deployment is recorded with a row per field. Also the read-only preview (the
//! confirmation's diff) and the live read of the device's limits.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use devices::{RegisterTable, codec};
use entity::{
    protection_deployment, protection_deployment_field, system_variable, variable_access_path,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::actor::Actor;
use crate::convert::to_path;
use crate::database::begin_write;
use crate::field::FieldIo;
use crate::field::config::Target;
use crate::protections::naming::NamingRule;
use crate::registry::query::{PathPreference, choose_path};
use crate::system::system_version_of;
use model::error::AppError;
use model::profiles::{
    DeployPreview, DeploymentDetail, DeploymentField, DeploymentStatus, DeploymentSummary,
    FieldProblem, FieldResult, PlannedField,
};
use model::protections::{FieldPath, FieldValue, LimitField, ProtectionSet};

/// Largest registers one block write may carry (Modbus FC 16).
const MAX_WRITE_BLOCK: u16 = devices::types::MAX_WRITE_REGISTERS;
/// Largest registers one block read may ask for (Modbus FC 3/4).
const MAX_READ_BLOCK: u16 = devices::types::MAX_READ_REGISTERS;

/// One field of a set on its way to the device.
#[derive(Debug, Clone)]
struct Field {
    path: FieldPath,
    intended: f64,
    /// The registry variable named by the naming rule, when the registry has it.
    variable: Option<String>,
    /// Where it is written; `Err` says why it cannot be.
    target: Result<Target, String>,
}

impl Field {
    fn console_only(&self) -> bool {
        self.variable.is_none()
    }
}

/// Resolves every field of `set`: registry variable by the naming rule, then its best writable
/// path mapped onto a register. Three queries whatever the size of the set.
async fn resolve(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    naming: &NamingRule,
    set: &ProtectionSet,
) -> Result<Vec<Field>, AppError> {
    let wanted: Vec<(FieldPath, f64, String)> = set
        .fields()
        .into_iter()
        .map(|(path, value)| {
            let name = naming.device_variable(&path);
            (path, value.as_f64(), name)
        })
        .collect();
    let names: Vec<String> = wanted.iter().map(|(_, _, name)| name.clone()).collect();
    let mut ids: HashMap<i64, String> = HashMap::new();
    // Chunked: SQLite limits the parameters of one statement.
    for chunk in names.chunks(500) {
        let rows: Vec<(i64, String)> = system_variable::Entity::find()
            .select_only()
            .columns([system_variable::Column::Id, system_variable::Column::Name])
            .filter(system_variable::Column::Name.is_in(chunk.iter().cloned()))
            .filter(system_variable::Column::Deleted.eq(false))
            .into_tuple()
            .all(db)
            .await?;
        ids.extend(rows);
    }
    let mut paths: HashMap<String, Vec<model::registry::AccessPath>> = HashMap::new();
    let id_list: Vec<i64> = ids.keys().copied().collect();
    for chunk in id_list.chunks(500) {
        for model in variable_access_path::Entity::find()
            .filter(variable_access_path::Column::VariableId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            let name = ids[&model.variable_id].clone();
            paths.entry(name).or_default().push(to_path(model)?);
        }
    }
    let known: std::collections::HashSet<&String> = ids.values().collect();
    let preference = PathPreference {
        rack: None,
        access_type: None,
        writable: true,
    };
    Ok(wanted
        .into_iter()
        .map(|(path, intended, name)| {
            if !known.contains(&name) {
                return Field {
                    path,
                    intended,
                    variable: None,
                    target: Err("kept in the console only".into()),
                };
            }
            let target = choose_path(paths.get(&name).cloned().unwrap_or_default(), &preference)
                .ok_or_else(|| format!("{name} has no active writable path"))
                .and_then(|access| field_io.target_of(&access))
                .and_then(|target| check_target(&name, target));
            Field {
                path,
                intended,
                variable: Some(name),
                target,
            }
        })
        .collect())
}

/// What validation needs of one field: does a device variable hold it, and what can its
/// register hold.
pub struct ValidationField {
    pub quantity: String,
    pub field: LimitField,
    /// The registry variable that holds it, if any.
    pub variable: Option<String>,
    /// The engineering range of its register, when it maps onto one.
    pub range: Option<(f64, f64)>,
}

pub async fn resolve_for_validation(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    naming: &NamingRule,
    set: &ProtectionSet,
) -> Result<Vec<ValidationField>, AppError> {
    Ok(resolve(db, field_io, naming, set)
        .await?
        .into_iter()
        .map(|f| ValidationField {
            variable: f.variable.clone(),
            range: f
                .target
                .as_ref()
                .ok()
                .map(|t| codec::engineering_range(t.data_type, t.scale, 0.0)),
            quantity: f.path.variable,
            field: f.path.field,
        })
        .collect())
}

/// Field paths of `set` that no registry variable holds (kept in the console only).
pub async fn console_only_fields(
    db: &DatabaseConnection,
    naming: &NamingRule,
    set: &ProtectionSet,
) -> Result<Vec<String>, AppError> {
    // No field I/O is needed to know which variables exist.
    Ok(resolve(db, &FieldIo::default(), naming, set)
        .await?
        .into_iter()
        .filter(|f| f.console_only())
        .map(|f| f.path.to_string())
        .collect())
}

/// A protection field is one register-backed number on a writable table.
fn check_target(name: &str, target: Target) -> Result<Target, String> {
    if !target.table.is_writable() {
        return Err(format!(
            "{name}: {:?} registers cannot be written",
            target.table
        ));
    }
    if target.elements != 1 {
        return Err(format!(
            "{name} holds {} values; a protection field is one",
            target.elements
        ));
    }
    Ok(target)
}

/// Registers of one device table, for grouping into blocks.
type TableKey = (String, u8, RegisterTable);

fn table_key(target: &Target) -> TableKey {
    (target.bus.clone(), target.unit_id, target.table)
}

/// Groups `(index, target)` into runs of registers that one request can cover: same device
/// table, `gap` = 0 for writes (only adjacent registers), up to `limit` registers.
fn blocks<'a>(
    items: impl IntoIterator<Item = (usize, &'a Target)>,
    limit: u16,
) -> Vec<(TableKey, u16, u16, Vec<usize>)> {
    let mut by_table: BTreeMap<TableKey, Vec<(u16, u16, usize)>> = BTreeMap::new();
    for (index, target) in items {
        by_table.entry(table_key(target)).or_default().push((
            target.address,
            target.count(),
            index,
        ));
    }
    let mut out = Vec::new();
    for (key, mut registers) in by_table {
        registers.sort();
        let mut current: Option<(u16, u16, Vec<usize>)> = None;
        for (address, count, index) in registers {
            let end = u32::from(address) + u32::from(count);
            match &mut current {
                Some((start, length, members))
                    if u32::from(*start) + u32::from(*length) == u32::from(address)
                        && end - u32::from(*start) <= u32::from(limit) =>
                {
                    *length = (end - u32::from(*start)) as u16;
                    members.push(index);
                }
                // Two fields on one register (the same variable twice) share the read.
                Some((start, length, members))
                    if u32::from(address) >= u32::from(*start)
                        && end <= u32::from(*start) + u32::from(*length) =>
                {
                    members.push(index);
                }
                _ => {
                    if let Some((start, length, members)) = current.take() {
                        out.push((key.clone(), start, length, members));
                    }
                    current = Some((address, count, vec![index]));
                }
            }
        }
        if let Some((start, length, members)) = current {
            out.push((key.clone(), start, length, members));
        }
    }
    out
}

/// Reads the current value of every target in as few requests as the tables allow.
async fn read_all(
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
struct WriteFailure {
    written: Vec<usize>,
    failed: Vec<usize>,
    why: String,
}

/// Writes `(index, target, words)` in contiguous blocks, stopping at the first failure.
async fn write_all(
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

/// The register words for a limit. A value the register cannot hold exactly (0.5 in an
/// integer register) is refused rather than rounded: a limit must reach the device as set.
fn encode(target: &Target, value: f64) -> Result<Vec<u16>, String> {
    let words = codec::encode_array(
        &[value],
        target.data_type,
        target.word_order,
        target.scale,
        0.0,
    )
    .map_err(|e| e.to_string())?;
    let held = codec::decode_array(
        &words,
        target.data_type,
        target.word_order,
        1,
        target.scale,
        0.0,
    )
    .map_err(|e| e.to_string())?[0];
    let tolerance = if target.data_type == devices::DataType::F32 {
        value.abs() * 1e-6
    } else {
        target.scale.abs() * 1e-6
    };
    if (held - value).abs() > tolerance {
        return Err(format!(
            "{value} cannot be held exactly by the device register (resolution {}; nearest {held})",
            target.scale.abs()
        ));
    }
    Ok(words)
}

/// What a deploy of `set` would do, read from the device; nothing is written.
pub async fn preview(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    naming: &NamingRule,
    profile: &str,
    set: &ProtectionSet,
) -> Result<DeployPreview, AppError> {
    let fields = resolve(db, field_io, naming, set).await?;
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
                    (Err(why), _) => Some(why.clone()),
                    (Ok(target), Some(Ok(_))) => encode(target, field.intended).err(),
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
        fields: planned,
    })
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

/// The outcome of one field, before it is recorded.
struct Outcome {
    before: Option<f64>,
    written: Option<f64>,
    read_back: Option<f64>,
    status: FieldResult,
    error: Option<String>,
}

/// How a deploy ended. The recorded deployment says only `succeeded` or `failed`; this also says
/// whose fault a failure is, the set's or the device's (a REST client gets 422 or 502).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeployOutcome {
    /// Every field the device holds reads back as the set has it (written, or already so).
    Succeeded,
    /// Refused before anything was sent to the device: a value its register cannot hold exactly
    /// (0.5 in an integer register), or a field with no writable register. The set is at fault;
    /// the device was not touched.
    Refused,
    /// Failed at the device: it could not be read, a write failed, or a value read back wrong.
    /// What was written has been restored, unless the message names fields `NOT restored`.
    DeviceFailed,
}

impl DeployOutcome {
    /// The deployment's recorded status.
    pub fn status(self) -> DeploymentStatus {
        match self {
            DeployOutcome::Succeeded => DeploymentStatus::Succeeded,
            DeployOutcome::Refused | DeployOutcome::DeviceFailed => DeploymentStatus::Failed,
        }
    }
}

/// A recorded deployment and how it ended.
#[derive(Debug, Clone)]
pub struct Deployed {
    pub outcome: DeployOutcome,
    pub detail: DeploymentDetail,
}

/// Why the device part of a deploy failed, with the deployment's message.
enum Failure {
    /// Nothing was sent: the set cannot be deployed as it is.
    Refused(String),
    /// The device could not be read or written, or did not hold what was written.
    Device(String),
}

/// Writes `set` (saved by the caller as `profile` version `version`) to the device and records
/// the deployment. A failure or mismatch restores the device's previous values; the returned
/// deployment then has status `failed` and names the field and the reason, and the outcome
/// says whether the deploy was refused before anything was sent or failed at the device.
pub async fn deploy(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    naming: &NamingRule,
    profile: (i64, &str, i64),
    set: &ProtectionSet,
    actor: &Actor,
) -> Result<Deployed, AppError> {
    let started_at = Utc::now();
    let system_version = system_version_of(db).await?;
    let fields = resolve(db, field_io, naming, set).await?;
    let mut outcomes: Vec<Outcome> = fields
        .iter()
        .map(|f| Outcome {
            before: None,
            written: None,
            read_back: None,
            status: if f.console_only() {
                FieldResult::ConsoleOnly
            } else {
                FieldResult::NotWritten
            },
            error: None,
        })
        .collect();
    let (outcome, message) = match run(field_io, &fields, &mut outcomes).await {
        Ok(()) => (DeployOutcome::Succeeded, String::new()),
        Err(Failure::Refused(message)) => (DeployOutcome::Refused, message),
        Err(Failure::Device(message)) => (DeployOutcome::DeviceFailed, message),
    };
    let detail = record(
        db,
        profile,
        system_version,
        outcome.status(),
        &message,
        started_at,
        actor,
        &fields,
        outcomes,
    )
    .await?;
    Ok(Deployed { outcome, detail })
}

/// The device part of a deploy; `Err` with the message when it failed (the device then holds
/// what it held before, or the message says which fields could not be restored).
async fn run(
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

#[allow(clippy::too_many_arguments)]
async fn record(
    db: &DatabaseConnection,
    (profile_id, profile_name, profile_version): (i64, &str, i64),
    system_version: i64,
    status: DeploymentStatus,
    message: &str,
    started_at: chrono::DateTime<Utc>,
    actor: &Actor,
    fields: &[Field],
    outcomes: Vec<Outcome>,
) -> Result<DeploymentDetail, AppError> {
    let txn = begin_write(db).await?;
    let deployment = protection_deployment::ActiveModel {
        profile_id: Set(Some(profile_id)),
        profile_name: Set(profile_name.to_string()),
        profile_version: Set(profile_version),
        system_version: Set(system_version),
        status: Set(status.as_str().to_string()),
        message: Set(message.to_string()),
        started_at: Set(started_at),
        finished_at: Set(Utc::now()),
        deployed_by: Set(actor.user.clone()),
        source_system: Set(actor.source_system.clone()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let rows: Vec<protection_deployment_field::ActiveModel> = fields
        .iter()
        .zip(outcomes)
        .map(
            |(field, outcome)| protection_deployment_field::ActiveModel {
                deployment_id: Set(deployment.id),
                field_path: Set(field.path.to_string()),
                device_variable: Set(field.variable.clone()),
                intended: Set(field.intended),
                before: Set(outcome.before),
                written: Set(outcome.written),
                read_back: Set(outcome.read_back),
                status: Set(outcome.status.as_str().to_string()),
                error: Set(outcome.error),
                ..Default::default()
            },
        )
        .collect();
    for chunk in rows.chunks(200) {
        protection_deployment_field::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    detail(db, deployment.id).await
}

/// A stored status that this build does not know is a damaged row, not something to guess at.
fn stored<T>(parsed: Option<T>, what: &str, text: &str) -> Result<T, AppError> {
    parsed.ok_or_else(|| AppError::Internal(format!("a deployment has {what} {text:?}")))
}

fn deployment_summary(
    model: protection_deployment::Model,
    fields: &[protection_deployment_field::Model],
) -> Result<DeploymentSummary, AppError> {
    let status = stored(
        DeploymentStatus::parse(&model.status),
        "status",
        &model.status,
    )?;
    Ok(DeploymentSummary {
        id: model.id,
        profile: model.profile_name,
        profile_version: model.profile_version,
        system_version: model.system_version,
        status,
        message: model.message,
        started_at: model.started_at.to_rfc3339(),
        finished_at: model.finished_at.to_rfc3339(),
        deployed_by: model.deployed_by,
        written: count(fields, FieldResult::Written),
        failed: count(fields, FieldResult::Failed),
    })
}

fn count(fields: &[protection_deployment_field::Model], result: FieldResult) -> usize {
    fields
        .iter()
        .filter(|f| f.status == result.as_str())
        .count()
}

/// One deployment with its fields.
pub async fn detail(db: &DatabaseConnection, id: i64) -> Result<DeploymentDetail, AppError> {
    let deployment = protection_deployment::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no deployment {id}")))?;
    let fields = protection_deployment_field::Entity::find()
        .filter(protection_deployment_field::Column::DeploymentId.eq(id))
        .order_by_asc(protection_deployment_field::Column::Id)
        .all(db)
        .await?;
    let summary = deployment_summary(deployment, &fields)?;
    let fields = fields
        .into_iter()
        .map(|f| {
            Ok(DeploymentField {
                status: stored(FieldResult::parse(&f.status), "field status", &f.status)?,
                path: f.field_path,
                device_variable: f.device_variable,
                intended: f.intended,
                before: f.before,
                written: f.written,
                read_back: f.read_back,
                error: f.error,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(DeploymentDetail { summary, fields })
}

/// The latest deployments, newest first.
pub async fn history(
    db: &DatabaseConnection,
    limit: u64,
) -> Result<Vec<DeploymentSummary>, AppError> {
    let deployments = protection_deployment::Entity::find()
        .order_by_desc(protection_deployment::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let ids: Vec<i64> = deployments.iter().map(|d| d.id).collect();
    let fields = protection_deployment_field::Entity::find()
        .filter(protection_deployment_field::Column::DeploymentId.is_in(ids))
        .all(db)
        .await?;
    let mut by_deployment: HashMap<i64, Vec<protection_deployment_field::Model>> = HashMap::new();
    for field in fields {
        by_deployment
            .entry(field.deployment_id)
            .or_default()
            .push(field);
    }
    deployments
        .into_iter()
        .map(|d| {
            let fields = by_deployment.remove(&d.id).unwrap_or_default();
            deployment_summary(d, &fields)
        })
        .collect()
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
    fn one_register_named_twice_is_read_once() {
        let targets = [target(2, 5), target(2, 5)];
        let items: Vec<(usize, &Target)> = targets.iter().enumerate().collect();
        let found = blocks(items, MAX_READ_BLOCK);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].3, vec![0, 1]);
    }
}
