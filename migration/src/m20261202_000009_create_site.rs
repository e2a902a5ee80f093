//! Creates the site catalog of seed 002 §4.1 (systems, inverter arrays and inverters, battery
//! arrays, packs, batteries and cells, attachments, meters, adapter types and adapter instances)
//! with the §4.4 indexes, and `site_change_log`, the catalog's audit trail.
//!
//! Differences from the seed, each on purpose:
//!
//! - Every catalog row carries `version`: the system version (`system_version`) of its last
//!   change, which a writer must name (If-Match) to change or delete it.
//! - Times are `timestamptz` like every other table, not text.
//! - `battery_array_attachments` is history: it has an id of its own and no foreign key to
//!   either array. Deleting an array closes its open attachment (`detached_at`) and keeps the
//!   row, which then names an array that is gone; a foreign key would have to cascade (and erase
//!   the history) or refuse the delete. Only deleting the whole system removes its attachments.
//!   At most one open attachment per battery array: a partial unique index on
//!   `battery_array_id WHERE detached_at IS NULL` (SQLite and PostgreSQL both have them).
//! - `adapters` has a nullable `system_id` (cascading) so that a system's adapters are found and
//!   deleted with it; `device_id` stays a plain id (it names an inverter, a pack or a meter).
//! - `battery_packs` keeps `batteries_count`, `cells_per_battery` and `cell_nominal_voltage`,
//!   from which its batteries and cells are generated, so a pack reads back as it was written.
//! - No CHECK on the enum columns (`phase_type`, `type`, `device_category`, `entity_kind`, ...):
//!   their lists will grow, and SQLite cannot alter a CHECK without rebuilding the table
//!   (migrations 5 and 6). The entities read them as enums and refuse unknown values.
//! - `site_change_log` has no foreign keys: the log outlives what it describes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Systems {
    Table,
    SystemId,
    Name,
    Description,
    Timezone,
}

#[derive(DeriveIden)]
enum Arrays {
    Table,
    ArrayId,
    SystemId,
    Name,
}

#[derive(DeriveIden)]
enum Inverters {
    Table,
    InverterId,
    ArrayId,
    SystemId,
    AdapterId,
    Name,
    Model,
    SerialNumber,
    Vendor,
    PhaseType,
}

#[derive(DeriveIden)]
enum BatteryArrays {
    Table,
    BatteryArrayId,
    SystemId,
    Name,
}

#[derive(DeriveIden)]
enum BatteryPacks {
    Table,
    PackId,
    BatteryArrayId,
    SystemId,
    Name,
    Chemistry,
    NominalKwh,
    MaxChargeKw,
    MaxDischargeKw,
    BatteriesCount,
    CellsPerBattery,
    CellNominalVoltage,
}

#[derive(DeriveIden)]
enum BatteryPackAdapters {
    Table,
    PackId,
    AdapterId,
    Priority,
    Enabled,
}

#[derive(DeriveIden)]
enum Batteries {
    Table,
    BatteryId,
    PackId,
    BatteryArrayId,
    SystemId,
    BatteryIndex,
    SerialNumber,
    Model,
}

#[derive(DeriveIden)]
enum BatteryCells {
    Table,
    CellId,
    BatteryId,
    PackId,
    BatteryArrayId,
    SystemId,
    CellIndex,
    NominalVoltage,
}

#[derive(DeriveIden)]
enum BatteryArrayAttachments {
    Table,
    Id,
    SystemId,
    BatteryArrayId,
    InverterArrayId,
    AttachedSince,
    DetachedAt,
}

#[derive(DeriveIden)]
enum Meters {
    Table,
    MeterId,
    SystemId,
    ArrayId,
    AdapterId,
    Name,
    Model,
    Type,
    AttachmentTarget,
}

#[derive(DeriveIden)]
enum AdapterBase {
    Table,
    AdapterType,
    DeviceCategory,
    Name,
    Description,
    ConfigSchema,
    SupportedTransports,
    DefaultConfig,
    TypeVersion,
    Drivable,
    NotDrivableReason,
    RegisterMap,
    Sources,
}

#[derive(DeriveIden)]
enum Adapters {
    Table,
    AdapterId,
    AdapterType,
    SystemId,
    DeviceCategory,
    Name,
    ConfigJson,
    DeviceId,
    DeviceType,
    Priority,
    Enabled,
}

