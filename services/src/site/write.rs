//! The console's and the API's writes of single catalog rows: systems, inverter arrays, battery
//! arrays and attachments here, devices and adapters in `devices`. Each write is one write
//! transaction (version counter locked first) at one new system version, checks the caller's
//! If-Match (`expected_version`, the row's `version` it read), and logs every change. A write
//! that changes nothing takes no version and returns the row's version. Create and update
//! return the row's new version.

use entity::site::{battery_array, battery_array_attachment, inverter_array, system};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PrimaryKeyTrait, QueryFilter,
};

use crate::actor::Actor;
use model::error::AppError;
use model::site::plan::{Described, FieldChange, attachment_id, diff_fields};
use model::site::spec::{AttachmentSpec, BatteryArraySpec, InverterArraySpec, SystemSpec};
use model::site::tree::{ArrayPatch, EntityKind, SystemPatch};

use super::check::{Problems, check_name, check_new_id, owners};
use super::rows::{battery_array_spec, inverter_array_spec, load_rows, rfc3339, system_spec};
use super::spec::{log_closed, spec_of};
use super::store::{Writer, begin, check_version};

/// The row of `E` with id `id`, or `NotFound` naming it.
pub(crate) async fn find<E>(
    db: &impl ConnectionTrait,
    kind: EntityKind,
    id: &str,
) -> Result<E::Model, AppError>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<String>,
{
    E::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("{kind} {id:?}")))
}

/// Checks that `id` is a row of `kind` (in `system_id` when given); its system.
pub(crate) async fn check_parent(
    db: &impl ConnectionTrait,
    kind: EntityKind,
    id: &str,
    system_id: Option<&str>,
    path: &str,
) -> Result<String, AppError> {
    let owner = owners(db, &[id.to_string()]).await?.remove(id);
    match owner {
        Some(o)
            if o.kind == kind && (system_id.is_none() || o.system_id.as_deref() == system_id) =>
        {
            Ok(o.system_id.unwrap_or_default())
        }
        _ => Err(AppError::validation(
            path,
            match system_id {
                Some(system) => format!("there is no {kind} {id:?} in system {system:?}"),
                None => format!("there is no {kind} {id:?}"),
            },
        )),
    }
}

/// Sets `target` to the patch's value when the patch has one.
pub(crate) fn set<T: Clone>(target: &mut T, value: &Option<T>) {
    if let Some(value) = value {
        *target = value.clone();
    }
}

/// The fields that change, or none.
pub(crate) fn changed<T: Described>(old: &T, new: &T) -> Option<Vec<FieldChange>> {
    let fields = diff_fields(&old.fields(), &new.fields());
    (!fields.is_empty()).then_some(fields)
}

pub async fn create_system(
    db: &DatabaseConnection,
    new: &SystemSpec,
    actor: &Actor,
) -> Result<i64, AppError> {
    let mut problems = Problems::default();
    check_name(&mut problems, "name".into(), &new.name);
    if new.timezone.trim().is_empty() {
        problems.add("timezone", "a time zone may not be empty");
    }
    problems.finish()?;
    let txn = begin(db).await?;
    check_new_id(&txn, &new.id, "id").await?;
    let mut w = Writer::new(&txn, actor, &new.id).await?;
    w.put_system(new, false).await?;
    w.created(EntityKind::System, &new.id, new);
    let version = w.finish().await?;
    txn.commit().await?;
    Ok(version)
}

pub async fn update_system(
    db: &DatabaseConnection,
    id: &str,
    patch: &SystemPatch,
    expected_version: i64,
    actor: &Actor,
) -> Result<i64, AppError> {
    let txn = begin(db).await?;
    let row = find::<system::Entity>(&txn, EntityKind::System, id).await?;
    check_version(EntityKind::System, id, row.version, expected_version)?;
    let old = system_spec(&row);
    let mut new = old.clone();
    set(&mut new.name, &patch.name);
    set(&mut new.description, &patch.description);
    set(&mut new.timezone, &patch.timezone);
    let mut problems = Problems::default();
    check_name(&mut problems, "name".into(), &new.name);
    if new.timezone.trim().is_empty() {
        problems.add("timezone", "a time zone may not be empty");
    }
    problems.finish()?;
    let Some(fields) = changed(&old, &new) else {
        return Ok(row.version);
    };
    let mut w = Writer::new(&txn, actor, id).await?;
    w.put_system(&new, true).await?;
    w.updated(EntityKind::System, id, &fields);
    let version = w.finish().await?;
    txn.commit().await?;
    Ok(version)
}

