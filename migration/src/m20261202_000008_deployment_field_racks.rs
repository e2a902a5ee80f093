//! Deployment fields say which rack they were written for: `protection_deployment_fields` gets
//! a nullable `rack_number` (NULL: the register every rack shares, or a single-rack site, which
//! is what every earlier deployment was).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum ProtectionDeploymentFields {
    Table,
    RackNumber,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProtectionDeploymentFields::Table)
                    .add_column(
                        ColumnDef::new(ProtectionDeploymentFields::RackNumber)
                            .integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProtectionDeploymentFields::Table)
                    .drop_column(ProtectionDeploymentFields::RackNumber)
                    .to_owned(),
            )
            .await
    }
}
