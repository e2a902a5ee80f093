//! The schema migrations, in order. Append new ones; never edit one that has landed on main.

// A migration's `up` is one schema step written out table by table, and landed migrations are
// never edited, so their length is not split up after the fact.
#![allow(clippy::too_many_lines)]

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_create_system_version;
mod m20261124_000002_create_registry;
mod m20261124_000003_drop_list_indexes;
mod m20261130_000004_create_protections;
mod m20261130_000005_lean_registry_constraints;
mod m20261202_000006_access_type_memory_id;
mod m20261202_000007_limits_in_engineering_units;
mod m20261202_000008_deployment_field_racks;
mod m20261202_000009_create_site;
mod m20261202_000010_site_adapter_switches;
mod m20261202_000011_field_configurations;
mod m20261202_000012_auth;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_system_version::Migration),
            Box::new(m20261124_000002_create_registry::Migration),
            Box::new(m20261124_000003_drop_list_indexes::Migration),
            Box::new(m20261130_000004_create_protections::Migration),
            Box::new(m20261130_000005_lean_registry_constraints::Migration),
            Box::new(m20261202_000006_access_type_memory_id::Migration),
            Box::new(m20261202_000007_limits_in_engineering_units::Migration),
            Box::new(m20261202_000008_deployment_field_racks::Migration),
            Box::new(m20261202_000009_create_site::Migration),
            Box::new(m20261202_000010_site_adapter_switches::Migration),
            Box::new(m20261202_000011_field_configurations::Migration),
            Box::new(m20261202_000012_auth::Migration),
        ]
    }
}
