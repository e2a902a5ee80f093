//! Writing catalog rows inside a write transaction: [`Writer`] carries the transaction, who
//! writes, the system version every row of the change gets, and the change-log rows to append.
//! Each `put_*` writes a row as a spec item describes it (insert or full update), each
//! `remove_*` deletes one; logging is the caller's (it knows what the change was).

use chrono::{DateTime, Utc};
use entity::site::{
    adapter, battery_array, battery_array_attachment, battery_pack_adapter, change_log, inverter,
    inverter_array, meter, system,
};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
};
use serde::Serialize;

use crate::actor::Actor;
use crate::auth::audit::{self, AuditEntry};
use crate::database::begin_write;
use crate::registry::versions;
use model::auth::AuditAction;
use model::error::AppError;
use model::site::plan::{DeviceAdapter, FieldChange, canonical_json};
use model::site::plan::{PlannedAction, PlannedChange};
use model::site::spec::{
    AttachmentSpec, BatteryArraySpec, InverterArraySpec, InverterSpec, MeterSpec, SystemSpec,
};
use model::site::tree::{EntityKind, SiteChangeType};

use super::check::category_of;
use super::rows::{now, parse_time};

/// Begins a catalog write: the write transaction, with the version counter locked first (see
/// `versions::lock`) so that what it reads cannot change before it commits.
pub(crate) async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction, AppError> {
    let txn = begin_write(db).await?;
    versions::lock(&txn).await?;
    Ok(txn)
}

/// One change to the catalog, at one system version.
/// The most changes one audit row lists.
const AUDITED_CHANGES: usize = 200;

pub(crate) struct Writer<'a> {
    pub(crate) txn: &'a DatabaseTransaction,
    pub(crate) actor: &'a Actor,
    pub(crate) system_id: String,
    pub(crate) version: i64,
    pub(crate) now: DateTime<Utc>,
    log: Vec<change_log::ActiveModel>,
}

