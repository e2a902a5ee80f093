//! Deploying protection limits to the device: resolve every field to its registry variable and
//! writable register, read what the device holds, write only what differs in contiguous blocks,
//! read everything back and compare; on any failure or mismatch restore what the device held
//! before. Every deployment is recorded with a row per field. Also the read-only preview (the
//! confirmation's diff) and the live read of the device's limits.
//!
//! This module owns the deploy entry point and its outcome; the steps live in [`resolve`]
//! (fields to registers), [`plan`] (what to write, in which blocks), [`io`] (block reads and
//! writes), [`run`] (write, verify, restore) and [`record`] (the deployment rows).

mod io;
mod plan;
mod record;
mod resolve;
mod run;

use chrono::Utc;
use sea_orm::DatabaseConnection;

use self::record::record;
use self::resolve::resolve_fields;
use self::run::{Failure, Outcome, run};
use crate::actor::Actor;
use crate::field::FieldIo;
use crate::protections::naming::NamingRule;
use crate::system::system_version_of;
use model::error::AppError;
use model::profiles::{DeploymentDetail, DeploymentStatus, FieldResult};
use model::protections::{FieldPath, FieldValue, ProtectionSet};

pub use self::io::read_device;
pub use self::plan::preview;
pub use self::record::{detail, history};
pub use self::resolve::{
    ValidationField, console_only_fields, racks_of, register_hints, resolve_for_validation,
};

/// How a deploy ended. The recorded deployment says only `succeeded` or `failed`; this also says
/// whose fault a failure is, the set's or the device's (a REST client gets 422 or 502).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeployOutcome {
    /// Every field the device holds reads back as the set has it (written, or already so).
    Succeeded,
    /// Refused before anything was sent to the device: a value its register cannot hold exactly
    /// (0.5 in an integer register), or a field with no writable register. The set is at fault;
    /// the device was not touched.
    Refused,
    /// Failed at the device: it could not be read, a write failed, or a value read back wrong.
    /// What was written has been restored, unless the message names fields `NOT restored`.
    DeviceFailed,
}

impl DeployOutcome {
    /// The deployment's recorded status.
    pub fn status(self) -> DeploymentStatus {
        match self {
            DeployOutcome::Succeeded => DeploymentStatus::Succeeded,
            DeployOutcome::Refused | DeployOutcome::DeviceFailed => DeploymentStatus::Failed,
        }
    }
}

/// A recorded deployment and how it ended.
#[derive(Debug, Clone)]
pub struct Deployed {
    pub outcome: DeployOutcome,
    pub detail: DeploymentDetail,
}

/// Writes `set` (saved by the caller as `profile` version `version`) to the device and records
/// the deployment. On a multi-rack site each of `racks` (`None`: every rack the limits' paths
/// name) gets its limits through its own best path; a register every rack shares is written
/// once. A failure or mismatch restores the device's previous values; the returned
/// deployment then has status `failed` and names the field and the reason, and the outcome
/// says whether the deploy was refused before anything was sent or failed at the device.
pub async fn deploy(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    naming: &NamingRule,
    profile: (i64, &str, i64),
    set: &ProtectionSet,
    racks: Option<&[i32]>,
    actor: &Actor,
) -> Result<Deployed, AppError> {
    deploy_fields(db, field_io, naming, profile, set.fields(), racks, actor).await
}

/// [`deploy`] of some fields only (the prototype's deploy writes the fields it posted): the
/// same checks, writes, read-back, restoration and record, for `fields` and nothing else.
pub async fn deploy_fields(
    db: &DatabaseConnection,
    field_io: &FieldIo,
    naming: &NamingRule,
    profile: (i64, &str, i64),
    fields: Vec<(FieldPath, FieldValue)>,
    racks: Option<&[i32]>,
    actor: &Actor,
) -> Result<Deployed, AppError> {
    let started_at = Utc::now();
    let system_version = system_version_of(db).await?;
    let fields = resolve_fields(db, field_io, naming, fields, racks).await?;
    let mut outcomes: Vec<Outcome> = fields
        .iter()
        .map(|f| Outcome {
            before: None,
            written: None,
            read_back: None,
            status: if f.console_only() {
                FieldResult::ConsoleOnly
            } else {
                FieldResult::NotWritten
            },
            error: None,
        })
        .collect();
    let (outcome, message) = match run(field_io, &fields, &mut outcomes).await {
        Ok(()) => (DeployOutcome::Succeeded, String::new()),
        Err(Failure::Refused(message)) => (DeployOutcome::Refused, message),
        Err(Failure::Device(message)) => (DeployOutcome::DeviceFailed, message),
    };
    let detail = record(
        db,
        profile,
        system_version,
        outcome.status(),
        &message,
        started_at,
        actor,
        &fields,
        outcomes,
    )
    .await?;
    Ok(Deployed { outcome, detail })
}
