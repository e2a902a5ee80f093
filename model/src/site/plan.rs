//! The plan of a site apply: what must change in the database so that one system is as a
//! [`SiteSpec`] describes it. Pure (no database, no clock): the services load the current spec,
//! plan, show the plan on a dry run and apply it otherwise.
//!
//! Rules:
//! - Rows are matched by id; a row the file describes is created or updated field by field.
//! - Without `prune`, rows of the system that the file does not describe are kept (and not
//!   listed); with `prune` they are removed.
//! - A device the file describes is described whole, adapters included: its adapters that the
//!   file does not list are removed, prune or not.
//! - Attachments are history and are never removed: one that ends is updated with its
//!   `detached_at` (a new open attachment closes the battery array's open one at its
//!   `attached_since`; with `prune`, an open attachment the file does not list is closed).
//!
//! Batteries and cells are not listed: they follow their pack's `batteries` and
//! `cells_per_battery`.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::spec::{
    AdapterSpec, AttachmentSpec, BatteryArraySpec, BatteryPackSpec, InverterArraySpec,
    InverterSpec, MeterSpec, SiteSpec, SystemSpec,
};
use super::tree::EntityKind;

/// One field that changes: its name and its old and new values as text (none: no value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldChange {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum PlannedAction {
    Create,
    Update { fields: Vec<FieldChange> },
    Remove,
}

/// One row to create, update or remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlannedChange {
    pub kind: EntityKind,
    /// The row's id; for an attachment, [`attachment_id`].
    pub id: String,
    pub action: PlannedAction,
}

/// Everything an apply changes in one system, in order: the system, inverter arrays, inverters,
/// battery arrays, packs, meters, adapters, attachments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SitePlan {
    pub system_id: String,
    pub changes: Vec<PlannedChange>,
}

impl SitePlan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// One line per change, or a sentence saying there is nothing to change.
    pub fn summary(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for SitePlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.changes.is_empty() {
            return f.write_str("Nothing to change: the database already matches the file.");
        }
        for (i, change) in self.changes.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{change}")?;
        }
        Ok(())
    }
}

impl fmt::Display for PlannedChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, id) = (self.kind.label(), &self.id);
        match &self.action {
            PlannedAction::Create => write!(f, "create {kind} {id}"),
            PlannedAction::Remove => write!(f, "remove {kind} {id}"),
            PlannedAction::Update { fields } => {
                write!(f, "update {kind} {id}: ")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{field}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for FieldChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} → {}",
            self.field,
            shown(self.old.as_deref()),
            shown(self.new.as_deref())
        )
    }
}

/// A value as a plan line shows it: text in quotes, numbers, flags and JSON as they are.
fn shown(value: Option<&str>) -> String {
    match value {
        None => "none".into(),
        Some(v)
            if v.parse::<f64>().is_ok()
                || v == "true"
                || v == "false"
                || v.starts_with('{')
                || v.starts_with('[') =>
        {
            v.to_string()
        }
        Some(v) => format!("'{v}'"),
    }
}

/// A row's fields as text, in a fixed order, for comparing and for the change log.
pub type Fields = Vec<(&'static str, Option<String>)>;

/// A row of the spec as the plan compares it.
pub trait Described {
    const KIND: EntityKind;
    fn id(&self) -> &str;
    fn fields(&self) -> Fields;
}

/// The fields whose values differ between `old` and `new` (both from the same `fields()`).
pub fn diff_fields(old: &Fields, new: &Fields) -> Vec<FieldChange> {
    old.iter()
        .zip(new)
        .filter(|((_, before), (_, after))| before != after)
        .map(|((field, before), (_, after))| FieldChange {
            field: (*field).to_string(),
            old: before.clone(),
            new: after.clone(),
        })
        .collect()
}

fn text(value: &Option<String>) -> Option<String> {
    value.clone()
}

fn number(value: Option<f64>) -> Option<String> {
    value.map(|v| v.to_string())
}

/// JSON with its object keys sorted, so that equal configurations read the same whatever the
/// order of their keys.
pub fn canonical_json(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&map[k])))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

impl Described for SystemSpec {
    const KIND: EntityKind = EntityKind::System;
    fn id(&self) -> &str {
        &self.id
    }
    fn fields(&self) -> Fields {
        vec![
            ("name", Some(self.name.clone())),
            ("description", text(&self.description)),
            ("timezone", Some(self.timezone.clone())),
        ]
    }
}

