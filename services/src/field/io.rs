//! Field I/O on request: reading a variable now (preferred path first, falling back on failure),
//! writing one with read-back, and raw register reads and writes for the deploy.

use std::time::Duration;

use devices::bus::BusHandle;
use devices::can::CanSignal;
use devices::codec;
use sea_orm::DatabaseConnection;

use super::config::{MappingError, PathSource, Target};
use super::{FieldIo, Inner, unix_ms};
use crate::actor::Actor;
use crate::auth::audit;
use crate::registry::query;
use model::auth::AuditAction;
use model::error::AppError;
use model::field::{LiveValue, Quality, WriteOutcome};
use model::registry::AccessPath;

/// How long a CAN read-now waits for the next frame of its id.
const CAN_READ_TIMEOUT: Duration = Duration::from_secs(2);

/// The Modbus target a write of variable `name` through `path` goes to, and `values` encoded
/// for it; refused, with the reason, when the path is not writable or the values do not fit.
fn write_target(
    inner: &Inner,
    path: &AccessPath,
    name: &str,
    values: &[f64],
) -> Result<(Target, Vec<u16>), AppError> {
    let target = inner.config.target(path).map_err(|error| match error {
        MappingError::NoSource(why) => AppError::NotConfigured(why),
        MappingError::Unsupported(why) => AppError::validation("value", why),
    })?;
    if !target.table.is_writable() {
        return Err(AppError::validation(
            "value",
            format!("path {} is a read-only {:?} table", path.id, target.table),
        ));
    }
    if values.len() != usize::from(target.elements) {
        return Err(AppError::validation(
            "value",
            format!(
                "{name:?} takes {} value(s), got {}",
                target.elements,
                values.len()
            ),
        ));
    }
    let words = codec::encode_array(
        values,
        target.data_type,
        target.word_order,
        target.scale,
        0.0,
    )
    .map_err(|e| AppError::validation("value", e.to_string()))?;
    Ok((target, words))
}

fn bus_of<'a>(inner: &'a Inner, target: &Target) -> Result<&'a BusHandle, AppError> {
    inner.buses.get(&target.bus).ok_or_else(|| {
        AppError::NotConfigured(format!("no bus named {:?} is configured", target.bus))
    })
}

async fn read_target(inner: &Inner, target: &Target) -> Result<Vec<f64>, devices::DeviceError> {
    let bus = inner
        .buses
        .get(&target.bus)
        .ok_or_else(|| devices::DeviceError::Refused(format!("no bus named {:?}", target.bus)))?;
    let words = bus
        .read(target.unit_id, target.table, target.address, target.count())
        .await?;
    codec::decode_array(
        &words,
        target.data_type,
        target.word_order,
        usize::from(target.elements),
        target.scale,
        0.0,
    )
}

/// Waits for the next frame of the signal's id and decodes it.
async fn read_can(
    inner: &Inner,
    bus: &str,
    signal: &CanSignal,
) -> Result<Vec<f64>, devices::DeviceError> {
    let monitor = inner
        .can
        .get(bus)
        .ok_or_else(|| devices::DeviceError::Refused(format!("CAN bus {bus:?} is not running")))?;
    let frame = monitor
        .next(signal.can_id, signal.extended, CAN_READ_TIMEOUT)
        .await?;
    Ok(vec![signal.decode(&frame)?])
}

/// Active paths of a variable that match the rack, preferred first.
async fn readable_paths(
    db: &DatabaseConnection,
    name: &str,
    rack: Option<i32>,
) -> Result<Vec<AccessPath>, AppError> {
    let variable = query::get_variable(db, name).await?;
    let mut paths: Vec<AccessPath> = variable
        .paths
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.active)
        .filter(|p| p.rack_number.is_none() || p.rack_number == rack)
        .collect();
    paths.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.id.cmp(&b.id)));
    Ok(paths)
}

