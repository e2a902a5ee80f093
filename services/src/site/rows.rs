//! The catalog rows of one system, read with one query per table, and their conversions to the
//! spec's types; times as the site's RFC 3339 text.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use entity::site::{
    adapter, battery_array, battery_array_attachment, battery_pack, battery_pack_adapter, inverter,
    inverter_array, meter, system,
};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use model::error::AppError;
use model::site::spec::{
    AdapterSpec, AttachmentSpec, BatteryArraySpec, BatteryPackSpec, InverterArraySpec,
    InverterSpec, MeterSpec, SystemSpec,
};

/// A time as the site writes it: RFC 3339 in UTC, `Z`, fractions only when there are any.
pub(crate) fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Parses an RFC 3339 time (any offset).
pub(crate) fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc).trunc_subsecs(6))
        .map_err(|e| format!("{text:?} is not an RFC 3339 time ({e})"))
}

/// Now, to the microsecond both databases keep (so a time reads back as it was written).
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Every catalog row of one system (batteries and cells aside).
pub(crate) struct SystemRows {
    pub(crate) system: system::Model,
    pub(crate) inverter_arrays: Vec<inverter_array::Model>,
    pub(crate) inverters: Vec<inverter::Model>,
    pub(crate) battery_arrays: Vec<battery_array::Model>,
    pub(crate) packs: Vec<battery_pack::Model>,
    pub(crate) meters: Vec<meter::Model>,
    pub(crate) adapters: Vec<adapter::Model>,
    /// Pack links, by priority then adapter id.
    pub(crate) links: Vec<battery_pack_adapter::Model>,
    /// By `attached_since`, then id.
    pub(crate) attachments: Vec<battery_array_attachment::Model>,
}

/// The system's rows, or none when there is no such system. Lists are ordered by id.
pub(crate) async fn load_rows(
    db: &impl ConnectionTrait,
    system_id: &str,
) -> Result<Option<SystemRows>, AppError> {
    let Some(system) = system::Entity::find_by_id(system_id).one(db).await? else {
        return Ok(None);
    };
    let inverter_arrays = inverter_array::Entity::find()
        .filter(inverter_array::Column::SystemId.eq(system_id))
        .order_by_asc(inverter_array::Column::ArrayId)
        .all(db)
        .await?;
    let inverters = inverter::Entity::find()
        .filter(inverter::Column::SystemId.eq(system_id))
        .order_by_asc(inverter::Column::InverterId)
        .all(db)
        .await?;
    let battery_arrays = battery_array::Entity::find()
        .filter(battery_array::Column::SystemId.eq(system_id))
        .order_by_asc(battery_array::Column::BatteryArrayId)
        .all(db)
        .await?;
    let packs = battery_pack::Entity::find()
        .filter(battery_pack::Column::SystemId.eq(system_id))
        .order_by_asc(battery_pack::Column::PackId)
        .all(db)
        .await?;
    let meters = meter::Entity::find()
        .filter(meter::Column::SystemId.eq(system_id))
        .order_by_asc(meter::Column::MeterId)
        .all(db)
        .await?;
    let adapters = adapter::Entity::find()
        .filter(adapter::Column::SystemId.eq(system_id))
        .order_by_asc(adapter::Column::AdapterId)
        .all(db)
        .await?;
    let links = links_of_system(db, system_id).await?;
    let attachments = battery_array_attachment::Entity::find()
        .filter(battery_array_attachment::Column::SystemId.eq(system_id))
        .order_by_asc(battery_array_attachment::Column::AttachedSince)
        .order_by_asc(battery_array_attachment::Column::Id)
        .all(db)
        .await?;
    Ok(Some(SystemRows {
        system,
        inverter_arrays,
        inverters,
        battery_arrays,
        packs,
        meters,
        adapters,
        links,
        attachments,
    }))
}