impl Described for InverterArraySpec {
    const KIND: EntityKind = EntityKind::InverterArray;
    fn id(&self) -> &str {
        &self.id
    }
    fn fields(&self) -> Fields {
        vec![("name", Some(self.name.clone()))]
    }
}

impl Described for InverterSpec {
    const KIND: EntityKind = EntityKind::Inverter;
    fn id(&self) -> &str {
        &self.id
    }
    fn fields(&self) -> Fields {
        vec![
            ("array_id", Some(self.array_id.clone())),
            ("name", Some(self.name.clone())),
            ("model", text(&self.model)),
            ("serial_number", text(&self.serial_number)),
            ("vendor", text(&self.vendor)),
            (
                "phase_type",
                self.phase_type.map(|p| p.as_str().to_string()),
            ),
        ]
    }
}

impl Described for BatteryArraySpec {
    const KIND: EntityKind = EntityKind::BatteryArray;
    fn id(&self) -> &str {
        &self.id
    }
    fn fields(&self) -> Fields {
        vec![("name", Some(self.name.clone()))]
    }
}

impl Described for BatteryPackSpec {
    const KIND: EntityKind = EntityKind::BatteryPack;
    fn id(&self) -> &str {
        &self.id
    }
    fn fields(&self) -> Fields {
        vec![
            ("battery_array_id", Some(self.battery_array_id.clone())),
            ("name", Some(self.name.clone())),
            ("chemistry", text(&self.chemistry)),
            ("nominal_kwh", number(self.nominal_kwh)),
            ("max_charge_kw", number(self.max_charge_kw)),
            ("max_discharge_kw", number(self.max_discharge_kw)),
            ("batteries", Some(self.batteries.to_string())),
            (
                "cells_per_battery",
                Some(self.cells_per_battery.to_string()),
            ),
            ("cell_nominal_voltage", number(self.cell_nominal_voltage)),
        ]
    }
}

impl Described for MeterSpec {
    const KIND: EntityKind = EntityKind::Meter;
    fn id(&self) -> &str {
        &self.id
    }
    fn fields(&self) -> Fields {
        vec![
            ("name", Some(self.name.clone())),
            ("array_id", text(&self.array_id)),
            ("model", text(&self.model)),
            ("type", self.meter_type.map(|t| t.as_str().to_string())),
        ]
    }
}

/// An adapter with the device it serves.
#[derive(Debug, Clone, Copy)]
pub struct DeviceAdapter<'a> {
    /// `Inverter`, `BatteryPack` or `Meter`.
    pub device_kind: EntityKind,
    pub device_id: &'a str,
    pub adapter: &'a AdapterSpec,
}

impl Described for DeviceAdapter<'_> {
    const KIND: EntityKind = EntityKind::Adapter;
    fn id(&self) -> &str {
        &self.adapter.id
    }
    fn fields(&self) -> Fields {
        let a = self.adapter;
        vec![
            ("device", Some(self.device_id.to_string())),
            ("adapter_type", Some(a.adapter_type.clone())),
            ("name", text(&a.name)),
            ("config", Some(canonical_json(&a.config))),
            ("priority", Some(a.priority.to_string())),
            ("enabled", Some(a.enabled.to_string())),
        ]
    }
}

/// Every adapter of the spec with its device: inverters', packs' (in their order), meters'.
pub fn device_adapters(spec: &SiteSpec) -> Vec<DeviceAdapter<'_>> {
    let inverters = spec.inverters.iter().filter_map(|i| {
        i.adapter.as_ref().map(|adapter| DeviceAdapter {
            device_kind: EntityKind::Inverter,
            device_id: &i.id,
            adapter,
        })
    });
    let packs = spec.battery_packs.iter().flat_map(|p| {
        p.adapters.iter().map(|adapter| DeviceAdapter {
            device_kind: EntityKind::BatteryPack,
            device_id: &p.id,
            adapter,
        })
    });
    let meters = spec.meters.iter().filter_map(|m| {
        m.adapter.as_ref().map(|adapter| DeviceAdapter {
            device_kind: EntityKind::Meter,
            device_id: &m.id,
            adapter,
        })
    });
    inverters.chain(packs).chain(meters).collect()
}

impl Described for AttachmentSpec {
    const KIND: EntityKind = EntityKind::Attachment;
    fn id(&self) -> &str {
        // Attachments have no id of their own; see `attachment_id`.
        &self.battery_array_id
    }
    fn fields(&self) -> Fields {
        vec![
            ("inverter_array_id", Some(self.inverter_array_id.clone())),
            ("attached_since", text(&self.attached_since)),
            ("detached_at", text(&self.detached_at)),
        ]
    }
}

