//! Creates `field_configurations`: the field configuration (`--field-config`'s JSON) kept in the
//! database by `powerdeck site import-field-config`, one row per import; the newest row is the one
//! `serve` uses when no file is given, the older ones are its history.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum FieldConfigurations {
    Table,
    Id,
    Document,
    SourceFile,
    ImportedBy,
    ImportedAt,
    SystemVersion,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FieldConfigurations::Table)
                    .col(
                        ColumnDef::new(FieldConfigurations::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    // The JSON text as imported (checked before it is stored).
                    .col(
                        ColumnDef::new(FieldConfigurations::Document)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(FieldConfigurations::SourceFile)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(FieldConfigurations::ImportedBy)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(FieldConfigurations::ImportedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    // The system version the import took (controller sync carries it later).
                    .col(
                        ColumnDef::new(FieldConfigurations::SystemVersion)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FieldConfigurations::Table).to_owned())
            .await
    }
}
