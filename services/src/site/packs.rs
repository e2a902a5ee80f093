//! Battery packs and what they generate: a pack's `batteries` and `cells_per_battery` decide its
//! `batteries` rows (`{pack}_b{i}`) and `battery_cells` rows (`{battery}_c{j}`). A change of the
//! counts adds or removes the highest indexes and keeps the rest (their serial numbers and
//! models stay). Generated rows are not logged one by one: the pack's logged fields say it all.

use entity::site::{battery, battery_cell, battery_pack};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use model::error::AppError;
use model::site::ids;
use model::site::spec::BatteryPackSpec;

use super::store::{Writer, save};

/// Batteries a pack may hold, and cells a battery may hold: far above real packs (16 × 16),
/// low enough that a typo cannot write millions of rows.
pub const MAX_BATTERIES_PER_PACK: u32 = 256;
pub const MAX_CELLS_PER_BATTERY: u32 = 512;

/// Rows per multi-row INSERT (≤ 9 columns: far under both databases' parameter limits).
const ROWS_PER_STATEMENT: usize = 1000;

/// The stored form of a count the checks have bounded.
fn stored(count: u32) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

impl Writer<'_> {
    /// Writes the pack as `new` describes it, and its batteries and cells; `old` is the pack as
    /// stored (none: a new pack).
    pub(crate) async fn put_pack(
        &self,
        new: &BatteryPackSpec,
        old: Option<&BatteryPackSpec>,
    ) -> Result<(), AppError> {
        let row = battery_pack::ActiveModel {
            pack_id: Set(new.id.clone()),
            battery_array_id: Set(new.battery_array_id.clone()),
            system_id: Set(self.system_id.clone()),
            name: Set(new.name.clone()),
            chemistry: Set(new.chemistry.clone()),
            nominal_kwh: Set(new.nominal_kwh),
            max_charge_kw: Set(new.max_charge_kw),
            max_discharge_kw: Set(new.max_discharge_kw),
            batteries_count: Set(stored(new.batteries)),
            cells_per_battery: Set(stored(new.cells_per_battery)),
            cell_nominal_voltage: Set(new.cell_nominal_voltage),
            version: Set(self.version),
            created_at: if old.is_some() {
                sea_orm::ActiveValue::NotSet
            } else {
                Set(self.now)
            },
            updated_at: Set(self.now),
        };
        save(self.txn, row, old.is_some()).await?;
        match old {
            None => self.add_batteries(new, 0).await,
            Some(old) => self.reshape(old, new).await,
        }
    }

    /// Brings an existing pack's batteries and cells from `old`'s counts to `new`'s.
    async fn reshape(&self, old: &BatteryPackSpec, new: &BatteryPackSpec) -> Result<(), AppError> {
        let pack = new.id.as_str();
        if new.batteries < old.batteries {
            battery::Entity::delete_many()
                .filter(battery::Column::PackId.eq(pack))
                .filter(battery::Column::BatteryIndex.gte(stored(new.batteries)))
                .exec(self.txn)
                .await?;
        }
        if new.cells_per_battery < old.cells_per_battery {
            battery_cell::Entity::delete_many()
                .filter(battery_cell::Column::PackId.eq(pack))
                .filter(battery_cell::Column::CellIndex.gte(stored(new.cells_per_battery)))
                .exec(self.txn)
                .await?;
        }
        if new.battery_array_id != old.battery_array_id {
            let array = Expr::value(new.battery_array_id.clone());
            battery::Entity::update_many()
                .col_expr(battery::Column::BatteryArrayId, array.clone())
                .col_expr(battery::Column::Version, Expr::value(self.version))
                .filter(battery::Column::PackId.eq(pack))
                .exec(self.txn)
                .await?;
            battery_cell::Entity::update_many()
                .col_expr(battery_cell::Column::BatteryArrayId, array)
                .col_expr(battery_cell::Column::Version, Expr::value(self.version))
                .filter(battery_cell::Column::PackId.eq(pack))
                .exec(self.txn)
                .await?;
        }
        if new.cell_nominal_voltage != old.cell_nominal_voltage {
            battery_cell::Entity::update_many()
                .col_expr(
                    battery_cell::Column::NominalVoltage,
                    Expr::value(new.cell_nominal_voltage),
                )
                .col_expr(battery_cell::Column::Version, Expr::value(self.version))
                .filter(battery_cell::Column::PackId.eq(pack))
                .exec(self.txn)
                .await?;
        }
        let kept = old.batteries.min(new.batteries);
        if new.cells_per_battery > old.cells_per_battery {
            let cells = (0..kept)
                .flat_map(|b| (old.cells_per_battery..new.cells_per_battery).map(move |c| (b, c)));
            self.insert_cells(new, cells.collect()).await?;
        }
        self.add_batteries(new, kept).await
    }

    /// Inserts batteries `from..new.batteries` of the pack, each with all its cells.
    async fn add_batteries(&self, pack: &BatteryPackSpec, from: u32) -> Result<(), AppError> {
        let rows: Vec<battery::ActiveModel> = (from..pack.batteries)
            .map(|index| battery::ActiveModel {
                battery_id: Set(ids::battery_id(&pack.id, index)),
                pack_id: Set(pack.id.clone()),
                battery_array_id: Set(pack.battery_array_id.clone()),
                system_id: Set(self.system_id.clone()),
                battery_index: Set(stored(index)),
                serial_number: Set(None),
                model: Set(None),
                version: Set(self.version),
                created_at: Set(self.now),
            })
            .collect();
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            battery::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(self.txn)
                .await?;
        }
        let cells =
            (from..pack.batteries).flat_map(|b| (0..pack.cells_per_battery).map(move |c| (b, c)));
        self.insert_cells(pack, cells.collect()).await
    }

    /// Inserts the cells `(battery index, cell index)` of the pack.
    async fn insert_cells(
        &self,
        pack: &BatteryPackSpec,
        cells: Vec<(u32, u32)>,
    ) -> Result<(), AppError> {
        for chunk in cells.chunks(ROWS_PER_STATEMENT) {
            let rows = chunk.iter().map(|&(b, c)| {
                let battery_id = ids::battery_id(&pack.id, b);
                battery_cell::ActiveModel {
                    cell_id: Set(ids::cell_id(&battery_id, c)),
                    battery_id: Set(battery_id),
                    pack_id: Set(pack.id.clone()),
                    battery_array_id: Set(pack.battery_array_id.clone()),
                    system_id: Set(self.system_id.clone()),
                    cell_index: Set(stored(c)),
                    nominal_voltage: Set(pack.cell_nominal_voltage),
                    version: Set(self.version),
                    created_at: Set(self.now),
                }
            });
            battery_cell::Entity::insert_many(rows.collect::<Vec<_>>())
                .exec_without_returning(self.txn)
                .await?;
        }
        Ok(())
    }
}
