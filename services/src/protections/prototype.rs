//! The original prototype's protections API as services: save (only what the payload names),
//! recall (`current` or `default`) and deploy (only the posted fields, through the same deploy
//! as `/api/v1`: read-back, rollback, a recorded deployment). The HTTP routes call these and
//! shape the answers; the payloads are `model::protections::prototype`.

use sea_orm::DatabaseConnection;

use super::alarms::Protections;
use super::deploy::{self, DeployOutcome};
use super::{check, factory_defaults, first_error, profiles};
use crate::actor::Actor;
use crate::field::FieldIo;
use model::error::AppError;
use model::profiles::{DeploymentDetail, ProfileSummary};
use model::protections::ProtectionSet;
use model::protections::prototype::{
    PostedFields, ProtectionConfigIn, ProtectionsOk, PrototypeRecall, PrototypeSource,
};
use model::registry::FieldError;

/// How often a save re-reads the profile when another save got in between.
const SAVE_ATTEMPTS: usize = 5;

/// Why a prototype save or deploy did not succeed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PrototypeError {
    /// Unknown sides, levels or keys, unknown quantities, or limits that break a rule: every
    /// problem, each with its path in the body (`protections.soc.max.warning.threshold`,
    /// `protections.bogus` for a quantity the registry does not know). Nothing was saved.
    #[error("{} problem(s), first {}", .0.len(), .0.first().map_or(String::new(), |e| format!("{}: {}", e.field, e.message)))]
    Invalid(Vec<FieldError>),
    /// The limits were saved; the deploy was refused before anything was sent
    /// ([`DeployOutcome::Refused`], `/api/v1` answers 422 `Deploy refused`) or failed at the
    /// device ([`DeployOutcome::DeviceFailed`], 502 `Deploy failed`). The message is the
    /// recorded deployment's, the `detail` `/api/v1` answers.
    #[error("{}", .deployment.summary.message)]
    Deploy {
        outcome: DeployOutcome,
        deployment: Box<DeploymentDetail>,
    },
    /// Anything else: an unknown profile (404), the database, ...
    #[error(transparent)]
    App(#[from] AppError),
}

impl PrototypeError {
    /// The one-line detail a client shows: the deployment's message for a failed deploy.
    /// (Its `Display`: the deploy's message, the `AppError`'s, or the count and first problem.)
    pub fn detail(&self) -> String {
        self.to_string()
    }
}

/// For callers that speak `AppError` only: the first problem (with how many more), a refused
/// deploy as invalid input on `protections`, a device failure as a device error.
impl From<PrototypeError> for AppError {
    fn from(error: PrototypeError) -> Self {
        match error {
            PrototypeError::Invalid(errors) => first_error(errors)
                .err()
                .unwrap_or_else(|| AppError::validation("protections", "invalid")),
            PrototypeError::Deploy {
                outcome: DeployOutcome::Refused,
                deployment,
            } => AppError::validation("protections", deployment.summary.message),
            PrototypeError::Deploy { deployment, .. } => {
                AppError::Device(deployment.summary.message)
            }
            PrototypeError::App(error) => error,
        }
    }
}

/// The same problem with its path in the body: `soc.max.hysteresis` →
/// `protections.soc.max.hysteresis`.
fn in_body(error: FieldError) -> FieldError {
    error.under("protections")
}

/// `POST /api/protections`: lays the posted levels and hysteresis over the named profile (or
/// the active one), validates the result against the registry and saves it as the profile's
/// next version, in one transaction. Answers `{"ok": true, "profile", "message": "Protections
/// saved"}`. A named profile that does not exist is `AppError::NotFound`, as in the prototype.
pub async fn save(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    protections: &Protections,
    config: &ProtectionConfigIn,
    actor: &Actor,
) -> Result<ProtectionsOk, PrototypeError> {
    let (saved, _, _) = save_posted(db, field_io, protections, config, actor).await?;
    Ok(ProtectionsOk::saved(saved.name))
}

/// `GET /api/protections?source=current|default`: the active profile's limits, or the factory
/// defaults (`examples/protections_default.json`; without them, the seeded default profile).
pub async fn recall(
    db: &DatabaseConnection,
    protections: &Protections,
    source: PrototypeSource,
) -> Result<PrototypeRecall, AppError> {
    let (profile, set) = match source {
        PrototypeSource::Current => profiles::load(db, None).await?,
        PrototypeSource::Default => factory_defaults(db, protections).await?,
    };
    Ok(PrototypeRecall {
        source,
        profile: profile.name,
        protections: set,
    })
}

/// `POST /api/protections/deploy`: saves as [`save`] does, then writes the posted fields (and
/// no others; on a multi-rack site, to every rack) to the device with the `/api/v1` deploy: refused before sending when a register
/// cannot hold a value exactly, read back, restored on failure, recorded. Answers
/// `{"ok": true, "profile", "message": "Protections deployed"}`; a deploy that did not succeed
/// is [`PrototypeError::Deploy`] (the limits stay saved). Deploys run one at a time, on their
/// own task, so a client that goes away cannot cut one short.
pub async fn deploy(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    protections: &Protections,
    config: &ProtectionConfigIn,
    actor: &Actor,
) -> Result<ProtectionsOk, PrototypeError> {
    let (db, field_io, protections) = (db.clone(), field_io.clone(), protections.clone());
    let (config, actor) = (config.clone(), actor.clone());
    tokio::spawn(async move {
        let _one_at_a_time = protections.deploy_lock().await;
        let (saved, merged, posted) =
            save_posted(&db, &field_io, &protections, &config, &actor).await?;
        let deployed = deploy::deploy_fields(
            &db,
            &field_io,
            protections.naming(),
            (saved.id, &saved.name, saved.version),
            posted.0,
            None,
            &actor,
        )
        .await?;
        if deployed.outcome != DeployOutcome::Succeeded {
            return Err(PrototypeError::Deploy {
                outcome: deployed.outcome,
                deployment: Box::new(deployed.detail),
            });
        }
        // As after an /api/v1 deploy: the alarm engine evaluates the saved profile.
        protections.use_limits(&merged);
        Ok(ProtectionsOk::deployed(saved.name))
    })
    .await
    .map_err(|e| AppError::Internal(format!("the deploy task failed: {e}")))?
}

/// Checks the payload, lays it over the profile, validates and saves; retried when another save
/// of the profile got in between. Returns the saved profile, the merged set and what was posted.
async fn save_posted(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    protections: &Protections,
    config: &ProtectionConfigIn,
    actor: &Actor,
) -> Result<(ProfileSummary, ProtectionSet, PostedFields), PrototypeError> {
    let posted = config.posted_fields().map_err(PrototypeError::Invalid)?;
    for _ in 0..SAVE_ATTEMPTS {
        let (profile, current) = profiles::load(db, config.profile.as_deref()).await?;
        let merged = posted
            .apply_to(&current)
            .map_err(|e| PrototypeError::Invalid(vec![in_body(e)]))?;
        let errors = check(db, field_io, protections, &merged).await?;
        if !errors.is_empty() {
            return Err(PrototypeError::Invalid(
                errors.into_iter().map(in_body).collect(),
            ));
        }
        match profiles::save_at_version(db, &profile.name, profile.version, &merged, actor).await {
            Ok(saved) => return Ok((saved, merged, posted)),
            Err(AppError::Conflict(_)) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(AppError::Conflict("the profile kept changing while saving; try again".into()).into())
}
