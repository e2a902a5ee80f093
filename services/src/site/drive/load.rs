//! What the site's field I/O polls, read from the catalog: every inverter, meter and battery
//! pack with its enabled adapters (a pack's in failover order: lower priority number first).

use std::collections::HashMap;

use entity::site::{adapter, battery_pack, battery_pack_adapter, inverter, meter, system};
use model::error::AppError;
use model::site::live::LiveDeviceKind;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

/// One adapter of a device, as the catalog holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterEntry {
    pub adapter_id: String,
    pub adapter_type: String,
    /// Lower first; 1 is a pack's primary.
    pub priority: i32,
    /// The instance configuration (JSON text).
    pub config_json: String,
}

/// One device to poll and its enabled adapters, in the order they are tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceEntry {
    pub system_id: String,
    pub kind: LiveDeviceKind,
    pub device_id: String,
    pub adapters: Vec<AdapterEntry>,
    /// Why nothing is polled when `adapters` is empty.
    pub note: Option<String>,
}

/// The catalog's devices at one system version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteDevices {
    pub version: i64,
    pub systems: Vec<String>,
    pub devices: Vec<DeviceEntry>,
}

/// Reads every system's devices and adapters (one query per table).
pub async fn load_devices(db: &DatabaseConnection) -> Result<SiteDevices, AppError> {
    let version = crate::system::system_version_of(db).await?;
    let systems: Vec<String> = system::Entity::find()
        .order_by_asc(system::Column::SystemId)
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.system_id)
        .collect();
    let adapters: HashMap<String, adapter::Model> = adapter::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.adapter_id.clone(), a))
        .collect();
    let mut devices = Vec::new();
    for row in inverter::Entity::find()
        .order_by_asc(inverter::Column::InverterId)
        .all(db)
        .await?
    {
        devices.push(single_adapter_device(
            &adapters,
            row.system_id,
            LiveDeviceKind::Inverter,
            row.inverter_id,
            row.adapter_id,
        ));
    }
    for row in meter::Entity::find()
        .order_by_asc(meter::Column::MeterId)
        .all(db)
        .await?
    {
        devices.push(single_adapter_device(
            &adapters,
            row.system_id,
            LiveDeviceKind::Meter,
            row.meter_id,
            row.adapter_id,
        ));
    }
    devices.extend(pack_devices(db, &adapters).await?);
    Ok(SiteDevices {
        version,
        systems,
        devices,
    })
}

/// An adapter of the catalog as a device uses it, at `priority`.
fn adapter_entry(adapter: &adapter::Model, priority: i32) -> AdapterEntry {
    AdapterEntry {
        adapter_id: adapter.adapter_id.clone(),
        adapter_type: adapter.adapter_type.clone(),
        priority,
        config_json: adapter.config_json.clone(),
    }
}

/// An inverter or a meter with its one adapter, or with the reason it has none to poll.
fn single_adapter_device(
    adapters: &HashMap<String, adapter::Model>,
    system_id: String,
    kind: LiveDeviceKind,
    device_id: String,
    adapter_id: Option<String>,
) -> DeviceEntry {
    let found = adapter_id.as_ref().and_then(|id| adapters.get(id));
    let (adapters, note) = match (adapter_id.as_ref(), found) {
        (None, _) => (Vec::new(), Some("no adapter".to_string())),
        (Some(id), None) => (Vec::new(), Some(format!("its adapter {id} does not exist"))),
        (Some(id), Some(a)) if !a.enabled => {
            (Vec::new(), Some(format!("its adapter {id} is disabled")))
        }
        (Some(_), Some(a)) => (vec![adapter_entry(a, a.priority)], None),
    };
    DeviceEntry {
        system_id,
        kind,
        device_id,
        adapters,
        note,
    }
}

/// Every battery pack with its enabled adapters in failover order (lower priority number
/// first), or with the reason it has none to poll.
async fn pack_devices(
    db: &DatabaseConnection,
    adapters: &HashMap<String, adapter::Model>,
) -> Result<Vec<DeviceEntry>, AppError> {
    let mut links: HashMap<String, Vec<battery_pack_adapter::Model>> = HashMap::new();
    for link in battery_pack_adapter::Entity::find().all(db).await? {
        links.entry(link.pack_id.clone()).or_default().push(link);
    }
    let mut devices = Vec::new();
    for pack in battery_pack::Entity::find()
        .order_by_asc(battery_pack::Column::PackId)
        .all(db)
        .await?
    {
        let mut pack_links = links.remove(&pack.pack_id).unwrap_or_default();
        pack_links.sort_by(|a, b| (a.priority, &a.adapter_id).cmp(&(b.priority, &b.adapter_id)));
        let linked = pack_links.len();
        let enabled: Vec<AdapterEntry> = pack_links
            .iter()
            .filter(|link| link.enabled)
            .filter_map(|link| {
                adapters
                    .get(&link.adapter_id)
                    .filter(|a| a.enabled)
                    .map(|a| adapter_entry(a, link.priority))
            })
            .collect();
        let note = match (linked, enabled.is_empty()) {
            (0, _) => Some("no adapter".to_string()),
            (_, true) => Some("every adapter is disabled".to_string()),
            _ => None,
        };
        devices.push(DeviceEntry {
            system_id: pack.system_id,
            kind: LiveDeviceKind::BatteryPack,
            device_id: pack.pack_id,
            adapters: enabled,
            note,
        });
    }
    Ok(devices)
}
