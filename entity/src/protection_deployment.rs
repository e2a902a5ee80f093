//! `protection_deployments`: who deployed which profile version when, and how it ended.

use model::profiles::DeploymentStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "protection_deployments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// NULL once the profile is deleted; `profile_name` keeps what it was called.
    pub profile_id: Option<i64>,
    pub profile_name: String,
    pub profile_version: i64,
    /// The registry's global system version when the deployment started.
    pub system_version: i64,
    pub status: DeploymentStatus,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub started_at: DateTimeUtc,
    pub finished_at: DateTimeUtc,
    pub deployed_by: String,
    pub source_system: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
