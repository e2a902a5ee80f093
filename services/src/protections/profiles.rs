//! Protection profiles in the database: seed the default, list, load, save (validated, one
//! transaction, version + 1), create/clone, rename, delete and activate.

use chrono::Utc;
use entity::{protection_limit, protection_profile};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityName, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::actor::Actor;
use crate::auth::audit;
use crate::database::begin_write;
use model::auth::AuditAction;
use model::error::AppError;
use model::profiles::ProfileSummary;
use model::protections::{LevelLimit, ProtectionSet, ProtectionsPayload, SideLimits};

/// The seeded profile's name.
pub const DEFAULT_PROFILE: &str = "default";

fn summary(model: protection_profile::Model) -> ProfileSummary {
    ProfileSummary {
        id: model.id,
        name: model.name,
        description: model.description,
        is_default: model.is_default,
        active: model.active,
        version: model.version,
        updated_at: model.updated_at.to_rfc3339(),
        updated_by: model.updated_by,
    }
}

/// A profile name: 1 to 64 letters, digits, `_`, `-`, `.` or spaces, not only spaces.
pub fn check_name(field: &str, name: &str) -> Result<(), AppError> {
    let ok = !name.trim().is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '));
    if ok {
        Ok(())
    } else {
        Err(AppError::validation(
            field,
            format!(
                "{name:?} is not a profile name (1 to 64 letters, digits, spaces, '_', '-', '.')"
            ),
        ))
    }
}

/// Begins a transaction that writes profiles: one writer of profiles at a time.
///
/// Every profile write reads before it writes (is the name taken, which profile is active, which
/// version is current). On SQLite [`begin_write`] holds the database's write lock from the start,
/// so nobody else writes in between. On PostgreSQL (READ COMMITTED) two writers at once would
/// both act on what they read: two saves of one profile inserted its limits twice (a unique-key
/// error, 500) where one should have followed the other. The table lock taken here (SHARE ROW
/// EXCLUSIVE: it conflicts with itself and with every write of the table, not with reads) makes
/// them take turns too.
async fn begin_profile_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, AppError> {
    let txn = begin_write(db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!(
            "LOCK TABLE \"{}\" IN SHARE ROW EXCLUSIVE MODE",
            protection_profile::Entity.table_name()
        ))
        .await?;
    }
    Ok(txn)
}

/// A new profile row at version 1.
fn new_profile(
    name: &str,
    description: &str,
    is_default: bool,
    actor: &Actor,
) -> protection_profile::ActiveModel {
    protection_profile::ActiveModel {
        name: Set(name.into()),
        description: Set(description.into()),
        is_default: Set(is_default),
        // The default profile starts active; every other one is activated explicitly.
        active: Set(is_default),
        version: Set(1),
        updated_at: Set(Utc::now()),
        updated_by: Set(actor.user.clone()),
        ..Default::default()
    }
}

/// Creates the `default` profile, active, from `examples/protections_default.json` when no
/// profile exists yet (first start). Later starts change nothing.
pub async fn seed_default(
    db: &DatabaseConnection,
    file_name: &str,
    text: &str,
    actor: &Actor,
) -> Result<bool, AppError> {
    if protection_profile::Entity::find().one(db).await?.is_some() {
        return Ok(false);
    }
    let payload: ProtectionsPayload = serde_json::from_str(text).map_err(|e| {
        AppError::validation(
            file_name,
            format!("line {} column {}: {e}", e.line(), e.column()),
        )
    })?;
    let txn = begin_profile_write(db).await?;
    let description = format!("Seeded from {file_name} on first start");
    let profile = new_profile(DEFAULT_PROFILE, &description, true, actor)
        .insert(&txn)
        .await?;
    insert_limits(&txn, profile.id, &payload.protections).await?;
    txn.commit().await?;
    Ok(true)
}

