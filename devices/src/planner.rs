//! The poll planner: from the registers that must be polled, the fewest block reads that cover
//! them all, per device, table and poll class, under the protocol limit and a largest gap.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::types::RegisterTable;

/// How often a variable is polled.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum PollClass {
    Fast,
    #[default]
    Normal,
    Slow,
}

impl PollClass {
    /// Every class, fastest first.
    pub const ALL: [PollClass; 3] = [PollClass::Fast, PollClass::Normal, PollClass::Slow];

    /// The default period of the class.
    pub fn period(self) -> Duration {
        match self {
            PollClass::Fast => Duration::from_millis(200),
            PollClass::Normal => Duration::from_secs(1),
            PollClass::Slow => Duration::from_secs(10),
        }
    }

    /// The name as serde spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            PollClass::Fast => "fast",
            PollClass::Normal => "normal",
            PollClass::Slow => "slow",
        }
    }
}

/// Registers one caller needs read (`key` is the caller's own id, e.g. an access path id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollPoint {
    pub key: u32,
    /// The bus or endpoint that reaches the device.
    pub device: String,
    pub unit_id: u8,
    pub table: RegisterTable,
    pub address: u16,
    pub count: u16,
    pub class: PollClass,
}

impl PollPoint {
    fn end(&self) -> u32 {
        u32::from(self.address) + u32::from(self.count)
    }
}

/// How far the planner may stretch one read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannerConfig {
    /// Largest run of registers no point needs that a block may read across.
    pub max_gap: u16,
    /// Largest block; `None` means the protocol limit of the table (125 registers, 2,000 bits).
    pub max_registers: Option<u16>,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        PlannerConfig {
            max_gap: 8,
            max_registers: None,
        }
    }
}

/// One read request of the plan and which points it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadBlock {
    pub device: String,
    pub unit_id: u8,
    pub table: RegisterTable,
    pub class: PollClass,
    pub start: u16,
    pub count: u16,
    /// (point key, offset of its first register within the block).
    pub members: Vec<(u32, u16)>,
}

impl ReadBlock {
    /// The `count` words of the member at `offset` out of the block's read result (`words`
    /// starts at `start`); `None` if the result is too short to hold them.
    pub fn words_of<'w>(&self, words: &'w [u16], offset: u16, count: u16) -> Option<&'w [u16]> {
        words.get(usize::from(offset)..usize::from(offset) + usize::from(count))
    }
}

/// The reads that cover every point, in a stable order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub blocks: Vec<ReadBlock>,
}

impl Plan {
    /// How many read requests the plan makes (one per block) when every class is polled once.
    pub fn requests(&self) -> usize {
        self.blocks.len()
    }
}

/// A point that cannot be polled at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("point {key}: {count} registers exceed the {limit}-register read limit")]
    TooLarge { key: u32, count: u16, limit: u16 },
    #[error("point {key}: address {address} + count {count} runs past register 65535")]
    PastEnd { key: u32, address: u16, count: u16 },
    #[error("point {key}: count is 0")]
    Empty { key: u32 },
}

