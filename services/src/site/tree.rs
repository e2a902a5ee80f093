//! Reading the catalog for the console: the system list ([`systems`]) and one system's whole
//! tree ([`tree`]), each with a fixed number of queries (one per table, filtered by system),
//! whatever the size of the system.

use std::collections::HashMap;

use entity::site::{
    adapter, battery, battery_array, battery_cell, battery_pack, battery_pack_adapter, inverter,
    inverter_array, meter, system,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use model::error::AppError;
use model::site::tree::{
    AdapterNode, AttachmentNode, BatteryArrayNode, BatteryNode, BatteryPackNode, InverterArrayNode,
    InverterNode, MeterNode, SiteTree, SystemNode, SystemSummary,
};

use super::rows::{SystemRows, count, load_rows, rfc3339};

/// Every system, by id, with how many arrays and devices it has.
pub async fn systems(db: &impl ConnectionTrait) -> Result<Vec<SystemSummary>, AppError> {
    let systems = system::Entity::find()
        .order_by_asc(system::Column::SystemId)
        .all(db)
        .await?;
    let inverter_arrays =
        per_system::<inverter_array::Entity>(db, inverter_array::Column::SystemId).await?;
    let inverters = per_system::<inverter::Entity>(db, inverter::Column::SystemId).await?;
    let battery_arrays =
        per_system::<battery_array::Entity>(db, battery_array::Column::SystemId).await?;
    let packs = per_system::<battery_pack::Entity>(db, battery_pack::Column::SystemId).await?;
    let meters = per_system::<meter::Entity>(db, meter::Column::SystemId).await?;
    let of = |counts: &HashMap<String, u32>, id: &str| counts.get(id).copied().unwrap_or(0);
    Ok(systems
        .into_iter()
        .map(|s| SystemSummary {
            inverter_arrays: of(&inverter_arrays, &s.system_id),
            inverters: of(&inverters, &s.system_id),
            battery_arrays: of(&battery_arrays, &s.system_id),
            battery_packs: of(&packs, &s.system_id),
            meters: of(&meters, &s.system_id),
            id: s.system_id,
            name: s.name,
            description: s.description,
            timezone: s.timezone,
            version: s.version,
        })
        .collect())
}

/// How many rows of `E` each system has.
async fn per_system<E: EntityTrait>(
    db: &impl ConnectionTrait,
    system_column: E::Column,
) -> Result<HashMap<String, u32>, AppError> {
    let rows: Vec<(String, i64)> = E::find()
        .select_only()
        .column(system_column)
        .column_as(system_column.count(), "rows")
        .group_by(system_column)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(system, n)| (system, u32::try_from(n).unwrap_or(u32::MAX)))
        .collect())
}

/// The whole system for the console; `NotFound` for an unknown system.
pub async fn tree(db: &impl ConnectionTrait, system_id: &str) -> Result<SiteTree, AppError> {
    let rows = load_rows(db, system_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("system {system_id:?}")))?;
    let batteries = battery::Entity::find()
        .filter(battery::Column::SystemId.eq(system_id))
        .order_by_asc(battery::Column::PackId)
        .order_by_asc(battery::Column::BatteryIndex)
        .all(db)
        .await?;
    let cells: Vec<(String, i64)> = battery_cell::Entity::find()
        .select_only()
        .column(battery_cell::Column::BatteryId)
        .column_as(battery_cell::Column::CellId.count(), "cells")
        .filter(battery_cell::Column::SystemId.eq(system_id))
        .group_by(battery_cell::Column::BatteryId)
        .into_tuple()
        .all(db)
        .await?;
    let cells: HashMap<String, u32> = cells
        .into_iter()
        .map(|(battery, n)| (battery, u32::try_from(n).unwrap_or(u32::MAX)))
        .collect();
    build(&rows, &batteries, &cells)
}

fn adapter_node(
    row: &adapter::Model,
    link: Option<&battery_pack_adapter::Model>,
) -> Result<AdapterNode, AppError> {
    let spec = super::rows::adapter_spec(row, link)?;
    Ok(AdapterNode {
        id: spec.id,
        adapter_type: spec.adapter_type,
        device_category: row.device_category,
        name: spec.name,
        config: spec.config,
        priority: spec.priority,
        enabled: spec.enabled,
        version: row.version,
        link_version: link.map(|l| l.version),
    })
}

/// Turns a system's rows into its tree.
struct Builder<'a> {
    rows: &'a SystemRows,
    adapters: HashMap<&'a str, &'a adapter::Model>,
    /// Open attachments: (battery array, inverter array).
    open: Vec<(&'a str, &'a str)>,
    batteries: &'a [battery::Model],
    cells: &'a HashMap<String, u32>,
}

fn build(
    rows: &SystemRows,
    batteries: &[battery::Model],
    cells: &HashMap<String, u32>,
) -> Result<SiteTree, AppError> {
    let builder = Builder {
        rows,
        adapters: rows
            .adapters
            .iter()
            .map(|a| (a.adapter_id.as_str(), a))
            .collect(),
        open: rows
            .attachments
            .iter()
            .filter(|a| a.detached_at.is_none())
            .map(|a| (a.battery_array_id.as_str(), a.inverter_array_id.as_str()))
            .collect(),
        batteries,
        cells,
    };
    let s = &rows.system;
    Ok(SiteTree {
        system: SystemNode {
            id: s.system_id.clone(),
            name: s.name.clone(),
            description: s.description.clone(),
            timezone: s.timezone.clone(),
            version: s.version,
            created_at: rfc3339(s.created_at),
            updated_at: rfc3339(s.updated_at),
        },
        inverter_arrays: builder.inverter_arrays()?,
        battery_arrays: builder.battery_arrays()?,
        meters: builder.meters()?,
        attachments: builder.attachments(),
    })
}

