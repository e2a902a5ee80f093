//! The site catalog (seed 002 §4.1): systems, arrays, devices, generated batteries and cells,
//! attachments, adapter types and instances, and the catalog's change log. Every catalog row
//! carries `version`, the system version of its last change.

pub mod adapter;
pub mod adapter_base;
pub mod adapter_switch;
pub mod battery;
pub mod battery_array;
pub mod battery_array_attachment;
pub mod battery_cell;
pub mod battery_pack;
pub mod battery_pack_adapter;
pub mod change_log;
pub mod inverter;
pub mod inverter_array;
pub mod meter;
pub mod system;
