//! Creates the protections: `protection_profiles` (one active), their `protection_limits` (one
//! row per profile, protected variable and side, with the three levels as columns), the
//! `protection_deployments` with a row per deployed field, and the `alarm_journal`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum ProtectionProfiles {
    Table,
    Id,
    Name,
    Description,
    IsDefault,
    Active,
    Version,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum ProtectionLimits {
    Table,
    Id,
    ProfileId,
    Variable,
    Side,
    Hysteresis,
    WarningThreshold,
    WarningOnDelay,
    WarningOffDelay,
    WarningEnabled,
    AlertThreshold,
    AlertOnDelay,
    AlertOffDelay,
    AlertEnabled,
    FaultThreshold,
    FaultOnDelay,
    FaultOffDelay,
    FaultEnabled,
}

#[derive(DeriveIden)]
enum ProtectionDeployments {
    Table,
    Id,
    ProfileId,
    ProfileName,
    ProfileVersion,
    SystemVersion,
    Status,
    Message,
    StartedAt,
    FinishedAt,
    DeployedBy,
    SourceSystem,
}

#[derive(DeriveIden)]
enum ProtectionDeploymentFields {
    Table,
    Id,
    DeploymentId,
    FieldPath,
    DeviceVariable,
    Intended,
    Before,
    Written,
    ReadBack,
    Status,
    Error,
}

#[derive(DeriveIden)]
enum AlarmJournal {
    Table,
    Id,
    At,
    Variable,
    Side,
    Level,
    Event,
    Value,
    Threshold,
    Actor,
}

fn in_list(column: impl IntoIden + 'static, values: &[&str]) -> SimpleExpr {
    Expr::col(column.into_iden()).is_in(values.iter().map(|v| String::from(*v)))
}