impl Builder<'_> {
    /// An inverter's or a meter's adapter.
    fn single(&self, id: Option<&str>) -> Result<Option<AdapterNode>, AppError> {
        id.and_then(|id| self.adapters.get(id))
            .map(|a| adapter_node(a, None))
            .transpose()
    }

    fn inverter_arrays(&self) -> Result<Vec<InverterArrayNode>, AppError> {
        let mut inverters: HashMap<&str, Vec<InverterNode>> = HashMap::new();
        for i in &self.rows.inverters {
            let adapter = self.single(i.adapter_id.as_deref())?;
            inverters
                .entry(i.array_id.as_str())
                .or_default()
                .push(inverter_node(i, adapter));
        }
        Ok(self
            .rows
            .inverter_arrays
            .iter()
            .map(|a| InverterArrayNode {
                id: a.array_id.clone(),
                name: a.name.clone(),
                version: a.version,
                inverters: inverters.remove(a.array_id.as_str()).unwrap_or_default(),
                battery_arrays: self
                    .open
                    .iter()
                    .filter(|(_, to)| *to == a.array_id)
                    .map(|(from, _)| (*from).to_string())
                    .collect(),
            })
            .collect())
    }

    fn battery_arrays(&self) -> Result<Vec<BatteryArrayNode>, AppError> {
        let mut packs: HashMap<&str, Vec<BatteryPackNode>> = HashMap::new();
        for p in &self.rows.packs {
            packs
                .entry(p.battery_array_id.as_str())
                .or_default()
                .push(self.pack(p)?);
        }
        Ok(self
            .rows
            .battery_arrays
            .iter()
            .map(|a| BatteryArrayNode {
                id: a.battery_array_id.clone(),
                name: a.name.clone(),
                version: a.version,
                attached_to: self
                    .open
                    .iter()
                    .find(|(from, _)| *from == a.battery_array_id)
                    .map(|(_, to)| (*to).to_string()),
                packs: packs
                    .remove(a.battery_array_id.as_str())
                    .unwrap_or_default(),
            })
            .collect())
    }

    /// System-level meters first, then by id.
    fn meters(&self) -> Result<Vec<MeterNode>, AppError> {
        let mut meters = self
            .rows
            .meters
            .iter()
            .map(|m| Ok(meter_node(m, self.single(m.adapter_id.as_deref())?)))
            .collect::<Result<Vec<_>, AppError>>()?;
        meters.sort_by(|a, b| (a.array_id.is_some(), &a.id).cmp(&(b.array_id.is_some(), &b.id)));
        Ok(meters)
    }

    /// Newest first.
    fn attachments(&self) -> Vec<AttachmentNode> {
        self.rows
            .attachments
            .iter()
            .rev()
            .map(|a| AttachmentNode {
                id: a.id,
                battery_array_id: a.battery_array_id.clone(),
                inverter_array_id: a.inverter_array_id.clone(),
                attached_since: rfc3339(a.attached_since),
                detached_at: a.detached_at.map(rfc3339),
                version: a.version,
            })
            .collect()
    }

    fn pack(&self, p: &battery_pack::Model) -> Result<BatteryPackNode, AppError> {
        let adapters = self
            .rows
            .links
            .iter()
            .filter(|l| l.pack_id == p.pack_id)
            .filter_map(|l| {
                self.adapters
                    .get(l.adapter_id.as_str())
                    .map(|a| adapter_node(a, Some(l)))
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let batteries: Vec<BatteryNode> = self
            .batteries
            .iter()
            .filter(|b| b.pack_id == p.pack_id)
            .map(|b| BatteryNode {
                id: b.battery_id.clone(),
                index: count(b.battery_index),
                serial_number: b.serial_number.clone(),
                model: b.model.clone(),
                cell_count: self.cells.get(&b.battery_id).copied().unwrap_or(0),
                version: b.version,
            })
            .collect();
        Ok(BatteryPackNode {
            id: p.pack_id.clone(),
            battery_array_id: p.battery_array_id.clone(),
            name: p.name.clone(),
            chemistry: p.chemistry.clone(),
            nominal_kwh: p.nominal_kwh,
            max_charge_kw: p.max_charge_kw,
            max_discharge_kw: p.max_discharge_kw,
            batteries_count: u32::try_from(batteries.len()).unwrap_or(u32::MAX),
            cells_per_battery: count(p.cells_per_battery),
            cell_count: batteries.iter().map(|b| b.cell_count).sum(),
            cell_nominal_voltage: p.cell_nominal_voltage,
            version: p.version,
            batteries,
            adapters,
        })
    }
}

fn inverter_node(i: &inverter::Model, adapter: Option<AdapterNode>) -> InverterNode {
    InverterNode {
        id: i.inverter_id.clone(),
        array_id: i.array_id.clone(),
        name: i.name.clone(),
        model: i.model.clone(),
        serial_number: i.serial_number.clone(),
        vendor: i.vendor.clone(),
        phase_type: i.phase_type,
        version: i.version,
        adapter,
    }
}

fn meter_node(m: &meter::Model, adapter: Option<AdapterNode>) -> MeterNode {
    MeterNode {
        id: m.meter_id.clone(),
        name: m.name.clone(),
        array_id: m.array_id.clone(),
        model: m.model.clone(),
        meter_type: m.meter_type,
        version: m.version,
        adapter,
    }
}
