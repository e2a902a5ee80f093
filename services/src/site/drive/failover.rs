//! Pack failover as a pure state machine (seed 002 §5.2, §5.5): a pack's enabled adapters in
//! priority order (lower number first, index 0 the primary); the pack reads from one of them.
//! After `failures_to_switch` consecutive failed cycles the serving adapter is left for the next
//! one; a preferred adapter (an earlier one) serves again only after it has answered
//! `hold_cycles` consecutive cycles, so a flapping primary never makes the pack flap. While a
//! later adapter serves, every earlier one is read each cycle to know when it is back.

use std::ops::RangeInclusive;

use model::site::live::SwitchReason;

/// When a pack moves between its adapters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailoverRules {
    /// Consecutive failed cycles after which the serving adapter is left (at least 1).
    pub failures_to_switch: u32,
    /// Consecutive answered cycles a preferred adapter needs to serve again (at least 1).
    pub hold_cycles: u32,
}

impl Default for FailoverRules {
    /// Two failures: one lost answer is not enough to switch, and values come from the next
    /// adapter in the second failed cycle (within the 3 cycles issue 12 allows). Five cycles of
    /// hold.
    fn default() -> Self {
        FailoverRules {
            failures_to_switch: 2,
            hold_cycles: 5,
        }
    }
}

/// What reading one adapter in a cycle came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Answered,
    Failed,
    /// Not read this cycle.
    NotRead,
}

/// A move of the pack from one adapter to another (indices into the adapter list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Switch {
    pub from: usize,
    pub to: usize,
    pub reason: SwitchReason,
    /// The failed cycles of `from` (`Failed`) or the answered cycles of `to` (`Recovered`).
    pub cycles: u32,
}

/// The failover state of one pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failover {
    rules: FailoverRules,
    serving: usize,
    failures: Vec<u32>,
    answers: Vec<u32>,
}

impl Failover {
    /// A pack with `adapters` enabled adapters (at least one), served by the first.
    pub fn new(adapters: usize, rules: FailoverRules) -> Failover {
        let adapters = adapters.max(1);
        Failover {
            rules: FailoverRules {
                failures_to_switch: rules.failures_to_switch.max(1),
                hold_cycles: rules.hold_cycles.max(1),
            },
            serving: 0,
            failures: vec![0; adapters],
            answers: vec![0; adapters],
        }
    }

    pub fn rules(&self) -> FailoverRules {
        self.rules
    }

    /// The adapter that serves the pack.
    pub fn serving(&self) -> usize {
        self.serving
    }

    /// Consecutive failed cycles of adapter `index`.
    pub fn failures(&self, index: usize) -> u32 {
        self.failures.get(index).copied().unwrap_or(0)
    }

    /// Consecutive answered cycles of adapter `index`.
    pub fn answers(&self, index: usize) -> u32 {
        self.answers.get(index).copied().unwrap_or(0)
    }

    /// The adapters to read this cycle: the serving one and every preferred one before it.
    pub fn to_read(&self) -> RangeInclusive<usize> {
        0..=self.serving
    }

    /// Records one cycle (`outcomes` indexed like the adapters; a missing entry is `NotRead`)
    /// and says whether the pack moves. A preferred adapter that has answered for the hold time
    /// takes over (its values of this cycle serve); otherwise a serving adapter that has failed
    /// `failures_to_switch` cycles is left for the next one, which was not read this cycle: the
    /// caller reads it now and records that with `record_serving`.
    pub fn record(&mut self, outcomes: &[Outcome]) -> Option<Switch> {
        for (index, outcome) in outcomes.iter().enumerate().take(self.failures.len()) {
            self.count(index, *outcome);
        }
        let hold = self.rules.hold_cycles;
        if let Some(back) = (0..self.serving).find(|i| self.answers[*i] >= hold) {
            let switch = Switch {
                from: self.serving,
                to: back,
                reason: SwitchReason::Recovered,
                cycles: self.answers[back],
            };
            self.serving = back;
            return Some(switch);
        }
        let next = self.serving + 1;
        if self.failures[self.serving] >= self.rules.failures_to_switch
            && next < self.failures.len()
        {
            let switch = Switch {
                from: self.serving,
                to: next,
                reason: SwitchReason::Failed,
                cycles: self.failures[self.serving],
            };
            self.serving = next;
            self.failures[next] = 0;
            self.answers[next] = 0;
            return Some(switch);
        }
        None
    }

    /// Records the read of the adapter a failover switch just moved to, in the same cycle.
    pub fn record_serving(&mut self, outcome: Outcome) {
        self.count(self.serving, outcome);
    }

