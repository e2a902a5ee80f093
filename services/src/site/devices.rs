//! The console's and the API's writes of devices (inverters, battery packs, meters) and of
//! their adapters, with the same rules as `write`: one transaction and one system version per
//! write, If-Match on updates and deletes, every change logged. A device's adapters come and go
//! with it; a pack's adapters keep their failover order in their links (priority, enabled).

use std::collections::HashSet;

use entity::site::{adapter, battery_pack, battery_pack_adapter, inverter, meter};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};

use crate::actor::Actor;
use model::error::AppError;
use model::site::ids;
use model::site::plan::{DeviceAdapter, FieldChange};
use model::site::spec::{AdapterSpec, BatteryPackSpec, InverterSpec, MeterSpec};
use model::site::tree::{
    AdapterPatch, BatteryPackPatch, EntityKind, InverterPatch, MeterPatch, PackAdapterPatch,
};

use super::check::{
    Problems, adapter_types, check_adapter, check_counts, check_name, check_new_id, field_path,
    owners,
};
use super::rows::{adapter_spec, inverter_spec, meter_spec, pack_spec};
use super::store::{Writer, begin, check_version};
use super::write::{changed, check_parent, find, set};

/// Checks the adapters a device brings: slugs, free in the database and distinct (from each
/// other and from the device), of a type that drives a device of `kind`.
async fn check_new_adapters(
    db: &impl ConnectionTrait,
    kind: EntityKind,
    device_id: &str,
    adapters: &[(String, &AdapterSpec)],
) -> Result<(), AppError> {
    let ids: Vec<String> = adapters.iter().map(|(_, a)| a.id.clone()).collect();
    let taken = owners(db, &ids).await?;
    let types = adapters
        .iter()
        .map(|(_, a)| a.adapter_type.clone())
        .collect();
    let types = adapter_types(db, types).await?;
    let mut problems = Problems::default();
    let mut seen: HashSet<&str> = HashSet::from([device_id]);
    for (prefix, a) in adapters {
        if let Err(message) = ids::check_id(&a.id) {
            problems.add(field_path(prefix, "id"), message);
        } else if let Some(owner) = taken.get(&a.id) {
            problems.add(
                field_path(prefix, "id"),
                format!("{:?} is already {}", a.id, owner.describe(&a.id)),
            );
        } else if !seen.insert(&a.id) {
            problems.add(
                field_path(prefix, "id"),
                format!("{:?} is used twice", a.id),
            );
        }
        check_adapter(&mut problems, &types, prefix, a, kind);
    }
    problems.finish()
}

/// Writes and logs a new device's adapters (the device's link to them is written later).
async fn add_adapters(
    w: &mut Writer<'_>,
    kind: EntityKind,
    device_id: &str,
    adapters: &[&AdapterSpec],
) -> Result<(), AppError> {
    for adapter in adapters {
        let d = DeviceAdapter {
            device_kind: kind,
            device_id,
            adapter,
        };
        w.put_adapter(&d, false).await?;
        w.created(EntityKind::Adapter, &adapter.id, *adapter);
    }
    Ok(())
}

pub async fn create_inverter(
    db: &DatabaseConnection,
    new: &InverterSpec,
    actor: &Actor,
) -> Result<i64, AppError> {
    let mut problems = Problems::default();
    check_name(&mut problems, "name".into(), &new.name);
    problems.finish()?;
    let txn = begin(db).await?;
    let system = check_parent(
        &txn,
        EntityKind::InverterArray,
        &new.array_id,
        None,
        "array_id",
    )
    .await?;
    check_new_id(&txn, &new.id, "id").await?;
    let adapters: Vec<(String, &AdapterSpec)> = new
        .adapter
        .iter()
        .map(|a| ("adapter".to_string(), a))
        .collect();
    check_new_adapters(&txn, EntityKind::Inverter, &new.id, &adapters).await?;
    let mut w = Writer::new(&txn, actor, &system).await?;
    add_adapters(
        &mut w,
        EntityKind::Inverter,
        &new.id,
        &new.adapter.iter().collect::<Vec<_>>(),
    )
    .await?;
    w.put_inverter(new, false).await?;
    w.created(EntityKind::Inverter, &new.id, new);
    let version = w.finish().await?;
    txn.commit().await?;
    Ok(version)
}

