//! Server functions of the Protections page: recall, save, preview and deploy limits; profile
//! actions; deployment history; alarm states, journal and acknowledgement.

use leptos::prelude::*;

use model::error::AppError;
use model::profiles::{
    AlarmRow, DeployPreview, DeploymentDetail, DeploymentSummary, JournalEntry, ProfileSummary,
    Recalled,
};
use model::protections::{Level, ProtectionSet, Side};

/// Limits from `current`, `default`, `profile:NAME` or `device` (read live).
#[server(endpoint = "recall_protections")]
pub async fn recall_protections(source: String) -> Result<Recalled, AppError> {
    use model::profiles::RecallSource;
    let state = crate::ssr::state::app_state()?;
    let source = RecallSource::parse(&source).ok_or_else(|| {
        AppError::validation(
            "source",
            "expected current, default, profile:NAME or device",
        )
    })?;
    // Reading what the device holds asks the device: an operator's permission, not a viewer's.
    if source == RecallSource::Device {
        crate::ssr::caller::require(model::auth::Permission::ReadDevicesNow).await?;
    }
    services::protections::recall(&state.db, &state.field, &state.protections, &source).await
}

/// Validates and saves to the named profile (or the active one); deploys nothing.
#[server(input = leptos::server_fn::codec::Json, endpoint = "save_protections")]
pub async fn save_protections(
    profile: Option<String>,
    protections: ProtectionSet,
) -> Result<ProfileSummary, AppError> {
    let state = crate::ssr::state::app_state()?;
    let (db, field) = (&state.db, &state.field);
    services::protections::save(
        db,
        field,
        &state.protections,
        profile.as_deref(),
        &protections,
        &crate::ssr::caller::actor().await?,
    )
    .await
}

/// What a deploy would write: the device's values beside the form's, nothing written.
#[server(input = leptos::server_fn::codec::Json, endpoint = "preview_deploy")]
pub async fn preview_deploy(
    profile: String,
    protections: ProtectionSet,
) -> Result<DeployPreview, AppError> {
    let state = crate::ssr::state::app_state()?;
    let naming = state.protections.naming();
    services::protections::deploy::preview(&state.db, &state.field, naming, &profile, &protections)
        .await
}

/// Saves, then writes to the device with read-back (restoring the device on any failure); on a
/// multi-rack site to the chosen `racks` (`None`: every rack).
#[server(input = leptos::server_fn::codec::Json, endpoint = "deploy_protections")]
pub async fn deploy_protections(
    profile: Option<String>,
    protections: ProtectionSet,
    racks: Option<Vec<i32>>,
) -> Result<DeploymentDetail, AppError> {
    let state = crate::ssr::state::app_state()?;
    services::protections::save_and_deploy_to_racks(
        &state.db,
        &state.field,
        &state.protections,
        profile.as_deref(),
        &protections,
        racks.as_deref(),
        &crate::ssr::caller::actor().await?,
    )
    .await
    .map(|deployed| deployed.detail)
}

#[server(endpoint = "list_profiles")]
pub async fn list_profiles() -> Result<Vec<ProfileSummary>, AppError> {
    let state = crate::ssr::state::app_state()?;
    services::protections::profiles::list(&state.db).await
}

/// A new profile, empty or cloned from `clone_from`.
#[server(endpoint = "create_profile")]
pub async fn create_profile(
    name: String,
    description: String,
    clone_from: Option<String>,
) -> Result<ProfileSummary, AppError> {
    let state = crate::ssr::state::app_state()?;
    let profiles = services::protections::profiles::create;
    profiles(
        &state.db,
        &name,
        &description,
        clone_from.as_deref(),
        &crate::ssr::caller::actor().await?,
    )
    .await
}

