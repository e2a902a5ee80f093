//! A whole system as a [`SiteSpec`]: [`load_spec`] reads it (for `site export` and for
//! planning), [`apply_spec`] makes the database match one (`config.yaml` import, `site apply`)
//! in one write transaction at one system version, every change in the change log.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::site::adapter;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::Serialize;

use crate::actor::Actor;
use model::error::AppError;
use model::site::plan::{
    DeviceAdapter, PlannedAction, PlannedChange, SitePlan, attachment_id, device_adapters, plan_at,
};
use model::site::spec::{
    AdapterSpec, AttachmentSpec, BatteryArraySpec, BatteryPackSpec, InverterArraySpec,
    InverterSpec, MeterSpec, SiteSpec,
};
use model::site::tree::EntityKind;

use super::check::{
    Problems, adapter_types, check_adapter, check_counts, check_name, check_spec_ids,
    check_spec_namespace,
};
use super::rows::{
    SystemRows, adapter_spec, attachment_spec, battery_array_spec, inverter_array_spec,
    inverter_spec, load_rows, meter_spec, now, pack_spec, parse_time, rfc3339, system_spec,
};
use super::store::{Writer, begin};

/// The system as a spec, or none when there is no such system. Adapters' configurations come
/// without `type`. Attachments to arrays deleted since are history the spec cannot name, and
/// are left out (they stay in the database and in the tree).
pub async fn load_spec(
    db: &impl ConnectionTrait,
    system_id: &str,
) -> Result<Option<SiteSpec>, AppError> {
    match load_rows(db, system_id).await? {
        Some(rows) => spec_of(&rows).map(Some),
        None => Ok(None),
    }
}

