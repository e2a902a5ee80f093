//! What deleting a row would take with it ([`delete_preview`]), counted per kind, so that the
//! console can say so before it deletes.

use entity::site::{
    adapter, battery, battery_array, battery_array_attachment, battery_cell, battery_pack,
    battery_pack_adapter, inverter, inverter_array, meter, system,
};
use sea_orm::sea_query::{IntoCondition, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use model::error::AppError;
use model::site::tree::{DeletePreview, EntityKind, KindCount};

use super::write::find;

/// How many rows of `E` match `condition`.
async fn count<E>(db: &impl ConnectionTrait, condition: impl IntoCondition) -> Result<u32, AppError>
where
    E: EntityTrait,
    E::Model: Sync,
{
    let rows = E::find().filter(condition).count(db).await?;
    Ok(u32::try_from(rows).unwrap_or(u32::MAX))
}

/// What deleting the row of `kind` with id `id` removes, closes and unassigns; `NotFound` for
/// an unknown row. (Deleting a system removes its attachments too.)
pub async fn delete_preview(
    db: &impl ConnectionTrait,
    kind: EntityKind,
    id: &str,
) -> Result<DeletePreview, AppError> {
    let mut preview = DeletePreview {
        kind,
        id: id.to_string(),
        version: 0,
        removes: Vec::new(),
        closes_attachments: 0,
        unassigns_meters: 0,
    };
    let removes = match kind {
        EntityKind::System => {
            preview.version = find::<system::Entity>(db, kind, id).await?.version;
            system_contents(db, id).await?
        }
        EntityKind::InverterArray => inverter_array_contents(db, id, &mut preview).await?,
        EntityKind::BatteryArray => battery_array_contents(db, id, &mut preview).await?,
        EntityKind::Inverter => {
            preview.version = find::<inverter::Entity>(db, kind, id).await?.version;
            vec![(EntityKind::Adapter, device_adapters(db, id).await?)]
        }
        EntityKind::BatteryPack => {
            preview.version = find::<battery_pack::Entity>(db, kind, id).await?.version;
            vec![
                (
                    EntityKind::Battery,
                    count::<battery::Entity>(db, battery::Column::PackId.eq(id)).await?,
                ),
                (
                    EntityKind::BatteryCell,
                    count::<battery_cell::Entity>(db, battery_cell::Column::PackId.eq(id)).await?,
                ),
                (EntityKind::Adapter, device_adapters(db, id).await?),
            ]
        }
        EntityKind::Meter => {
            preview.version = find::<meter::Entity>(db, kind, id).await?.version;
            vec![(EntityKind::Adapter, device_adapters(db, id).await?)]
        }
        EntityKind::Adapter => {
            preview.version = find::<adapter::Entity>(db, kind, id).await?.version;
            let links = battery_pack_adapter::Column::AdapterId.eq(id);
            vec![(
                EntityKind::PackAdapter,
                count::<battery_pack_adapter::Entity>(db, links).await?,
            )]
        }
        other => {
            return Err(AppError::validation(
                "kind",
                format!("a {other} is not deleted on its own"),
            ));
        }
    };
    preview.removes = removes
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(kind, count)| KindCount { kind, count })
        .collect();
    Ok(preview)
}

async fn inverter_array_contents(
    db: &impl ConnectionTrait,
    id: &str,
    preview: &mut DeletePreview,
) -> Result<Vec<(EntityKind, u32)>, AppError> {
    let kind = EntityKind::InverterArray;
    preview.version = find::<inverter_array::Entity>(db, kind, id).await?.version;
    let inverters = Query::select()
        .column(inverter::Column::InverterId)
        .from(inverter::Entity)
        .and_where(inverter::Column::ArrayId.eq(id))
        .to_owned();
    let attachments = battery_array_attachment::Column::InverterArrayId;
    preview.closes_attachments = open_attachments(db, attachments, id).await?;
    preview.unassigns_meters = count::<meter::Entity>(db, meter::Column::ArrayId.eq(id)).await?;
    Ok(vec![
        (
            EntityKind::Inverter,
            count::<inverter::Entity>(db, inverter::Column::ArrayId.eq(id)).await?,
        ),
        (
            EntityKind::Adapter,
            count::<adapter::Entity>(db, adapter::Column::DeviceId.in_subquery(inverters)).await?,
        ),
    ])
}

async fn battery_array_contents(
    db: &impl ConnectionTrait,
    id: &str,
    preview: &mut DeletePreview,
) -> Result<Vec<(EntityKind, u32)>, AppError> {
    let kind = EntityKind::BatteryArray;
    preview.version = find::<battery_array::Entity>(db, kind, id).await?.version;
    let packs = Query::select()
        .column(battery_pack::Column::PackId)
        .from(battery_pack::Entity)
        .and_where(battery_pack::Column::BatteryArrayId.eq(id))
        .to_owned();
    let attachments = battery_array_attachment::Column::BatteryArrayId;
    preview.closes_attachments = open_attachments(db, attachments, id).await?;
    Ok(vec![
        (
            EntityKind::BatteryPack,
            count::<battery_pack::Entity>(db, battery_pack::Column::BatteryArrayId.eq(id)).await?,
        ),
        (
            EntityKind::Battery,
            count::<battery::Entity>(db, battery::Column::BatteryArrayId.eq(id)).await?,
        ),
        (
            EntityKind::BatteryCell,
            count::<battery_cell::Entity>(db, battery_cell::Column::BatteryArrayId.eq(id)).await?,
        ),
        (
            EntityKind::Adapter,
            count::<adapter::Entity>(db, adapter::Column::DeviceId.in_subquery(packs)).await?,
        ),
    ])
}

async fn device_adapters(db: &impl ConnectionTrait, device_id: &str) -> Result<u32, AppError> {
    count::<adapter::Entity>(db, adapter::Column::DeviceId.eq(device_id)).await
}

async fn open_attachments(
    db: &impl ConnectionTrait,
    column: battery_array_attachment::Column,
    id: &str,
) -> Result<u32, AppError> {
    let open = Condition::all()
        .add(column.eq(id))
        .add(battery_array_attachment::Column::DetachedAt.is_null());
    count::<battery_array_attachment::Entity>(db, open).await
}

/// Everything a system holds, per kind.
async fn system_contents(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Vec<(EntityKind, u32)>, AppError> {
    use EntityKind as K;
    Ok(vec![
        (
            K::InverterArray,
            count::<inverter_array::Entity>(db, inverter_array::Column::SystemId.eq(id)).await?,
        ),
        (
            K::Inverter,
            count::<inverter::Entity>(db, inverter::Column::SystemId.eq(id)).await?,
        ),
        (
            K::BatteryArray,
            count::<battery_array::Entity>(db, battery_array::Column::SystemId.eq(id)).await?,
        ),
        (
            K::BatteryPack,
            count::<battery_pack::Entity>(db, battery_pack::Column::SystemId.eq(id)).await?,
        ),
        (
            K::Battery,
            count::<battery::Entity>(db, battery::Column::SystemId.eq(id)).await?,
        ),
        (
            K::BatteryCell,
            count::<battery_cell::Entity>(db, battery_cell::Column::SystemId.eq(id)).await?,
        ),
        (
            K::Meter,
            count::<meter::Entity>(db, meter::Column::SystemId.eq(id)).await?,
        ),
        (
            K::Adapter,
            count::<adapter::Entity>(db, adapter::Column::SystemId.eq(id)).await?,
        ),
        (
            K::Attachment,
            count::<battery_array_attachment::Entity>(
                db,
                battery_array_attachment::Column::SystemId.eq(id),
            )
            .await?,
        ),
    ])
}