#[server(endpoint = "rename_profile")]
pub async fn rename_profile(name: String, new_name: String) -> Result<ProfileSummary, AppError> {
    let state = crate::ssr::state::app_state()?;
    let rename = services::protections::profiles::rename;
    rename(
        &state.db,
        &name,
        Some(&new_name),
        None,
        &crate::ssr::caller::actor().await?,
    )
    .await
}

#[server(endpoint = "delete_profile")]
pub async fn delete_profile(name: String) -> Result<(), AppError> {
    let state = crate::ssr::state::app_state()?;
    let actor = crate::ssr::caller::actor().await?;
    services::protections::profiles::delete(&state.db, &name, &actor).await
}

#[server(endpoint = "activate_profile")]
pub async fn activate_profile(name: String) -> Result<ProfileSummary, AppError> {
    let state = crate::ssr::state::app_state()?;
    services::protections::profiles::activate(&state.db, &name, &crate::ssr::caller::actor().await?)
        .await
}

/// The latest deployments, newest first.
#[server(endpoint = "deployment_history")]
pub async fn deployment_history() -> Result<Vec<DeploymentSummary>, AppError> {
    let state = crate::ssr::state::app_state()?;
    services::protections::deploy::history(&state.db, 20).await
}

#[server(endpoint = "get_deployment")]
pub async fn get_deployment(id: i64) -> Result<DeploymentDetail, AppError> {
    let state = crate::ssr::state::app_state()?;
    services::protections::deploy::detail(&state.db, id).await
}

/// Every enabled level with its live state (raised first) and the latest journal lines.
/// What the alarm views show: every level's state (active first), the latest journal lines,
/// and the units of the quantities they name.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AlarmSnapshot {
    pub rows: Vec<AlarmRow>,
    pub journal: Vec<JournalEntry>,
    /// Units by quantity (registry variable) name; a quantity without units is absent.
    pub units: std::collections::BTreeMap<String, String>,
}

impl AlarmSnapshot {
    /// `63 %`: a value with its quantity's units (a dash for none).
    pub fn with_units(&self, variable: &str, value: Option<f64>) -> String {
        let Some(value) = value else {
            return "—".to_string();
        };
        let number = model::field::format_number(value);
        match self.units.get(variable) {
            Some(units) => format!("{number} {units}"),
            None => number,
        }
    }
}

#[server(endpoint = "alarm_overview")]
pub async fn alarm_overview() -> Result<AlarmSnapshot, AppError> {
    let state = crate::ssr::state::app_state()?;
    let journal = services::protections::alarms::journal(&state.db, 50).await?;
    let rows = state.protections.states();
    let mut names: Vec<String> = rows
        .iter()
        .map(|row| row.view.variable.clone())
        .chain(journal.iter().map(|entry| entry.variable.clone()))
        .collect();
    names.sort();
    names.dedup();
    let units = services::registry::query::get_variables(&state.db, &names)
        .await?
        .into_iter()
        .filter(|variable| !variable.units.is_empty())
        .map(|variable| (variable.name, variable.units))
        .collect();
    Ok(AlarmSnapshot {
        rows,
        journal,
        units,
    })
}

/// What the Protections grid follows live: every level's state and the measurement of each
/// quantity it shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LimitsLive {
    pub rows: Vec<AlarmRow>,
    pub measured: Vec<model::protections::Measured>,
}

#[server(endpoint = "grid_live")]
pub async fn grid_live(quantities: Vec<String>) -> Result<LimitsLive, AppError> {
    let state = crate::ssr::state::app_state()?;
    Ok(LimitsLive {
        rows: state.protections.states(),
        measured: state.protections.measured(&state.field, &quantities),
    })
}

#[server(endpoint = "acknowledge_alarm")]
pub async fn acknowledge_alarm(variable: String, side: Side, level: Level) -> Result<(), AppError> {
    let state = crate::ssr::state::app_state()?;
    let actor = crate::ssr::caller::actor().await?;
    let protections = &state.protections;
    protections
        .acknowledge(&state.db, &variable, side, level, &actor)
        .await
}
