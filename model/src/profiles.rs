//! Protection profiles, deployments, recall sources and the alarm journal as the browser and the
//! API see them (the limits themselves are `model::protections`).

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;
use std::fmt;

use super::protections::{AlarmStateView, Level, ProtectionSet, Side, VariableInfo};

/// One profile without its limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileSummary {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// The seeded profile "Recall default" reads; it cannot be deleted.
    pub is_default: bool,
    pub active: bool,
    /// Increases on every save.
    pub version: i64,
    /// RFC 3339.
    pub updated_at: String,
    pub updated_by: String,
}

/// A set of limits and where it came from (a profile, or the device).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recalled {
    /// `current`, `default`, `profile:NAME` or `device`.
    pub source: String,
    /// The profile it belongs to (for `device`: the active profile it was laid over).
    pub profile: String,
    pub version: i64,
    pub protections: ProtectionSet,
    /// Field paths no device variable holds: saved and evaluated, never written.
    pub console_only: Vec<String>,
    /// For `device`: fields that could not be read, with the reason.
    pub read_errors: Vec<FieldProblem>,
    /// What the registry knows of each quantity (for validating edits in the browser).
    pub known: BTreeMap<String, VariableInfo>,
    /// Field path → the register a deploy writes it to (fields a device variable holds and a
    /// register backs): the grid's hint of the value the device will hold.
    #[serde(default)]
    pub registers: BTreeMap<String, RegisterHint>,
}

/// The register behind a limit field and how a limit becomes its raw value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterHint {
    /// In plain words: "bus bms, unit 1, holding 100".
    pub register: String,
    /// Limit units per register count (the path's scale times the step its units declare).
    pub scale: f64,
    /// The register holds whole counts (every data type but `f32`).
    pub integer: bool,
}

impl RegisterHint {
    /// The raw value the register will hold for `limit` (what the encoder writes: rounded to
    /// whole counts for integer types).
    pub fn raw(&self, limit: f64) -> f64 {
        let raw = limit / self.scale;
        if self.integer { raw.round() } else { raw }
    }

    /// True when the register holds another number than the limit (a scale other than 1): only
    /// then is the hint worth showing beside the limit.
    pub fn differs(&self) -> bool {
        (self.scale - 1.0).abs() > f64::EPSILON
    }
}

/// A field path and what went wrong with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldProblem {
    pub path: String,
    pub problem: String,
}

/// Where a recall reads from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RecallSource {
    /// The active profile as saved.
    Current,
    /// The factory defaults (`protections_default.json`, which also seeded the `default`
    /// profile on first start).
    Default,
    Profile(String),
    /// What the device holds now, read live.
    Device,
}

impl RecallSource {
    /// `current`, `default`, `profile:NAME` or `device`.
    pub fn parse(text: &str) -> Option<RecallSource> {
        match text {
            "current" | "" => Some(RecallSource::Current),
            "default" => Some(RecallSource::Default),
            "device" => Some(RecallSource::Device),
            other => other
                .strip_prefix("profile:")
                .filter(|name| !name.is_empty())
                .map(|name| RecallSource::Profile(name.to_string())),
        }
    }

    pub fn as_string(&self) -> String {
        match self {
            RecallSource::Current => "current".into(),
            RecallSource::Default => "default".into(),
            RecallSource::Device => "device".into(),
            RecallSource::Profile(name) => format!("profile:{name}"),
        }
    }
}

/// One field as a deploy would treat it: the confirmation dialog's diff row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlannedField {
    pub path: String,
    /// The rack whose path holds it on a multi-rack site; `None`: the one register every rack
    /// shares (or a single-rack site).
    #[serde(default)]
    pub rack: Option<i32>,
    /// The registry variable that holds it on the device; `None`: kept in the console only.
    pub device_variable: Option<String>,
    pub intended: f64,
    /// What the device holds now (`None` when console-only or unreadable).
    pub device: Option<f64>,
    /// Whether a deploy would write it (it differs from the device).
    pub changes: bool,
    /// Why it cannot be read or written, if so.
    pub problem: Option<String>,
}

/// What a deploy of a set would do, read from the device without writing anything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeployPreview {
    pub profile: String,
    /// The racks the limits' device variables have paths for (empty: one set of registers for
    /// the whole site). A deploy writes each chosen rack's limits through that rack's paths.
    #[serde(default)]
    pub racks: Vec<i32>,
    pub fields: Vec<PlannedField>,
}

impl DeployPreview {
    pub fn changes(&self) -> usize {
        self.fields.iter().filter(|f| f.changes).count()
    }

    pub fn console_only(&self) -> usize {
        self.fields
            .iter()
            .filter(|f| f.device_variable.is_none())
            .count()
    }

    pub fn problems(&self) -> usize {
        self.fields.iter().filter(|f| f.problem.is_some()).count()
    }
}

/// How a recorded deployment ended (the column `protection_deployments.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "server",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter)
)]
#[cfg_attr(
    feature = "server",
    sea_orm(
        rs_type = "String",
        db_type = "String(sea_orm::sea_query::StringLen::None)"
    )
)]
pub enum DeploymentStatus {
    /// Every field the device holds reads back as the set has it.
    #[cfg_attr(feature = "server", sea_orm(string_value = "succeeded"))]
    Succeeded,
    /// Refused before sending, or failed at the device (what was written was restored).
    #[cfg_attr(feature = "server", sea_orm(string_value = "failed"))]
    Failed,
}

impl DeploymentStatus {
    /// The spelling stored in the database and sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentStatus::Succeeded => "succeeded",
            DeploymentStatus::Failed => "failed",
        }
    }
}