pub(crate) fn spec_of(rows: &SystemRows) -> Result<SiteSpec, AppError> {
    let adapters: HashMap<&str, &adapter::Model> = rows
        .adapters
        .iter()
        .map(|a| (a.adapter_id.as_str(), a))
        .collect();
    let single = |id: &Option<String>| -> Result<Option<AdapterSpec>, AppError> {
        id.as_deref()
            .and_then(|id| adapters.get(id))
            .map(|a| adapter_spec(a, None))
            .transpose()
    };
    let inverters = rows
        .inverters
        .iter()
        .map(|i| Ok(inverter_spec(i, single(&i.adapter_id)?)))
        .collect::<Result<Vec<_>, AppError>>()?;
    let meters = rows
        .meters
        .iter()
        .map(|m| Ok(meter_spec(m, single(&m.adapter_id)?)))
        .collect::<Result<Vec<_>, AppError>>()?;
    let battery_packs = rows
        .packs
        .iter()
        .map(|p| {
            let links = rows.links.iter().filter(|l| l.pack_id == p.pack_id);
            let adapters = links
                .filter_map(|l| {
                    adapters
                        .get(l.adapter_id.as_str())
                        .map(|a| adapter_spec(a, Some(l)))
                })
                .collect::<Result<Vec<_>, AppError>>()?;
            Ok(pack_spec(p, adapters))
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let arrays: HashSet<&str> = rows
        .inverter_arrays
        .iter()
        .map(|a| a.array_id.as_str())
        .collect();
    let battery_arrays: HashSet<&str> = rows
        .battery_arrays
        .iter()
        .map(|a| a.battery_array_id.as_str())
        .collect();
    let attachments = rows
        .attachments
        .iter()
        .filter(|a| {
            arrays.contains(a.inverter_array_id.as_str())
                && battery_arrays.contains(a.battery_array_id.as_str())
        })
        .map(attachment_spec)
        .collect();
    Ok(SiteSpec {
        system: system_spec(&rows.system),
        inverter_arrays: rows
            .inverter_arrays
            .iter()
            .map(inverter_array_spec)
            .collect(),
        inverters,
        battery_arrays: rows.battery_arrays.iter().map(battery_array_spec).collect(),
        battery_packs,
        attachments,
        meters,
    })
}

/// Makes the database's system what `incoming` describes, in one write transaction: checks
/// every rule (all problems reported at once, nothing written), plans against the system as it
/// is, and unless `dry_run` applies the plan at one new system version, logging every change.
/// Without `prune`, rows the spec does not describe are kept. Returns the plan.
pub async fn apply_spec(
    db: &DatabaseConnection,
    incoming: &SiteSpec,
    prune: bool,
    dry_run: bool,
    actor: &Actor,
) -> Result<SitePlan, AppError> {
    let txn = begin(db).await?;
    let current = load_spec(&txn, &incoming.system.id).await?;
    let now = now();
    let incoming = prepare(&txn, incoming, current.as_ref(), prune, now).await?;
    let plan = plan_at(current.as_ref(), &incoming, prune, &rfc3339(now));
    if dry_run || plan.is_empty() {
        txn.rollback().await?;
        return Ok(plan);
    }
    let mut writer = Writer::new(&txn, actor, &incoming.system.id).await?;
    writer.now = now;
    apply_plan(&mut writer, current.as_ref(), &incoming, &plan).await?;
    writer.finish().await?;
    txn.commit().await?;
    Ok(plan)
}

/// Checks `incoming` against every rule and the database; the spec with its attachment times
/// in the site's form (and filled in where the file leaves them out).
async fn prepare(
    db: &impl ConnectionTrait,
    incoming: &SiteSpec,
    current: Option<&SiteSpec>,
    prune: bool,
    now: DateTime<Utc>,
) -> Result<SiteSpec, AppError> {
    let mut problems = Problems::default();
    check_spec_ids(&mut problems, incoming);
    check_fields(&mut problems, incoming);
    check_references(&mut problems, incoming, current, prune);
    check_spec_namespace(db, &mut problems, incoming).await?;
    check_adapters(db, &mut problems, incoming).await?;
    let normalized = normalize_attachments(&mut problems, incoming, current, now);
    problems.finish()?;
    Ok(normalized)
}

fn check_fields(problems: &mut Problems, spec: &SiteSpec) {
    check_name(problems, "system.name".into(), &spec.system.name);
    if spec.system.timezone.trim().is_empty() {
        problems.add("system.timezone", "a time zone may not be empty");
    }
    for (i, a) in spec.inverter_arrays.iter().enumerate() {
        check_name(problems, format!("inverter_arrays[{i}].name"), &a.name);
    }
    for (i, inv) in spec.inverters.iter().enumerate() {
        check_name(problems, format!("inverters[{i}].name"), &inv.name);
    }
    for (i, a) in spec.battery_arrays.iter().enumerate() {
        check_name(problems, format!("battery_arrays[{i}].name"), &a.name);
    }
    for (i, p) in spec.battery_packs.iter().enumerate() {
        check_name(problems, format!("battery_packs[{i}].name"), &p.name);
        check_counts(problems, &format!("battery_packs[{i}]"), p);
    }
    for (i, m) in spec.meters.iter().enumerate() {
        check_name(problems, format!("meters[{i}].name"), &m.name);
    }
}

/// The arrays references may name: the spec's, and (without prune, which would remove them)
/// those the system has.
struct Known<'a> {
    system: &'a str,
    arrays: HashSet<&'a str>,
    battery_arrays: HashSet<&'a str>,
}

impl<'a> Known<'a> {
    fn of(spec: &'a SiteSpec, current: Option<&'a SiteSpec>, prune: bool) -> Known<'a> {
        let kept = current.filter(|_| !prune);
        Known {
            system: &spec.system.id,
            arrays: spec
                .inverter_arrays
                .iter()
                .chain(kept.iter().flat_map(|c| &c.inverter_arrays))
                .map(|a| a.id.as_str())
                .collect(),
            battery_arrays: spec
                .battery_arrays
                .iter()
                .chain(kept.iter().flat_map(|c| &c.battery_arrays))
                .map(|a| a.id.as_str())
                .collect(),
        }
    }

    fn check(&self, problems: &mut Problems, path: String, kind: EntityKind, id: &str) {
        let set = match kind {
            EntityKind::BatteryArray => &self.battery_arrays,
            _ => &self.arrays,
        };
        if !set.contains(id) {
            let system = self.system;
            problems.add(
                path,
                format!("there is no {kind} {id:?} in system {system:?}"),
            );
        }
    }
}

