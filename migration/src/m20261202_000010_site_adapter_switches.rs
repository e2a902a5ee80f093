//! Creates `site_adapter_switches`, the journal of pack failover (seed 002 §5.2, §5.5): one row
//! each time a battery pack's readings move from one of its adapters to another, with why.
//!
//! Like `site_change_log` it has no foreign keys: the journal outlives the packs and adapters it
//! names. `reason` is a short code (`failed`, `recovered`), `detail` the same in plain words.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum SiteAdapterSwitches {
    Table,
    Id,
    SystemId,
    PackId,
    FromAdapterId,
    ToAdapterId,
    Reason,
    Detail,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SiteAdapterSwitches::Table)
                    .col(
                        ColumnDef::new(SiteAdapterSwitches::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SiteAdapterSwitches::SystemId)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SiteAdapterSwitches::PackId)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SiteAdapterSwitches::FromAdapterId)
                            .string()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(SiteAdapterSwitches::ToAdapterId)
                            .string()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(SiteAdapterSwitches::Reason)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SiteAdapterSwitches::Detail)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SiteAdapterSwitches::At)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_site_adapter_switches_pack_id")
                    .table(SiteAdapterSwitches::Table)
                    .col(SiteAdapterSwitches::PackId)
                    .col(SiteAdapterSwitches::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SiteAdapterSwitches::Table).to_owned())
            .await
    }
}
