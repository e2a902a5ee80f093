//! Recording deployments (a row per deployment, a row per field) and reading them back.

use std::collections::HashMap;

use chrono::Utc;
use entity::{protection_deployment, protection_deployment_field};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::resolve::Field;
use super::run::Outcome;
use crate::actor::Actor;
use crate::auth::audit;
use crate::database::begin_write;
use model::auth::AuditAction;
use model::error::AppError;
use model::profiles::{
    DeploymentDetail, DeploymentField, DeploymentStatus, DeploymentSummary, FieldResult,
};

#[allow(clippy::too_many_arguments)]
pub(super) async fn record(
    db: &DatabaseConnection,
    (profile_id, profile_name, profile_version): (i64, &str, i64),
    system_version: i64,
    status: DeploymentStatus,
    message: &str,
    started_at: chrono::DateTime<Utc>,
    actor: &Actor,
    fields: &[Field],
    outcomes: Vec<Outcome>,
) -> Result<DeploymentDetail, AppError> {
    let txn = begin_write(db).await?;
    let deployment = protection_deployment::ActiveModel {
        profile_id: Set(Some(profile_id)),
        profile_name: Set(profile_name.to_string()),
        profile_version: Set(profile_version),
        system_version: Set(system_version),
        status: Set(status),
        message: Set(message.to_string()),
        started_at: Set(started_at),
        finished_at: Set(Utc::now()),
        deployed_by: Set(actor.user.clone()),
        source_system: Set(actor.source_system.clone()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let rows: Vec<protection_deployment_field::ActiveModel> = fields
        .iter()
        .zip(outcomes)
        .map(
            |(field, outcome)| protection_deployment_field::ActiveModel {
                deployment_id: Set(deployment.id),
                field_path: Set(field.path.to_string()),
                device_variable: Set(field.variable.clone()),
                rack_number: Set(field.rack),
                intended: Set(field.intended),
                before: Set(outcome.before),
                written: Set(outcome.written),
                read_back: Set(outcome.read_back),
                status: Set(outcome.status),
                error: Set(outcome.error),
                ..Default::default()
            },
        )
        .collect();
    // The audit row: the deployment with every field's result (before, written, read back).
    let results: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            serde_json::json!({
                "field": row.field_path.clone().unwrap(),
                "rack": row.rack_number.clone().unwrap(),
                "before": row.before.clone().unwrap(),
                "written": row.written.clone().unwrap(),
                "read_back": row.read_back.clone().unwrap(),
                "status": row.status.clone().unwrap(),
                "error": row.error.clone().unwrap(),
            })
        })
        .collect();
    let mut entry = actor
        .audit(
            AuditAction::ProtectionsDeployed,
            format!("profile {profile_name}"),
            deployment.finished_at,
        )
        .detail(serde_json::json!({
            "deployment": deployment.id,
            "profile_version": profile_version,
            "status": status,
            "message": message,
            "source_system": actor.source_system,
            "fields": results,
        }));
    if status != DeploymentStatus::Succeeded {
        entry = entry.failed();
    }
    audit::record(&txn, entry).await?;
    for chunk in rows.chunks(200) {
        protection_deployment_field::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    detail(db, deployment.id).await
}

fn deployment_summary(
    model: protection_deployment::Model,
    fields: &[protection_deployment_field::Model],
) -> DeploymentSummary {
    DeploymentSummary {
        id: model.id,
        profile: model.profile_name,
        profile_version: model.profile_version,
        system_version: model.system_version,
        status: model.status,
        message: model.message,
        started_at: model.started_at.to_rfc3339(),
        finished_at: model.finished_at.to_rfc3339(),
        deployed_by: model.deployed_by,
        written: count(fields, FieldResult::Written),
        failed: count(fields, FieldResult::Failed),
    }
}

fn count(fields: &[protection_deployment_field::Model], result: FieldResult) -> usize {
    fields.iter().filter(|f| f.status == result).count()
}

/// One deployment with its fields.
pub async fn detail(db: &DatabaseConnection, id: i64) -> Result<DeploymentDetail, AppError> {
    let deployment = protection_deployment::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no deployment {id}")))?;
    let fields = protection_deployment_field::Entity::find()
        .filter(protection_deployment_field::Column::DeploymentId.eq(id))
        .order_by_asc(protection_deployment_field::Column::Id)
        .all(db)
        .await?;
    let summary = deployment_summary(deployment, &fields);
    let fields = fields
        .into_iter()
        .map(|f| DeploymentField {
            status: f.status,
            path: f.field_path,
            device_variable: f.device_variable,
            rack: f.rack_number,
            intended: f.intended,
            before: f.before,
            written: f.written,
            read_back: f.read_back,
            error: f.error,
        })
        .collect();
    Ok(DeploymentDetail { summary, fields })
}

/// The latest deployments, newest first.
pub async fn history(
    db: &DatabaseConnection,
    limit: u64,
) -> Result<Vec<DeploymentSummary>, AppError> {
    let deployments = protection_deployment::Entity::find()
        .order_by_desc(protection_deployment::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let ids: Vec<i64> = deployments.iter().map(|d| d.id).collect();
    let fields = protection_deployment_field::Entity::find()
        .filter(protection_deployment_field::Column::DeploymentId.is_in(ids))
        .all(db)
        .await?;
    let mut by_deployment: HashMap<i64, Vec<protection_deployment_field::Model>> = HashMap::new();
    for field in fields {
        by_deployment
            .entry(field.deployment_id)
            .or_default()
            .push(field);
    }
    Ok(deployments
        .into_iter()
        .map(|d| {
            let fields = by_deployment.remove(&d.id).unwrap_or_default();
            deployment_summary(d, &fields)
        })
        .collect())
}