impl FieldIo {
    /// Reads the variable now, preferred path first, falling back to the next on failure.
    pub async fn read_now(
        &self,
        db: &DatabaseConnection,
        name: &str,
        rack: Option<i32>,
    ) -> Result<LiveValue, AppError> {
        let inner = self.inner()?;
        let mut failures = Vec::new();
        // Whether any device was asked: if none was, no path can be served under this
        // configuration (no data source, or too large for one request), and the answer is a
        // configuration problem, not a device failure.
        let mut asked_a_device = false;
        for path in readable_paths(db, name, rack).await? {
            let source = match inner.config.source(&path) {
                Ok(source) => source,
                Err(reason) => {
                    failures.push(format!("path {}: {reason}", path.id));
                    continue;
                }
            };
            asked_a_device = true;
            let read = match &source {
                PathSource::Modbus(target) => read_target(inner, target).await,
                PathSource::Can { bus, signal } => read_can(inner, bus, signal).await,
            };
            match read {
                Ok(values) => {
                    let source = if failures.is_empty() {
                        source.describe()
                    } else {
                        format!("{} (fallback: {})", source.describe(), failures.join("; "))
                    };
                    return Ok(LiveValue {
                        name: name.to_string(),
                        values,
                        quality: Quality::Good,
                        at_ms: Some(unix_ms()),
                        age_ms: Some(0),
                        path_id: Some(path.id),
                        source,
                        error: None,
                    });
                }
                Err(error) => failures.push(format!("path {}: {error}", path.id)),
            }
        }
        if failures.is_empty() {
            return Err(AppError::NotFound(format!("{name:?} has no active path")));
        }
        if asked_a_device {
            Err(AppError::Device(failures.join("; ")))
        } else {
            Err(AppError::NotConfigured(failures.join("; ")))
        }
    }

    /// Writes `values` through the best writable path, then reads back and compares. Refused,
    /// with the reason, before anything is sent when no path is writable or a value does not fit.
    pub async fn write(
        &self,
        db: &DatabaseConnection,
        name: &str,
        values: &[f64],
        rack: Option<i32>,
        actor: &Actor,
    ) -> Result<WriteOutcome, AppError> {
        let inner = self.inner()?;
        let preference = query::PathPreference {
            rack,
            access_type: None,
            writable: true,
        };
        let path = query::preferred_path(db, name, &preference)
            .await
            .map_err(|e| match e {
                AppError::NotFound(why) => AppError::validation("value", why),
                other => other,
            })?;
        let (target, words) = write_target(inner, &path, name, values)?;
        let bus = bus_of(inner, &target)?;
        let before = read_target(inner, &target).await?;
        let audit_entry = |confirmed: bool, after: Option<serde_json::Value>| {
            let entry = actor
                .audit(
                    AuditAction::DeviceWrite,
                    format!("variable {name}"),
                    chrono::Utc::now(),
                )
                .detail(serde_json::json!({
                    "path": path.id,
                    "values": values,
                    "source_system": actor.source_system,
                }))
                .change(Some(serde_json::json!(before)), after);
            if confirmed { entry } else { entry.failed() }
        };
        if let Err(error) = bus
            .write(target.unit_id, target.table, target.address, &words)
            .await
        {
            let entry = audit_entry(false, None).detail(serde_json::json!({
                "path": path.id,
                "values": values,
                "source_system": actor.source_system,
                "error": error.to_string(),
            }));
            audit::record(db, entry).await?;
            return Err(error.into());
        }
        let read_back = read_target(inner, &target).await?;
        let confirmed = values.len() == read_back.len()
            && values
                .iter()
                .zip(&read_back)
                .all(|(w, r)| codec::same_value(*w, *r, target.data_type, target.scale));
        // The device holds what it holds whatever happens to this row: it is the record of the
        // write (or of the write the device did not confirm).
        audit::record(
            db,
            audit_entry(confirmed, Some(serde_json::json!(read_back))),
        )
        .await?;
        tracing::info!(%name, actor = %actor.user, path = path.id, ?values, ?read_back, confirmed, "device write");
        Ok(WriteOutcome {
            name: name.to_string(),
            path_id: path.id,
            source: target.describe(),
            before,
            written: values.to_vec(),
            read_back,
            confirmed,
        })
    }

    /// Reads `count` raw registers in one request.
    pub async fn read_registers(
        &self,
        bus: &str,
        unit_id: u8,
        table: devices::RegisterTable,
        start: u16,
        count: u16,
    ) -> Result<Vec<u16>, devices::DeviceError> {
        let handle = self.bus_handle(bus)?;
        handle.read(unit_id, table, start, count).await
    }

    /// Writes raw registers in one request.
    pub async fn write_registers(
        &self,
        bus: &str,
        unit_id: u8,
        table: devices::RegisterTable,
        start: u16,
        words: &[u16],
    ) -> Result<(), devices::DeviceError> {
        let handle = self.bus_handle(bus)?;
        handle.write(unit_id, table, start, words).await
    }

    fn bus_handle(&self, bus: &str) -> Result<&BusHandle, devices::DeviceError> {
        self.inner
            .as_ref()
            .and_then(|inner| inner.buses.get(bus))
            .ok_or_else(|| devices::DeviceError::Refused(format!("no bus named {bus:?}")))
    }
}
