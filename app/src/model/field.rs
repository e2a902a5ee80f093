//! Live values and device writes as the browser and the API see them.

use serde::{Deserialize, Serialize};

/// How much a live value can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quality {
    /// Read successfully within three poll periods.
    Good,
    /// The last good reading is older than three poll periods.
    Stale,
    /// No good reading: the device failed or the path cannot be read.
    Bad,
}

impl Quality {
    pub fn as_str(self) -> &'static str {
        match self {
            Quality::Good => "good",
            Quality::Stale => "stale",
            Quality::Bad => "bad",
        }
    }
}

/// The latest value of one variable and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveValue {
    pub name: String,
    /// One value per element (`num` elements for arrays); empty when there is no good reading.
    pub values: Vec<f64>,
    pub quality: Quality,
    /// Unix time (ms) of the reading the values come from.
    pub at_ms: Option<u64>,
    /// The access path that delivered it.
    pub path_id: Option<i64>,
    /// Plain words, e.g. "modbus bms unit 2 input 2" or "… (fallback: preferred path failed)".
    pub source: String,
    /// Why the preferred path has no good value, if it has none.
    pub error: Option<String>,
}

/// What a write did: where it went, what was written, and what the device holds now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WriteOutcome {
    pub name: String,
    pub path_id: i64,
    pub source: String,
    pub before: Vec<f64>,
    pub written: Vec<f64>,
    pub read_back: Vec<f64>,
    /// The read-back equals the written values within the encoding's resolution.
    pub confirmed: bool,
}
