//! What the site's adapters read from the field: one reading per quantity (and element), the
//! live state of every device with the adapter that serves it, and a pack's failover journal.

use serde::{Deserialize, Serialize};

use super::quantity::{Quantity, Unit};

/// One value an adapter read: a standard quantity, the element for a per-element quantity
/// (cell 0, 1, …; none for anything else), the value in the quantity's unit (none when the
/// device marks it as not implemented, as SunSpec does) and the unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reading {
    pub quantity: Quantity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u16>,
    pub value: Option<f64>,
    pub unit: Unit,
}
