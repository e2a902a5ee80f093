//! The structure a site starts with (seed 002 §6.5): system `system`, inverter array `array1`
//! and battery array `battery_array1`, attached. Created once, for a site that never had a
//! structure: not again after someone deleted it (the change log remembers).

use entity::site::{change_log, system};
use sea_orm::{DatabaseConnection, EntityTrait};

use crate::actor::Actor;
use model::error::AppError;
use model::site::plan::plan_at;
use model::site::spec::{
    AttachmentSpec, BatteryArraySpec, DEFAULT_TIMEZONE, InverterArraySpec, SiteSpec, SystemSpec,
};

use super::rows::rfc3339;
use super::spec::apply_plan;
use super::store::{Writer, begin};

/// Seed 002 §6.5's default structure, attached since `since` (RFC 3339).
pub fn default_spec(since: &str) -> SiteSpec {
    SiteSpec {
        system: SystemSpec {
            id: "system".into(),
            name: "My Solar System".into(),
            description: Some("Auto-created default system".into()),
            timezone: DEFAULT_TIMEZONE.into(),
        },
        inverter_arrays: vec![InverterArraySpec {
            id: "array1".into(),
            name: "Default Inverter Array".into(),
        }],
        battery_arrays: vec![BatteryArraySpec {
            id: "battery_array1".into(),
            name: "Default Battery Array".into(),
        }],
        attachments: vec![AttachmentSpec {
            battery_array_id: "battery_array1".into(),
            inverter_array_id: "array1".into(),
            attached_since: Some(since.to_string()),
            detached_at: None,
        }],
        ..SiteSpec::default()
    }
}

/// Creates the default structure when the database has no system and its site change log is
/// empty; whether it did. Safe to call at every start-up and from several tasks at once.
pub async fn ensure_default_structure(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<bool, AppError> {
    let txn = begin(db).await?;
    let any_system = system::Entity::find().one(&txn).await?.is_some();
    let any_change = change_log::Entity::find().one(&txn).await?.is_some();
    if any_system || any_change {
        txn.rollback().await?;
        return Ok(false);
    }
    let mut writer = Writer::new(&txn, actor, "system").await?;
    let spec = default_spec(&rfc3339(writer.now));
    let plan = plan_at(None, &spec, false, &rfc3339(writer.now));
    apply_plan(&mut writer, None, &spec, &plan).await?;
    writer.finish().await?;
    txn.commit().await?;
    Ok(true)
}
