//! The site at a glance for the Overview: the selected system's structure in summary, its key
//! live values and its devices' health (`model::site::glance` does the arithmetic).

use model::error::AppError;
use model::site::glance::{SiteGlance, device_health, key_values};
use model::site::live::SiteLive;
use sea_orm::ConnectionTrait;

use super::tree::{systems, tree};

/// Every system, and `system` (or the first one) at a glance. `live` answers a system's live
/// values; none when the site's field I/O is not running (then `live_message` says so).
pub async fn glance(
    db: &impl ConnectionTrait,
    system: Option<&str>,
    live: impl FnOnce(&str) -> Option<SiteLive>,
) -> Result<SiteGlance, AppError> {
    let systems = systems(db).await?;
    let selected = match system.filter(|s| !s.is_empty()) {
        Some(id) => Some(
            systems
                .iter()
                .find(|s| s.id == id)
                .cloned()
                .ok_or_else(|| AppError::NotFound(format!("system {id:?}")))?,
        ),
        None => systems.first().cloned(),
    };
    let Some(summary) = selected else {
        return Ok(SiteGlance {
            systems,
            system: None,
            attachments: Vec::new(),
            key_values: Vec::new(),
            health: Default::default(),
            live_message: Some("the site has no system yet".into()),
            period_ms: None,
        });
    };
    let tree = tree(db, &summary.id).await?;
    let name_of_inverter_array = |id: &str| {
        tree.inverter_arrays
            .iter()
            .find(|a| a.id == id)
            .map_or_else(|| id.to_string(), |a| a.name.clone())
    };
    let attachments = tree
        .battery_arrays
        .iter()
        .filter_map(|b| {
            b.attached_to
                .as_deref()
                .map(|to| (b.name.clone(), name_of_inverter_array(to)))
        })
        .collect();
    let (key_values, health, live_message, period_ms) = match live(&summary.id) {
        Some(live) => (
            key_values(&tree, &live),
            device_health(&live),
            None,
            Some(live.period_ms),
        ),
        None => (
            Vec::new(),
            Default::default(),
            Some("the site's adapters are not polled by this server".into()),
            None,
        ),
    };
    Ok(SiteGlance {
        systems,
        system: Some(summary),
        attachments,
        key_values,
        health,
        live_message,
        period_ms,
    })
}
