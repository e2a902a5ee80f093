//! The site's structure (seed 002): systems, arrays, devices and their adapters, and
//! `config.yaml`, the file that describes one system.
//!
//! The catalog in the database: [`tree`] and [`systems`] read it for the console,
//! [`load_spec`] and [`apply_spec`] read and write a whole system as a `SiteSpec`, `write` and
//! `devices` hold the writes of single rows (each with If-Match), [`delete_preview`] says what a
//! delete takes with it, [`ensure_default_structure`] seeds a site that never had a structure
//! and [`changes`] reads the change log. Every write takes one system version
//! (`registry::versions`) and logs each change with who made it.

mod changes;
mod check;
mod defaults;
mod devices;
mod glance;
mod packs;
mod preview;
mod rows;
mod spec;
mod store;
mod tree;
mod write;

pub mod adapter_types;
pub mod drive;
pub mod yaml;

pub use self::changes::changes;
pub use self::defaults::{default_spec, ensure_default_structure};
pub use self::devices::{
    create_adapter, create_battery_pack, create_inverter, create_meter, delete_adapter,
    delete_battery_pack, delete_device, delete_inverter, delete_meter, update_adapter,
    update_battery_pack, update_inverter, update_meter, update_pack_adapter,
};
pub use self::drive::probe;
pub use self::glance::glance;
pub use self::packs::{MAX_BATTERIES_PER_PACK, MAX_CELLS_PER_BATTERY};
pub use self::preview::delete_preview;
pub use self::spec::{apply_spec, load_spec};
pub use self::tree::{systems, tree};
pub use self::write::{
    attach, create_battery_array, create_inverter_array, create_system, delete_battery_array,
    delete_inverter_array, delete_system, detach, update_battery_array, update_inverter_array,
    update_system,
};
