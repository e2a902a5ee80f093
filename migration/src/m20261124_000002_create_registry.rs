//! Creates the variable registry: `system_variables`, `variable_access_paths` and the audit
//! `variable_change_log`, each stamped with the global system version of its last change.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum SystemVariables {
    Table,
    Id,
    Name,
    DisplayName,
    Units,
    Description,
    Category,
    Locator,
    VariableVersion,
    SystemVersion,
    LastUpdated,
    SourceSystem,
    Deleted,
}

#[derive(DeriveIden)]
enum VariableAccessPaths {
    Table,
    Id,
    VariableId,
    AccessType,
    Reference,
    Priority,
    ReadOnly,
    RackNumber,
    DeviceId,
    PathVersion,
    SystemVersion,
    LastUpdated,
    Active,
}

#[derive(DeriveIden)]
enum VariableChangeLog {
    Table,
    Id,
    VariableId,
    PathId,
    ChangeType,
    FieldName,
    OldValue,
    NewValue,
    Timestamp,
    ChangedBy,
    SourceSystem,
    VariableVersion,
    SystemVersion,
}

/// `column IN ('a', 'b', ...)` for a check constraint.
fn in_list(column: impl IntoIden + 'static, values: &[&str]) -> SimpleExpr {
    Expr::col(column.into_iden()).is_in(values.iter().map(|v| String::from(*v)))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SystemVariables::Table)
                    .col(
                        ColumnDef::new(SystemVariables::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SystemVariables::Name)
                            .string()
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(SystemVariables::DisplayName)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SystemVariables::Units)
                            .string()
                            .not_null()
                            .default(""),
                    )
                    .col(
                        ColumnDef::new(SystemVariables::Description)
                            .text()
                            .not_null()
                            .default(""),
                    )
                    .col(
                        ColumnDef::new(SystemVariables::Category)
                            .string()
                            .not_null()
                            .check(in_list(
                                SystemVariables::Category,
                                &["config", "prot", "oper"],
                            )),
                    )
                    .col(ColumnDef::new(SystemVariables::Locator).string().not_null())
                    .col(
                        ColumnDef::new(SystemVariables::VariableVersion)
                            .big_integer()
                            .not_null()
                            .default(1)
                            .check(Expr::col(SystemVariables::VariableVersion).gte(1)),
                    )
                    .col(
                        ColumnDef::new(SystemVariables::SystemVersion)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SystemVariables::LastUpdated)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SystemVariables::SourceSystem)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SystemVariables::Deleted)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_system_variables_locator", SystemVariables::Locator),
            (
                "idx_system_variables_system_version",
                SystemVariables::SystemVersion,
            ),
            ("idx_system_variables_category", SystemVariables::Category),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(SystemVariables::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(VariableAccessPaths::Table)
                    .col(
                        ColumnDef::new(VariableAccessPaths::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(VariableAccessPaths::VariableId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VariableAccessPaths::AccessType)
                            .string()
                            .not_null()
                            .check(in_list(
                                VariableAccessPaths::AccessType,
                                &["memory_offset", "modbus", "can", "rs485"],
                            )),
                    )
                    // Canonical JSON text (sorted keys), so equal references compare equal.
                    .col(
                        ColumnDef::new(VariableAccessPaths::Reference)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VariableAccessPaths::Priority)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(VariableAccessPaths::ReadOnly)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(VariableAccessPaths::RackNumber)
                            .integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(VariableAccessPaths::DeviceId)
                            .string()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(VariableAccessPaths::PathVersion)
                            .big_integer()
                            .not_null()
                            .default(1),
                    )
                    .col(
                        ColumnDef::new(VariableAccessPaths::SystemVersion)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VariableAccessPaths::LastUpdated)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VariableAccessPaths::Active)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_access_paths_variable")
                            .from(VariableAccessPaths::Table, VariableAccessPaths::VariableId)
                            .to(SystemVariables::Table, SystemVariables::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_access_paths_variable", VariableAccessPaths::VariableId),
            (
                "idx_access_paths_system_version",
                VariableAccessPaths::SystemVersion,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(VariableAccessPaths::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(VariableChangeLog::Table)
                    .col(
                        ColumnDef::new(VariableChangeLog::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(VariableChangeLog::VariableId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VariableChangeLog::PathId)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(VariableChangeLog::ChangeType)
                            .string()
                            .not_null()
                            .check(in_list(
                                VariableChangeLog::ChangeType,
                                &[
                                    "created",
                                    "updated",
                                    "deleted",
                                    "path_added",
                                    "path_updated",
                                    "path_removed",
                                ],
                            )),
                    )
                    .col(ColumnDef::new(VariableChangeLog::FieldName).string().null())
                    .col(ColumnDef::new(VariableChangeLog::OldValue).text().null())
                    .col(ColumnDef::new(VariableChangeLog::NewValue).text().null())
                    .col(
                        ColumnDef::new(VariableChangeLog::Timestamp)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VariableChangeLog::ChangedBy)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VariableChangeLog::SourceSystem)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VariableChangeLog::VariableVersion)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(VariableChangeLog::SystemVersion)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_change_log_variable")
                            .from(VariableChangeLog::Table, VariableChangeLog::VariableId)
                            .to(SystemVariables::Table, SystemVariables::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_change_log_variable", VariableChangeLog::VariableId),
            (
                "idx_change_log_system_version",
                VariableChangeLog::SystemVersion,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(VariableChangeLog::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            VariableChangeLog::Table.into_iden(),
            VariableAccessPaths::Table.into_iden(),
            SystemVariables::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