fn id(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

/// The four columns of one level; a NULL threshold means the level is not set.
fn level_columns(
    table: &mut TableCreateStatement,
    threshold: ProtectionLimits,
    on_delay: ProtectionLimits,
    off_delay: ProtectionLimits,
    enabled: ProtectionLimits,
) {
    table
        .col(ColumnDef::new(threshold).double().null())
        .col(ColumnDef::new(on_delay).double().not_null().default(0.0))
        .col(ColumnDef::new(off_delay).double().not_null().default(0.0))
        .col(ColumnDef::new(enabled).boolean().not_null().default(false));
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProtectionProfiles::Table)
                    .col(id(ProtectionProfiles::Id))
                    .col(
                        ColumnDef::new(ProtectionProfiles::Name)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(ProtectionProfiles::Description)
                            .text()
                            .not_null()
                            .default(""),
                    )
                    .col(
                        ColumnDef::new(ProtectionProfiles::IsDefault)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(ProtectionProfiles::Active)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(ProtectionProfiles::Version)
                            .big_integer()
                            .not_null()
                            .default(1)
                            .check(Expr::col(ProtectionProfiles::Version).gte(1)),
                    )
                    .col(
                        ColumnDef::new(ProtectionProfiles::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProtectionProfiles::UpdatedBy)
                            .string()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;

        let mut limits = Table::create();
        limits
            .table(ProtectionLimits::Table)
            .col(id(ProtectionLimits::Id))
            .col(
                ColumnDef::new(ProtectionLimits::ProfileId)
                    .big_integer()
                    .not_null(),
            )
            .col(
                ColumnDef::new(ProtectionLimits::Variable)
                    .string()
                    .not_null(),
            )
            .col(
                ColumnDef::new(ProtectionLimits::Side)
                    .string()
                    .not_null()
                    .check(in_list(ProtectionLimits::Side, &["max", "min"])),
            )
            .col(
                ColumnDef::new(ProtectionLimits::Hysteresis)
                    .double()
                    .not_null()
                    .default(0.0),
            );
        level_columns(
            &mut limits,
            ProtectionLimits::WarningThreshold,
            ProtectionLimits::WarningOnDelay,
            ProtectionLimits::WarningOffDelay,
            ProtectionLimits::WarningEnabled,
        );
        level_columns(
            &mut limits,
            ProtectionLimits::AlertThreshold,
            ProtectionLimits::AlertOnDelay,
            ProtectionLimits::AlertOffDelay,
            ProtectionLimits::AlertEnabled,
        );
        level_columns(
            &mut limits,
            ProtectionLimits::FaultThreshold,
            ProtectionLimits::FaultOnDelay,
            ProtectionLimits::FaultOffDelay,
            ProtectionLimits::FaultEnabled,
        );
        limits.foreign_key(
            ForeignKey::create()
                .name("fk_protection_limits_profile")
                .from(ProtectionLimits::Table, ProtectionLimits::ProfileId)
                .to(ProtectionProfiles::Table, ProtectionProfiles::Id)
                .on_delete(ForeignKeyAction::Cascade),
        );
        manager.create_table(limits.to_owned()).await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_protection_limits_profile_variable_side")
                    .table(ProtectionLimits::Table)
                    .col(ProtectionLimits::ProfileId)
                    .col(ProtectionLimits::Variable)
                    .col(ProtectionLimits::Side)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProtectionDeployments::Table)
                    .col(id(ProtectionDeployments::Id))
                    // Kept when the profile is deleted: the history names it.
                    .col(
                        ColumnDef::new(ProtectionDeployments::ProfileId)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ProtectionDeployments::ProfileName)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProtectionDeployments::ProfileVersion)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProtectionDeployments::SystemVersion)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProtectionDeployments::Status)
                            .string()
                            .not_null()
                            .check(in_list(
                                ProtectionDeployments::Status,
                                &["succeeded", "failed"],
                            )),
                    )
                    .col(
                        ColumnDef::new(ProtectionDeployments::Message)
                            .text()
                            .not_null()
                            .default(""),
                    )
                    .col(
                        ColumnDef::new(ProtectionDeployments::StartedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProtectionDeployments::FinishedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProtectionDeployments::DeployedBy)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProtectionDeployments::SourceSystem)
                            .string()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_protection_deployments_profile")
                            .from(
                                ProtectionDeployments::Table,
                                ProtectionDeployments::ProfileId,
                            )
                            .to(ProtectionProfiles::Table, ProtectionProfiles::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProtectionDeploymentFields::Table)
                    .col(id(ProtectionDeploymentFields::Id))
                    .col(
                        ColumnDef::new(ProtectionDeploymentFields::DeploymentId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProtectionDeploymentFields::FieldPath)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProtectionDeploymentFields::DeviceVariable)
                            .string()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ProtectionDeploymentFields::Intended)
                            .double()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProtectionDeploymentFields::Before)
                            .double()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ProtectionDeploymentFields::Written)
                            .double()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ProtectionDeploymentFields::ReadBack)
                            .double()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ProtectionDeploymentFields::Status)
                            .string()
                            .not_null()
                            .check(in_list(
                                ProtectionDeploymentFields::Status,
                                &[
                                    "written",
                                    "unchanged",
                                    "console_only",
                                    "failed",
                                    "restored",
                                    "not_written",
                                ],
                            )),
                    )
                    .col(
                        ColumnDef::new(ProtectionDeploymentFields::Error)
                            .text()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_deployment_fields_deployment")
                            .from(
                                ProtectionDeploymentFields::Table,
                                ProtectionDeploymentFields::DeploymentId,
                            )
                            .to(ProtectionDeployments::Table, ProtectionDeployments::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_deployment_fields_deployment")
                    .table(ProtectionDeploymentFields::Table)
                    .col(ProtectionDeploymentFields::DeploymentId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AlarmJournal::Table)
                    .col(id(AlarmJournal::Id))
                    .col(
                        ColumnDef::new(AlarmJournal::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AlarmJournal::Variable).string().not_null())
                    .col(
                        ColumnDef::new(AlarmJournal::Side)
                            .string()
                            .not_null()
                            .check(in_list(AlarmJournal::Side, &["max", "min"])),
                    )
                    .col(
                        ColumnDef::new(AlarmJournal::Level)
                            .string()
                            .not_null()
                            .check(in_list(AlarmJournal::Level, &["warning", "alert", "fault"])),
                    )
                    .col(
                        ColumnDef::new(AlarmJournal::Event)
                            .string()
                            .not_null()
                            .check(in_list(
                                AlarmJournal::Event,
                                &["raised", "cleared", "acknowledged"],
                            )),
                    )
                    .col(ColumnDef::new(AlarmJournal::Value).double().null())
                    .col(ColumnDef::new(AlarmJournal::Threshold).double().null())
                    .col(ColumnDef::new(AlarmJournal::Actor).string().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_alarm_journal_at")
                    .table(AlarmJournal::Table)
                    .col(AlarmJournal::At)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AlarmJournal::Table.into_iden(),
            ProtectionDeploymentFields::Table.into_iden(),
            ProtectionDeployments::Table.into_iden(),
            ProtectionLimits::Table.into_iden(),
            ProtectionProfiles::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