impl<'a> Writer<'a> {
    /// Takes the change's system version (the transaction holds the version lock).
    pub(crate) async fn new(
        txn: &'a DatabaseTransaction,
        actor: &'a Actor,
        system_id: &str,
    ) -> Result<Writer<'a>, AppError> {
        Ok(Writer {
            txn,
            actor,
            system_id: system_id.to_string(),
            version: versions::allocate(txn, 1).await?,
            now: now(),
            log: Vec::new(),
        })
    }

    fn push(
        &mut self,
        kind: EntityKind,
        id: &str,
        change_type: SiteChangeType,
        field: Option<String>,
        old: Option<String>,
        new: Option<String>,
    ) {
        self.log.push(change_log::ActiveModel {
            id: NotSet,
            system_version: Set(self.version),
            system_id: Set(self.system_id.clone()),
            entity_kind: Set(kind),
            entity_id: Set(id.to_string()),
            change_type: Set(change_type),
            field: Set(field),
            old_value: Set(old),
            new_value: Set(new),
            changed_by: Set(self.actor.user.clone()),
            source_system: Set(self.actor.source_system.clone()),
            changed_at: Set(self.now),
        });
    }

    /// Logs a new row, with the row as JSON.
    pub(crate) fn created(&mut self, kind: EntityKind, id: &str, row: &impl Serialize) {
        let json = serde_json::to_string(row).ok();
        self.push(kind, id, SiteChangeType::Created, None, None, json);
    }

    /// Logs each changed field of a row.
    pub(crate) fn updated(&mut self, kind: EntityKind, id: &str, fields: &[FieldChange]) {
        for field in fields {
            self.push(
                kind,
                id,
                SiteChangeType::Updated,
                Some(field.field.clone()),
                field.old.clone(),
                field.new.clone(),
            );
        }
    }

    /// Logs a deleted row, with what it was as JSON.
    pub(crate) fn deleted(&mut self, kind: EntityKind, id: &str, row: &impl Serialize) {
        let json = serde_json::to_string(row).ok();
        self.push(kind, id, SiteChangeType::Deleted, None, json, None);
    }

    /// Logs a planned change: a creation with `row` (as it is now), an update field by field, a
    /// removal with `row` (as it was).
    pub(crate) fn log_change(&mut self, change: &PlannedChange, row: &impl Serialize) {
        match &change.action {
            PlannedAction::Create => self.created(change.kind, &change.id, row),
            PlannedAction::Update { fields } => self.updated(change.kind, &change.id, fields),
            PlannedAction::Remove => self.deleted(change.kind, &change.id, row),
        }
    }

    /// Appends the logged rows and the write's audit row; call once, before committing. The
    /// change's system version.
    pub(crate) async fn finish(self) -> Result<i64, AppError> {
        if !self.log.is_empty() {
            audit::record(self.txn, self.audit_entry()).await?;
        }
        for chunk in self.log.chunks(1000) {
            change_log::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(self.txn)
                .await?;
        }
        Ok(self.version)
    }

    /// One audit row for the whole write: what changed, entity by entity (the first
    /// [`AUDITED_CHANGES`] of an import; the site's change log has them all).
    fn audit_entry(&self) -> AuditEntry {
        let text = |value: &ActiveValue<Option<String>>| match value {
            ActiveValue::Set(value) | ActiveValue::Unchanged(value) => value.clone(),
            ActiveValue::NotSet => None,
        };
        let mut before = serde_json::Map::new();
        let mut after = serde_json::Map::new();
        for row in self.log.iter().take(AUDITED_CHANGES) {
            let entity = match (&row.entity_kind, &row.entity_id, &row.field) {
                (ActiveValue::Set(kind), ActiveValue::Set(id), field) => {
                    let field = text(field).map(|f| format!(".{f}")).unwrap_or_default();
                    format!("{kind} {id}{field}")
                }
                _ => continue,
            };
            if let Some(old) = text(&row.old_value) {
                before.insert(entity.clone(), serde_json::Value::String(old));
            }
            if let Some(new) = text(&row.new_value) {
                after.insert(entity, serde_json::Value::String(new));
            }
        }
        let target = format!("system {}", self.system_id);
        self.actor
            .audit(AuditAction::SiteWrite, target, self.now)
            .change(
                (!before.is_empty()).then_some(serde_json::Value::Object(before)),
                (!after.is_empty()).then_some(serde_json::Value::Object(after)),
            )
            .detail(serde_json::json!({
                "source_system": self.actor.source_system,
                "system_version": self.version,
                "changes": self.log.len(),
            }))
    }

    /// `created_at` for a row: set on insert, left alone on update.
    fn created_at(&self, exists: bool) -> ActiveValue<DateTime<Utc>> {
        if exists { NotSet } else { Set(self.now) }
    }

    pub(crate) async fn put_system(&self, s: &SystemSpec, exists: bool) -> Result<(), AppError> {
        let row = system::ActiveModel {
            system_id: Set(s.id.clone()),
            name: Set(s.name.clone()),
            description: Set(s.description.clone()),
            timezone: Set(s.timezone.clone()),
            version: Set(self.version),
            created_at: self.created_at(exists),
            updated_at: Set(self.now),
        };
        save(self.txn, row, exists).await
    }

    pub(crate) async fn put_inverter_array(
        &self,
        a: &InverterArraySpec,
        exists: bool,
    ) -> Result<(), AppError> {
        let row = inverter_array::ActiveModel {
            array_id: Set(a.id.clone()),
            system_id: Set(self.system_id.clone()),
            name: Set(a.name.clone()),
            version: Set(self.version),
            created_at: self.created_at(exists),
            updated_at: Set(self.now),
        };
        save(self.txn, row, exists).await
    }

    pub(crate) async fn put_battery_array(
        &self,
        a: &BatteryArraySpec,
        exists: bool,
    ) -> Result<(), AppError> {
        let row = battery_array::ActiveModel {
            battery_array_id: Set(a.id.clone()),
            system_id: Set(self.system_id.clone()),
            name: Set(a.name.clone()),
            version: Set(self.version),
            created_at: self.created_at(exists),
            updated_at: Set(self.now),
        };
        save(self.txn, row, exists).await
    }

    /// Writes the inverter; its adapter (if any) must exist.
    pub(crate) async fn put_inverter(
        &self,
        i: &InverterSpec,
        exists: bool,
    ) -> Result<(), AppError> {
        let row = inverter::ActiveModel {
            inverter_id: Set(i.id.clone()),
            array_id: Set(i.array_id.clone()),
            system_id: Set(self.system_id.clone()),
            adapter_id: Set(i.adapter.as_ref().map(|a| a.id.clone())),
            name: Set(i.name.clone()),
            model: Set(i.model.clone()),
            serial_number: Set(i.serial_number.clone()),
            vendor: Set(i.vendor.clone()),
            phase_type: Set(i.phase_type),
            version: Set(self.version),
            created_at: self.created_at(exists),
            updated_at: Set(self.now),
        };
        save(self.txn, row, exists).await
    }

    /// Writes the meter; its adapter (if any) must exist.
    pub(crate) async fn put_meter(&self, m: &MeterSpec, exists: bool) -> Result<(), AppError> {
        let row = meter::ActiveModel {
            meter_id: Set(m.id.clone()),
            system_id: Set(self.system_id.clone()),
            array_id: Set(m.array_id.clone()),
            adapter_id: Set(m.adapter.as_ref().map(|a| a.id.clone())),
            name: Set(m.name.clone()),
            model: Set(m.model.clone()),
            meter_type: Set(m.meter_type),
            attachment_target: Set(Some(
                m.array_id.clone().unwrap_or_else(|| "system".to_string()),
            )),
            version: Set(self.version),
            created_at: self.created_at(exists),
            updated_at: Set(self.now),
        };
        save(self.txn, row, exists).await
    }

    /// Writes the adapter row (not its device's link to it: see [`Writer::link_adapter`]).
    pub(crate) async fn put_adapter(
        &self,
        d: &DeviceAdapter<'_>,
        exists: bool,
    ) -> Result<(), AppError> {
        let a = d.adapter;
        let row = adapter::ActiveModel {
            adapter_id: Set(a.id.clone()),
            adapter_type: Set(a.adapter_type.clone()),
            system_id: Set(Some(self.system_id.clone())),
            device_category: Set(category_of(d.device_kind)),
            name: Set(a.name.clone()),
            config_json: Set(canonical_json(&a.config)),
            device_id: Set(Some(d.device_id.to_string())),
            device_type: Set(Some(d.device_kind)),
            priority: Set(a.priority),
            enabled: Set(a.enabled),
            version: Set(self.version),
            created_at: self.created_at(exists),
            updated_at: Set(self.now),
        };
        save(self.txn, row, exists).await
    }

    /// Points the adapter's device at it: an inverter's or meter's `adapter_id`, or a pack's
    /// link with the adapter's priority and enabled flag. The device must exist.
    pub(crate) async fn link_adapter(&self, d: &DeviceAdapter<'_>) -> Result<(), AppError> {
        let id = d.adapter.id.clone();
        match d.device_kind {
            EntityKind::Inverter => {
                inverter::Entity::update_many()
                    .col_expr(inverter::Column::AdapterId, Expr::value(id))
                    .filter(inverter::Column::InverterId.eq(d.device_id))
                    .exec(self.txn)
                    .await?;
            }
            EntityKind::Meter => {
                meter::Entity::update_many()
                    .col_expr(meter::Column::AdapterId, Expr::value(id))
                    .filter(meter::Column::MeterId.eq(d.device_id))
                    .exec(self.txn)
                    .await?;
            }
            _ => {
                let a = d.adapter;
                self.put_pack_link(d.device_id, &a.id, a.priority, a.enabled)
                    .await?;
            }
        }
        Ok(())
    }

    /// Detaches an adapter that moves to `d`'s device from every other device: inverters and
    /// meters that point at it, links of other packs.
    pub(crate) async fn unlink_elsewhere(&self, d: &DeviceAdapter<'_>) -> Result<(), AppError> {
        let id = d.adapter.id.as_str();
        let none = Expr::value(Option::<String>::None);
        inverter::Entity::update_many()
            .col_expr(inverter::Column::AdapterId, none.clone())
            .filter(inverter::Column::AdapterId.eq(id))
            .filter(inverter::Column::InverterId.ne(d.device_id))
            .exec(self.txn)
            .await?;
        meter::Entity::update_many()
            .col_expr(meter::Column::AdapterId, none)
            .filter(meter::Column::AdapterId.eq(id))
            .filter(meter::Column::MeterId.ne(d.device_id))
            .exec(self.txn)
            .await?;
        battery_pack_adapter::Entity::delete_many()
            .filter(battery_pack_adapter::Column::AdapterId.eq(id))
            .filter(battery_pack_adapter::Column::PackId.ne(d.device_id))
            .exec(self.txn)
            .await?;
        Ok(())
    }

    /// Inserts or updates a pack's link to an adapter, and keeps the adapter's own copy of the
    /// priority and enabled flag equal to the link's.
    pub(crate) async fn put_pack_link(
        &self,
        pack_id: &str,
        adapter_id: &str,
        priority: i32,
        enabled: bool,
    ) -> Result<(), AppError> {
        let existing =
            battery_pack_adapter::Entity::find_by_id((pack_id.to_string(), adapter_id.to_string()))
                .one(self.txn)
                .await?;
        let row = battery_pack_adapter::ActiveModel {
            pack_id: Set(pack_id.to_string()),
            adapter_id: Set(adapter_id.to_string()),
            priority: Set(priority),
            enabled: Set(enabled),
            version: Set(self.version),
            created_at: self.created_at(existing.is_some()),
        };
        match existing {
            Some(old) if old.priority == priority && old.enabled == enabled => {}
            Some(_) => save(self.txn, row, true).await?,
            None => save(self.txn, row, false).await?,
        }
        adapter::Entity::update_many()
            .col_expr(adapter::Column::Priority, Expr::value(priority))
            .col_expr(adapter::Column::Enabled, Expr::value(enabled))
            .filter(adapter::Column::AdapterId.eq(adapter_id))
            .exec(self.txn)
            .await?;
        Ok(())
    }

    pub(crate) async fn remove_adapter(&self, adapter_id: &str) -> Result<(), AppError> {
        adapter::Entity::delete_by_id(adapter_id)
            .exec(self.txn)
            .await?;
        Ok(())
    }

    /// Deletes a device's adapters (an inverter's, a pack's or a meter's).
    pub(crate) async fn remove_adapters_of(&self, device_id: &str) -> Result<(), AppError> {
        adapter::Entity::delete_many()
            .filter(adapter::Column::DeviceId.eq(device_id))
            .exec(self.txn)
            .await?;
        Ok(())
    }

    /// Opens or records an attachment; `now` stands in for a missing `attached_since`.
    pub(crate) async fn put_attachment(&self, a: &AttachmentSpec) -> Result<(), AppError> {
        let since = match &a.attached_since {
            Some(text) => {
                parse_time(text).map_err(|m| AppError::validation("attached_since", m))?
            }
            None => self.now,
        };
        let until = a
            .detached_at
            .as_deref()
            .map(parse_time)
            .transpose()
            .map_err(|m| AppError::validation("detached_at", m))?;
        battery_array_attachment::Entity::insert(battery_array_attachment::ActiveModel {
            id: NotSet,
            system_id: Set(self.system_id.clone()),
            battery_array_id: Set(a.battery_array_id.clone()),
            inverter_array_id: Set(a.inverter_array_id.clone()),
            attached_since: Set(since),
            detached_at: Set(until),
            version: Set(self.version),
            created_at: Set(self.now),
        })
        .exec_without_returning(self.txn)
        .await?;
        Ok(())
    }

    /// Closes every open attachment `column` = `id` matches (a battery array's, or those to an
    /// inverter array) at `at`; returns the closed rows as they were.
    pub(crate) async fn close_attachments(
        &self,
        column: battery_array_attachment::Column,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<Vec<battery_array_attachment::Model>, AppError> {
        let open = battery_array_attachment::Entity::find()
            .filter(column.eq(id))
            .filter(battery_array_attachment::Column::DetachedAt.is_null())
            .all(self.txn)
            .await?;
        if !open.is_empty() {
            battery_array_attachment::Entity::update_many()
                .col_expr(
                    battery_array_attachment::Column::DetachedAt,
                    Expr::value(at),
                )
                .col_expr(
                    battery_array_attachment::Column::Version,
                    Expr::value(self.version),
                )
                .filter(battery_array_attachment::Column::Id.is_in(open.iter().map(|a| a.id)))
                .exec(self.txn)
                .await?;
        }
        Ok(open)
    }
}

