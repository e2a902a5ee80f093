//! `config.yaml`, the site's first-start import file (seed 002 §3.2, §6.2, §7.1): reading it into a
//! [`SiteSpec`](model::site::spec::SiteSpec) with every problem reported at its line and column,
//! and writing a `SiteSpec` back in the same format (`powerdeck site export`), so that an exported
//! file imports back with nothing to change.
//!
//! The file's words are the prototype's: `home` is the system, `arrays` the inverter arrays,
//! `battery_bank_arrays` the battery arrays and `battery_banks` the packs. An adapter is written
//! inline on its device as `adapter: {type: ..., <configuration>...}` (a pack may list several under
//! `adapters:`); the keys `type`, `id`, `name`, `priority` and `enabled` belong to the adapter,
//! every other key to its configuration.

mod adapter;
mod links;
mod node;
mod problems;
mod read;
#[cfg(test)]
mod tests;
mod write;

pub use self::problems::{SiteFileProblem, SiteFileProblems};
pub use self::read::read_site_yaml;
pub use self::write::write_site_yaml;

/// What the reader asks of the adapter-type catalog: whether a type exists and what is wrong with
/// a configuration of it.
pub trait AdapterConfigCheck {
    /// Whether `adapter_type` is a known adapter type.
    fn knows(&self, adapter_type: &str) -> bool;

    /// The problems of `config` (the adapter's keys other than `type`, `id`, `name`, `priority`
    /// and `enabled`) for a known type: (JSON pointer into `config`, what is wrong).
    fn check(&self, adapter_type: &str, config: &serde_json::Value) -> Vec<(String, String)>;

    /// The known types, named in the problem about an unknown one (none by default).
    fn known_types(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Accepts every adapter type and configuration: for tests, and until the catalog checks them.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyAdapter;

impl AdapterConfigCheck for AnyAdapter {
    fn knows(&self, _adapter_type: &str) -> bool {
        true
    }

    fn check(&self, _adapter_type: &str, _config: &serde_json::Value) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// The file's sections and the keys allowed in each of their items; the reader rejects any other
/// key and the writer writes no other.
mod keys {
    pub(super) const HOME: &str = "home";
    pub(super) const ARRAYS: &str = "arrays";
    pub(super) const INVERTERS: &str = "inverters";
    pub(super) const BATTERY_ARRAYS: &str = "battery_bank_arrays";
    pub(super) const PACKS: &str = "battery_banks";
    pub(super) const ATTACHMENTS: &str = "battery_bank_array_attachments";
    pub(super) const METERS: &str = "meters";

    pub(super) const SECTIONS: [&str; 7] = [
        HOME,
        ARRAYS,
        INVERTERS,
        BATTERY_ARRAYS,
        PACKS,
        ATTACHMENTS,
        METERS,
    ];
    pub(super) const HOME_KEYS: [&str; 4] = ["id", "name", "description", "timezone"];
    pub(super) const ARRAY_KEYS: [&str; 5] = ["id", "name", "system_id", "home_id", "inverter_ids"];
    pub(super) const INVERTER_KEYS: [&str; 10] = [
        "id",
        "name",
        "system_id",
        "home_id",
        "array_id",
        "model",
        "serial_number",
        "vendor",
        "phase_type",
        "adapter",
    ];
    pub(super) const BATTERY_ARRAY_KEYS: [&str; 5] =
        ["id", "name", "system_id", "home_id", "battery_bank_ids"];
    pub(super) const PACK_KEYS: [&str; 14] = [
        "id",
        "name",
        "system_id",
        "home_id",
        "battery_array_id",
        "chemistry",
        "nominal_kwh",
        "max_charge_kw",
        "max_discharge_kw",
        "batteries",
        "cells_per_battery",
        "cell_nominal_voltage",
        "adapter",
        "adapters",
    ];
    pub(super) const ATTACHMENT_KEYS: [&str; 4] = [
        "battery_bank_array_id",
        "inverter_array_id",
        "attached_since",
        "detached_at",
    ];
    pub(super) const METER_KEYS: [&str; 10] = [
        "id",
        "name",
        "system_id",
        "home_id",
        "array_id",
        "attachment_target",
        "type",
        "model",
        "adapter",
        "adapter_id",
    ];
    /// An adapter's own keys; every other key of `adapter:` is its configuration.
    pub(super) const ADAPTER_KEYS: [&str; 5] = ["type", "id", "name", "priority", "enabled"];
    /// A meter's `array_id` for a system-level meter (besides null and the system's own id).
    pub(super) const SYSTEM_LEVEL: &str = "home";
}

/// Reads `text` as a `config.yaml` named `file_name` and, when the file is sound, applies it as
/// `apply_spec` does (a preview when `dry_run`): the one import behind `powerdeck site import`,
/// the REST import and the Site page. A bad file is an outcome with its problems, not an error;
/// the error is for the database's rules (an id another system holds) and failures.
pub async fn import_text(
    db: &sea_orm::DatabaseConnection,
    catalog: &(dyn AdapterConfigCheck + Sync),
    text: &str,
    file_name: &str,
    prune: bool,
    dry_run: bool,
    actor: &crate::actor::Actor,
) -> Result<model::site::plan::SiteImportOutcome, model::error::AppError> {
    use model::site::plan::{FileProblem, SiteImportOutcome};
    let spec = match read_site_yaml(text, file_name, catalog) {
        Ok(spec) => spec,
        Err(found) => {
            let problems = found
                .problems
                .into_iter()
                .map(|p| FileProblem {
                    line: p.line,
                    column: p.column,
                    path: p.path,
                    message: p.message,
                })
                .collect();
            return Ok(SiteImportOutcome {
                file_name: file_name.to_string(),
                problems,
                plan: None,
                applied: false,
            });
        }
    };
    let plan = super::apply_spec(db, &spec, prune, dry_run, actor).await?;
    Ok(SiteImportOutcome {
        file_name: file_name.to_string(),
        problems: Vec::new(),
        applied: !dry_run && !plan.is_empty(),
        plan: Some(plan),
    })
}
