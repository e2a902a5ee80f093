//! Creates `system_version`, the single-row global counter, and seeds its row at version 0.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum SystemVersion {
    Table,
    Id,
    CurrentVersion,
    LastUpdated,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SystemVersion::Table)
                    .col(
                        ColumnDef::new(SystemVersion::Id)
                            .integer()
                            .not_null()
                            .primary_key()
                            // Exactly one row: every writer updates the same counter.
                            .check(Expr::col(SystemVersion::Id).eq(1)),
                    )
                    .col(
                        ColumnDef::new(SystemVersion::CurrentVersion)
                            .big_integer()
                            .not_null()
                            .default(0)
                            .check(Expr::col(SystemVersion::CurrentVersion).gte(0)),
                    )
                    .col(
                        ColumnDef::new(SystemVersion::LastUpdated)
                            .timestamp_with_time_zone()
                            .not_null()
                            .default(Expr::current_timestamp()),
                    )
                    .to_owned(),
            )
            .await?;

        let seed = Query::insert()
            .into_table(SystemVersion::Table)
            .columns([SystemVersion::Id, SystemVersion::CurrentVersion])
            .values_panic([1.into(), 0i64.into()])
            .to_owned();
        manager.exec_stmt(seed).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SystemVersion::Table).to_owned())
            .await
    }
}