#[derive(DeriveIden)]
enum SiteChangeLog {
    Table,
    Id,
    SystemVersion,
    SystemId,
    EntityKind,
    EntityId,
    ChangeType,
    Field,
    OldValue,
    NewValue,
    ChangedBy,
    SourceSystem,
    ChangedAt,
}

/// The columns every catalog table shares.
#[derive(DeriveIden)]
enum Common {
    Version,
    CreatedAt,
    UpdatedAt,
}

/// A slug primary key (`system`, `array1`, `battery1_b0_c15`).
fn slug_key(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .string()
        .not_null()
        .primary_key()
        .to_owned()
}

fn text(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).string().not_null().to_owned()
}

fn optional_text(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).string().null().to_owned()
}

fn optional_number(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).double().null().to_owned()
}

fn time(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

/// `version` (the system version of the row's last change) and its times.
fn stamps(table: &mut TableCreateStatement, updated_at: bool) {
    table
        .col(ColumnDef::new(Common::Version).big_integer().not_null())
        .col(time(Common::CreatedAt));
    if updated_at {
        table.col(time(Common::UpdatedAt));
    }
}

/// A foreign key named `fk_{from}_{column}`.
fn reference(
    from: impl IntoIden,
    column: impl IntoIden,
    to: impl IntoIden,
    to_column: impl IntoIden,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    let (from, column) = (from.into_iden(), column.into_iden());
    ForeignKey::create()
        .name(format!("fk_{from}_{column}"))
        .from(from, column)
        .to(to, to_column)
        .on_delete(on_delete)
        .to_owned()
}

fn cascade_to_system(from: impl IntoIden) -> ForeignKeyCreateStatement {
    reference(
        from,
        Systems::SystemId,
        Systems::Table,
        Systems::SystemId,
        ForeignKeyAction::Cascade,
    )
}

fn cascade_to_battery_array(from: impl IntoIden) -> ForeignKeyCreateStatement {
    reference(
        from,
        BatteryArrays::BatteryArrayId,
        BatteryArrays::Table,
        BatteryArrays::BatteryArrayId,
        ForeignKeyAction::Cascade,
    )
}

fn cascade_to_pack(from: impl IntoIden) -> ForeignKeyCreateStatement {
    reference(
        from,
        BatteryPacks::PackId,
        BatteryPacks::Table,
        BatteryPacks::PackId,
        ForeignKeyAction::Cascade,
    )
}

fn adapter_set_null(from: impl IntoIden) -> ForeignKeyCreateStatement {
    reference(
        from,
        Adapters::AdapterId,
        Adapters::Table,
        Adapters::AdapterId,
        ForeignKeyAction::SetNull,
    )
}

/// Creates plain indexes `(name, columns)` on `table`.
async fn indexes(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    list: Vec<(&str, Vec<DynIden>)>,
) -> Result<(), DbErr> {
    let table = table.into_iden();
    for (name, columns) in list {
        let mut index = Index::create();
        index.name(name).table(table.clone());
        for column in columns {
            index.col(column);
        }
        manager.create_index(index.to_owned()).await?;
    }
    Ok(())
}

fn cols<const N: usize>(columns: [DynIden; N]) -> Vec<DynIden> {
    columns.into()
}

async fn create_systems(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut systems = Table::create();
    systems
        .table(Systems::Table)
        .col(slug_key(Systems::SystemId))
        .col(text(Systems::Name))
        .col(ColumnDef::new(Systems::Description).text().null())
        .col(text(Systems::Timezone).default("Asia/Karachi"));
    stamps(&mut systems, true);
    manager.create_table(systems.to_owned()).await?;

    let mut arrays = Table::create();
    arrays
        .table(Arrays::Table)
        .col(slug_key(Arrays::ArrayId))
        .col(text(Arrays::SystemId))
        .col(text(Arrays::Name))
        .foreign_key(&mut cascade_to_system(Arrays::Table));
    stamps(&mut arrays, true);
    manager.create_table(arrays.to_owned()).await?;
    indexes(
        manager,
        Arrays::Table,
        vec![("idx_arrays_system_id", cols([Arrays::SystemId.into_iden()]))],
    )
    .await?;

    let mut battery_arrays = Table::create();
    battery_arrays
        .table(BatteryArrays::Table)
        .col(slug_key(BatteryArrays::BatteryArrayId))
        .col(text(BatteryArrays::SystemId))
        .col(text(BatteryArrays::Name))
        .foreign_key(&mut cascade_to_system(BatteryArrays::Table));
    stamps(&mut battery_arrays, true);
    manager.create_table(battery_arrays.to_owned()).await?;
    indexes(
        manager,
        BatteryArrays::Table,
        vec![(
            "idx_battery_arrays_system_id",
            cols([BatteryArrays::SystemId.into_iden()]),
        )],
    )
    .await
}

async fn create_adapters(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut base = Table::create();
    base.table(AdapterBase::Table)
        .col(slug_key(AdapterBase::AdapterType))
        // NULL: a generic type that serves any category (the instance's device decides).
        .col(optional_text(AdapterBase::DeviceCategory))
        .col(text(AdapterBase::Name))
        .col(ColumnDef::new(AdapterBase::Description).text().null())
        // JSON texts: the type's JSON Schema, its transports, its default configuration.
        .col(ColumnDef::new(AdapterBase::ConfigSchema).text().not_null())
        .col(
            ColumnDef::new(AdapterBase::SupportedTransports)
                .text()
                .null(),
        )
        .col(ColumnDef::new(AdapterBase::DefaultConfig).text().null())
        // The type file's own version: a stored row is replaced only by a newer file.
        .col(
            ColumnDef::new(AdapterBase::TypeVersion)
                .integer()
                .not_null()
                .default(1),
        )
        // False when this build cannot drive the type (e.g. Bluetooth), with the reason.
        .col(
            ColumnDef::new(AdapterBase::Drivable)
                .boolean()
                .not_null()
                .default(true),
        )
        .col(ColumnDef::new(AdapterBase::NotDrivableReason).text().null())
        // JSON texts: where the standard quantities sit, and the documents they come from.
        .col(
            ColumnDef::new(AdapterBase::RegisterMap)
                .text()
                .not_null()
                .default("[]"),
        )
        .col(
            ColumnDef::new(AdapterBase::Sources)
                .text()
                .not_null()
                .default("[]"),
        );
    stamps(&mut base, true);
    manager.create_table(base.to_owned()).await?;

    let mut adapters = Table::create();
    adapters
        .table(Adapters::Table)
        .col(slug_key(Adapters::AdapterId))
        .col(text(Adapters::AdapterType))
        .col(optional_text(Adapters::SystemId))
        .col(text(Adapters::DeviceCategory))
        .col(optional_text(Adapters::Name))
        .col(ColumnDef::new(Adapters::ConfigJson).text().not_null())
        .col(optional_text(Adapters::DeviceId))
        .col(optional_text(Adapters::DeviceType))
        .col(
            ColumnDef::new(Adapters::Priority)
                .integer()
                .not_null()
                .default(1),
        )
        .col(
            ColumnDef::new(Adapters::Enabled)
                .boolean()
                .not_null()
                .default(true),
        )
        .foreign_key(&mut reference(
            Adapters::Table,
            Adapters::AdapterType,
            AdapterBase::Table,
            AdapterBase::AdapterType,
            ForeignKeyAction::Restrict,
        ))
        .foreign_key(&mut cascade_to_system(Adapters::Table));
    stamps(&mut adapters, true);
    manager.create_table(adapters.to_owned()).await?;
    indexes(
        manager,
        Adapters::Table,
        vec![
            (
                "idx_adapters_adapter_type",
                cols([Adapters::AdapterType.into_iden()]),
            ),
            (
                "idx_adapters_device_id",
                cols([
                    Adapters::DeviceId.into_iden(),
                    Adapters::DeviceType.into_iden(),
                ]),
            ),
            (
                "idx_adapters_device_category",
                cols([Adapters::DeviceCategory.into_iden()]),
            ),
            (
                "idx_adapters_system_id",
                cols([Adapters::SystemId.into_iden()]),
            ),
        ],
    )
    .await
}

async fn create_inverters(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut inverters = Table::create();
    inverters
        .table(Inverters::Table)
        .col(slug_key(Inverters::InverterId))
        .col(text(Inverters::ArrayId))
        .col(text(Inverters::SystemId))
        .col(optional_text(Inverters::AdapterId))
        .col(text(Inverters::Name))
        .col(optional_text(Inverters::Model))
        .col(optional_text(Inverters::SerialNumber))
        .col(optional_text(Inverters::Vendor))
        .col(optional_text(Inverters::PhaseType))
        .foreign_key(&mut reference(
            Inverters::Table,
            Inverters::ArrayId,
            Arrays::Table,
            Arrays::ArrayId,
            ForeignKeyAction::Cascade,
        ))
        .foreign_key(&mut cascade_to_system(Inverters::Table))
        .foreign_key(&mut adapter_set_null(Inverters::Table));
    stamps(&mut inverters, true);
    manager.create_table(inverters.to_owned()).await?;
    indexes(
        manager,
        Inverters::Table,
        vec![
            (
                "idx_inverters_system_id",
                cols([Inverters::SystemId.into_iden()]),
            ),
            (
                "idx_inverters_array_id",
                cols([Inverters::ArrayId.into_iden()]),
            ),
            (
                "idx_inverters_adapter_id",
                cols([Inverters::AdapterId.into_iden()]),
            ),
        ],
    )
    .await
}

async fn create_packs(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut packs = Table::create();
    packs
        .table(BatteryPacks::Table)
        .col(slug_key(BatteryPacks::PackId))
        .col(text(BatteryPacks::BatteryArrayId))
        .col(text(BatteryPacks::SystemId))
        .col(text(BatteryPacks::Name))
        .col(optional_text(BatteryPacks::Chemistry))
        .col(optional_number(BatteryPacks::NominalKwh))
        .col(optional_number(BatteryPacks::MaxChargeKw))
        .col(optional_number(BatteryPacks::MaxDischargeKw))
        .col(
            ColumnDef::new(BatteryPacks::BatteriesCount)
                .integer()
                .not_null()
                .default(0)
                .check(Expr::col(BatteryPacks::BatteriesCount).gte(0)),
        )
        .col(
            ColumnDef::new(BatteryPacks::CellsPerBattery)
                .integer()
                .not_null()
                .default(0)
                .check(Expr::col(BatteryPacks::CellsPerBattery).gte(0)),
        )
        .col(optional_number(BatteryPacks::CellNominalVoltage))
        .foreign_key(&mut cascade_to_battery_array(BatteryPacks::Table))
        .foreign_key(&mut cascade_to_system(BatteryPacks::Table));
    stamps(&mut packs, true);
    manager.create_table(packs.to_owned()).await?;
    indexes(
        manager,
        BatteryPacks::Table,
        vec![
            (
                "idx_battery_packs_system_id",
                cols([BatteryPacks::SystemId.into_iden()]),
            ),
            (
                "idx_battery_packs_battery_array_id",
                cols([BatteryPacks::BatteryArrayId.into_iden()]),
            ),
        ],
    )
    .await
}

async fn create_pack_links(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut links = Table::create();
    links
        .table(BatteryPackAdapters::Table)
        .col(text(BatteryPackAdapters::PackId))
        .col(text(BatteryPackAdapters::AdapterId))
        .col(
            ColumnDef::new(BatteryPackAdapters::Priority)
                .integer()
                .not_null()
                .default(1),
        )
        .col(
            ColumnDef::new(BatteryPackAdapters::Enabled)
                .boolean()
                .not_null()
                .default(true),
        )
        .primary_key(
            Index::create()
                .col(BatteryPackAdapters::PackId)
                .col(BatteryPackAdapters::AdapterId),
        )
        .foreign_key(&mut cascade_to_pack(BatteryPackAdapters::Table))
        .foreign_key(&mut reference(
            BatteryPackAdapters::Table,
            BatteryPackAdapters::AdapterId,
            Adapters::Table,
            Adapters::AdapterId,
            ForeignKeyAction::Cascade,
        ));
    stamps(&mut links, false);
    manager.create_table(links.to_owned()).await?;
    indexes(
        manager,
        BatteryPackAdapters::Table,
        vec![
            (
                "idx_battery_pack_adapters_pack_id",
                cols([BatteryPackAdapters::PackId.into_iden()]),
            ),
            (
                "idx_battery_pack_adapters_adapter_id",
                cols([BatteryPackAdapters::AdapterId.into_iden()]),
            ),
        ],
    )
    .await
}

async fn create_batteries(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut batteries = Table::create();
    batteries
        .table(Batteries::Table)
        .col(slug_key(Batteries::BatteryId))
        .col(text(Batteries::PackId))
        .col(text(Batteries::BatteryArrayId))
        .col(text(Batteries::SystemId))
        .col(ColumnDef::new(Batteries::BatteryIndex).integer().not_null())
        .col(optional_text(Batteries::SerialNumber))
        .col(optional_text(Batteries::Model))
        .foreign_key(&mut cascade_to_pack(Batteries::Table))
        .foreign_key(&mut cascade_to_battery_array(Batteries::Table))
        .foreign_key(&mut cascade_to_system(Batteries::Table))
        .index(
            Index::create()
                .name("uq_batteries_pack_index")
                .unique()
                .col(Batteries::PackId)
                .col(Batteries::BatteryIndex),
        );
    stamps(&mut batteries, false);
    manager.create_table(batteries.to_owned()).await?;
    indexes(
        manager,
        Batteries::Table,
        vec![
            (
                "idx_batteries_system_id",
                cols([Batteries::SystemId.into_iden()]),
            ),
            (
                "idx_batteries_pack_id",
                cols([Batteries::PackId.into_iden()]),
            ),
        ],
    )
    .await
}

async fn create_cells(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut cells = Table::create();
    cells
        .table(BatteryCells::Table)
        .col(slug_key(BatteryCells::CellId))
        .col(text(BatteryCells::BatteryId))
        .col(text(BatteryCells::PackId))
        .col(text(BatteryCells::BatteryArrayId))
        .col(text(BatteryCells::SystemId))
        .col(ColumnDef::new(BatteryCells::CellIndex).integer().not_null())
        .col(optional_number(BatteryCells::NominalVoltage))
        .foreign_key(&mut reference(
            BatteryCells::Table,
            BatteryCells::BatteryId,
            Batteries::Table,
            Batteries::BatteryId,
            ForeignKeyAction::Cascade,
        ))
        .foreign_key(&mut cascade_to_pack(BatteryCells::Table))
        .foreign_key(&mut cascade_to_battery_array(BatteryCells::Table))
        .foreign_key(&mut cascade_to_system(BatteryCells::Table))
        .index(
            Index::create()
                .name("uq_battery_cells_battery_index")
                .unique()
                .col(BatteryCells::BatteryId)
                .col(BatteryCells::CellIndex),
        );
    stamps(&mut cells, false);
    manager.create_table(cells.to_owned()).await?;
    indexes(
        manager,
        BatteryCells::Table,
        vec![
            (
                "idx_battery_cells_system_id",
                cols([BatteryCells::SystemId.into_iden()]),
            ),
            (
                "idx_battery_cells_battery_id",
                cols([BatteryCells::BatteryId.into_iden()]),
            ),
            (
                "idx_battery_cells_pack_id",
                cols([BatteryCells::PackId.into_iden()]),
            ),
        ],
    )
    .await
}

async fn create_attachments(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut attachments = Table::create();
    attachments
        .table(BatteryArrayAttachments::Table)
        .col(
            ColumnDef::new(BatteryArrayAttachments::Id)
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(text(BatteryArrayAttachments::SystemId))
        // No foreign keys to the arrays: see the module comment (history outlives the arrays).
        .col(text(BatteryArrayAttachments::BatteryArrayId))
        .col(text(BatteryArrayAttachments::InverterArrayId))
        .col(time(BatteryArrayAttachments::AttachedSince))
        .col(
            ColumnDef::new(BatteryArrayAttachments::DetachedAt)
                .timestamp_with_time_zone()
                .null(),
        )
        .foreign_key(&mut cascade_to_system(BatteryArrayAttachments::Table));
    stamps(&mut attachments, false);
    manager.create_table(attachments.to_owned()).await?;
    indexes(
        manager,
        BatteryArrayAttachments::Table,
        vec![
            (
                "idx_battery_array_attachments_system_id",
                cols([BatteryArrayAttachments::SystemId.into_iden()]),
            ),
            (
                "idx_battery_array_attachments_battery_array_id",
                cols([BatteryArrayAttachments::BatteryArrayId.into_iden()]),
            ),
            (
                "idx_battery_array_attachments_inverter_array_id",
                cols([BatteryArrayAttachments::InverterArrayId.into_iden()]),
            ),
        ],
    )
    .await?;
    // At most one open attachment per battery array.
    manager
        .create_index(
            Index::create()
                .name("uq_battery_array_attachments_open")
                .table(BatteryArrayAttachments::Table)
                .col(BatteryArrayAttachments::BatteryArrayId)
                .unique()
                .and_where(Expr::col(BatteryArrayAttachments::DetachedAt).is_null())
                .to_owned(),
        )
        .await
}

async fn create_meters(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut meters = Table::create();
    meters
        .table(Meters::Table)
        .col(slug_key(Meters::MeterId))
        .col(text(Meters::SystemId))
        // NULL: a system-level meter.
        .col(optional_text(Meters::ArrayId))
        .col(optional_text(Meters::AdapterId))
        .col(text(Meters::Name))
        .col(optional_text(Meters::Model))
        .col(optional_text(Meters::Type))
        // `system` or the array id, as the seed's file carries it.
        .col(optional_text(Meters::AttachmentTarget))
        .foreign_key(&mut cascade_to_system(Meters::Table))
        .foreign_key(&mut reference(
            Meters::Table,
            Meters::ArrayId,
            Arrays::Table,
            Arrays::ArrayId,
            ForeignKeyAction::SetNull,
        ))
        .foreign_key(&mut adapter_set_null(Meters::Table));
    stamps(&mut meters, true);
    manager.create_table(meters.to_owned()).await?;
    indexes(
        manager,
        Meters::Table,
        vec![
            ("idx_meters_system_id", cols([Meters::SystemId.into_iden()])),
            ("idx_meters_array_id", cols([Meters::ArrayId.into_iden()])),
            (
                "idx_meters_adapter_id",
                cols([Meters::AdapterId.into_iden()]),
            ),
        ],
    )
    .await
}

async fn create_change_log(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(SiteChangeLog::Table)
                .col(
                    ColumnDef::new(SiteChangeLog::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(SiteChangeLog::SystemVersion)
                        .big_integer()
                        .not_null(),
                )
                .col(text(SiteChangeLog::SystemId))
                .col(text(SiteChangeLog::EntityKind))
                .col(text(SiteChangeLog::EntityId))
                .col(text(SiteChangeLog::ChangeType))
                .col(optional_text(SiteChangeLog::Field))
                .col(ColumnDef::new(SiteChangeLog::OldValue).text().null())
                .col(ColumnDef::new(SiteChangeLog::NewValue).text().null())
                .col(text(SiteChangeLog::ChangedBy))
                .col(text(SiteChangeLog::SourceSystem))
                .col(time(SiteChangeLog::ChangedAt))
                .to_owned(),
        )
        .await?;
    indexes(
        manager,
        SiteChangeLog::Table,
        vec![
            (
                "idx_site_change_log_system_id",
                cols([
                    SiteChangeLog::SystemId.into_iden(),
                    SiteChangeLog::Id.into_iden(),
                ]),
            ),
            (
                "idx_site_change_log_system_version",
                cols([SiteChangeLog::SystemVersion.into_iden()]),
            ),
        ],
    )
    .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_systems(manager).await?;
        create_adapters(manager).await?;
        create_inverters(manager).await?;
        create_packs(manager).await?;
        create_pack_links(manager).await?;
        create_batteries(manager).await?;
        create_cells(manager).await?;
        create_attachments(manager).await?;
        create_meters(manager).await?;
        create_change_log(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SiteChangeLog::Table.into_iden(),
            Meters::Table.into_iden(),
            BatteryArrayAttachments::Table.into_iden(),
            BatteryCells::Table.into_iden(),
            Batteries::Table.into_iden(),
            BatteryPackAdapters::Table.into_iden(),
            BatteryPacks::Table.into_iden(),
            Inverters::Table.into_iden(),
            Adapters::Table.into_iden(),
            AdapterBase::Table.into_iden(),
            BatteryArrays::Table.into_iden(),
            Arrays::Table.into_iden(),
            Systems::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