/// How a plan names an attachment: `battery_array1 → array1` while open, with `since ...` once
/// closed (a battery array may have been attached to the same inverter array more than once).
pub fn attachment_id(attachment: &AttachmentSpec) -> String {
    let (from, to) = (&attachment.battery_array_id, &attachment.inverter_array_id);
    match (&attachment.detached_at, &attachment.attached_since) {
        (None, _) => format!("{from} → {to}"),
        (Some(_), Some(since)) => format!("{from} → {to} since {since}"),
        (Some(until), None) => format!("{from} → {to} until {until}"),
    }
}

/// The plan that makes the database's `current` system (none: not there yet) what `incoming`
/// describes. An attachment closed without a time of its own is closed "now".
pub fn plan(current: Option<&SiteSpec>, incoming: &SiteSpec, prune: bool) -> SitePlan {
    plan_at(current, incoming, prune, "now")
}

/// [`plan`], closing attachments that have no time of their own at `now` (RFC 3339).
pub fn plan_at(
    current: Option<&SiteSpec>,
    incoming: &SiteSpec,
    prune: bool,
    now: &str,
) -> SitePlan {
    let empty = SiteSpec::default();
    let mut changes = Vec::new();
    match current {
        None => changes.push(create(&incoming.system)),
        Some(current) => changes.extend(update(&current.system, &incoming.system)),
    }
    let current = current.unwrap_or(&empty);
    rows(
        &mut changes,
        &current.inverter_arrays,
        &incoming.inverter_arrays,
        prune,
    );
    rows(&mut changes, &current.inverters, &incoming.inverters, prune);
    rows(
        &mut changes,
        &current.battery_arrays,
        &incoming.battery_arrays,
        prune,
    );
    rows(
        &mut changes,
        &current.battery_packs,
        &incoming.battery_packs,
        prune,
    );
    rows(&mut changes, &current.meters, &incoming.meters, prune);
    adapters(&mut changes, current, incoming, prune);
    attachments(&mut changes, current, incoming, prune, now);
    SitePlan {
        system_id: incoming.system.id.clone(),
        changes,
    }
}

fn create<T: Described>(row: &T) -> PlannedChange {
    PlannedChange {
        kind: T::KIND,
        id: row.id().to_string(),
        action: PlannedAction::Create,
    }
}

fn update<T: Described>(old: &T, new: &T) -> Option<PlannedChange> {
    let fields = diff_fields(&old.fields(), &new.fields());
    (!fields.is_empty()).then(|| PlannedChange {
        kind: T::KIND,
        id: new.id().to_string(),
        action: PlannedAction::Update { fields },
    })
}

fn remove<T: Described>(row: &T) -> PlannedChange {
    PlannedChange {
        kind: T::KIND,
        id: row.id().to_string(),
        action: PlannedAction::Remove,
    }
}

/// Creates and updates for the rows of `incoming`; with `prune`, removals of the rest.
fn rows<T: Described>(
    changes: &mut Vec<PlannedChange>,
    current: &[T],
    incoming: &[T],
    prune: bool,
) {
    let by_id: HashMap<&str, &T> = current.iter().map(|row| (row.id(), row)).collect();
    for row in incoming {
        match by_id.get(row.id()) {
            None => changes.push(create(row)),
            Some(old) => changes.extend(update(*old, row)),
        }
    }
    if prune {
        let kept: HashSet<&str> = incoming.iter().map(Described::id).collect();
        changes.extend(
            current
                .iter()
                .filter(|row| !kept.contains(row.id()))
                .map(remove),
        );
    }
}

/// Adapters: those of described devices exactly as the file lists them; those of other devices
/// only removed with `prune`.
fn adapters(
    changes: &mut Vec<PlannedChange>,
    current: &SiteSpec,
    incoming: &SiteSpec,
    prune: bool,
) {
    let described: HashSet<&str> = incoming
        .inverters
        .iter()
        .map(|i| i.id.as_str())
        .chain(incoming.battery_packs.iter().map(|p| p.id.as_str()))
        .chain(incoming.meters.iter().map(|m| m.id.as_str()))
        .collect();
    let old = device_adapters(current);
    let new = device_adapters(incoming);
    rows(changes, &old, &new, false);
    let kept: HashSet<&str> = new.iter().map(Described::id).collect();
    changes.extend(
        old.iter()
            .filter(|a| !kept.contains(a.id()) && (prune || described.contains(a.device_id)))
            .map(remove),
    );
}