pub async fn update_inverter(
    db: &DatabaseConnection,
    id: &str,
    patch: &InverterPatch,
    expected_version: i64,
    actor: &Actor,
) -> Result<i64, AppError> {
    let kind = EntityKind::Inverter;
    let txn = begin(db).await?;
    let row = find::<inverter::Entity>(&txn, kind, id).await?;
    check_version(kind, id, row.version, expected_version)?;
    let old = inverter_spec(&row, adapter_of(&txn, row.adapter_id.as_deref()).await?);
    let mut new = old.clone();
    set(&mut new.array_id, &patch.array_id);
    set(&mut new.name, &patch.name);
    set(&mut new.model, &patch.model);
    set(&mut new.serial_number, &patch.serial_number);
    set(&mut new.vendor, &patch.vendor);
    set(&mut new.phase_type, &patch.phase_type);
    let mut problems = Problems::default();
    check_name(&mut problems, "name".into(), &new.name);
    problems.finish()?;
    if new.array_id != old.array_id {
        check_parent(
            &txn,
            EntityKind::InverterArray,
            &new.array_id,
            Some(&row.system_id),
            "array_id",
        )
        .await?;
    }
    let Some(fields) = changed(&old, &new) else {
        return Ok(row.version);
    };
    let mut w = Writer::new(&txn, actor, &row.system_id).await?;
    w.put_inverter(&new, true).await?;
    w.updated(kind, id, &fields);
    let version = w.finish().await?;
    txn.commit().await?;
    Ok(version)
}