/// References name known arrays; at most one open attachment per battery array.
fn check_references(
    problems: &mut Problems,
    spec: &SiteSpec,
    current: Option<&SiteSpec>,
    prune: bool,
) {
    let known = Known::of(spec, current, prune);
    let (inverter_array, battery_array) = (EntityKind::InverterArray, EntityKind::BatteryArray);
    for (i, inv) in spec.inverters.iter().enumerate() {
        known.check(
            problems,
            format!("inverters[{i}].array_id"),
            inverter_array,
            &inv.array_id,
        );
    }
    for (i, p) in spec.battery_packs.iter().enumerate() {
        let path = format!("battery_packs[{i}].battery_array_id");
        known.check(problems, path, battery_array, &p.battery_array_id);
    }
    for (i, m) in spec.meters.iter().enumerate() {
        if let Some(array) = &m.array_id {
            known.check(
                problems,
                format!("meters[{i}].array_id"),
                inverter_array,
                array,
            );
        }
    }
    let mut open: HashMap<&str, usize> = HashMap::new();
    for (i, a) in spec.attachments.iter().enumerate() {
        let path = format!("attachments[{i}]");
        let (from, to) = (&a.battery_array_id, &a.inverter_array_id);
        known.check(
            problems,
            format!("{path}.battery_array_id"),
            battery_array,
            from,
        );
        known.check(
            problems,
            format!("{path}.inverter_array_id"),
            inverter_array,
            to,
        );
        let earlier = a
            .detached_at
            .is_none()
            .then(|| open.insert(from, i))
            .flatten();
        if let Some(first) = earlier {
            problems.add(
                format!("{path}.detached_at"),
                format!(
                    "battery array {from:?} is attached at attachments[{first}] already: only one attachment of a battery array is open"
                ),
            );
        }
    }
}

/// Adapter types exist and drive the kind of device they are on, and every configuration keeps
/// its type's JSON Schema.
async fn check_adapters(
    db: &impl ConnectionTrait,
    problems: &mut Problems,
    spec: &SiteSpec,
) -> Result<(), AppError> {
    let mut paths: Vec<(String, DeviceAdapter<'_>)> = Vec::new();
    let mut positions: HashMap<&str, usize> = HashMap::new();
    for d in device_adapters(spec) {
        let position = positions.entry(d.device_id).or_default();
        let base = match d.device_kind {
            EntityKind::Inverter => index_path(
                "inverters",
                &spec.inverters,
                d.device_id,
                |i| &i.id,
                ".adapter",
            ),
            EntityKind::Meter => {
                index_path("meters", &spec.meters, d.device_id, |m| &m.id, ".adapter")
            }
            _ => index_path(
                "battery_packs",
                &spec.battery_packs,
                d.device_id,
                |p| &p.id,
                &format!(".adapters[{position}]"),
            ),
        };
        *position += 1;
        paths.push((base, d));
    }
    let types: HashSet<String> = paths
        .iter()
        .map(|(_, d)| d.adapter.adapter_type.clone())
        .collect();
    let types = adapter_types(db, types.into_iter().collect()).await?;
    for (path, d) in &paths {
        check_adapter(problems, &types, path, d.adapter, d.device_kind);
    }
    Ok(())
}

/// `inverters[3].adapter`: the path of the first item of `items` with id `id`.
fn index_path<T>(
    list: &str,
    items: &[T],
    id: &str,
    id_of: impl Fn(&T) -> &String,
    suffix: &str,
) -> String {
    let index = items
        .iter()
        .position(|item| id_of(item) == id)
        .unwrap_or_default();
    format!("{list}[{index}]{suffix}")
}

/// Attachment times in the site's form (RFC 3339, UTC). A missing `attached_since` is the
/// stored one of the same attachment, or else now (open) or its `detached_at` (closed).
fn normalize_attachments(
    problems: &mut Problems,
    incoming: &SiteSpec,
    current: Option<&SiteSpec>,
    now: DateTime<Utc>,
) -> SiteSpec {
    let stored: &[AttachmentSpec] = current.map_or(&[], |c| &c.attachments);
    let mut spec = incoming.clone();
    for (i, a) in spec.attachments.iter_mut().enumerate() {
        let mut parse = |field: &str, value: &Option<String>| match value.as_deref().map(parse_time)
        {
            Some(Ok(time)) => Some(time),
            Some(Err(message)) => {
                problems.add(format!("attachments[{i}].{field}"), message);
                None
            }
            None => None,
        };
        let since = parse("attached_since", &a.attached_since);
        let until = parse("detached_at", &a.detached_at);
        if let (Some(since), Some(until)) = (since, until)
            && until < since
        {
            problems.add(
                format!("attachments[{i}].detached_at"),
                "is before attached_since",
            );
        }
        a.detached_at = until.map(rfc3339);
        a.attached_since = match since {
            Some(since) => Some(rfc3339(since)),
            None => stored
                .iter()
                .find(|s| {
                    s.battery_array_id == a.battery_array_id
                        && s.inverter_array_id == a.inverter_array_id
                        && s.detached_at == a.detached_at
                })
                .and_then(|s| s.attached_since.clone())
                .or_else(|| a.detached_at.clone())
                .or_else(|| Some(rfc3339(now))),
        };
    }
    spec
}

/// The rows of one side of a plan (the database's or the file's), by id.
struct Side<'a> {
    spec: &'a SiteSpec,
    inverter_arrays: HashMap<&'a str, &'a InverterArraySpec>,
    inverters: HashMap<&'a str, &'a InverterSpec>,
    battery_arrays: HashMap<&'a str, &'a BatteryArraySpec>,
    packs: HashMap<&'a str, &'a BatteryPackSpec>,
    meters: HashMap<&'a str, &'a MeterSpec>,
    adapters: HashMap<&'a str, DeviceAdapter<'a>>,
    attachments: HashMap<String, &'a AttachmentSpec>,
}