/// Deletes the system and everything in it (attachments too: the change log keeps the whole
/// system as it was, in the deletion's `old_value`).
pub async fn delete_system(
    db: &DatabaseConnection,
    id: &str,
    expected_version: i64,
    actor: &Actor,
) -> Result<(), AppError> {
    let txn = begin(db).await?;
    let rows = load_rows(&txn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("system {id:?}")))?;
    check_version(
        EntityKind::System,
        id,
        rows.system.version,
        expected_version,
    )?;
    let spec = spec_of(&rows)?;
    let mut w = Writer::new(&txn, actor, id).await?;
    system::Entity::delete_by_id(id).exec(&txn).await?;
    w.deleted(EntityKind::System, id, &spec);
    w.finish().await?;
    txn.commit().await?;
    Ok(())
}

pub async fn create_inverter_array(
    db: &DatabaseConnection,
    system_id: &str,
    new: &InverterArraySpec,
    actor: &Actor,
) -> Result<i64, AppError> {
    let mut problems = Problems::default();
    check_name(&mut problems, "name".into(), &new.name);
    problems.finish()?;
    let txn = begin(db).await?;
    find::<system::Entity>(&txn, EntityKind::System, system_id).await?;
    check_new_id(&txn, &new.id, "id").await?;
    let mut w = Writer::new(&txn, actor, system_id).await?;
    w.put_inverter_array(new, false).await?;
    w.created(EntityKind::InverterArray, &new.id, new);
    let version = w.finish().await?;
    txn.commit().await?;
    Ok(version)
}

pub async fn update_inverter_array(
    db: &DatabaseConnection,
    id: &str,
    patch: &ArrayPatch,
    expected_version: i64,
    actor: &Actor,
) -> Result<i64, AppError> {
    let kind = EntityKind::InverterArray;
    let txn = begin(db).await?;
    let row = find::<inverter_array::Entity>(&txn, kind, id).await?;
    check_version(kind, id, row.version, expected_version)?;
    let old = inverter_array_spec(&row);
    let mut new = old.clone();
    set(&mut new.name, &patch.name);
    let mut problems = Problems::default();
    check_name(&mut problems, "name".into(), &new.name);
    problems.finish()?;
    let Some(fields) = changed(&old, &new) else {
        return Ok(row.version);
    };
    let mut w = Writer::new(&txn, actor, &row.system_id).await?;
    w.put_inverter_array(&new, true).await?;
    w.updated(kind, id, &fields);
    let version = w.finish().await?;
    txn.commit().await?;
    Ok(version)
}

/// Deletes an inverter array and its inverters (and their adapters). Its open attachments are
/// closed and kept; its meters become system-level meters.
pub async fn delete_inverter_array(
    db: &DatabaseConnection,
    id: &str,
    expected_version: i64,
    actor: &Actor,
) -> Result<(), AppError> {
    let kind = EntityKind::InverterArray;
    let txn = begin(db).await?;
    let row = find::<inverter_array::Entity>(&txn, kind, id).await?;
    check_version(kind, id, row.version, expected_version)?;
    let spec = load_rows(&txn, &row.system_id)
        .await?
        .map(|rows| spec_of(&rows))
        .transpose()?
        .unwrap_or_default();
    let mut w = Writer::new(&txn, actor, &row.system_id).await?;
    for inverter in spec.inverters.iter().filter(|i| i.array_id == id) {
        if let Some(adapter) = &inverter.adapter {
            w.deleted(EntityKind::Adapter, &adapter.id, adapter);
        }
        w.deleted(EntityKind::Inverter, &inverter.id, inverter);
    }
    for meter in spec
        .meters
        .iter()
        .filter(|m| m.array_id.as_deref() == Some(id))
    {
        let fields = [FieldChange {
            field: "array_id".into(),
            old: Some(id.to_string()),
            new: None,
        }];
        w.updated(EntityKind::Meter, &meter.id, &fields);
    }
    let closed = w.remove_inverter_array(id).await?;
    log_closed(&mut w, &closed);
    w.deleted(kind, id, &inverter_array_spec(&row));
    w.finish().await?;
    txn.commit().await?;
    Ok(())
}

pub async fn create_battery_array(
    db: &DatabaseConnection,
    system_id: &str,
    new: &BatteryArraySpec,
    actor: &Actor,
) -> Result<i64, AppError> {
    let mut problems = Problems::default();
    check_name(&mut problems, "name".into(), &new.name);
    problems.finish()?;
    let txn = begin(db).await?;
    find::<system::Entity>(&txn, EntityKind::System, system_id).await?;
    check_new_id(&txn, &new.id, "id").await?;
    let mut w = Writer::new(&txn, actor, system_id).await?;
    w.put_battery_array(new, false).await?;
    w.created(EntityKind::BatteryArray, &new.id, new);
    let version = w.finish().await?;
    txn.commit().await?;
    Ok(version)
}