    fn count(&mut self, index: usize, outcome: Outcome) {
        match outcome {
            Outcome::Answered => {
                self.answers[index] = self.answers[index].saturating_add(1);
                self.failures[index] = 0;
            }
            Outcome::Failed => {
                self.failures[index] = self.failures[index].saturating_add(1);
                self.answers[index] = 0;
            }
            Outcome::NotRead => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Outcome::{Answered, Failed, NotRead};
    use super::*;

    const RULES: FailoverRules = FailoverRules {
        failures_to_switch: 2,
        hold_cycles: 3,
    };

    /// Runs one cycle the way the runtime does: the adapters of `to_read` give their outcome
    /// from `up` (whether each adapter answers), and after a failover the new one is read too.
    /// Returns the switch and which adapter's values serve this cycle.
    fn cycle(failover: &mut Failover, up: &[bool]) -> (Option<Switch>, Option<usize>) {
        let outcome = |i: usize| if up[i] { Answered } else { Failed };
        let mut outcomes = vec![NotRead; up.len()];
        for i in failover.to_read() {
            outcomes[i] = outcome(i);
        }
        let switch = failover.record(&outcomes);
        if let Some(Switch {
            reason: SwitchReason::Failed,
            to,
            ..
        }) = switch
        {
            failover.record_serving(outcome(to));
        }
        let serving = failover.serving();
        (switch, up[serving].then_some(serving))
    }

    #[test]
    fn the_secondary_serves_in_the_second_failed_cycle_of_the_primary() {
        let mut failover = Failover::new(2, RULES);
        assert_eq!(cycle(&mut failover, &[true, true]), (None, Some(0)));
        // The primary stops: one failure is not enough.
        assert_eq!(cycle(&mut failover, &[false, true]), (None, None));
        let (switch, serving) = cycle(&mut failover, &[false, true]);
        assert_eq!(
            switch,
            Some(Switch {
                from: 0,
                to: 1,
                reason: SwitchReason::Failed,
                cycles: 2
            })
        );
        assert_eq!(serving, Some(1));
        assert_eq!(failover.to_read(), 0..=1, "the primary is still read");
    }

    #[test]
    fn the_primary_serves_again_only_after_the_hold_time() {
        let mut failover = Failover::new(2, RULES);
        cycle(&mut failover, &[false, true]);
        cycle(&mut failover, &[false, true]);
        assert_eq!(failover.serving(), 1);
        // Back, for two cycles only: not enough.
        assert_eq!(cycle(&mut failover, &[true, true]), (None, Some(1)));
        assert_eq!(cycle(&mut failover, &[true, true]), (None, Some(1)));
        assert_eq!(cycle(&mut failover, &[false, true]), (None, Some(1)));
        assert_eq!(failover.answers(0), 0, "a failure restarts the hold");
        // Three in a row: the third cycle's values come from the primary.
        cycle(&mut failover, &[true, true]);
        cycle(&mut failover, &[true, true]);
        let (switch, serving) = cycle(&mut failover, &[true, true]);
        assert_eq!(
            switch,
            Some(Switch {
                from: 1,
                to: 0,
                reason: SwitchReason::Recovered,
                cycles: 3
            })
        );
        assert_eq!(serving, Some(0));
        assert_eq!(
            failover.to_read(),
            0..=0,
            "the secondary is not read any more"
        );
    }

    #[test]
    fn a_flapping_primary_never_moves_the_pack_back() {
        let mut failover = Failover::new(2, RULES);
        cycle(&mut failover, &[false, true]);
        cycle(&mut failover, &[false, true]);
        let mut switches = 0;
        for n in 0..40 {
            let primary_up = n % 3 != 2; // two answers, one failure, again and again
            if cycle(&mut failover, &[primary_up, true]).0.is_some() {
                switches += 1;
            }
        }
        assert_eq!((switches, failover.serving()), (0, 1));
    }

    #[test]
    fn a_third_adapter_takes_over_when_the_second_fails_too_and_the_earliest_comes_back_first() {
        let mut failover = Failover::new(3, RULES);
        cycle(&mut failover, &[false, true, true]);
        cycle(&mut failover, &[false, true, true]);
        assert_eq!(failover.serving(), 1);
        cycle(&mut failover, &[false, false, true]);
        let (switch, serving) = cycle(&mut failover, &[false, false, true]);
        assert_eq!(switch.map(|s| (s.from, s.to)), Some((1, 2)));
        assert_eq!(serving, Some(2));
        assert_eq!(failover.to_read(), 0..=2);
        // Both earlier ones come back at once: the primary wins.
        for _ in 0..2 {
            assert_eq!(cycle(&mut failover, &[true, true, true]).0, None);
        }
        let (switch, _) = cycle(&mut failover, &[true, true, true]);
        assert_eq!(switch.map(|s| (s.from, s.to)), Some((2, 0)));
    }

    #[test]
    fn the_last_adapter_failing_stays_and_waits_for_an_earlier_one() {
        let mut failover = Failover::new(2, RULES);
        for _ in 0..5 {
            cycle(&mut failover, &[false, false]);
        }
        assert_eq!(failover.serving(), 1);
        assert!(failover.failures(1) >= 2);
        // A single adapter never switches.
        let mut single = Failover::new(1, RULES);
        for _ in 0..5 {
            assert_eq!(cycle(&mut single, &[false]).0, None);
        }
    }

    #[test]
    fn zero_rules_are_taken_as_one() {
        let failover = Failover::new(
            0,
            FailoverRules {
                failures_to_switch: 0,
                hold_cycles: 0,
            },
        );
        assert_eq!(
            failover.rules(),
            FailoverRules {
                failures_to_switch: 1,
                hold_cycles: 1
            }
        );
        assert_eq!(failover.to_read(), 0..=0);
    }
}