/// The adapter with this id (an inverter's or a meter's), as the spec carries it.
async fn adapter_of(
    db: &impl ConnectionTrait,
    adapter_id: Option<&str>,
) -> Result<Option<AdapterSpec>, AppError> {
    let Some(id) = adapter_id else {
        return Ok(None);
    };
    match find::<adapter::Entity>(db, EntityKind::Adapter, id).await {
        Ok(row) => adapter_spec(&row, None).map(Some),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

/// A pack's adapters in failover order, as the spec carries them.
async fn pack_adapters(
    db: &impl ConnectionTrait,
    pack_id: &str,
) -> Result<Vec<AdapterSpec>, AppError> {
    let links = battery_pack_adapter::Entity::find()
        .filter(battery_pack_adapter::Column::PackId.eq(pack_id))
        .order_by_asc(battery_pack_adapter::Column::Priority)
        .order_by_asc(battery_pack_adapter::Column::AdapterId)
        .all(db)
        .await?;
    let rows = adapter::Entity::find()
        .filter(adapter::Column::AdapterId.is_in(links.iter().map(|l| l.adapter_id.clone())))
        .all(db)
        .await?;
    links
        .iter()
        .filter_map(|link| {
            rows.iter()
                .find(|row| row.adapter_id == link.adapter_id)
                .map(|row| adapter_spec(row, Some(link)))
        })
        .collect()
}

pub async fn create_battery_pack(
    db: &DatabaseConnection,
    new: &BatteryPackSpec,
    actor: &Actor,
) -> Result<i64, AppError> {
    let mut problems = Problems::default();
    check_name(&mut problems, "name".into(), &new.name);
    check_counts(&mut problems, "", new);
    problems.finish()?;
    let kind = EntityKind::BatteryPack;
    let txn = begin(db).await?;
    let system = check_parent(
        &txn,
        EntityKind::BatteryArray,
        &new.battery_array_id,
        None,
        "battery_array_id",
    )
    .await?;
    check_new_id(&txn, &new.id, "id").await?;
    let adapters: Vec<(String, &AdapterSpec)> = new
        .adapters
        .iter()
        .enumerate()
        .map(|(i, a)| (format!("adapters[{i}]"), a))
        .collect();
    check_new_adapters(&txn, kind, &new.id, &adapters).await?;
    let mut w = Writer::new(&txn, actor, &system).await?;
    add_adapters(
        &mut w,
        kind,
        &new.id,
        &new.adapters.iter().collect::<Vec<_>>(),
    )
    .await?;
    w.put_pack(new, None).await?;
    for a in &new.adapters {
        w.put_pack_link(&new.id, &a.id, a.priority, a.enabled)
            .await?;
    }
    w.created(kind, &new.id, new);
    let version = w.finish().await?;
    txn.commit().await?;
    Ok(version)
}

/// Updates a pack; new counts add or remove batteries and cells (highest indexes first).
pub async fn update_battery_pack(
    db: &DatabaseConnection,
    id: &str,
    patch: &BatteryPackPatch,
    expected_version: i64,
    actor: &Actor,
) -> Result<i64, AppError> {
    let kind = EntityKind::BatteryPack;
    let txn = begin(db).await?;
    let row = find::<battery_pack::Entity>(&txn, kind, id).await?;
    check_version(kind, id, row.version, expected_version)?;
    let old = pack_spec(&row, Vec::new());
    let mut new = old.clone();
    set(&mut new.battery_array_id, &patch.battery_array_id);
    set(&mut new.name, &patch.name);
    set(&mut new.chemistry, &patch.chemistry);
    set(&mut new.nominal_kwh, &patch.nominal_kwh);
    set(&mut new.max_charge_kw, &patch.max_charge_kw);
    set(&mut new.max_discharge_kw, &patch.max_discharge_kw);
    set(&mut new.batteries, &patch.batteries);
    set(&mut new.cells_per_battery, &patch.cells_per_battery);
    set(&mut new.cell_nominal_voltage, &patch.cell_nominal_voltage);
    let mut problems = Problems::default();
    check_name(&mut problems, "name".into(), &new.name);
    check_counts(&mut problems, "", &new);
    problems.finish()?;
    if new.battery_array_id != old.battery_array_id {
        let path = "battery_array_id";
        check_parent(
            &txn,
            EntityKind::BatteryArray,
            &new.battery_array_id,
            Some(&row.system_id),
            path,
        )
        .await?;
    }
    let Some(fields) = changed(&old, &new) else {
        return Ok(row.version);
    };
    let mut w = Writer::new(&txn, actor, &row.system_id).await?;
    w.put_pack(&new, Some(&old)).await?;
    w.updated(kind, id, &fields);
    let version = w.finish().await?;
    txn.commit().await?;
    Ok(version)
}

/// Creates a meter of the system: system-level without `array_id`, else of that inverter array.
pub async fn create_meter(
    db: &DatabaseConnection,
    system_id: &str,
    new: &MeterSpec,
    actor: &Actor,
) -> Result<i64, AppError> {
    let mut problems = Problems::default();
    check_name(&mut problems, "name".into(), &new.name);
    problems.finish()?;
    let kind = EntityKind::Meter;
    let txn = begin(db).await?;
    find::<entity::site::system::Entity>(&txn, EntityKind::System, system_id).await?;
    if let Some(array) = &new.array_id {
        check_parent(
            &txn,
            EntityKind::InverterArray,
            array,
            Some(system_id),
            "array_id",
        )
        .await?;
    }
    check_new_id(&txn, &new.id, "id").await?;
    let adapters: Vec<(String, &AdapterSpec)> = new
        .adapter
        .iter()
        .map(|a| ("adapter".to_string(), a))
        .collect();
    check_new_adapters(&txn, kind, &new.id, &adapters).await?;
    let mut w = Writer::new(&txn, actor, system_id).await?;
    add_adapters(
        &mut w,
        kind,
        &new.id,
        &new.adapter.iter().collect::<Vec<_>>(),
    )
    .await?;
    w.put_meter(new, false).await?;
    w.created(kind, &new.id, new);
    let version = w.finish().await?;
    txn.commit().await?;
    Ok(version)
}

pub async fn update_meter(
    db: &DatabaseConnection,
    id: &str,
    patch: &MeterPatch,
    expected_version: i64,
    actor: &Actor,
) -> Result<i64, AppError> {
    let kind = EntityKind::Meter;
    let txn = begin(db).await?;
    let row = find::<meter::Entity>(&txn, kind, id).await?;
    check_version(kind, id, row.version, expected_version)?;
    let old = meter_spec(&row, adapter_of(&txn, row.adapter_id.as_deref()).await?);
    let mut new = old.clone();
    set(&mut new.name, &patch.name);
    set(&mut new.array_id, &patch.array_id);
    set(&mut new.model, &patch.model);
    set(&mut new.meter_type, &patch.meter_type);
    let mut problems = Problems::default();
    check_name(&mut problems, "name".into(), &new.name);
    problems.finish()?;
    if let Some(array) = new
        .array_id
        .as_ref()
        .filter(|a| old.array_id.as_ref() != Some(*a))
    {
        check_parent(
            &txn,
            EntityKind::InverterArray,
            array,
            Some(&row.system_id),
            "array_id",
        )
        .await?;
    }
    let Some(fields) = changed(&old, &new) else {
        return Ok(row.version);
    };
    let mut w = Writer::new(&txn, actor, &row.system_id).await?;
    w.put_meter(&new, true).await?;
    w.updated(kind, id, &fields);
    let version = w.finish().await?;
    txn.commit().await?;
    Ok(version)
}

/// Deletes an inverter, a battery pack (with its batteries and cells) or a meter, and the
/// device's adapters.
pub async fn delete_device(
    db: &DatabaseConnection,
    kind: EntityKind,
    id: &str,
    expected_version: i64,
    actor: &Actor,
) -> Result<(), AppError> {
    let txn = begin(db).await?;
    let (system_id, version, row, adapters) = match kind {
        EntityKind::Inverter => {
            let row = find::<inverter::Entity>(&txn, kind, id).await?;
            let adapter = adapter_of(&txn, row.adapter_id.as_deref()).await?;
            let spec = serde_json::to_value(inverter_spec(&row, adapter.clone()));
            (
                row.system_id,
                row.version,
                spec,
                adapter.into_iter().collect(),
            )
        }
        EntityKind::BatteryPack => {
            let row = find::<battery_pack::Entity>(&txn, kind, id).await?;
            let adapters = pack_adapters(&txn, id).await?;
            let spec = serde_json::to_value(pack_spec(&row, adapters.clone()));
            (row.system_id, row.version, spec, adapters)
        }
        EntityKind::Meter => {
            let row = find::<meter::Entity>(&txn, kind, id).await?;
            let adapter = adapter_of(&txn, row.adapter_id.as_deref()).await?;
            let spec = serde_json::to_value(meter_spec(&row, adapter.clone()));
            (
                row.system_id,
                row.version,
                spec,
                adapter.into_iter().collect::<Vec<_>>(),
            )
        }
        other => {
            return Err(AppError::validation(
                "kind",
                format!("a {other} is not a device"),
            ));
        }
    };
    check_version(kind, id, version, expected_version)?;
    let mut w = Writer::new(&txn, actor, &system_id).await?;
    w.remove_device(kind, id).await?;
    for adapter in &adapters {
        w.deleted(EntityKind::Adapter, &adapter.id, adapter);
    }
    w.deleted(kind, id, &row.unwrap_or_default());
    w.finish().await?;
    txn.commit().await?;
    Ok(())
}

pub async fn delete_inverter(
    db: &DatabaseConnection,
    id: &str,
    expected_version: i64,
    actor: &Actor,
) -> Result<(), AppError> {
    delete_device(db, EntityKind::Inverter, id, expected_version, actor).await
}

pub async fn delete_battery_pack(
    db: &DatabaseConnection,
    id: &str,
    expected_version: i64,
    actor: &Actor,
) -> Result<(), AppError> {
    delete_device(db, EntityKind::BatteryPack, id, expected_version, actor).await
}

pub async fn delete_meter(
    db: &DatabaseConnection,
    id: &str,
    expected_version: i64,
    actor: &Actor,
) -> Result<(), AppError> {
    delete_device(db, EntityKind::Meter, id, expected_version, actor).await
}

/// Gives a device an adapter: an inverter or a meter its one adapter (it may have none yet), a
/// pack one more, linked with the adapter's priority and enabled flag.
pub async fn create_adapter(
    db: &DatabaseConnection,
    device_id: &str,
    new: &AdapterSpec,
    actor: &Actor,
) -> Result<i64, AppError> {
    let txn = begin(db).await?;
    let owner = owners(&txn, &[device_id.to_string()])
        .await?
        .remove(device_id);
    let (kind, system_id) = match owner {
        Some(o)
            if matches!(
                o.kind,
                EntityKind::Inverter | EntityKind::BatteryPack | EntityKind::Meter
            ) =>
        {
            (o.kind, o.system_id.unwrap_or_default())
        }
        _ => {
            return Err(AppError::validation(
                "device_id",
                format!("there is no device {device_id:?}"),
            ));
        }
    };
    let current = match kind {
        EntityKind::Inverter => {
            find::<inverter::Entity>(&txn, kind, device_id)
                .await?
                .adapter_id
        }
        EntityKind::Meter => {
            find::<meter::Entity>(&txn, kind, device_id)
                .await?
                .adapter_id
        }
        _ => None,
    };
    if let Some(current) = current {
        return Err(AppError::validation(
            "device_id",
            format!(
                "{kind} {device_id:?} has adapter {current:?} already: change or delete that one"
            ),
        ));
    }
    check_new_adapters(&txn, kind, device_id, &[(String::new(), new)]).await?;
    let mut w = Writer::new(&txn, actor, &system_id).await?;
    let d = DeviceAdapter {
        device_kind: kind,
        device_id,
        adapter: new,
    };
    w.put_adapter(&d, false).await?;
    w.link_adapter(&d).await?;
    w.created(EntityKind::Adapter, &new.id, new);
    let version = w.finish().await?;
    txn.commit().await?;
    Ok(version)
}

/// Changes an adapter; for a pack's adapter, `priority` and `enabled` change its link too.
pub async fn update_adapter(
    db: &DatabaseConnection,
    id: &str,
    patch: &AdapterPatch,
    expected_version: i64,
    actor: &Actor,
) -> Result<i64, AppError> {
    let txn = begin(db).await?;
    let row = find::<adapter::Entity>(&txn, EntityKind::Adapter, id).await?;
    check_version(EntityKind::Adapter, id, row.version, expected_version)?;
    let (Some(device_kind), Some(device_id)) = (row.device_type, row.device_id.clone()) else {
        return Err(AppError::Internal(format!(
            "adapter {id:?} serves no device"
        )));
    };
    let link = if device_kind == EntityKind::BatteryPack {
        battery_pack_adapter::Entity::find_by_id((device_id.clone(), id.to_string()))
            .one(&txn)
            .await?
    } else {
        None
    };
    let old = adapter_spec(&row, link.as_ref())?;
    let mut new = old.clone();
    set(&mut new.adapter_type, &patch.adapter_type);
    set(&mut new.name, &patch.name);
    set(&mut new.config, &patch.config);
    set(&mut new.priority, &patch.priority);
    set(&mut new.enabled, &patch.enabled);
    // The configuration is checked whenever it or the type changes: a stored adapter keeps the
    // schema of its type, whichever route wrote it.
    if new.adapter_type != old.adapter_type || new.config != old.config {
        let types = adapter_types(&txn, vec![new.adapter_type.clone()]).await?;
        let mut problems = Problems::default();
        check_adapter(&mut problems, &types, "", &new, device_kind);
        problems.finish()?;
    }
    let old_row = DeviceAdapter {
        device_kind,
        device_id: &device_id,
        adapter: &old,
    };
    let new_row = DeviceAdapter {
        device_kind,
        device_id: &device_id,
        adapter: &new,
    };
    let Some(fields) = changed(&old_row, &new_row) else {
        return Ok(row.version);
    };
    let mut w = Writer::new(&txn, actor, row.system_id.as_deref().unwrap_or_default()).await?;
    w.put_adapter(&new_row, true).await?;
    if device_kind == EntityKind::BatteryPack {
        w.put_pack_link(&device_id, id, new.priority, new.enabled)
            .await?;
    }
    w.updated(EntityKind::Adapter, id, &fields);
    let version = w.finish().await?;
    txn.commit().await?;
    Ok(version)
}

/// Deletes an adapter; its device is left without it (a pack keeps its other adapters).
pub async fn delete_adapter(
    db: &DatabaseConnection,
    id: &str,
    expected_version: i64,
    actor: &Actor,
) -> Result<(), AppError> {
    let txn = begin(db).await?;
    let row = find::<adapter::Entity>(&txn, EntityKind::Adapter, id).await?;
    check_version(EntityKind::Adapter, id, row.version, expected_version)?;
    let spec = adapter_spec(&row, None)?;
    let mut w = Writer::new(&txn, actor, row.system_id.as_deref().unwrap_or_default()).await?;
    w.remove_adapter(id).await?;
    w.deleted(EntityKind::Adapter, id, &spec);
    w.finish().await?;
    txn.commit().await?;
    Ok(())
}

/// Changes a pack's link to one of its adapters (`expected_version`: the link's version).
pub async fn update_pack_adapter(
    db: &DatabaseConnection,
    pack_id: &str,
    adapter_id: &str,
    patch: &PackAdapterPatch,
    expected_version: i64,
    actor: &Actor,
) -> Result<i64, AppError> {
    let kind = EntityKind::PackAdapter;
    let link_id = format!("{pack_id}/{adapter_id}");
    let txn = begin(db).await?;
    let link =
        battery_pack_adapter::Entity::find_by_id((pack_id.to_string(), adapter_id.to_string()))
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("{kind} {link_id:?}")))?;
    check_version(kind, &link_id, link.version, expected_version)?;
    let priority = patch.priority.unwrap_or(link.priority);
    let enabled = patch.enabled.unwrap_or(link.enabled);
    let mut fields = Vec::new();
    if priority != link.priority {
        fields.push(FieldChange {
            field: "priority".into(),
            old: Some(link.priority.to_string()),
            new: Some(priority.to_string()),
        });
    }
    if enabled != link.enabled {
        fields.push(FieldChange {
            field: "enabled".into(),
            old: Some(link.enabled.to_string()),
            new: Some(enabled.to_string()),
        });
    }
    if fields.is_empty() {
        return Ok(link.version);
    }
    let pack = find::<battery_pack::Entity>(&txn, EntityKind::BatteryPack, pack_id).await?;
    let mut w = Writer::new(&txn, actor, &pack.system_id).await?;
    w.put_pack_link(pack_id, adapter_id, priority, enabled)
        .await?;
    w.updated(kind, &link_id, &fields);
    let version = w.finish().await?;
    txn.commit().await?;
    Ok(version)
}