/// Plans the reads for `points`. Deterministic: blocks come ordered by device, unit, table,
/// class and start; members in address order. A point that can never be read (empty, larger
/// than the read limit, or running past register 65535) fails the whole plan with a `PlanError`
/// naming its key: such a point is a configuration error to fix, not something to skip quietly.
///
/// Within one group the plan is a left-to-right sweep over the points sorted by start: open a
/// block at the first point not yet placed, add every later point that ends within the limit
/// and starts at most `max_gap` registers past what the block reads so far, stop at the first
/// point beyond such a gap. That yields the fewest blocks. Why: let `p` be the first unplaced
/// point and `G` the block the sweep builds from it; take any valid plan `O`.
/// 1. The block `B` of `O` holding `p` starts at `p`, and every member of `B` is in `G`: walking
///    `B`'s members in start order, each starts within `max_gap` of the ones before it and ends
///    within the limit, so the sweep cannot have stopped or skipped before reaching it.
/// 2. Taking `G`'s points out of the other blocks of `O` keeps them valid. Say a register `r`
///    of a block `C` was needed only by a point `y` of `G` and lies between remaining points of
///    `C`; then a remaining point `x` of `C` starts before `r`. `x` is not in `G`, so either it
///    ends past the limit, hence past the end of `y`, and covers `r` after all; or the sweep
///    stopped before reaching it, so it starts past the end of `y`, hence after `r`. Both
///    contradict, so no unneeded run of `C` grows, and `C` only gets shorter.
///
/// So `O` with `B` swapped for `G` is as small and still valid; repeat on what is left. The unit
/// tests also check the count against an exhaustive search on small random inputs.
pub fn plan(points: &[PollPoint], config: &PlannerConfig) -> Result<Plan, PlanError> {
    let mut groups: BTreeMap<(&str, u8, RegisterTable, PollClass), Vec<&PollPoint>> =
        BTreeMap::new();
    for point in points {
        let limit = config.max_registers.unwrap_or(point.table.max_read());
        if point.count == 0 {
            return Err(PlanError::Empty { key: point.key });
        }
        if point.count > limit {
            return Err(PlanError::TooLarge {
                key: point.key,
                count: point.count,
                limit,
            });
        }
        if point.end() > 65_536 {
            return Err(PlanError::PastEnd {
                key: point.key,
                address: point.address,
                count: point.count,
            });
        }
        groups
            .entry((&point.device, point.unit_id, point.table, point.class))
            .or_default()
            .push(point);
    }

    let mut blocks = Vec::new();
    for ((device, unit_id, table, class), mut group) in groups {
        let limit = u32::from(config.max_registers.unwrap_or(table.max_read()));
        group.sort_by_key(|p| (p.address, p.end(), p.key));
        let mut taken = vec![false; group.len()];
        let mut first = 0;
        while first < group.len() {
            if taken[first] {
                first += 1;
                continue;
            }
            let start_address = group[first].address;
            let start = u32::from(start_address);
            // Registers read so far from `start`; never more than `limit`, itself a u16.
            let mut count: u16 = 0;
            let mut members = Vec::new();
            for (i, point) in group.iter().enumerate().skip(first) {
                if taken[i] {
                    continue;
                }
                let address = u32::from(point.address);
                let read_end = start + u32::from(count);
                if address > read_end + u32::from(config.max_gap) && !members.is_empty() {
                    break; // every later point starts at least as far away
                }
                let span = point.end() - start;
                let Ok(span) = u16::try_from(span) else {
                    continue; // left for a later block (longer than any limit)
                };
                if u32::from(span) > limit {
                    continue; // left for a later block
                }
                taken[i] = true;
                count = count.max(span);
                // The group is sorted by address, so no point starts before `start_address`.
                members.push((point.key, point.address - start_address));
            }
            blocks.push(ReadBlock {
                device: device.to_string(),
                unit_id,
                table,
                class,
                start: start_address,
                count,
                members,
            });
        }
    }
    Ok(Plan { blocks })
}

#[cfg(test)]
// Random test data: every value is drawn modulo a small bound (at most 10,000), so the narrowing
// casts of the generators are exact.
#[allow(clippy::cast_possible_truncation)]
mod tests {
    use super::*;

    fn point(key: u32, address: u16, count: u16) -> PollPoint {
        PollPoint {
            key,
            device: "bms".into(),
            unit_id: 1,
            table: RegisterTable::Holding,
            address,
            count,
            class: PollClass::Normal,
        }
    }

