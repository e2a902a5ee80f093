//! From an adapter type and an instance configuration to what field I/O needs: the Modbus
//! endpoint (TCP host and port, or serial port, baud rate, parity and stop bits), the unit id,
//! the SunSpec base address and the register map. A setting the configuration leaves out takes
//! its default from the type's JSON Schema.

use devices::modbus::{Endpoint, Parity};
use model::site::adapters::{AdapterType, RegisterMapEntry, Transport};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::DriveError;

/// One adapter instance, ready to be read.
#[derive(Debug, Clone, PartialEq)]
pub struct DriveSetup {
    pub endpoint: Endpoint,
    pub unit_id: u8,
    /// Where to look for the SunSpec marker first (the standard bases are tried after it).
    pub sunspec_base: Option<u16>,
    /// The type's map, or the instance's own for a generic type (`modbus_generic`).
    pub register_map: Vec<RegisterMapEntry>,
}

impl DriveSetup {
    /// The setup of `config` (an instance configuration of `adapter_type`, checked against its
    /// schema by the caller or not: every setting read here is checked again).
    pub fn new(adapter_type: &AdapterType, config: &Value) -> Result<DriveSetup, DriveError> {
        if !adapter_type.drivable {
            let reason = adapter_type
                .not_drivable_reason
                .clone()
                .unwrap_or_else(|| "this build cannot drive it".into());
            return Err(DriveError::NotDrivable(format!(
                "adapter type {}: {reason}",
                adapter_type.adapter_type
            )));
        }
        let settings = Settings {
            adapter_type,
            config,
        };
        let transport: Transport = settings.required("transport")?;
        if !adapter_type.supported_transports.contains(&transport) {
            return Err(config_error(
                "transport",
                format!(
                    "{} does not support {} (it supports {})",
                    adapter_type.adapter_type,
                    transport.as_str(),
                    adapter_type
                        .supported_transports
                        .iter()
                        .map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let endpoint = settings.endpoint(transport)?;
        let unit_id: u8 = settings.required("unit_id")?;
        if !(1..=247).contains(&unit_id) {
            return Err(config_error(
                "unit_id",
                format!("{unit_id} is not a Modbus unit id (1 to 247)"),
            ));
        }
        let sunspec_base: Option<u16> = settings.optional("base_address")?;
        let register_map = if adapter_type.register_map.is_empty() {
            settings.optional("register_map")?.unwrap_or_default()
        } else {
            adapter_type.register_map.clone()
        };
        if register_map.is_empty() {
            return Err(config_error(
                "register_map",
                "the adapter reads nothing: its register map is empty".into(),
            ));
        }
        Ok(DriveSetup {
            endpoint,
            unit_id,
            sunspec_base,
            register_map,
        })
    }
}

fn config_error(setting: &str, message: String) -> DriveError {
    DriveError::Config {
        setting: setting.to_string(),
        message,
    }
}

/// The settings of one configuration with the schema's defaults behind them.
struct Settings<'a> {
    adapter_type: &'a AdapterType,
    config: &'a Value,
}

impl Settings<'_> {
    /// The Modbus endpoint of `transport`: TCP host and port, or serial port, baud rate, parity
    /// and stop bits.
    fn endpoint(&self, transport: Transport) -> Result<Endpoint, DriveError> {
        let endpoint = match transport {
            Transport::Tcp => {
                let host: String = self.required("host")?;
                let port: u16 = self.required("port")?;
                if host.is_empty() {
                    return Err(config_error("host", "name the host".into()));
                }
                if host.contains(':') {
                    Endpoint::tcp(format!("[{host}]:{port}"))
                } else {
                    Endpoint::tcp(format!("{host}:{port}"))
                }
            }
            Transport::Rtu => {
                let path: String = self.required("serial_port")?;
                let baud_rate: u32 = self.required("baudrate")?;
                let parity: Parity = self.optional("parity")?.unwrap_or_default();
                let stop_bits: u8 = self.optional("stop_bits")?.unwrap_or(1);
                if !matches!(stop_bits, 1 | 2) {
                    return Err(config_error(
                        "stop_bits",
                        format!("{stop_bits} is not 1 or 2"),
                    ));
                }
                if baud_rate == 0 {
                    return Err(config_error("baudrate", "must be above 0".into()));
                }
                Endpoint::Rtu {
                    path,
                    baud_rate,
                    parity,
                    stop_bits,
                    // Modbus RTU is always 8 data bits; the inter-frame delay follows the baud rate.
                    data_bits: 8,
                    inter_frame_delay_ms: None,
                }
            }
            Transport::Can | Transport::Ble => {
                return Err(DriveError::NotDrivable(format!(
                    "{} adapters are not read as Modbus devices",
                    transport.as_str()
                )));
            }
        };
        Ok(endpoint)
    }

    /// The configuration's value of `key`, else the schema's `default` for it.
    fn raw(&self, key: &str) -> Option<&Value> {
        self.config.get(key).or_else(|| {
            self.adapter_type
                .config_schema
                .get("properties")?
                .get(key)?
                .get("default")
        })
    }

    fn optional<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, DriveError> {
        match self.raw(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => T::deserialize(value)
                .map(Some)
                .map_err(|e| config_error(key, format!("{value} is not usable here: {e}"))),
        }
    }

    fn required<T: DeserializeOwned>(&self, key: &str) -> Result<T, DriveError> {
        self.optional(key)?
            .ok_or_else(|| config_error(key, "missing, and the type has no default".into()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::site::adapter_types::AdapterCatalog;

    fn setup(adapter_type: &str, config: Value) -> Result<DriveSetup, DriveError> {
        let catalog = AdapterCatalog::builtin().unwrap();
        DriveSetup::new(catalog.get(adapter_type).unwrap(), &config)
    }

    #[test]
    fn tcp_takes_the_schema_default_port() {
        let s = setup(
            "simulator_bms",
            json!({"transport": "tcp", "host": "10.0.0.9", "unit_id": 2}),
        )
        .unwrap();
        assert_eq!(s.endpoint, Endpoint::tcp("10.0.0.9:502"));
        assert_eq!(s.unit_id, 2);
        assert_eq!(s.register_map.len(), 8);
    }

    #[test]
    fn rtu_reads_baud_rate_parity_and_stop_bits() {
        let s = setup(
            "simulator_meter",
            json!({"transport": "rtu", "serial_port": "/dev/ttyUSB0", "baudrate": 19200,
                   "parity": "even", "stop_bits": 2, "unit_id": 3}),
        )
        .unwrap();
        assert_eq!(
            s.endpoint.describe(),
            "Modbus RTU /dev/ttyUSB0 19200 8E2",
            "{:?}",
            s.endpoint
        );
    }

    #[test]
    fn bad_settings_are_named() {
        let e = setup(
            "simulator_bms",
            json!({"transport": "tcp", "host": "h", "unit_id": 300}),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("unit_id:"), "{e}");
        let e = setup("simulator_bms", json!({"transport": "tcp", "unit_id": 2})).unwrap_err();
        assert!(e.to_string().starts_with("host:"), "{e}");
        let e = setup(
            "modbus_generic",
            json!({"transport": "tcp", "host": "h", "unit_id": 1}),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("register_map:"), "{e}");
        let e = setup("jkbms_ble", json!({})).unwrap_err();
        assert!(matches!(e, DriveError::NotDrivable(_)), "{e}");
    }
}
