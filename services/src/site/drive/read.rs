//! Reading every quantity of one adapter's register map once: fixed registers grouped into few
//! requests by the poll planner, SunSpec points found through the device's model chain (walked
//! once per connection and kept), scale factors applied. Only read function codes are sent.

use std::collections::BTreeMap;

use devices::DeviceError;
use devices::codec;
use devices::modbus::{self, RegisterTransport};
use devices::planner::{self, Plan, PlannerConfig, PollClass, PollPoint};
use devices::sunspec::{self, ModelChain, SunspecError};
use model::site::adapters::{RegisterMapEntry, RegisterPoint, SunspecPoint};
use model::site::live::Reading;
use model::site::quantity::Quantity;

use super::DriveError;
use super::setup::DriveSetup;

/// One adapter instance's reads: its setup, the planned block reads, and the SunSpec model
/// chain of the device once it is known.
#[derive(Debug, Clone)]
pub struct AdapterReader {
    setup: DriveSetup,
    plan: Plan,
    chain: Option<ModelChain>,
}

impl AdapterReader {
    /// Plans the reads of `setup`'s register map; a map the planner refuses (a point past
    /// register 65535, more than a request can carry) is a configuration error.
    pub fn new(setup: DriveSetup) -> Result<AdapterReader, DriveError> {
        let device = setup.endpoint.describe();
        let points: Vec<PollPoint> = setup
            .register_map
            .iter()
            .enumerate()
            .filter_map(|(index, entry)| match entry {
                RegisterMapEntry::Register(point) => Some(PollPoint {
                    key: u32::try_from(index).unwrap_or(u32::MAX),
                    device: device.clone(),
                    unit_id: setup.unit_id,
                    table: point.table,
                    address: point.address,
                    count: point
                        .data_type
                        .registers()
                        .saturating_mul(point.count.max(1)),
                    class: PollClass::Normal,
                }),
                RegisterMapEntry::Sunspec(_) => None,
            })
            .collect();
        let plan = planner::plan(&points, &PlannerConfig::default()).map_err(DriveError::Plan)?;
        Ok(AdapterReader {
            setup,
            plan,
            chain: None,
        })
    }

    pub fn setup(&self) -> &DriveSetup {
        &self.setup
    }

    /// How many requests the fixed registers take per read (SunSpec reads come on top).
    pub fn block_requests(&self) -> usize {
        self.plan.requests()
    }

    /// Forgets the SunSpec model chain: the next read walks it again (after a reconnection the
    /// device may be another one).
    pub fn forget_chain(&mut self) {
        self.chain = None;
    }

    /// Reads every quantity once over `transport`. Any failed request fails the whole read (and
    /// forgets the model chain).
    pub async fn read<T: RegisterTransport>(
        &mut self,
        transport: &mut T,
    ) -> Result<Vec<Reading>, DriveError> {
        let result = self.read_all(transport).await;
        if result.is_err() {
            self.forget_chain();
        }
        result
    }

    async fn read_all<T: RegisterTransport>(
        &mut self,
        transport: &mut T,
    ) -> Result<Vec<Reading>, DriveError> {
        let unit_id = self.setup.unit_id;
        let mut readings = Vec::new();
        for block in &self.plan.blocks {
            let words = transport
                .read(unit_id, block.table, block.start, block.count)
                .await
                .map_err(|error| self.device_error(block_registers(block), error))?;
            for (key, offset) in &block.members {
                let Some(RegisterMapEntry::Register(point)) = usize::try_from(*key)
                    .ok()
                    .and_then(|k| self.setup.register_map.get(k))
                else {
                    continue;
                };
                readings.extend(decode_point(point, block, &words, *offset)?);
            }
        }
        readings.extend(self.read_sunspec(transport).await?);
        Ok(readings)
    }

