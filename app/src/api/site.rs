//! Server functions of the Site page: the systems and the tree of one, what a delete would take
//! with it, and the page's writes (create, change, delete, attach) of arrays, inverters, packs
//! and meters. Changes and deletes carry the row version the form was opened at. The forms post
//! their inputs as typed text, so they also work before the page is hydrated: a blank optional
//! field is none, a number that is not one is refused with the field's name.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use model::error::AppError;
use model::site::tree::{DeletePreview, EntityKind, SiteTree, SystemSummary};

/// What the Site page shows: every system, and the tree of the one selected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteOverview {
    pub systems: Vec<SystemSummary>,
    /// The selected system's tree (the first system's when none is asked for); none when the
    /// site has no system.
    pub tree: Option<SiteTree>,
}

/// Parsing the forms' text inputs into the DTOs the services take.
#[cfg(feature = "ssr")]
mod form {
    use model::error::AppError;
    use model::site::spec::{MeterType, PhaseType};

    /// A blank input is none; otherwise the text, trimmed.
    pub(super) fn optional(text: &str) -> Option<String> {
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_string())
    }

    pub(super) fn number(field: &str, text: &str) -> Result<Option<f64>, AppError> {
        optional(text)
            .map(|t| {
                t.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| AppError::validation(field, format!("{t:?} is not a number")))
            })
            .transpose()
    }

    pub(super) fn count(field: &str, text: &str) -> Result<u32, AppError> {
        let text = text.trim();
        text.parse::<u32>()
            .map_err(|_| AppError::validation(field, "enter a whole number"))
    }

    pub(super) fn phase(text: &str) -> Result<Option<PhaseType>, AppError> {
        optional(text)
            .map(|t| {
                PhaseType::ALL
                    .into_iter()
                    .find(|p| p.as_str() == t)
                    .ok_or_else(|| AppError::validation("phase_type", "single, three or auto"))
            })
            .transpose()
    }

    pub(super) fn meter_type(text: &str) -> Result<Option<MeterType>, AppError> {
        optional(text)
            .map(|t| {
                MeterType::ALL
                    .into_iter()
                    .find(|m| m.as_str() == t)
                    .ok_or_else(|| {
                        AppError::validation("meter_type", "grid, consumption or production")
                    })
            })
            .transpose()
    }
}

#[cfg(feature = "ssr")]
fn db() -> Result<sea_orm::DatabaseConnection, AppError> {
    Ok(crate::ssr::state::app_state()?.db)
}

/// Every system, and the tree of `system` (or of the first system when none is given).
#[server(endpoint = "get_site")]
pub async fn get_site(system: Option<String>) -> Result<SiteOverview, AppError> {
    let db = db()?;
    let systems = services::site::systems(&db).await?;
    let selected = system
        .filter(|s| !s.is_empty())
        .or_else(|| systems.first().map(|s| s.id.clone()));
    let tree = match selected {
        Some(id) => Some(services::site::tree(&db, &id).await?),
        None => None,
    };
    Ok(SiteOverview { systems, tree })
}

/// The live state of `system`'s devices (which adapter serves each, and how it answers); none
/// when this server does not poll the site (benches, some tests) or the system is not polled yet.
#[server(endpoint = "get_site_live")]
pub async fn get_site_live(
    system: Option<String>,
) -> Result<Option<model::site::live::SiteLive>, AppError> {
    let Ok(axum::Extension(site_io)) =
        leptos_axum::extract::<axum::Extension<services::site::drive::SiteIo>>().await
    else {
        return Ok(None);
    };
    // No system named: the first one, as `get_site` shows it.
    let system = match system.filter(|s| !s.is_empty()) {
        Some(id) => id,
        None => match services::site::systems(&db()?).await?.into_iter().next() {
            Some(first) => first.id,
            None => return Ok(None),
        },
    };
    Ok(site_io.live(&system))
}

/// What deleting the row would take with it, and its version to delete at.
#[server(endpoint = "preview_site_delete")]
pub async fn preview_site_delete(kind: EntityKind, id: String) -> Result<DeletePreview, AppError> {
    services::site::delete_preview(&db()?, kind, &id).await
}

/// Deletes a row of `kind` if it is still at `expected_version` (the preview's).
#[server(endpoint = "delete_site_row")]
pub async fn delete_site_row(
    kind: EntityKind,
    id: String,
    expected_version: i64,
) -> Result<(), AppError> {
    use services::site as s;
    let (db, who) = (db()?, crate::ssr::caller::actor().await?);
    match kind {
        EntityKind::InverterArray => {
            s::delete_inverter_array(&db, &id, expected_version, &who).await
        }
        EntityKind::BatteryArray => s::delete_battery_array(&db, &id, expected_version, &who).await,
        EntityKind::Inverter | EntityKind::BatteryPack | EntityKind::Meter => {
            s::delete_device(&db, kind, &id, expected_version, &who).await
        }
        EntityKind::Adapter => s::delete_adapter(&db, &id, expected_version, &who).await,
        other => Err(AppError::validation(
            "kind",
            format!("the Site page does not delete a {other}"),
        )),
    }
}