impl<'a> Side<'a> {
    fn of(spec: &'a SiteSpec) -> Side<'a> {
        Side {
            spec,
            inverter_arrays: spec
                .inverter_arrays
                .iter()
                .map(|a| (a.id.as_str(), a))
                .collect(),
            inverters: spec.inverters.iter().map(|a| (a.id.as_str(), a)).collect(),
            battery_arrays: spec
                .battery_arrays
                .iter()
                .map(|a| (a.id.as_str(), a))
                .collect(),
            packs: spec
                .battery_packs
                .iter()
                .map(|a| (a.id.as_str(), a))
                .collect(),
            meters: spec.meters.iter().map(|a| (a.id.as_str(), a)).collect(),
            adapters: device_adapters(spec)
                .into_iter()
                .map(|d| (d.adapter.id.as_str(), d))
                .collect(),
            attachments: spec
                .attachments
                .iter()
                .map(|a| (attachment_id(a), a))
                .collect(),
        }
    }
}

fn missing(change: &PlannedChange) -> AppError {
    AppError::Internal(format!(
        "the plan names {} {:?}, which is not there",
        change.kind, change.id
    ))
}

/// The row a planned change names on one side.
fn named<'m, T>(map: &'m HashMap<&str, T>, change: &PlannedChange) -> Result<&'m T, AppError> {
    map.get(change.id.as_str()).ok_or_else(|| missing(change))
}

/// Where a kind of row goes when upserting (parents and adapters before what refers to them)
/// and when removing (children first).
fn upsert_rank(kind: EntityKind) -> u8 {
    match kind {
        EntityKind::System => 0,
        EntityKind::InverterArray => 1,
        EntityKind::BatteryArray => 2,
        EntityKind::Adapter => 3,
        EntityKind::Inverter => 4,
        EntityKind::BatteryPack => 5,
        _ => 6,
    }
}

fn removal_rank(kind: EntityKind) -> u8 {
    6 - upsert_rank(kind)
}

/// Applies a plan made from `current` and `incoming`, in an order the foreign keys accept:
/// attachments closed, rows removed (children first), rows created and updated (parents
/// first), devices pointed at their adapters, attachments opened. Logs every change.
pub(crate) async fn apply_plan(
    w: &mut Writer<'_>,
    current: Option<&SiteSpec>,
    incoming: &SiteSpec,
    plan: &SitePlan,
) -> Result<(), AppError> {
    let empty = SiteSpec::default();
    let old = Side::of(current.unwrap_or(&empty));
    let new = Side::of(incoming);
    let (attachments, mut rows): (Vec<&PlannedChange>, Vec<&PlannedChange>) = plan
        .changes
        .iter()
        .partition(|c| c.kind == EntityKind::Attachment);
    let (mut removals, mut upserts): (Vec<&PlannedChange>, Vec<&PlannedChange>) = rows
        .drain(..)
        .partition(|c| c.action == PlannedAction::Remove);
    removals.sort_by_key(|c| removal_rank(c.kind));
    upserts.sort_by_key(|c| upsert_rank(c.kind));
    for change in attachments
        .iter()
        .filter(|c| c.action != PlannedAction::Create)
    {
        let stored = old
            .attachments
            .get(&change.id)
            .ok_or_else(|| missing(change))?;
        if let PlannedAction::Update { fields } = &change.action {
            w.update_attachment(stored, fields).await?;
        }
        w.log_change(change, *stored);
    }
    for change in removals {
        remove(w, &old, change).await?;
    }
    for change in &upserts {
        upsert(w, &old, &new, change).await?;
    }
    for change in upserts.iter().filter(|c| c.kind == EntityKind::Adapter) {
        let d = named(&new.adapters, change)?;
        if moves_device(change) {
            w.unlink_elsewhere(d).await?;
        }
        w.link_adapter(d).await?;
    }
    for change in attachments
        .iter()
        .filter(|c| c.action == PlannedAction::Create)
    {
        let attachment = new
            .attachments
            .get(&change.id)
            .ok_or_else(|| missing(change))?;
        w.put_attachment(attachment).await?;
        w.log_change(change, *attachment);
    }
    Ok(())
}