fn attachment_change(id: String, fields: Vec<FieldChange>) -> PlannedChange {
    PlannedChange {
        kind: EntityKind::Attachment,
        id,
        action: PlannedAction::Update { fields },
    }
}

fn closing(open: &AttachmentSpec, at: &str) -> PlannedChange {
    attachment_change(
        attachment_id(open),
        vec![FieldChange {
            field: "detached_at".into(),
            old: None,
            new: Some(at.to_string()),
        }],
    )
}

/// Attachments: closed ones of the file first (they may close the open one they describe),
/// then open ones (closing the battery array's other open one), then with `prune` the open ones
/// the file does not list. Closings come before creations, as they must be applied.
fn attachments(
    changes: &mut Vec<PlannedChange>,
    current: &SiteSpec,
    incoming: &SiteSpec,
    prune: bool,
    now: &str,
) {
    let mut open: Vec<&AttachmentSpec> = current
        .attachments
        .iter()
        .filter(|a| a.detached_at.is_none())
        .collect();
    let closed: HashMap<String, &AttachmentSpec> = current
        .attachments
        .iter()
        .filter(|a| a.detached_at.is_some())
        .map(|a| (attachment_id(a), a))
        .collect();
    let (mut closings, mut creations) = (Vec::new(), Vec::new());
    for a in incoming
        .attachments
        .iter()
        .filter(|a| a.detached_at.is_some())
    {
        let described_open = open.iter().position(|o| {
            o.battery_array_id == a.battery_array_id
                && o.inverter_array_id == a.inverter_array_id
                && (a.attached_since.is_none() || a.attached_since == o.attached_since)
        });
        if let Some(position) = described_open {
            let o = open.remove(position);
            closings.push(closing(o, a.detached_at.as_deref().unwrap_or(now)));
            continue;
        }
        match closed.get(&attachment_id(a)) {
            Some(old) => closings.extend(
                update(*old, a).map(|c| attachment_change(attachment_id(a), action_fields(c))),
            ),
            None => creations.push(attachment_create(a)),
        }
    }
    for a in incoming
        .attachments
        .iter()
        .filter(|a| a.detached_at.is_none())
    {
        let same_array = open
            .iter()
            .position(|o| o.battery_array_id == a.battery_array_id);
        match same_array.map(|position| open.remove(position)) {
            Some(o) if o.inverter_array_id == a.inverter_array_id => {
                if a.attached_since.is_some() && a.attached_since != o.attached_since {
                    closings.extend(
                        update(o, a).map(|c| attachment_change(attachment_id(o), action_fields(c))),
                    );
                }
            }
            Some(o) => {
                closings.push(closing(o, a.attached_since.as_deref().unwrap_or(now)));
                creations.push(attachment_create(a));
            }
            None => creations.push(attachment_create(a)),
        }
    }
    if prune {
        closings.extend(open.into_iter().map(|o| closing(o, now)));
    }
    changes.extend(closings);
    changes.extend(creations);
}

fn attachment_create(a: &AttachmentSpec) -> PlannedChange {
    PlannedChange {
        kind: EntityKind::Attachment,
        id: attachment_id(a),
        action: PlannedAction::Create,
    }
}

fn action_fields(change: PlannedChange) -> Vec<FieldChange> {
    match change.action {
        PlannedAction::Update { fields } => fields,
        PlannedAction::Create | PlannedAction::Remove => Vec::new(),
    }
}

/// One broken rule of an imported `config.yaml`, at its line and column (1-based); `path` is the
/// field it concerns (`inverters[2].adapter.baudrate`), empty for the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileProblem {
    pub line: usize,
    pub column: usize,
    pub path: String,
    pub message: String,
}