/// What happened to one field of a deployment (the column `protection_deployment_fields.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "server",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter)
)]
#[cfg_attr(
    feature = "server",
    sea_orm(
        rs_type = "String",
        db_type = "String(sea_orm::sea_query::StringLen::None)"
    )
)]
pub enum FieldResult {
    /// Written and confirmed by read-back.
    #[cfg_attr(feature = "server", sea_orm(string_value = "written"))]
    Written,
    /// The device already held the value.
    #[cfg_attr(feature = "server", sea_orm(string_value = "unchanged"))]
    Unchanged,
    /// No device variable holds the field: kept in the console only.
    #[cfg_attr(feature = "server", sea_orm(string_value = "console_only"))]
    ConsoleOnly,
    /// The write or its read-back failed.
    #[cfg_attr(feature = "server", sea_orm(string_value = "failed"))]
    Failed,
    /// Written, then put back to its previous value after another field failed.
    #[cfg_attr(feature = "server", sea_orm(string_value = "restored"))]
    Restored,
    /// Not reached: the deploy stopped before this field.
    #[cfg_attr(feature = "server", sea_orm(string_value = "not_written"))]
    NotWritten,
}

impl FieldResult {
    /// The spelling stored in the database and sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldResult::Written => "written",
            FieldResult::Unchanged => "unchanged",
            FieldResult::ConsoleOnly => "console_only",
            FieldResult::Failed => "failed",
            FieldResult::Restored => "restored",
            FieldResult::NotWritten => "not_written",
        }
    }
}

/// One deployment in the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeploymentSummary {
    pub id: i64,
    pub profile: String,
    pub profile_version: i64,
    pub system_version: i64,
    pub status: DeploymentStatus,
    pub message: String,
    pub started_at: String,
    pub finished_at: String,
    pub deployed_by: String,
    pub written: usize,
    pub failed: usize,
}

/// The body of a deploy: a save's payload and, on a multi-rack site, the racks to write.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeployRequest {
    /// Missing: the active profile.
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default)]
    pub protections: ProtectionSet,
    /// The racks whose limits are written (missing or null: every rack the paths name).
    #[serde(default)]
    pub racks: Option<Vec<i32>>,
}

/// One field of a deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeploymentField {
    pub path: String,
    /// The rack it was written for on a multi-rack site (`None`: every rack's shared register).
    #[serde(default)]
    pub rack: Option<i32>,
    pub device_variable: Option<String>,
    pub intended: f64,
    pub before: Option<f64>,
    pub written: Option<f64>,
    pub read_back: Option<f64>,
    pub status: FieldResult,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeploymentDetail {
    pub summary: DeploymentSummary,
    pub fields: Vec<DeploymentField>,
}

/// One alarm level as the Alarms panel shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlarmRow {
    #[serde(flatten)]
    pub view: AlarmStateView,
    /// An operator acknowledged it while raised.
    pub acknowledged: bool,
}

/// What one line of the alarm journal records (the column `alarm_journal.event`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "server",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter)
)]
#[cfg_attr(
    feature = "server",
    sea_orm(
        rs_type = "String",
        db_type = "String(sea_orm::sea_query::StringLen::None)"
    )
)]
pub enum JournalEvent {
    /// The engine raised the level.
    #[cfg_attr(feature = "server", sea_orm(string_value = "raised"))]
    Raised,
    /// The engine cleared it (the value recovered).
    #[cfg_attr(feature = "server", sea_orm(string_value = "cleared"))]
    Cleared,
    /// An operator acknowledged it while raised.
    #[cfg_attr(feature = "server", sea_orm(string_value = "acknowledged"))]
    Acknowledged,
}

impl JournalEvent {
    /// The spelling stored in the database and sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            JournalEvent::Raised => "raised",
            JournalEvent::Cleared => "cleared",
            JournalEvent::Acknowledged => "acknowledged",
        }
    }
}

impl fmt::Display for JournalEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of the alarm journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JournalEntry {
    pub id: i64,
    pub at: String,
    pub variable: String,
    pub side: Side,
    pub level: Level,
    pub event: JournalEvent,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub actor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recall_sources_parse_and_print_alike() {
        for text in ["current", "default", "device", "profile:summer"] {
            let source = RecallSource::parse(text).unwrap();
            assert_eq!(source.as_string(), text);
        }
        assert_eq!(RecallSource::parse(""), Some(RecallSource::Current));
        assert_eq!(RecallSource::parse("profile:"), None);
        assert_eq!(RecallSource::parse("devices"), None);
    }

    #[test]
    fn states_are_spelled_as_stored() {
        for side in Side::ALL {
            assert_spelled_as_str!(side);
        }
        for level in Level::ALL {
            assert_spelled_as_str!(level);
        }
        assert_spelled_as_str!(
            DeploymentStatus::Succeeded,
            DeploymentStatus::Failed,
            FieldResult::Written,
            FieldResult::Unchanged,
            FieldResult::ConsoleOnly,
            FieldResult::Failed,
            FieldResult::Restored,
            FieldResult::NotWritten,
            JournalEvent::Raised,
            JournalEvent::Cleared,
            JournalEvent::Acknowledged,
        );
    }

    /// A value this build does not know is refused when read, never mapped to a guess.
    #[cfg(feature = "server")]
    #[test]
    fn unknown_stored_states_are_errors() {
        use sea_orm::ActiveEnum;
        assert!(JournalEvent::try_from_value(&"silenced".to_string()).is_err());
        assert!(FieldResult::try_from_value(&"skipped".to_string()).is_err());
        assert_eq!(
            FieldResult::try_from_value(&"console_only".to_string()).unwrap(),
            FieldResult::ConsoleOnly
        );
    }
}
