//! Live values: the poll loops that keep the latest reading of every polled path, and the live
//! value of a variable (its preferred path if that is good, else the best other), with quality.

use std::time::Duration;

use devices::codec;
use devices::planner::ReadBlock;
use tokio_util::sync::CancellationToken;

use super::config::PathSource;
use super::plan::Polled;
use super::{FieldIo, Inner, Live, millis, unix_ms};
use model::field::{LiveValue, Quality};

#[derive(Clone, Default)]
pub(super) struct Reading {
    pub(super) values: Vec<f64>,
    /// Unix ms of the last good reading.
    pub(super) at_ms: Option<u64>,
    pub(super) error: Option<String>,
}

fn quality(reading: Option<&Reading>, period: Duration, now_ms: u64) -> Quality {
    let Some(at) = reading.and_then(|r| r.at_ms) else {
        return Quality::Bad;
    };
    let age = Duration::from_millis(now_ms.saturating_sub(at));
    let failing = reading.is_some_and(|r| r.error.is_some());
    if age <= period * 3 && !failing {
        Quality::Good
    } else if age <= period * 10 {
        Quality::Stale
    } else {
        Quality::Bad
    }
}

/// The live value of one variable: its preferred path if that is good, else the best other;
/// `None` for a variable without polled paths.
fn live_value(
    name: &str,
    polled: &[Polled],
    reading_of: impl Fn(&Polled) -> Option<Reading>,
    now: u64,
) -> Option<LiveValue> {
    let graded: Vec<(&Polled, Option<Reading>, Quality)> = polled
        .iter()
        .map(|p| {
            let reading = reading_of(p);
            let quality = quality(reading.as_ref(), p.period, now);
            (p, reading, quality)
        })
        .collect();
    let rank = |q: Quality| match q {
        Quality::Good => 0,
        Quality::Stale => 1,
        Quality::Bad => 2,
    };
    // The planner lists a variable only with a path; without one it has no live value.
    let preferred = graded.first()?;
    let (chosen, reading, chosen_quality) =
        graded.iter().min_by_key(|(_, _, q)| rank(*q)).cloned()?;
    let preferred_error = preferred.1.as_ref().and_then(|r| r.error.clone());
    let reading = reading.unwrap_or_default();
    let source = if chosen.path_id == preferred.0.path_id {
        chosen.source.describe()
    } else {
        format!(
            "{} (fallback: preferred path failed)",
            chosen.source.describe()
        )
    };
    Some(LiveValue {
        name: name.to_string(),
        values: reading.values,
        quality: chosen_quality,
        at_ms: reading.at_ms,
        age_ms: reading.at_ms.map(|at| now.saturating_sub(at)),
        path_id: Some(chosen.path_id),
        source,
        error: preferred_error,
    })
}

impl FieldIo {
    /// One poll loop: reads its blocks every period of their class.
    pub(super) async fn poll(self, blocks: Vec<ReadBlock>, cancel: CancellationToken) {
        let Ok(inner) = self.inner().cloned() else {
            return;
        };
        let Some(first) = blocks.first() else { return };
        let Some(bus) = inner.buses.get(&first.device).cloned() else {
            return;
        };
        let mut ticks = tokio::time::interval(first.class.period());
        // A slow device must not cause a burst of catch-up reads.
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = ticks.tick() => {}
            }
            for block in &blocks {
                let result = bus
                    .read(block.unit_id, block.table, block.start, block.count)
                    .await;
                self.store(&inner, block, result);
            }
        }
    }

    fn store(
        &self,
        inner: &Inner,
        block: &ReadBlock,
        result: Result<Vec<u16>, devices::DeviceError>,
    ) {
        let mut guard = inner.live.write().unwrap_or_else(|e| e.into_inner());
        let live = &mut *guard;
        let now = unix_ms();
        for (path_id, offset) in &block.members {
            let path_id = i64::from(*path_id);
            // A block planned before the latest re-plan may name a path that is gone.
            let Some(target) = live.targets.get(&path_id) else {
                continue;
            };
            let reading = live.readings.entry(path_id).or_default();
            match &result {
                Ok(words) => {
                    let decoded = block
                        .words_of(words, *offset, target.count())
                        .ok_or_else(|| "short answer".to_string())
                        .and_then(|w| {
                            codec::decode_array(
                                w,
                                target.data_type,
                                target.word_order,
                                usize::from(target.elements),
                                target.scale,
                                0.0,
                            )
                            .map_err(|e| e.to_string())
                        });
                    match decoded {
                        Ok(values) => {
                            reading.values = values;
                            reading.at_ms = Some(now);
                            reading.error = None;
                        }
                        Err(error) => reading.error = Some(error),
                    }
                }
                Err(error) => reading.error = Some(error.to_string()),
            }
        }
    }

    /// Latest values of the named variables (unknown or unpolled names are left out).
    pub fn live(&self, names: &[String]) -> Vec<LiveValue> {
        let Some(inner) = &self.inner else {
            return Vec::new();
        };
        let live = inner.live.read().unwrap_or_else(|e| e.into_inner());
        let now = unix_ms();
        names
            .iter()
            .filter_map(|name| {
                let polled = live.variables.get(name)?;
                live_value(name, polled, |p| self.reading(inner, &live, p), now)
            })
            .collect()
    }

    /// The named variables that have access paths but none of them polled, each with the
    /// first path's reason (a variable with no path at all is not listed).
    pub fn not_polled(&self, names: &[String]) -> Vec<model::registry::NotPolled> {
        let Some(inner) = &self.inner else {
            return Vec::new();
        };
        let live = inner.live.read().unwrap_or_else(|e| e.into_inner());
        names
            .iter()
            .filter(|name| !live.variables.contains_key(*name))
            .filter_map(|name| {
                let (_, _, reason, _) = live.unmapped.iter().find(|(n, ..)| n == name)?;
                Some(model::registry::NotPolled {
                    name: name.clone(),
                    reason: reason.clone(),
                })
            })
            .collect()
    }

    /// The latest reading of one polled path: the poll loop's for Modbus, the latest frame's
    /// for CAN.
    fn reading(&self, inner: &Inner, live: &Live, polled: &Polled) -> Option<Reading> {
        match &polled.source {
            PathSource::Modbus(_) => live.readings.get(&polled.path_id).cloned(),
            PathSource::Can { bus, signal } => {
                let monitor = inner.can.get(bus)?;
                match monitor.latest_value(signal) {
                    Ok(Some((value, age))) => Some(Reading {
                        values: vec![value],
                        at_ms: Some(unix_ms().saturating_sub(millis(age))),
                        error: None,
                    }),
                    Ok(None) => None,
                    Err(error) => Some(Reading {
                        values: Vec::new(),
                        at_ms: None,
                        error: Some(error.to_string()),
                    }),
                }
            }
        }
    }
}