pub async fn list(db: &DatabaseConnection) -> Result<Vec<ProfileSummary>, AppError> {
    Ok(protection_profile::Entity::find()
        .order_by_desc(protection_profile::Column::IsDefault)
        .order_by_asc(protection_profile::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(summary)
        .collect())
}

async fn find(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<protection_profile::Model, AppError> {
    protection_profile::Entity::find()
        .filter(protection_profile::Column::Name.eq(name))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no protection profile named {name:?}")))
}

async fn find_where(
    db: &impl ConnectionTrait,
    column: protection_profile::Column,
    what: &str,
) -> Result<protection_profile::Model, AppError> {
    protection_profile::Entity::find()
        .filter(column.eq(true))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no {what} protection profile")))
}

/// The profile a request names, or the active one.
pub async fn resolve(
    db: &impl ConnectionTrait,
    name: Option<&str>,
) -> Result<protection_profile::Model, AppError> {
    match name {
        Some(name) => find(db, name).await,
        None => find_where(db, protection_profile::Column::Active, "active").await,
    }
}

/// A profile and its limits.
pub async fn load(
    db: &DatabaseConnection,
    name: Option<&str>,
) -> Result<(ProfileSummary, ProtectionSet), AppError> {
    let profile = resolve(db, name).await?;
    let set = limits_of(db, profile.id).await?;
    Ok((summary(profile), set))
}

/// The seeded default profile and its limits.
pub async fn load_default(
    db: &DatabaseConnection,
) -> Result<(ProfileSummary, ProtectionSet), AppError> {
    let profile = find_where(db, protection_profile::Column::IsDefault, "default").await?;
    let set = limits_of(db, profile.id).await?;
    Ok((summary(profile), set))
}

pub async fn limits_of(
    db: &impl ConnectionTrait,
    profile_id: i64,
) -> Result<ProtectionSet, AppError> {
    let rows = protection_limit::Entity::find()
        .filter(protection_limit::Column::ProfileId.eq(profile_id))
        .all(db)
        .await?;
    let mut set = ProtectionSet::new();
    for row in rows {
        let level = |threshold: Option<f64>, on: f64, off: f64, enabled: bool| {
            threshold.map(|threshold| LevelLimit {
                threshold,
                on_duration: on,
                off_duration: off,
                enabled,
            })
        };
        let limits = SideLimits {
            hysteresis: row.hysteresis,
            warning: level(
                row.warning_threshold,
                row.warning_on_delay,
                row.warning_off_delay,
                row.warning_enabled,
            ),
            alert: level(
                row.alert_threshold,
                row.alert_on_delay,
                row.alert_off_delay,
                row.alert_enabled,
            ),
            fault: level(
                row.fault_threshold,
                row.fault_on_delay,
                row.fault_off_delay,
                row.fault_enabled,
            ),
        };
        *set.entry(row.variable).or_default().side_mut(row.side) = Some(limits);
    }
    Ok(set)
}

async fn insert_limits(
    db: &impl ConnectionTrait,
    profile_id: i64,
    set: &ProtectionSet,
) -> Result<(), AppError> {
    let mut rows = Vec::new();
    for (variable, limits) in set.iter() {
        for (side, side_limits) in limits.sides() {
            let level = |limit: &Option<LevelLimit>| match limit {
                Some(l) => (Some(l.threshold), l.on_duration, l.off_duration, l.enabled),
                None => (None, 0.0, 0.0, false),
            };
            let (wt, won, woff, wen) = level(&side_limits.warning);
            let (at, aon, aoff, aen) = level(&side_limits.alert);
            let (ft, fon, foff, fen) = level(&side_limits.fault);
            rows.push(protection_limit::ActiveModel {
                profile_id: Set(profile_id),
                variable: Set(variable.clone()),
                side: Set(side),
                hysteresis: Set(side_limits.hysteresis),
                warning_threshold: Set(wt),
                warning_on_delay: Set(won),
                warning_off_delay: Set(woff),
                warning_enabled: Set(wen),
                alert_threshold: Set(at),
                alert_on_delay: Set(aon),
                alert_off_delay: Set(aoff),
                alert_enabled: Set(aen),
                fault_threshold: Set(ft),
                fault_on_delay: Set(fon),
                fault_off_delay: Set(foff),
                fault_enabled: Set(fen),
                ..Default::default()
            });
        }
    }
    if !rows.is_empty() {
        protection_limit::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

/// Replaces a profile's limits with `set` (already validated by the caller) and takes the next
/// profile version, in one transaction. A named profile that does not exist yet is created
/// (inactive), as the original prototype's payload expects.
pub async fn save(
    db: &DatabaseConnection,
    name: Option<&str>,
    set: &ProtectionSet,
    actor: &Actor,
) -> Result<ProfileSummary, AppError> {
    if let Some(name) = name {
        check_name("profile", name)?;
    }
    let txn = begin_profile_write(db).await?;
    let profile = match resolve(&txn, name).await {
        Ok(profile) => profile,
        Err(AppError::NotFound(_)) if name.is_some() => {
            let created = new_profile(name.unwrap_or_default(), "", false, actor)
                .insert(&txn)
                .await?;
            insert_limits(&txn, created.id, set).await?;
            audit_profile(&txn, actor, &created.name, "create", None, json(set)).await?;
            txn.commit().await?;
            return Ok(summary(created));
        }
        Err(other) => return Err(other),
    };
    let saved = replace_limits(&txn, profile, set, actor).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Replaces the limits of the profile named `name` with `set` (already validated by the caller)
/// when the profile is still at `version`, in one transaction; `Conflict` when someone saved it
/// meanwhile (the caller read, merged and validated version `version`).
pub async fn save_at_version(
    db: &DatabaseConnection,
    name: &str,
    version: i64,
    set: &ProtectionSet,
    actor: &Actor,
) -> Result<ProfileSummary, AppError> {
    let txn = begin_profile_write(db).await?;
    let profile = find(&txn, name).await?;
    if profile.version != version {
        return Err(AppError::Conflict(format!(
            "profile {name:?} is at version {}, not {version}",
            profile.version
        )));
    }
    let saved = replace_limits(&txn, profile, set, actor).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Inside a profile write: the profile's limits become `set`, its version goes up by one.
async fn replace_limits(
    txn: &DatabaseTransaction,
    profile: protection_profile::Model,
    set: &ProtectionSet,
    actor: &Actor,
) -> Result<ProfileSummary, AppError> {
    let before = limits_of(txn, profile.id).await?;
    // Saving (or deploying) what the profile holds already takes no version and writes no
    // audit row: nothing changed.
    if before == *set {
        return Ok(summary(profile));
    }
    audit_profile(txn, actor, &profile.name, "save", json(&before), json(set)).await?;
    protection_limit::Entity::delete_many()
        .filter(protection_limit::Column::ProfileId.eq(profile.id))
        .exec(txn)
        .await?;
    insert_limits(txn, profile.id, set).await?;
    let version = profile.version + 1;
    let mut active: protection_profile::ActiveModel = profile.into();
    active.version = Set(version);
    active.updated_at = Set(Utc::now());
    active.updated_by = Set(actor.user.clone());
    Ok(summary(active.update(txn).await?))
}

/// The audit row of a profile write (`operation`: save, create, rename, delete, activate), in
/// the write's transaction.
async fn audit_profile(
    txn: &DatabaseTransaction,
    actor: &Actor,
    profile: &str,
    operation: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), AppError> {
    let entry = actor
        .audit(
            AuditAction::ProtectionsSaved,
            format!("profile {profile}"),
            Utc::now(),
        )
        .detail(serde_json::json!({
            "operation": operation,
            "source_system": actor.source_system,
        }))
        .change(before, after);
    audit::record(txn, entry).await?;
    Ok(())
}

fn json(set: &ProtectionSet) -> Option<serde_json::Value> {
    serde_json::to_value(set).ok()
}

/// A new profile, empty or a copy of `clone_from`'s limits.
pub async fn create(
    db: &DatabaseConnection,
    name: &str,
    description: &str,
    clone_from: Option<&str>,
    actor: &Actor,
) -> Result<ProfileSummary, AppError> {
    check_name("name", name)?;
    let txn = begin_profile_write(db).await?;
    if find(&txn, name).await.is_ok() {
        return Err(AppError::validation(
            "name",
            format!("a profile named {name:?} exists already"),
        ));
    }
    let limits = match clone_from {
        Some(source) => {
            let source = find(&txn, source).await?;
            limits_of(&txn, source.id).await?
        }
        None => ProtectionSet::new(),
    };
    let profile = new_profile(name, description, false, actor)
        .insert(&txn)
        .await?;
    insert_limits(&txn, profile.id, &limits).await?;
    audit_profile(&txn, actor, name, "create", None, json(&limits)).await?;
    txn.commit().await?;
    Ok(summary(profile))
}

/// Renames a profile and/or changes its description. The default profile keeps its name.
pub async fn rename(
    db: &DatabaseConnection,
    name: &str,
    new_name: Option<&str>,
    description: Option<&str>,
    actor: &Actor,
) -> Result<ProfileSummary, AppError> {
    let txn = begin_profile_write(db).await?;
    let profile = find(&txn, name).await?;
    let mut active: protection_profile::ActiveModel = profile.clone().into();
    if let Some(new_name) = new_name.filter(|n| *n != name) {
        check_name("name", new_name)?;
        if profile.is_default {
            return Err(AppError::validation(
                "name",
                "the default profile keeps its name",
            ));
        }
        if find(&txn, new_name).await.is_ok() {
            return Err(AppError::validation(
                "name",
                format!("a profile named {new_name:?} exists already"),
            ));
        }
        active.name = Set(new_name.into());
    }
    if let Some(description) = description {
        active.description = Set(description.into());
    }
    active.updated_at = Set(Utc::now());
    active.updated_by = Set(actor.user.clone());
    let saved = active.update(&txn).await?;
    let before = serde_json::json!({"name": profile.name, "description": profile.description});
    let after = serde_json::json!({"name": saved.name, "description": saved.description});
    audit_profile(&txn, actor, name, "rename", Some(before), Some(after)).await?;
    txn.commit().await?;
    Ok(summary(saved))
}

/// Deletes a profile with its limits; never the default one or the active one.
pub async fn delete(db: &DatabaseConnection, name: &str, actor: &Actor) -> Result<(), AppError> {
    let txn = begin_profile_write(db).await?;
    let profile = find(&txn, name).await?;
    if profile.is_default {
        return Err(AppError::validation(
            "name",
            "the default profile cannot be deleted",
        ));
    }
    if profile.active {
        return Err(AppError::validation(
            "name",
            format!("{name:?} is the active profile: activate another one first"),
        ));
    }
    let before = limits_of(&txn, profile.id).await?;
    audit_profile(&txn, actor, name, "delete", json(&before), None).await?;
    protection_profile::Entity::delete_by_id(profile.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Makes `name` the one active profile.
pub async fn activate(
    db: &DatabaseConnection,
    name: &str,
    actor: &Actor,
) -> Result<ProfileSummary, AppError> {
    let txn = begin_profile_write(db).await?;
    let profile = find(&txn, name).await?;
    protection_profile::Entity::update_many()
        .col_expr(
            protection_profile::Column::Active,
            sea_orm::sea_query::Expr::value(false),
        )
        .filter(protection_profile::Column::Active.eq(true))
        .exec(&txn)
        .await?;
    let mut active: protection_profile::ActiveModel = profile.into();
    active.active = Set(true);
    active.updated_at = Set(Utc::now());
    active.updated_by = Set(actor.user.clone());
    let saved = active.update(&txn).await?;
    audit_profile(&txn, actor, name, "activate", None, None).await?;
    txn.commit().await?;
    Ok(summary(saved))
}