    /// The SunSpec entries: per quantity the first entry whose model the device has; each
    /// model used is read once.
    async fn read_sunspec<T: RegisterTransport>(
        &mut self,
        transport: &mut T,
    ) -> Result<Vec<Reading>, DriveError> {
        let entries: Vec<&SunspecPoint> = self
            .setup
            .register_map
            .iter()
            .filter_map(|entry| match entry {
                RegisterMapEntry::Sunspec(point) => Some(point),
                RegisterMapEntry::Register(_) => None,
            })
            .collect();
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let unit_id = self.setup.unit_id;
        let chain = match &self.chain {
            Some(chain) => chain.clone(),
            None => {
                let chain = sunspec::discover(transport, unit_id, self.setup.sunspec_base)
                    .await
                    .map_err(|error| self.sunspec_error(error))?;
                self.chain = Some(chain.clone());
                chain
            }
        };
        // Per quantity, the first entry of a model the device has.
        let mut chosen: BTreeMap<Quantity, &SunspecPoint> = BTreeMap::new();
        for entry in &entries {
            if chain.model(entry.model).is_some() {
                chosen.entry(entry.quantity).or_insert(entry);
            }
        }
        if chosen.is_empty() {
            let mut models: Vec<u16> = entries.iter().map(|e| e.model).collect();
            models.dedup();
            let listed: Vec<String> = models.iter().map(u16::to_string).collect();
            let found: Vec<String> = chain.models.iter().map(|m| m.id.to_string()).collect();
            return Err(self.sunspec_error(SunspecError::BrokenChain {
                address: chain.base,
                reason: format!(
                    "the device has none of SunSpec models {} (it has {})",
                    listed.join(", "),
                    found.join(", ")
                ),
            }));
        }
        let mut models: BTreeMap<u16, Vec<u16>> = BTreeMap::new();
        for entry in chosen.values() {
            if let (false, Some(header)) =
                (models.contains_key(&entry.model), chain.model(entry.model))
            {
                let words = sunspec::read_model(transport, unit_id, header)
                    .await
                    .map_err(|error| self.sunspec_error(error))?;
                models.insert(entry.model, words);
            }
        }
        let mut readings = Vec::new();
        for (quantity, entry) in chosen {
            let Some(words) = models.get(&entry.model) else {
                continue;
            };
            let value = sunspec::point_value(entry.model, words, &entry.point)
                .map_err(|error| self.sunspec_error(error))?;
            readings.push(Reading {
                quantity,
                index: None,
                value: value.map(|v| v * entry.scale),
                unit: quantity.unit(),
            });
        }
        Ok(readings)
    }

    fn device_error(&self, registers: String, error: DeviceError) -> DriveError {
        DriveError::Device {
            endpoint: self.setup.endpoint.describe(),
            unit_id: self.setup.unit_id,
            registers,
            error,
        }
    }

    fn sunspec_error(&self, error: SunspecError) -> DriveError {
        match error {
            SunspecError::Device(error) => self.device_error("SunSpec registers".into(), error),
            error => DriveError::Sunspec {
                endpoint: self.setup.endpoint.describe(),
                unit_id: self.setup.unit_id,
                error,
            },
        }
    }
}

/// e.g. "input 0..=25".
fn block_registers(block: &planner::ReadBlock) -> String {
    let table = modbus::table_name(block.table);
    let last = u32::from(block.start) + u32::from(block.count.max(1)) - 1;
    if last == u32::from(block.start) {
        format!("{table} {}", block.start)
    } else {
        format!("{table} {}..={last}", block.start)
    }
}

/// The readings of one register point (one per element) out of its block's words.
fn decode_point(
    point: &RegisterPoint,
    block: &planner::ReadBlock,
    words: &[u16],
    offset: u16,
) -> Result<Vec<Reading>, DriveError> {
    let size = point.data_type.registers();
    let count = point.count.max(1);
    let mut readings = Vec::with_capacity(usize::from(count));
    for element in 0..count {
        let at = offset.saturating_add(element.saturating_mul(size));
        let value = block
            .words_of(words, at, size)
            .ok_or_else(|| DriveError::Device {
                endpoint: block.device.clone(),
                unit_id: block.unit_id,
                registers: block_registers(block),
                error: DeviceError::Decode(format!(
                    "{} words came back, {} were asked for",
                    words.len(),
                    block.count
                )),
            })
            .and_then(|slice| {
                codec::decode(
                    slice,
                    point.data_type,
                    point.word_order,
                    point.scale,
                    point.offset,
                )
                .map_err(|error| DriveError::Device {
                    endpoint: block.device.clone(),
                    unit_id: block.unit_id,
                    registers: block_registers(block),
                    error,
                })
            })?;
        readings.push(Reading {
            quantity: point.quantity,
            index: (count > 1).then_some(element),
            value: Some(value),
            unit: point.quantity.unit(),
        });
    }
    Ok(readings)
}