/// A new inverter array or battery array (`kind`) of a system.
#[server(endpoint = "create_site_array")]
pub async fn create_site_array(
    kind: EntityKind,
    system_id: String,
    id: String,
    name: String,
) -> Result<i64, AppError> {
    use model::site::spec::{BatteryArraySpec, InverterArraySpec};
    let (db, who, id) = (
        db()?,
        crate::ssr::caller::actor().await?,
        id.trim().to_string(),
    );
    match kind {
        EntityKind::InverterArray => {
            let spec = InverterArraySpec { id, name };
            services::site::create_inverter_array(&db, &system_id, &spec, &who).await
        }
        EntityKind::BatteryArray => {
            let spec = BatteryArraySpec { id, name };
            services::site::create_battery_array(&db, &system_id, &spec, &who).await
        }
        other => Err(AppError::validation(
            "kind",
            format!("{other} is not an array"),
        )),
    }
}

/// Renames an inverter array or battery array (`kind`) if it is still at `expected_version`.
#[server(endpoint = "rename_site_array")]
pub async fn rename_site_array(
    kind: EntityKind,
    id: String,
    expected_version: i64,
    name: String,
) -> Result<i64, AppError> {
    use services::site as s;
    let (db, who) = (db()?, crate::ssr::caller::actor().await?);
    let patch = model::site::tree::ArrayPatch { name: Some(name) };
    match kind {
        EntityKind::InverterArray => {
            s::update_inverter_array(&db, &id, &patch, expected_version, &who).await
        }
        EntityKind::BatteryArray => {
            s::update_battery_array(&db, &id, &patch, expected_version, &who).await
        }
        other => Err(AppError::validation(
            "kind",
            format!("{other} is not an array"),
        )),
    }
}

/// Attaches a battery array to an inverter array from now on (its open attachment is closed
/// and kept as history).
#[server(endpoint = "attach_battery_array")]
pub async fn attach_battery_array(
    battery_array_id: String,
    inverter_array_id: String,
) -> Result<i64, AppError> {
    let db = db()?;
    services::site::attach(
        &db,
        &battery_array_id,
        &inverter_array_id,
        &crate::ssr::caller::actor().await?,
    )
    .await
}

/// Ends the battery array's open attachment now (kept as history).
#[server(endpoint = "detach_battery_array")]
pub async fn detach_battery_array(battery_array_id: String) -> Result<i64, AppError> {
    services::site::detach(
        &db()?,
        &battery_array_id,
        &crate::ssr::caller::actor().await?,
    )
    .await
}

/// The inputs of the inverter form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InverterForm {
    pub array_id: String,
    pub name: String,
    pub model: String,
    pub serial_number: String,
    pub vendor: String,
    pub phase_type: String,
}

#[server(endpoint = "create_inverter")]
pub async fn create_inverter(id: String, form: InverterForm) -> Result<i64, AppError> {
    let spec = model::site::spec::InverterSpec {
        id: id.trim().to_string(),
        array_id: form.array_id,
        name: form.name,
        model: form::optional(&form.model),
        serial_number: form::optional(&form.serial_number),
        vendor: form::optional(&form.vendor),
        phase_type: form::phase(&form.phase_type)?,
        adapter: None,
    };
    services::site::create_inverter(&db()?, &spec, &crate::ssr::caller::actor().await?).await
}

#[server(endpoint = "update_inverter")]
pub async fn update_inverter(
    id: String,
    expected_version: i64,
    form: InverterForm,
) -> Result<i64, AppError> {
    let patch = model::site::tree::InverterPatch {
        array_id: Some(form.array_id),
        name: Some(form.name),
        model: Some(form::optional(&form.model)),
        serial_number: Some(form::optional(&form.serial_number)),
        vendor: Some(form::optional(&form.vendor)),
        phase_type: Some(form::phase(&form.phase_type)?),
    };
    services::site::update_inverter(
        &db()?,
        &id,
        &patch,
        expected_version,
        &crate::ssr::caller::actor().await?,
    )
    .await
}

/// The inputs of the battery pack form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PackForm {
    pub battery_array_id: String,
    pub name: String,
    pub chemistry: String,
    pub nominal_kwh: String,
    pub max_charge_kw: String,
    pub max_discharge_kw: String,
    pub batteries: String,
    pub cells_per_battery: String,
    pub cell_nominal_voltage: String,
}