async fn remove(
    w: &mut Writer<'_>,
    old: &Side<'_>,
    change: &PlannedChange,
) -> Result<(), AppError> {
    let id = change.id.as_str();
    match change.kind {
        EntityKind::Adapter => {
            let d = named(&old.adapters, change)?;
            w.remove_adapter(id).await?;
            w.log_change(change, d.adapter);
        }
        EntityKind::Inverter => {
            w.remove_device(change.kind, id).await?;
            w.log_change(change, *named(&old.inverters, change)?);
        }
        EntityKind::BatteryPack => {
            w.remove_device(change.kind, id).await?;
            w.log_change(change, *named(&old.packs, change)?);
        }
        EntityKind::Meter => {
            w.remove_device(change.kind, id).await?;
            w.log_change(change, *named(&old.meters, change)?);
        }
        EntityKind::InverterArray => {
            log_closed(w, &w.remove_inverter_array(id).await?);
            w.log_change(change, *named(&old.inverter_arrays, change)?);
        }
        EntityKind::BatteryArray => {
            log_closed(w, &w.remove_battery_array(id).await?);
            w.log_change(change, *named(&old.battery_arrays, change)?);
        }
        _ => return Err(missing(change)),
    }
    Ok(())
}

async fn upsert(
    w: &mut Writer<'_>,
    old: &Side<'_>,
    new: &Side<'_>,
    change: &PlannedChange,
) -> Result<(), AppError> {
    let exists = change.action != PlannedAction::Create;
    match change.kind {
        EntityKind::System => {
            w.put_system(&new.spec.system, exists).await?;
            log(w, change, &new.spec.system);
        }
        EntityKind::InverterArray => {
            let row = named(&new.inverter_arrays, change)?;
            w.put_inverter_array(row, exists).await?;
            log(w, change, row);
        }
        EntityKind::BatteryArray => {
            let row = named(&new.battery_arrays, change)?;
            w.put_battery_array(row, exists).await?;
            log(w, change, row);
        }
        EntityKind::Adapter => {
            let d = named(&new.adapters, change)?;
            w.put_adapter(d, exists).await?;
            log(w, change, d.adapter);
        }
        EntityKind::Inverter => {
            let row = named(&new.inverters, change)?;
            w.put_inverter(row, exists).await?;
            log(w, change, row);
        }
        EntityKind::BatteryPack => {
            let row = named(&new.packs, change)?;
            let stored = if exists {
                Some(*named(&old.packs, change)?)
            } else {
                None
            };
            w.put_pack(row, stored).await?;
            log(w, change, row);
        }
        EntityKind::Meter => {
            let row = named(&new.meters, change)?;
            w.put_meter(row, exists).await?;
            log(w, change, row);
        }
        _ => return Err(missing(change)),
    }
    Ok(())
}

/// Whether an adapter's update gives it to another device.
fn moves_device(change: &PlannedChange) -> bool {
    match &change.action {
        PlannedAction::Update { fields } => fields.iter().any(|f| f.field == "device"),
        PlannedAction::Create | PlannedAction::Remove => false,
    }
}

fn log(w: &mut Writer<'_>, change: &PlannedChange, row: &impl Serialize) {
    w.log_change(change, row);
}

/// Logs attachments a removal closed (each now ends at the writer's time).
pub(crate) fn log_closed(
    w: &mut Writer<'_>,
    closed: &[entity::site::battery_array_attachment::Model],
) {
    for row in closed {
        let spec = attachment_spec(row);
        let fields = [model::site::plan::FieldChange {
            field: "detached_at".into(),
            old: None,
            new: Some(rfc3339(w.now)),
        }];
        w.updated(EntityKind::Attachment, &attachment_id(&spec), &fields);
    }
}