impl Writer<'_> {
    /// Deletes a device (inverter, pack or meter) and its adapters; the database deletes what
    /// hangs on it (a pack's batteries, cells and links).
    pub(crate) async fn remove_device(&self, kind: EntityKind, id: &str) -> Result<(), AppError> {
        self.remove_adapters_of(id).await?;
        match kind {
            EntityKind::Inverter => inverter::Entity::delete_by_id(id).exec(self.txn).await?,
            EntityKind::BatteryPack => {
                entity::site::battery_pack::Entity::delete_by_id(id)
                    .exec(self.txn)
                    .await?
            }
            EntityKind::Meter => meter::Entity::delete_by_id(id).exec(self.txn).await?,
            other => {
                return Err(AppError::Internal(format!("a {other} is not a device")));
            }
        };
        Ok(())
    }

    /// Deletes an inverter array: closes its open attachments (kept as history), deletes the
    /// adapters of its inverters; the database deletes the inverters and makes its meters
    /// system-level. Returns the attachments it closed, as they were.
    pub(crate) async fn remove_inverter_array(
        &self,
        id: &str,
    ) -> Result<Vec<battery_array_attachment::Model>, AppError> {
        let closed = self
            .close_attachments(
                battery_array_attachment::Column::InverterArrayId,
                id,
                self.now,
            )
            .await?;
        let inverters = Query::select()
            .column(inverter::Column::InverterId)
            .from(inverter::Entity)
            .and_where(inverter::Column::ArrayId.eq(id))
            .to_owned();
        adapter::Entity::delete_many()
            .filter(adapter::Column::DeviceId.in_subquery(inverters))
            .exec(self.txn)
            .await?;
        meter::Entity::update_many()
            .col_expr(meter::Column::AttachmentTarget, Expr::value("system"))
            .col_expr(meter::Column::Version, Expr::value(self.version))
            .filter(meter::Column::ArrayId.eq(id))
            .exec(self.txn)
            .await?;
        inverter_array::Entity::delete_by_id(id)
            .exec(self.txn)
            .await?;
        Ok(closed)
    }

    /// Deletes a battery array: closes its open attachment (kept as history), deletes the
    /// adapters of its packs; the database deletes the packs, batteries and cells. Returns the
    /// attachments it closed, as they were.
    pub(crate) async fn remove_battery_array(
        &self,
        id: &str,
    ) -> Result<Vec<battery_array_attachment::Model>, AppError> {
        let closed = self
            .close_attachments(
                battery_array_attachment::Column::BatteryArrayId,
                id,
                self.now,
            )
            .await?;
        let packs = Query::select()
            .column(entity::site::battery_pack::Column::PackId)
            .from(entity::site::battery_pack::Entity)
            .and_where(entity::site::battery_pack::Column::BatteryArrayId.eq(id))
            .to_owned();
        adapter::Entity::delete_many()
            .filter(adapter::Column::DeviceId.in_subquery(packs))
            .exec(self.txn)
            .await?;
        battery_array::Entity::delete_by_id(id)
            .exec(self.txn)
            .await?;
        Ok(closed)
    }

    /// Sets the fields of one attachment: the open one of `old`'s battery array when `old` is
    /// open, else the closed one that started at `old.attached_since`.
    pub(crate) async fn update_attachment(
        &self,
        old: &AttachmentSpec,
        fields: &[FieldChange],
    ) -> Result<(), AppError> {
        use battery_array_attachment::Column;
        let mut update = battery_array_attachment::Entity::update_many()
            .col_expr(Column::Version, Expr::value(self.version))
            .filter(Column::BatteryArrayId.eq(&old.battery_array_id))
            .filter(Column::InverterArrayId.eq(&old.inverter_array_id));
        update = match (&old.detached_at, &old.attached_since) {
            (None, _) => update.filter(Column::DetachedAt.is_null()),
            (Some(_), Some(since)) => update.filter(Column::AttachedSince.eq(time(since)?)),
            (Some(until), None) => update.filter(Column::DetachedAt.eq(time(until)?)),
        };
        for field in fields {
            let value = field.new.as_deref().map(time).transpose()?;
            update = match field.field.as_str() {
                "detached_at" => update.col_expr(Column::DetachedAt, Expr::value(value)),
                "attached_since" => match value {
                    Some(since) => update.col_expr(Column::AttachedSince, Expr::value(since)),
                    None => update,
                },
                _ => update,
            };
        }
        update.exec(self.txn).await?;
        Ok(())
    }
}

fn time(text: &str) -> Result<DateTime<Utc>, AppError> {
    parse_time(text).map_err(|m| AppError::validation("attachments", m))
}

/// Inserts the row, or updates every column it sets.
pub(crate) async fn save<A>(txn: &DatabaseTransaction, row: A, exists: bool) -> Result<(), AppError>
where
    A: sea_orm::ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    if exists {
        <A::Entity as EntityTrait>::update(row).exec(txn).await?;
    } else {
        <A::Entity as EntityTrait>::insert(row)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// A conflict unless the row is still at `expected`, the version the caller read.
pub(crate) fn check_version(
    kind: EntityKind,
    id: &str,
    version: i64,
    expected: i64,
) -> Result<(), AppError> {
    if version == expected {
        return Ok(());
    }
    Err(AppError::Conflict(format!(
        "{kind} {id:?} is at version {version}, not {expected}: it changed since you read it"
    )))
}
