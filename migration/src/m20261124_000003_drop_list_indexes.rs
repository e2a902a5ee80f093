//! Drops the locator and category indexes of `system_variables`: the registry list now filters in
//! memory (`RegistryIndex`), nothing queries these columns any more, and every import paid for
//! keeping them up to date.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum SystemVariables {
    Table,
    Locator,
    Category,
}

const DROPPED: [&str; 2] = [
    "idx_system_variables_locator",
    "idx_system_variables_category",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in DROPPED {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(SystemVariables::Table)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, column) in [
            (DROPPED[0], SystemVariables::Locator),
            (DROPPED[1], SystemVariables::Category),
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
        Ok(())
    }
}