    /// Deterministic xorshift, so every run checks the same cases.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self, below: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % below
        }
    }

    /// Registers of `members` that no member needs, as the longest run inside the block.
    fn longest_gap(block: &ReadBlock, points: &[PollPoint]) -> u32 {
        let mut needed = vec![false; usize::from(block.count)];
        for (key, _) in &block.members {
            let p = points.iter().find(|p| p.key == *key).unwrap();
            for r in p.address..p.address + p.count {
                needed[usize::from(r - block.start)] = true;
            }
        }
        let (mut longest, mut run) = (0, 0);
        for n in needed {
            run = if n { 0 } else { run + 1 };
            longest = longest.max(run);
        }
        longest
    }

    fn check_properties(points: &[PollPoint], config: &PlannerConfig, plan: &Plan) {
        let limit = config.max_registers.unwrap_or(125);
        let mut seen = Vec::new();
        for block in &plan.blocks {
            assert!(block.count <= limit, "block over the limit: {block:?}");
            assert!(
                longest_gap(block, points) <= u32::from(config.max_gap),
                "{block:?}"
            );
            for &(key, offset) in &block.members {
                let p = points.iter().find(|p| p.key == key).unwrap();
                assert_eq!(block.start + offset, p.address, "offset of {key}");
                assert!(
                    offset + p.count <= block.count,
                    "{key} sticks out of {block:?}"
                );
                assert_eq!(
                    (p.device.as_str(), p.unit_id, p.table, p.class),
                    (
                        block.device.as_str(),
                        block.unit_id,
                        block.table,
                        block.class
                    )
                );
                seen.push(key);
            }
        }
        seen.sort();
        let mut keys: Vec<u32> = points.iter().map(|p| p.key).collect();
        keys.sort();
        assert_eq!(seen, keys, "every point exactly once");
    }

    /// Exhaustive: the fewest blocks over all ways to split the points into valid groups.
    fn brute_force_minimum(points: &[PollPoint], config: &PlannerConfig) -> usize {
        fn valid(group: &[&PollPoint], config: &PlannerConfig) -> bool {
            let start = group.iter().map(|p| p.address).min().unwrap();
            let end = group.iter().map(|p| p.end()).max().unwrap();
            if end - u32::from(start) > u32::from(config.max_registers.unwrap()) {
                return false;
            }
            let mut needed = vec![false; (end - u32::from(start)) as usize];
            for p in group {
                for r in p.address..p.address + p.count {
                    needed[usize::from(r - start)] = true;
                }
            }
            let (mut longest, mut run) = (0u32, 0u32);
            for n in needed {
                run = if n { 0 } else { run + 1 };
                longest = longest.max(run);
            }
            longest <= u32::from(config.max_gap)
        }
        fn search<'a>(
            rest: &[&'a PollPoint],
            groups: &mut Vec<Vec<&'a PollPoint>>,
            config: &PlannerConfig,
            best: &mut usize,
        ) {
            if groups.len() >= *best {
                return;
            }
            let Some((first, rest)) = rest.split_first() else {
                if groups.iter().all(|g| valid(g, config)) {
                    *best = groups.len();
                }
                return;
            };
            for i in 0..groups.len() {
                groups[i].push(first);
                search(rest, groups, config, best);
                groups[i].pop();
            }
            groups.push(vec![first]);
            search(rest, groups, config, best);
            groups.pop();
        }
        let all: Vec<&PollPoint> = points.iter().collect();
        let mut best = usize::MAX;
        search(&all, &mut Vec::new(), config, &mut best);
        best
    }

    #[test]
    fn random_plans_cover_everything_within_limits_and_are_minimal() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for case in 0..400 {
            let n = 1 + rng.next(7) as usize;
            let config = PlannerConfig {
                max_gap: rng.next(4) as u16,
                max_registers: Some(4 + rng.next(12) as u16),
            };
            let points: Vec<PollPoint> = (0..n)
                .map(|k| point(k as u32, rng.next(40) as u16, 1 + rng.next(4) as u16))
                .collect();
            let plan = plan(&points, &config).unwrap();
            check_properties(&points, &config, &plan);
            assert_eq!(
                plan.requests(),
                brute_force_minimum(&points, &config),
                "case {case}: {points:?} with {config:?} planned as {plan:?}"
            );
        }
    }

    #[test]
    fn large_random_plans_keep_their_properties() {
        let mut rng = Rng(42);
        let config = PlannerConfig::default();
        let points: Vec<PollPoint> = (0..2_000)
            .map(|k| {
                let mut p = point(k, rng.next(10_000) as u16, 1 + rng.next(4) as u16);
                p.unit_id = rng.next(3) as u8;
                p.class = PollClass::ALL[rng.next(3) as usize];
                p
            })
            .collect();
        let plan = plan(&points, &config).unwrap();
        check_properties(
            &points,
            &PlannerConfig {
                max_registers: Some(125),
                ..config
            },
            &plan,
        );
    }

    #[test]
    fn far_apart_points_take_two_reads_and_near_ones_one() {
        let config = PlannerConfig::default();
        assert_eq!(
            plan(&[point(1, 0, 1), point(2, 500, 1)], &config)
                .unwrap()
                .requests(),
            2
        );
        let near = plan(&[point(1, 0, 2), point(2, 10, 2)], &config).unwrap();
        assert_eq!(near.requests(), 1);
        assert_eq!(near.blocks[0].count, 12);
        assert_eq!(near.blocks[0].members, vec![(1, 0), (2, 10)]);
    }

    #[test]
    fn three_hundred_contiguous_registers_take_three_reads() {
        let points: Vec<PollPoint> = (0..300).map(|r| point(r, r as u16, 1)).collect();
        let plan = plan(&points, &PlannerConfig::default()).unwrap();
        let counts: Vec<u16> = plan.blocks.iter().map(|b| b.count).collect();
        assert_eq!(counts, vec![125, 125, 50]);
    }

    #[test]
    fn coils_use_the_bit_limit_and_classes_never_share_a_block() {
        let mut coils: Vec<PollPoint> = (0..1_500).map(|r| point(r, r as u16, 1)).collect();
        for p in &mut coils {
            p.table = RegisterTable::Coil;
        }
        assert_eq!(
            plan(&coils, &PlannerConfig::default()).unwrap().requests(),
            1
        );

        let mut fast = point(1, 0, 1);
        fast.class = PollClass::Fast;
        let plan = plan(&[fast, point(2, 1, 1)], &PlannerConfig::default()).unwrap();
        assert_eq!(plan.requests(), 2);
    }

    #[test]
    fn impossible_points_are_named() {
        let config = PlannerConfig::default();
        assert_eq!(
            plan(&[point(7, 0, 126)], &config),
            Err(PlanError::TooLarge {
                key: 7,
                count: 126,
                limit: 125
            })
        );
        assert!(matches!(
            plan(&[point(8, 65_535, 2)], &config),
            Err(PlanError::PastEnd { key: 8, .. })
        ));
        assert_eq!(
            plan(&[point(9, 0, 0)], &config),
            Err(PlanError::Empty { key: 9 })
        );
    }
}