/// The pack links of a system's packs (the link table has no system column).
async fn links_of_system(
    db: &impl ConnectionTrait,
    system_id: &str,
) -> Result<Vec<battery_pack_adapter::Model>, AppError> {
    let packs_of_system = Query::select()
        .column(battery_pack::Column::PackId)
        .from(battery_pack::Entity)
        .and_where(battery_pack::Column::SystemId.eq(system_id))
        .to_owned();
    Ok(battery_pack_adapter::Entity::find()
        .filter(battery_pack_adapter::Column::PackId.in_subquery(packs_of_system))
        .order_by_asc(battery_pack_adapter::Column::Priority)
        .order_by_asc(battery_pack_adapter::Column::AdapterId)
        .all(db)
        .await?)
}

pub(crate) fn system_spec(row: &system::Model) -> SystemSpec {
    SystemSpec {
        id: row.system_id.clone(),
        name: row.name.clone(),
        description: row.description.clone(),
        timezone: row.timezone.clone(),
    }
}

pub(crate) fn inverter_array_spec(row: &inverter_array::Model) -> InverterArraySpec {
    InverterArraySpec {
        id: row.array_id.clone(),
        name: row.name.clone(),
    }
}

pub(crate) fn battery_array_spec(row: &battery_array::Model) -> BatteryArraySpec {
    BatteryArraySpec {
        id: row.battery_array_id.clone(),
        name: row.name.clone(),
    }
}

pub(crate) fn inverter_spec(row: &inverter::Model, adapter: Option<AdapterSpec>) -> InverterSpec {
    InverterSpec {
        id: row.inverter_id.clone(),
        array_id: row.array_id.clone(),
        name: row.name.clone(),
        model: row.model.clone(),
        serial_number: row.serial_number.clone(),
        vendor: row.vendor.clone(),
        phase_type: row.phase_type,
        adapter,
    }
}

pub(crate) fn pack_spec(row: &battery_pack::Model, adapters: Vec<AdapterSpec>) -> BatteryPackSpec {
    BatteryPackSpec {
        id: row.pack_id.clone(),
        battery_array_id: row.battery_array_id.clone(),
        name: row.name.clone(),
        chemistry: row.chemistry.clone(),
        nominal_kwh: row.nominal_kwh,
        max_charge_kw: row.max_charge_kw,
        max_discharge_kw: row.max_discharge_kw,
        batteries: count(row.batteries_count),
        cells_per_battery: count(row.cells_per_battery),
        cell_nominal_voltage: row.cell_nominal_voltage,
        adapters,
    }
}

/// A stored count (never negative: the migration checks it).
pub(crate) fn count(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

pub(crate) fn meter_spec(row: &meter::Model, adapter: Option<AdapterSpec>) -> MeterSpec {
    MeterSpec {
        id: row.meter_id.clone(),
        name: row.name.clone(),
        array_id: row.array_id.clone(),
        model: row.model.clone(),
        meter_type: row.meter_type,
        adapter,
    }
}

/// The adapter as the spec carries it; a pack's `link` gives its priority and enabled flag.
pub(crate) fn adapter_spec(
    row: &adapter::Model,
    link: Option<&battery_pack_adapter::Model>,
) -> Result<AdapterSpec, AppError> {
    let config = serde_json::from_str(&row.config_json).map_err(|e| {
        AppError::Internal(format!(
            "adapter {:?} has a configuration that is not JSON: {e}",
            row.adapter_id
        ))
    })?;
    Ok(AdapterSpec {
        id: row.adapter_id.clone(),
        adapter_type: row.adapter_type.clone(),
        name: row.name.clone(),
        config,
        priority: link.map_or(row.priority, |l| l.priority),
        enabled: link.map_or(row.enabled, |l| l.enabled),
    })
}

pub(crate) fn attachment_spec(row: &battery_array_attachment::Model) -> AttachmentSpec {
    AttachmentSpec {
        battery_array_id: row.battery_array_id.clone(),
        inverter_array_id: row.inverter_array_id.clone(),
        attached_since: Some(rfc3339(row.attached_since)),
        detached_at: row.detached_at.map(rfc3339),
    }
}