/// What importing a `config.yaml` came to: every problem of the file (then nothing was
/// written and there is no plan), or the plan, applied unless it was a preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteImportOutcome {
    /// The name the file was read as, which problems refer to.
    pub file_name: String,
    pub problems: Vec<FileProblem>,
    pub plan: Option<SitePlan>,
    /// Whether the plan was written (false for a preview, a bad file, or nothing to change).
    pub applied: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::spec::{DEFAULT_TIMEZONE, MeterType, PhaseType};

    fn adapter(id: &str, adapter_type: &str, priority: i32) -> AdapterSpec {
        AdapterSpec {
            id: id.into(),
            adapter_type: adapter_type.into(),
            name: None,
            config: serde_json::json!({"transport": "rtu", "unit_id": 1}),
            priority,
            enabled: true,
        }
    }

    fn spec() -> SiteSpec {
        SiteSpec {
            system: SystemSpec {
                id: "system".into(),
                name: "My Solar System".into(),
                description: None,
                timezone: DEFAULT_TIMEZONE.into(),
            },
            inverter_arrays: vec![InverterArraySpec {
                id: "array1".into(),
                name: "Array 1".into(),
            }],
            inverters: vec![InverterSpec {
                id: "powdrive1".into(),
                array_id: "array1".into(),
                name: "Powdrive 1".into(),
                model: Some("A".into()),
                serial_number: None,
                vendor: Some("powdrive".into()),
                phase_type: Some(PhaseType::Three),
                adapter: Some(adapter("powdrive1_adapter", "powdrive", 1)),
            }],
            battery_arrays: vec![BatteryArraySpec {
                id: "battery_array1".into(),
                name: "Battery Array 1".into(),
            }],
            battery_packs: vec![BatteryPackSpec {
                id: "battery1".into(),
                battery_array_id: "battery_array1".into(),
                name: "Battery 1".into(),
                chemistry: Some("LFP".into()),
                nominal_kwh: Some(10.0),
                max_charge_kw: None,
                max_discharge_kw: None,
                batteries: 4,
                cells_per_battery: 16,
                cell_nominal_voltage: Some(3.2),
                adapters: vec![
                    adapter("battery1_adapter", "pytes", 1),
                    adapter("battery1_adapter_2", "jkbms_ble", 2),
                ],
            }],
            attachments: vec![AttachmentSpec {
                battery_array_id: "battery_array1".into(),
                inverter_array_id: "array1".into(),
                attached_since: Some("2026-01-01T00:00:00Z".into()),
                detached_at: None,
            }],
            meters: vec![MeterSpec {
                id: "grid_meter".into(),
                name: "Grid".into(),
                array_id: None,
                model: None,
                meter_type: Some(MeterType::Grid),
                adapter: None,
            }],
        }
    }

    fn lines(plan: &SitePlan) -> Vec<String> {
        plan.changes.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_new_system_creates_every_row_in_order() {
        let plan = plan(None, &spec(), false);
        assert_eq!(
            lines(&plan),
            [
                "create system system",
                "create inverter array array1",
                "create inverter powdrive1",
                "create battery array battery_array1",
                "create battery pack battery1",
                "create meter grid_meter",
                "create adapter powdrive1_adapter",
                "create adapter battery1_adapter",
                "create adapter battery1_adapter_2",
                "create attachment battery_array1 → array1",
            ]
        );
        assert_eq!(plan.system_id, "system");
    }

    #[test]
    fn the_same_spec_plans_nothing() {
        let current = spec();
        let plan = plan(Some(&current), &spec(), true);
        assert!(plan.is_empty());
        assert_eq!(
            plan.summary(),
            "Nothing to change: the database already matches the file."
        );
    }

    #[test]
    fn changed_fields_are_listed_with_old_and_new_values() {
        let current = spec();
        let mut incoming = spec();
        incoming.inverters[0].model = Some("B".into());
        incoming.battery_packs[0].batteries = 8;
        incoming.battery_packs[0].adapters[1].priority = 3;
        incoming.meters[0].model = Some("DTSU666".into());
        let plan = plan(Some(&current), &incoming, false);
        assert_eq!(
            plan.summary(),
            "update inverter powdrive1: model 'A' → 'B'\n\
             update battery pack battery1: batteries 4 → 8\n\
             update meter grid_meter: model none → 'DTSU666'\n\
             update adapter battery1_adapter_2: priority 2 → 3"
        );
    }

    #[test]
    fn configurations_compare_whatever_their_key_order() {
        let current = spec();
        let mut incoming = spec();
        incoming.inverters[0].adapter.as_mut().unwrap().config =
            serde_json::from_str(r#"{"unit_id": 1, "transport": "rtu"}"#).unwrap();
        assert!(plan(Some(&current), &incoming, false).is_empty());
        incoming.inverters[0].adapter.as_mut().unwrap().config =
            serde_json::json!({"transport": "tcp", "unit_id": 1});
        assert_eq!(
            lines(&plan(Some(&current), &incoming, false)),
            [
                r#"update adapter powdrive1_adapter: config {"transport":"rtu","unit_id":1} → {"transport":"tcp","unit_id":1}"#
            ]
        );
    }

    #[test]
    fn without_prune_rows_the_file_leaves_out_are_kept() {
        let current = spec();
        let mut incoming = spec();
        incoming.inverters.clear();
        incoming.meters.clear();
        incoming.attachments.clear();
        assert!(plan(Some(&current), &incoming, false).is_empty());
        assert_eq!(
            lines(&plan(Some(&current), &incoming, true)),
            [
                "remove inverter powdrive1",
                "remove meter grid_meter",
                "remove adapter powdrive1_adapter",
                "update attachment battery_array1 → array1: detached_at none → 'now'",
            ]
        );
    }

    #[test]
    fn a_described_device_loses_the_adapters_the_file_does_not_list() {
        let current = spec();
        let mut incoming = spec();
        incoming.battery_packs[0].adapters.truncate(1);
        incoming.inverters[0].adapter = Some(adapter("powdrive1_tcp", "powdrive", 1));
        assert_eq!(
            lines(&plan(Some(&current), &incoming, false)),
            [
                "create adapter powdrive1_tcp",
                "remove adapter powdrive1_adapter",
                "remove adapter battery1_adapter_2",
            ]
        );
    }

    #[test]
    fn a_new_open_attachment_closes_the_old_one_at_its_start() {
        let mut current = spec();
        current.inverter_arrays.push(InverterArraySpec {
            id: "array2".into(),
            name: "Array 2".into(),
        });
        let mut incoming = current.clone();
        incoming.attachments = vec![
            AttachmentSpec {
                detached_at: Some("2026-06-01T00:00:00Z".into()),
                ..current.attachments[0].clone()
            },
            AttachmentSpec {
                battery_array_id: "battery_array1".into(),
                inverter_array_id: "array2".into(),
                attached_since: Some("2026-06-01T00:00:00Z".into()),
                detached_at: None,
            },
        ];
        assert_eq!(
            lines(&plan(Some(&current), &incoming, false)),
            [
                "update attachment battery_array1 → array1: detached_at none → '2026-06-01T00:00:00Z'",
                "create attachment battery_array1 → array2",
            ]
        );
        // The file naming only the new attachment closes the old one all the same.
        incoming.attachments.remove(0);
        assert_eq!(
            lines(&plan(Some(&current), &incoming, false)),
            [
                "update attachment battery_array1 → array1: detached_at none → '2026-06-01T00:00:00Z'",
                "create attachment battery_array1 → array2",
            ]
        );
    }

    #[test]
    fn a_detached_attachment_in_the_file_closes_the_open_one() {
        let current = spec();
        let mut incoming = spec();
        incoming.attachments[0].detached_at = Some("2026-03-01T00:00:00Z".into());
        assert_eq!(
            lines(&plan(Some(&current), &incoming, false)),
            [
                "update attachment battery_array1 → array1: detached_at none → '2026-03-01T00:00:00Z'"
            ]
        );
        // Once closed, the same file plans nothing; history the file leaves out stays.
        let closed = incoming.clone();
        assert!(plan(Some(&closed), &incoming, true).is_empty());
        let mut without_history = incoming.clone();
        without_history.attachments.clear();
        assert!(plan(Some(&closed), &without_history, true).is_empty());
    }

    #[test]
    fn removing_with_prune_lists_children_and_their_adapters() {
        let current = spec();
        let mut incoming = spec();
        incoming.battery_arrays.clear();
        incoming.battery_packs.clear();
        incoming.attachments.clear();
        assert_eq!(
            lines(&plan(Some(&current), &incoming, true)),
            [
                "remove battery array battery_array1",
                "remove battery pack battery1",
                "remove adapter battery1_adapter",
                "remove adapter battery1_adapter_2",
                "update attachment battery_array1 → array1: detached_at none → 'now'",
            ]
        );
    }

    #[test]
    fn plans_travel_as_json() {
        let mut incoming = spec();
        incoming.system.name = "Home".into();
        let plan = plan(Some(&spec()), &incoming, false);
        let json = serde_json::to_value(&plan).unwrap();
        assert_eq!(json["changes"][0]["action"]["action"], "update");
        assert_eq!(serde_json::from_value::<SitePlan>(json).unwrap(), plan);
    }
}