#[server(endpoint = "create_battery_pack")]
pub async fn create_battery_pack(id: String, form: PackForm) -> Result<i64, AppError> {
    let spec = model::site::spec::BatteryPackSpec {
        id: id.trim().to_string(),
        battery_array_id: form.battery_array_id,
        name: form.name,
        chemistry: form::optional(&form.chemistry),
        nominal_kwh: form::number("nominal_kwh", &form.nominal_kwh)?,
        max_charge_kw: form::number("max_charge_kw", &form.max_charge_kw)?,
        max_discharge_kw: form::number("max_discharge_kw", &form.max_discharge_kw)?,
        batteries: form::count("batteries", &form.batteries)?,
        cells_per_battery: form::count("cells_per_battery", &form.cells_per_battery)?,
        cell_nominal_voltage: form::number("cell_nominal_voltage", &form.cell_nominal_voltage)?,
        adapters: Vec::new(),
    };
    services::site::create_battery_pack(&db()?, &spec, &crate::ssr::caller::actor().await?).await
}

#[server(endpoint = "update_battery_pack")]
pub async fn update_battery_pack(
    id: String,
    expected_version: i64,
    form: PackForm,
) -> Result<i64, AppError> {
    let patch = model::site::tree::BatteryPackPatch {
        battery_array_id: Some(form.battery_array_id),
        name: Some(form.name),
        chemistry: Some(form::optional(&form.chemistry)),
        nominal_kwh: Some(form::number("nominal_kwh", &form.nominal_kwh)?),
        max_charge_kw: Some(form::number("max_charge_kw", &form.max_charge_kw)?),
        max_discharge_kw: Some(form::number("max_discharge_kw", &form.max_discharge_kw)?),
        batteries: Some(form::count("batteries", &form.batteries)?),
        cells_per_battery: Some(form::count("cells_per_battery", &form.cells_per_battery)?),
        cell_nominal_voltage: Some(form::number(
            "cell_nominal_voltage",
            &form.cell_nominal_voltage,
        )?),
    };
    services::site::update_battery_pack(
        &db()?,
        &id,
        &patch,
        expected_version,
        &crate::ssr::caller::actor().await?,
    )
    .await
}

/// The inputs of the meter form, as typed; a blank `array_id` is a system-level meter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MeterForm {
    pub array_id: String,
    pub name: String,
    pub model: String,
    pub meter_type: String,
}

#[server(endpoint = "create_meter")]
pub async fn create_meter(system_id: String, id: String, form: MeterForm) -> Result<i64, AppError> {
    let spec = model::site::spec::MeterSpec {
        id: id.trim().to_string(),
        name: form.name,
        array_id: form::optional(&form.array_id),
        model: form::optional(&form.model),
        meter_type: form::meter_type(&form.meter_type)?,
        adapter: None,
    };
    services::site::create_meter(
        &db()?,
        &system_id,
        &spec,
        &crate::ssr::caller::actor().await?,
    )
    .await
}

#[server(endpoint = "update_meter")]
pub async fn update_meter(
    id: String,
    expected_version: i64,
    form: MeterForm,
) -> Result<i64, AppError> {
    let patch = model::site::tree::MeterPatch {
        name: Some(form.name),
        array_id: Some(form::optional(&form.array_id)),
        model: Some(form::optional(&form.model)),
        meter_type: Some(form::meter_type(&form.meter_type)?),
    };
    services::site::update_meter(
        &db()?,
        &id,
        &patch,
        expected_version,
        &crate::ssr::caller::actor().await?,
    )
    .await
}

/// The inputs of an adapter form, as typed: the type, a name, for a pack's adapter its
/// priority and whether it is enabled (a checkbox: absent when not ticked), and the
/// configuration's inputs by property name (`form[config][host]`), read with the form the
/// type's schema generates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdapterForm {
    pub adapter_type: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub enabled: Option<String>,
    #[serde(default)]
    pub config: std::collections::BTreeMap<String, String>,
}

/// The built-in catalog, its schemas compiled once.
#[cfg(feature = "ssr")]
fn catalog() -> Result<&'static services::site::adapter_types::AdapterCatalog, AppError> {
    use services::site::adapter_types::AdapterCatalog;
    static CATALOG: std::sync::OnceLock<Result<AdapterCatalog, String>> =
        std::sync::OnceLock::new();
    CATALOG
        .get_or_init(|| AdapterCatalog::builtin().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| AppError::Internal(e.clone()))
}

