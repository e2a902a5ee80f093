//! Protections: profiles in the database, deploying limits to the device with read-back and
//! rollback, the live alarm state machine ([`engine`]) with its journal ([`alarms`]), and the rule
//! that names each protection field among the registry's device variables ([`naming`]). This
//! module joins them into the operations the API offers: recall, save (validated) and deploy. The
//! shared types and the validation live in `model::protections`.

pub mod alarms;
pub mod deploy;
pub mod engine;
pub mod naming;
pub mod profiles;
pub mod prototype;

use std::collections::{HashMap, HashSet};

use entity::system_variable;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use self::alarms::Protections;
use self::deploy::{DeployOutcome, Deployed};
use crate::actor::Actor;
use crate::field::FieldIo;
use model::error::AppError;
use model::profiles::{DeploymentDetail, ProfileSummary, RecallSource, Recalled};
use model::protections::{LimitField, ProtectionSet, RegisterUnits, VariableInfo, validate};
use model::registry::FieldError;

/// What the registry knows about each quantity of `set`: a quantity is known when a registry
/// variable has its name, when it is measured by a configured variable, or when a device
/// variable holds one of its fields; its range is what the registers of its thresholds can hold.
pub async fn known_quantities(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    protections: &Protections,
    set: &ProtectionSet,
) -> Result<HashMap<String, VariableInfo>, AppError> {
    let config = protections.config();
    let fields = deploy::resolve_for_validation(db, field_io, protections.naming(), set).await?;
    let mut names: Vec<String> = set.keys().cloned().collect();
    names.extend(config.measure.values().map(|m| m.variable.clone()));
    // The units of the registers that hold the thresholds say the limits' unit.
    names.extend(
        fields
            .iter()
            .filter(|f| f.field == LimitField::Threshold)
            .filter_map(|f| f.variable.clone()),
    );
    let rows: Vec<(String, String)> = system_variable::Entity::find()
        .select_only()
        .columns([
            system_variable::Column::Name,
            system_variable::Column::Units,
        ])
        .filter(system_variable::Column::Name.is_in(names))
        .filter(system_variable::Column::Deleted.eq(false))
        .into_tuple()
        .all(db)
        .await?;
    let units: HashMap<String, String> = rows.into_iter().collect();
    let on_device: HashSet<&str> = fields
        .iter()
        .filter(|f| f.variable.is_some())
        .map(|f| f.quantity.as_str())
        .collect();
    let mut known = HashMap::new();
    for quantity in set.keys() {
        let measured = config
            .measure
            .get(quantity)
            .is_some_and(|m| units.contains_key(&m.variable));
        if !(units.contains_key(quantity) || measured || on_device.contains(quantity.as_str())) {
            continue;
        }
        let register_units = fields
            .iter()
            .filter(|f| &f.quantity == quantity && f.field == LimitField::Threshold)
            .find_map(|f| f.variable.as_ref().and_then(|v| units.get(v)));
        // Limits are in the unit the registers count (`0.1 °C` counts `°C`).
        let mut info = VariableInfo {
            min: None,
            max: None,
            units: register_units
                .or_else(|| units.get(quantity))
                .map(|text| RegisterUnits::parse(text).unit)
                .unwrap_or_default(),
        };
        for field in fields
            .iter()
            .filter(|f| &f.quantity == quantity && f.field == LimitField::Threshold)
        {
            if let Some((low, high)) = field.range {
                info.min = Some(info.min.map_or(low, |m: f64| m.max(low)));
                info.max = Some(info.max.map_or(high, |m: f64| m.min(high)));
            }
        }
        known.insert(quantity.clone(), info);
    }
    Ok(known)
}

/// All broken rules of `set` against what the registry knows.
pub async fn check(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    protections: &Protections,
    set: &ProtectionSet,
) -> Result<Vec<FieldError>, AppError> {
    let known = known_quantities(db, field_io, protections, set).await?;
    Ok(validate(set, &|name| known.get(name).cloned()))
}

/// The first broken rule as the error, with how many more there are.
fn first_error(errors: Vec<FieldError>) -> Result<(), AppError> {
    let count = errors.len();
    match errors.into_iter().next() {
        None => Ok(()),
        Some(first) if count == 1 => Err(first.into()),
        Some(first) => Err(AppError::validation(
            first.field,
            format!("{} (and {} more problems)", first.message, count - 1),
        )),
    }
}

