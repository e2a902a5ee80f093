//! `variable_access_paths`: the ways to reach a variable (memory table, Modbus, CAN, RS485).

use model::registry::AccessType;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "variable_access_paths")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub variable_id: i64,
    /// Also checked by the database.
    pub access_type: AccessType,
    /// Canonical JSON (sorted keys) of the reference, validated per access type.
    #[sea_orm(column_type = "Text")]
    pub reference: String,
    pub priority: i32,
    pub read_only: bool,
    /// `None` = valid for every rack.
    pub rack_number: Option<i32>,
    pub device_id: Option<String>,
    pub path_version: i64,
    pub system_version: i64,
    pub last_updated: DateTimeUtc,
    /// Inactive paths are kept (pruned or removed), never deleted.
    pub active: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::system_variable::Entity",
        from = "Column::VariableId",
        to = "super::system_variable::Column::Id",
        on_delete = "Cascade"
    )]
    Variable,
}

impl Related<super::system_variable::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Variable.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