pub async fn update_battery_array(
    db: &DatabaseConnection,
    id: &str,
    patch: &ArrayPatch,
    expected_version: i64,
    actor: &Actor,
) -> Result<i64, AppError> {
    let kind = EntityKind::BatteryArray;
    let txn = begin(db).await?;
    let row = find::<battery_array::Entity>(&txn, kind, id).await?;
    check_version(kind, id, row.version, expected_version)?;
    let old = battery_array_spec(&row);
    let mut new = old.clone();
    set(&mut new.name, &patch.name);
    let mut problems = Problems::default();
    check_name(&mut problems, "name".into(), &new.name);
    problems.finish()?;
    let Some(fields) = changed(&old, &new) else {
        return Ok(row.version);
    };
    let mut w = Writer::new(&txn, actor, &row.system_id).await?;
    w.put_battery_array(&new, true).await?;
    w.updated(kind, id, &fields);
    let version = w.finish().await?;
    txn.commit().await?;
    Ok(version)
}

/// Deletes a battery array and its packs (with their batteries, cells and adapters). Its open
/// attachment is closed and kept.
pub async fn delete_battery_array(
    db: &DatabaseConnection,
    id: &str,
    expected_version: i64,
    actor: &Actor,
) -> Result<(), AppError> {
    let kind = EntityKind::BatteryArray;
    let txn = begin(db).await?;
    let row = find::<battery_array::Entity>(&txn, kind, id).await?;
    check_version(kind, id, row.version, expected_version)?;
    let spec = load_rows(&txn, &row.system_id)
        .await?
        .map(|rows| spec_of(&rows))
        .transpose()?
        .unwrap_or_default();
    let mut w = Writer::new(&txn, actor, &row.system_id).await?;
    for pack in spec
        .battery_packs
        .iter()
        .filter(|p| p.battery_array_id == id)
    {
        for adapter in &pack.adapters {
            w.deleted(EntityKind::Adapter, &adapter.id, adapter);
        }
        w.deleted(EntityKind::BatteryPack, &pack.id, pack);
    }
    let closed = w.remove_battery_array(id).await?;
    log_closed(&mut w, &closed);
    w.deleted(kind, id, &battery_array_spec(&row));
    w.finish().await?;
    txn.commit().await?;
    Ok(())
}

/// Attaches a battery array to an inverter array of its system from now on, closing its open
/// attachment (kept as history). Attaching it where it is attached already changes nothing.
/// The open attachment's version.
pub async fn attach(
    db: &DatabaseConnection,
    battery_array_id: &str,
    inverter_array_id: &str,
    actor: &Actor,
) -> Result<i64, AppError> {
    let txn = begin(db).await?;
    let battery_array =
        find::<battery_array::Entity>(&txn, EntityKind::BatteryArray, battery_array_id).await?;
    let system = battery_array.system_id.as_str();
    check_parent(
        &txn,
        EntityKind::InverterArray,
        inverter_array_id,
        Some(system),
        "inverter_array_id",
    )
    .await?;
    let open = open_attachment(&txn, battery_array_id).await?;
    if let Some(open) = open
        .as_ref()
        .filter(|o| o.inverter_array_id == inverter_array_id)
    {
        return Ok(open.version);
    }
    let mut w = Writer::new(&txn, actor, system).await?;
    let closed = w
        .close_attachments(
            battery_array_attachment::Column::BatteryArrayId,
            battery_array_id,
            w.now,
        )
        .await?;
    log_closed(&mut w, &closed);
    let attachment = AttachmentSpec {
        battery_array_id: battery_array_id.to_string(),
        inverter_array_id: inverter_array_id.to_string(),
        attached_since: Some(rfc3339(w.now)),
        detached_at: None,
    };
    w.put_attachment(&attachment).await?;
    w.created(
        EntityKind::Attachment,
        &attachment_id(&attachment),
        &attachment,
    );
    let version = w.finish().await?;
    txn.commit().await?;
    Ok(version)
}

/// Ends the battery array's open attachment now (the row is kept); `NotFound` when it is not
/// attached. The closed attachment's version.
pub async fn detach(
    db: &DatabaseConnection,
    battery_array_id: &str,
    actor: &Actor,
) -> Result<i64, AppError> {
    let txn = begin(db).await?;
    let battery_array =
        find::<battery_array::Entity>(&txn, EntityKind::BatteryArray, battery_array_id).await?;
    if open_attachment(&txn, battery_array_id).await?.is_none() {
        return Err(AppError::NotFound(format!(
            "an open attachment of battery array {battery_array_id:?}"
        )));
    }
    let mut w = Writer::new(&txn, actor, &battery_array.system_id).await?;
    let closed = w
        .close_attachments(
            battery_array_attachment::Column::BatteryArrayId,
            battery_array_id,
            w.now,
        )
        .await?;
    log_closed(&mut w, &closed);
    let version = w.finish().await?;
    txn.commit().await?;
    Ok(version)
}

async fn open_attachment(
    db: &impl ConnectionTrait,
    battery_array_id: &str,
) -> Result<Option<battery_array_attachment::Model>, AppError> {
    Ok(battery_array_attachment::Entity::find()
        .filter(battery_array_attachment::Column::BatteryArrayId.eq(battery_array_id))
        .filter(battery_array_attachment::Column::DetachedAt.is_null())
        .one(db)
        .await?)
}