/// Validates and saves `set` to the named profile, or the active one.
pub async fn save(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    protections: &Protections,
    profile: Option<&str>,
    set: &ProtectionSet,
    actor: &Actor,
) -> Result<ProfileSummary, AppError> {
    first_error(check(db, field_io, protections, set).await?)?;
    profiles::save(db, profile, set, actor).await
}

/// Saves, then deploys. The saved profile stays whatever the deploy's outcome; after a
/// successful deploy the alarm engine evaluates the new limits. The work runs on its own task,
/// one deploy at a time: a client that goes away mid-deploy cannot cut it short (half-written
/// limits), and two deploys never interleave their writes and restorations.
pub async fn save_and_deploy(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    protections: &Protections,
    profile: Option<&str>,
    set: &ProtectionSet,
    actor: &Actor,
) -> Result<DeploymentDetail, AppError> {
    save_and_deploy_with_outcome(db, field_io, protections, profile, set, actor)
        .await
        .map(|deployed| deployed.detail)
}

/// [`save_and_deploy`], also saying how the deploy ended: succeeded, refused before anything
/// was sent to the device (the set is at fault), or failed at the device.
pub async fn save_and_deploy_with_outcome(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    protections: &Protections,
    profile: Option<&str>,
    set: &ProtectionSet,
    actor: &Actor,
) -> Result<Deployed, AppError> {
    save_and_deploy_to_racks(db, field_io, protections, profile, set, None, actor).await
}

/// [`save_and_deploy_with_outcome`] on a multi-rack site: writes the limits of `racks` (`None`:
/// every rack the limits' paths name), each through that rack's best path. An empty list is
/// refused before anything is saved.
pub async fn save_and_deploy_to_racks(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    protections: &Protections,
    profile: Option<&str>,
    set: &ProtectionSet,
    racks: Option<&[i32]>,
    actor: &Actor,
) -> Result<Deployed, AppError> {
    if racks.is_some_and(<[i32]>::is_empty) {
        return Err(AppError::validation("racks", "choose at least one rack"));
    }
    let (db, field_io, protections) = (db.clone(), field_io.clone(), protections.clone());
    let (profile, set, actor) = (profile.map(String::from), set.clone(), actor.clone());
    let racks = racks.map(<[i32]>::to_vec);
    tokio::spawn(async move {
        let _one_at_a_time = protections.deploy_lock().await;
        let saved = save(
            &db,
            &field_io,
            &protections,
            profile.as_deref(),
            &set,
            &actor,
        )
        .await?;
        let deployed = deploy::deploy(
            &db,
            &field_io,
            protections.naming(),
            (saved.id, &saved.name, saved.version),
            &set,
            racks.as_deref(),
            &actor,
        )
        .await?;
        if deployed.outcome == DeployOutcome::Succeeded {
            protections.use_limits(&set);
        }
        Ok(deployed)
    })
    .await
    .map_err(|e| AppError::Internal(format!("the deploy task failed: {e}")))?
}

/// The factory defaults, laid into the active profile's form; without them, the default
/// profile.
async fn factory_defaults(
    db: &DatabaseConnection,
    protections: &Protections,
) -> Result<(ProfileSummary, ProtectionSet), AppError> {
    Ok(match protections.defaults() {
        Some(defaults) => (profiles::load(db, None).await?.0, defaults.clone()),
        None => profiles::load_default(db).await?,
    })
}

/// A set of limits from the active profile, the default one, a named one, or the device.
pub async fn recall(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    protections: &Protections,
    source: &RecallSource,
) -> Result<Recalled, AppError> {
    let (profile, set) = match source {
        RecallSource::Current | RecallSource::Device => profiles::load(db, None).await?,
        RecallSource::Default => factory_defaults(db, protections).await?,
        RecallSource::Profile(name) => profiles::load(db, Some(name)).await?,
    };
    let (set, console_only, read_errors) = match source {
        RecallSource::Device => {
            deploy::read_device(db, field_io, protections.naming(), &set).await?
        }
        _ => {
            let console_only = deploy::console_only_fields(db, protections.naming(), &set).await?;
            (set, console_only, Vec::new())
        }
    };
    let known = known_quantities(db, field_io, protections, &set)
        .await?
        .into_iter()
        .collect();
    let registers = deploy::register_hints(db, field_io, protections.naming(), &set).await?;
    Ok(Recalled {
        known,
        registers,
        source: source.as_string(),
        profile: profile.name,
        version: profile.version,
        protections: set,
        console_only,
        read_errors,
    })
}