/// The configuration of an adapter form, checked by the type's schema: the first problem (the
/// form shows all of them as you type) is the error of the field its pointer names
/// (`config/host`). A type this build cannot drive is refused.
#[cfg(feature = "ssr")]
fn checked_config(form: &AdapterForm) -> Result<serde_json::Value, AppError> {
    use model::site::adapters::form::ConfigForm;
    let catalog = catalog()?;
    let adapter = catalog.get(&form.adapter_type).ok_or_else(|| {
        AppError::validation(
            "adapter_type",
            format!("{:?} is not an adapter type", form.adapter_type),
        )
    })?;
    if !adapter.drivable {
        let reason = adapter.not_drivable_reason.clone().unwrap_or_default();
        return Err(AppError::validation(
            "adapter_type",
            format!("not drivable in this build: {reason}"),
        ));
    }
    let (config, mut problems) =
        ConfigForm::from_schema(&adapter.config_schema).config(&form.config);
    problems.extend(catalog.validate(&form.adapter_type, &config));
    match problems.into_iter().next() {
        Some(p) => Err(AppError::validation(
            format!("config{}", p.pointer),
            format!(
                "{} ({} at {})",
                p.message,
                p.rule,
                if p.pointer.is_empty() {
                    "/"
                } else {
                    &p.pointer
                }
            ),
        )),
        None => Ok(config),
    }
}

#[cfg(feature = "ssr")]
fn adapter_priority(text: &str) -> Result<i32, AppError> {
    form::optional(text).map_or(Ok(1), |t| {
        t.parse::<i32>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| AppError::validation("priority", "a whole number from 1 (1 = 1st)"))
    })
}

/// Every problem of `config` (JSON text) against the schema of `adapter_type`, as the server's
/// `ConfigValidator` finds them: the adapter forms ask as you type, so the browser shows exactly
/// what a save would refuse.
#[server(endpoint = "check_adapter_config")]
pub async fn check_adapter_config(
    adapter_type: String,
    config: String,
) -> Result<Vec<model::site::adapters::ConfigProblem>, AppError> {
    let config: serde_json::Value = serde_json::from_str(&config)
        .map_err(|e| AppError::validation("config", format!("not JSON: {e}")))?;
    Ok(catalog()?.validate(&adapter_type, &config))
}

/// Every adapter type this server knows, for the adapter forms (their schemas generate them).
#[server(endpoint = "get_adapter_types")]
pub async fn get_adapter_types() -> Result<Vec<model::site::adapters::AdapterType>, AppError> {
    Ok(catalog()?.list().into_iter().cloned().collect())
}

/// Gives a device (an inverter, a meter: its one adapter; a pack: one more) an adapter.
#[server(endpoint = "create_site_adapter")]
pub async fn create_site_adapter(
    device_kind: EntityKind,
    device_id: String,
    id: String,
    form: AdapterForm,
) -> Result<i64, AppError> {
    let config = checked_config(&form)?;
    let pack = device_kind == EntityKind::BatteryPack;
    let spec = model::site::spec::AdapterSpec {
        id: id.trim().to_string(),
        adapter_type: form.adapter_type,
        name: form::optional(&form.name),
        config,
        priority: if pack {
            adapter_priority(&form.priority)?
        } else {
            1
        },
        enabled: !pack || form.enabled.is_some(),
    };
    services::site::create_adapter(
        &db()?,
        &device_id,
        &spec,
        &crate::ssr::caller::actor().await?,
    )
    .await
}

/// Changes an adapter (type, name, configuration; for a pack's, its priority and whether it is
/// enabled) if it is still at `expected_version`.
#[server(endpoint = "update_site_adapter")]
pub async fn update_site_adapter(
    id: String,
    expected_version: i64,
    device_kind: EntityKind,
    form: AdapterForm,
) -> Result<i64, AppError> {
    let config = checked_config(&form)?;
    let pack = device_kind == EntityKind::BatteryPack;
    let patch = model::site::tree::AdapterPatch {
        adapter_type: Some(form.adapter_type),
        name: Some(form::optional(&form.name)),
        config: Some(config),
        priority: if pack {
            Some(adapter_priority(&form.priority)?)
        } else {
            None
        },
        enabled: pack.then_some(form.enabled.is_some()),
    };
    services::site::update_adapter(
        &db()?,
        &id,
        &patch,
        expected_version,
        &crate::ssr::caller::actor().await?,
    )
    .await
}

/// How long Test connection waits for the device.
#[cfg(feature = "ssr")]
const TEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Builds the adapter from a form's type and configuration (`config`: JSON text) and reads each
/// of its quantities once, read-only, writing nothing (`services::site::probe`).
#[server(endpoint = "test_adapter_connection")]
pub async fn test_adapter_connection(
    adapter_type: String,
    config: String,
) -> Result<Vec<model::site::live::Reading>, AppError> {
    crate::ssr::caller::require(model::auth::Permission::ReadDevicesNow).await?;
    let config: serde_json::Value = serde_json::from_str(&config)
        .map_err(|e| AppError::validation("config", format!("not JSON: {e}")))?;
    let adapter = catalog()?.get(&adapter_type).ok_or_else(|| {
        AppError::validation(
            "adapter_type",
            format!("{adapter_type:?} is not an adapter type"),
        )
    })?;
    services::site::probe(adapter, &config, TEST_TIMEOUT).await
}
