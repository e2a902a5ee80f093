//! The live alarm state machine: pure logic, no I/O, time passed in by the caller.
//!
//! Every enabled level of every side of every quantity in a [`ProtectionSet`] has a state:
//!
//! | from       | when                                   | to         | event   |
//! |------------|----------------------------------------|------------|---------|
//! | Normal     | crossed, on-delay 0                    | Active     | Raised  |
//! | Normal     | crossed                                | Pending    | —       |
//! | Pending    | no longer crossed                      | Normal     | —       |
//! | Pending    | on-delay elapsed                       | Active     | Raised  |
//! | Active     | recovered, off-delay 0                 | Normal     | Cleared |
//! | Active     | recovered                              | Recovering | —       |
//! | Recovering | no longer recovered (re-crossed)       | Active     | —       |
//! | Recovering | off-delay elapsed                      | Normal     | Cleared |
//!
//! * crossed: `value >= threshold` (max side) / `value <= threshold` (min side);
//! * recovered: `value < threshold - hysteresis` (max) / `value > threshold + hysteresis` (min);
//! * a zero on-delay raises on the crossing sample, a zero off-delay clears on the recovering one;
//! * disabled (or unconfigured) levels have no state and never fire.
//!
//! A sample holds until the next one: [`AlarmEngine::observe`] first lets the delays of that
//! quantity run out up to `now` with the previous sample (as [`AlarmEngine::tick`] would), then
//! applies the new one. A delay that runs out is stamped with the instant it ran out (event `at`
//! and the state's start), not with the (later) `now` that noticed it; transitions made by a
//! sample are stamped `now`. Non-finite samples are ignored (only the delays run).
//!
//! Invalid limits (negative or NaN delays) are tolerated: such delays count as zero. Validation
//! is [`model::protections::validate`]'s job.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use model::protections::{AlarmState, AlarmStateView, Level, LevelLimit, ProtectionSet, Side};

/// A level raised or cleared.
#[derive(Debug, Clone, PartialEq)]
pub enum AlarmEvent {
    Raised {
        variable: String,
        side: Side,
        level: Level,
        /// The sample that (held long enough) raised it.
        value: f64,
        threshold: f64,
        at: Instant,
    },
    Cleared {
        variable: String,
        side: Side,
        level: Level,
        /// The latest sample when it cleared (NaN when it was cleared by removing the level before
        /// any sample arrived).
        value: f64,
        threshold: f64,
        at: Instant,
    },
}

impl AlarmEvent {
    pub fn is_raised(&self) -> bool {
        matches!(self, AlarmEvent::Raised { .. })
    }

    pub fn variable(&self) -> &str {
        match self {
            AlarmEvent::Raised { variable, .. } | AlarmEvent::Cleared { variable, .. } => variable,
        }
    }

    pub fn side(&self) -> Side {
        match self {
            AlarmEvent::Raised { side, .. } | AlarmEvent::Cleared { side, .. } => *side,
        }
    }

    pub fn level(&self) -> Level {
        match self {
            AlarmEvent::Raised { level, .. } | AlarmEvent::Cleared { level, .. } => *level,
        }
    }

    pub fn value(&self) -> f64 {
        match self {
            AlarmEvent::Raised { value, .. } | AlarmEvent::Cleared { value, .. } => *value,
        }
    }

    pub fn threshold(&self) -> f64 {
        match self {
            AlarmEvent::Raised { threshold, .. } | AlarmEvent::Cleared { threshold, .. } => {
                *threshold
            }
        }
    }

    pub fn at(&self) -> Instant {
        match self {
            AlarmEvent::Raised { at, .. } | AlarmEvent::Cleared { at, .. } => *at,
        }
    }
}

/// Seconds as a delay: negative, NaN → 0; capped at ~31 years so `Instant + delay` cannot overflow.
fn delay(seconds: f64) -> Duration {
    if seconds.is_finite() && seconds > 0.0 {
        Duration::from_secs_f64(seconds.min(1e9))
    } else {
        Duration::ZERO
    }
}

/// One enabled level of one side.
#[derive(Debug, Clone)]
struct Slot {
    side: Side,
    level: Level,
    threshold: f64,
    hysteresis: f64,
    on_delay: Duration,
    off_delay: Duration,
    state: AlarmState,
    /// When `state` was entered; `None` = normal since the engine started.
    since: Option<Instant>,
    /// When the level was raised (kept while recovering, to return to it).
    raised_at: Option<Instant>,
    /// End of the running delay (pending, recovering).
    deadline: Option<Instant>,
}

impl Slot {
    fn new(side: Side, level: Level, limit: &LevelLimit, hysteresis: f64) -> Self {
        Slot {
            side,
            level,
            threshold: limit.threshold,
            hysteresis,
            on_delay: delay(limit.on_duration),
            off_delay: delay(limit.off_duration),
            state: AlarmState::Normal,
            since: None,
            raised_at: None,
            deadline: None,
        }
    }

    fn same_limits(&self, other: &Slot) -> bool {
        self.threshold.to_bits() == other.threshold.to_bits()
            && self.hysteresis.to_bits() == other.hysteresis.to_bits()
            && self.on_delay == other.on_delay
            && self.off_delay == other.off_delay
    }

    fn event(&self, raised: bool, variable: &str, value: f64, at: Instant) -> AlarmEvent {
        let (variable, side, level, threshold) =
            (variable.to_string(), self.side, self.level, self.threshold);
        if raised {
            AlarmEvent::Raised {
                variable,
                side,
                level,
                value,
                threshold,
                at,
            }
        } else {
            AlarmEvent::Cleared {
                variable,
                side,
                level,
                value,
                threshold,
                at,
            }
        }
    }

    fn enter(&mut self, state: AlarmState, at: Instant, deadline: Option<Instant>) {
        self.state = state;
        self.since = Some(at);
        self.deadline = deadline;
    }

    /// Lets a running delay run out by `now`; `value` is the sample that held meanwhile.
    fn advance(&mut self, now: Instant, variable: &str, value: f64, events: &mut Vec<AlarmEvent>) {
        let Some(deadline) = self.deadline.filter(|deadline| *deadline <= now) else {
            return;
        };
        match self.state {
            AlarmState::Pending => {
                self.enter(AlarmState::Active, deadline, None);
                self.raised_at = Some(deadline);
                events.push(self.event(true, variable, value, deadline));
            }
            AlarmState::Recovering => {
                self.enter(AlarmState::Normal, deadline, None);
                self.raised_at = None;
                events.push(self.event(false, variable, value, deadline));
            }
            AlarmState::Normal | AlarmState::Active => self.deadline = None,
        }
    }

    /// Applies a new (finite) sample at `now`. Returns the deadline it started, if any.
    fn apply(
        &mut self,
        now: Instant,
        variable: &str,
        value: f64,
        events: &mut Vec<AlarmEvent>,
    ) -> Option<Instant> {
        match self.state {
            AlarmState::Normal if self.side.crossed(value, self.threshold) => {
                if self.on_delay.is_zero() {
                    self.enter(AlarmState::Active, now, None);
                    self.raised_at = Some(now);
                    events.push(self.event(true, variable, value, now));
                } else {
                    self.enter(AlarmState::Pending, now, Some(now + self.on_delay));
                }
            }
            AlarmState::Pending if !self.side.crossed(value, self.threshold) => {
                self.enter(AlarmState::Normal, now, None);
            }
            AlarmState::Active if self.side.recovered(value, self.threshold, self.hysteresis) => {
                if self.off_delay.is_zero() {
                    self.enter(AlarmState::Normal, now, None);
                    self.raised_at = None;
                    events.push(self.event(false, variable, value, now));
                } else {
                    self.enter(AlarmState::Recovering, now, Some(now + self.off_delay));
                }
            }
            AlarmState::Recovering
                if !self.side.recovered(value, self.threshold, self.hysteresis) =>
            {
                let raised_at = self.raised_at.unwrap_or(now);
                self.enter(AlarmState::Active, raised_at, None);
            }
            _ => {}
        }
        self.deadline
    }

    fn view(&self, variable: &str, value: Option<f64>, now: Instant) -> AlarmStateView {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        AlarmStateView {
            variable: variable.to_string(),
            side: self.side,
            level: self.level,
            threshold: self.threshold,
            state: self.state,
            since_ms: self
                .since
                .map(|since| ms(now.saturating_duration_since(since))),
            remaining_ms: self
                .deadline
                .map(|deadline| ms(deadline.saturating_duration_since(now))),
            value,
        }
    }
}

/// The levels of one quantity and its latest sample per side (the two sides may be fed from
/// different measurements, e.g. the highest and the lowest cell voltage).
#[derive(Debug, Clone, Default)]
struct Quantity {
    slots: Vec<Slot>,
    values: [Option<f64>; 2],
}

fn side_index(side: Side) -> usize {
    match side {
        Side::Max => 0,
        Side::Min => 1,
    }
}

impl Quantity {
    fn value(&self, side: Side) -> Option<f64> {
        self.values[side_index(side)]
    }

    fn held(&self, side: Side) -> f64 {
        self.value(side).unwrap_or(f64::NAN)
    }
}

impl Quantity {
    fn from_limits(limits: &model::protections::VariableLimits) -> Self {
        let mut slots = Vec::new();
        for (side, side_limits) in limits.sides() {
            for (level, limit) in side_limits.enabled_levels() {
                slots.push(Slot::new(side, level, limit, side_limits.hysteresis));
            }
        }
        Quantity {
            slots,
            values: [None; 2],
        }
    }
}

/// The alarm state of every enabled level of a [`ProtectionSet`].
#[derive(Debug, Clone, Default)]
pub struct AlarmEngine {
    quantities: HashMap<String, Quantity>,
    /// No delay runs out before this (it may be early: then `tick` just finds nothing).
    next_deadline: Option<Instant>,
}

impl AlarmEngine {
    /// All levels normal.
    pub fn new(set: &ProtectionSet) -> Self {
        let quantities = set
            .iter()
            .map(|(name, limits)| (name.clone(), Quantity::from_limits(limits)))
            .filter(|(_, quantity)| !quantity.slots.is_empty())
            .collect();
        AlarmEngine {
            quantities,
            next_deadline: None,
        }
    }

    /// Switches to new limits. Levels whose limits are unchanged keep their state untouched.
    /// Levels that are still enabled but changed keep their state too (a running delay is
    /// re-timed from when it started, with the new length) and are re-evaluated at `now` against
    /// the latest sample, as are new levels. Levels that disappear or are disabled while raised
    /// are cleared (event at `now`).
    pub fn replace_limits(&mut self, set: &ProtectionSet, now: Instant) -> Vec<AlarmEvent> {
        let mut events = Vec::new();
        let mut old = std::mem::take(&mut self.quantities);
        let mut fresh = AlarmEngine::new(set);
        for (name, quantity) in fresh.quantities.iter_mut() {
            let previous = old.remove(name);
            quantity.values = previous.as_ref().map_or([None; 2], |p| p.values);
            let values = quantity.values;
            let mut previous_slots = previous.map(|p| p.slots).unwrap_or_default();
            for slot in quantity.slots.iter_mut() {
                let found = previous_slots
                    .iter()
                    .position(|p| p.side == slot.side && p.level == slot.level)
                    .map(|index| previous_slots.swap_remove(index));
                let changed = match found {
                    Some(previous) => {
                        let changed = !previous.same_limits(slot);
                        slot.state = previous.state;
                        slot.since = previous.since;
                        slot.raised_at = previous.raised_at;
                        slot.deadline = match slot.state {
                            AlarmState::Pending => previous.since.map(|s| s + slot.on_delay),
                            AlarmState::Recovering => previous.since.map(|s| s + slot.off_delay),
                            AlarmState::Normal | AlarmState::Active => None,
                        };
                        changed
                    }
                    None => true,
                };
                if changed {
                    let value = values[side_index(slot.side)];
                    slot.advance(now, name, value.unwrap_or(f64::NAN), &mut events);
                    if let Some(value) = value {
                        slot.apply(now, name, value, &mut events);
                    }
                }
            }
            for gone in previous_slots {
                if gone.state.is_raised() {
                    let value = values[side_index(gone.side)].unwrap_or(f64::NAN);
                    events.push(gone.event(false, name, value, now));
                }
            }
        }
        for (name, quantity) in old {
            for gone in &quantity.slots {
                if gone.state.is_raised() {
                    let value = quantity.held(gone.side);
                    events.push(gone.event(false, &name, value, now));
                }
            }
        }
        fresh.next_deadline = fresh
            .quantities
            .values()
            .flat_map(|q| q.slots.iter().filter_map(|s| s.deadline))
            .min();
        *self = fresh;
        events
    }

    /// A sample of `variable` at `now`, for both sides; the events it causes (usually none: then
    /// the returned `Vec` has not allocated). Unknown variables are ignored.
    pub fn observe(&mut self, variable: &str, value: f64, now: Instant) -> Vec<AlarmEvent> {
        let mut events = Vec::new();
        self.observe_into(variable, value, now, &mut events);
        events
    }

    /// [`AlarmEngine::observe`], appending to `events` (for callers that reuse one buffer).
    pub fn observe_into(
        &mut self,
        variable: &str,
        value: f64,
        now: Instant,
        events: &mut Vec<AlarmEvent>,
    ) {
        self.feed(variable, None, value, now, events);
    }

    /// A sample for one side only (e.g. the highest cell voltage for `max`, the lowest for
    /// `min`); the other side keeps its own latest sample.
    pub fn observe_side(
        &mut self,
        variable: &str,
        side: Side,
        value: f64,
        now: Instant,
    ) -> Vec<AlarmEvent> {
        let mut events = Vec::new();
        self.observe_side_into(variable, side, value, now, &mut events);
        events
    }

    /// [`AlarmEngine::observe_side`], appending to `events`.
    pub fn observe_side_into(
        &mut self,
        variable: &str,
        side: Side,
        value: f64,
        now: Instant,
        events: &mut Vec<AlarmEvent>,
    ) {
        self.feed(variable, Some(side), value, now, events);
    }

    /// The hot path: one hash lookup, a few slots, no allocation unless an event is made.
    fn feed(
        &mut self,
        variable: &str,
        only: Option<Side>,
        value: f64,
        now: Instant,
        events: &mut Vec<AlarmEvent>,
    ) {
        let Some(quantity) = self.quantities.get_mut(variable) else {
            return;
        };
        let finite = value.is_finite();
        let held = [quantity.held(Side::Max), quantity.held(Side::Min)];
        if finite {
            for side in Side::ALL {
                if only.is_none_or(|only| only == side) {
                    quantity.values[side_index(side)] = Some(value);
                }
            }
        }
        for slot in quantity.slots.iter_mut() {
            if only.is_some_and(|only| only != slot.side) {
                continue;
            }
            slot.advance(now, variable, held[side_index(slot.side)], events);
            if finite
                && let Some(deadline) = slot.apply(now, variable, value, events)
                && self.next_deadline.is_none_or(|next| deadline < next)
            {
                self.next_deadline = Some(deadline);
            }
        }
    }

    /// Lets delays run out without a new sample; the events that causes.
    pub fn tick(&mut self, now: Instant) -> Vec<AlarmEvent> {
        let mut events = Vec::new();
        self.tick_into(now, &mut events);
        events
    }

    /// [`AlarmEngine::tick`], appending to `events`.
    pub fn tick_into(&mut self, now: Instant, events: &mut Vec<AlarmEvent>) {
        if self.next_deadline.is_none_or(|next| next > now) {
            return;
        }
        let mut next: Option<Instant> = None;
        for (name, quantity) in self.quantities.iter_mut() {
            for slot in quantity.slots.iter_mut() {
                let held = quantity.values[side_index(slot.side)].unwrap_or(f64::NAN);
                slot.advance(now, name, held, events);
                if let Some(deadline) = slot.deadline {
                    next = Some(next.map_or(deadline, |n| n.min(deadline)));
                }
            }
        }
        self.next_deadline = next;
    }

    /// The quantities with at least one enabled level (the ones worth feeding), in no order.
    pub fn quantities(&self) -> impl Iterator<Item = &str> {
        self.quantities.keys().map(String::as_str)
    }

    /// The earliest instant at which [`AlarmEngine::tick`] may have something to do (a caller
    /// can sleep until then). May be early, never late.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.next_deadline
    }

    /// Every enabled level, ordered by quantity, side (max first) and level (warning first).
    pub fn states(&self, now: Instant) -> Vec<AlarmStateView> {
        let mut names: Vec<&String> = self.quantities.keys().collect();
        names.sort();
        let mut views = Vec::new();
        for name in names {
            let quantity = &self.quantities[name];
            let mut slots: Vec<&Slot> = quantity.slots.iter().collect();
            slots.sort_by_key(|slot| (slot.side, slot.level));
            views.extend(
                slots
                    .into_iter()
                    .map(|slot| slot.view(name, quantity.value(slot.side), now)),
            );
        }
        views
    }

    /// The raised (active or recovering) levels, in [`AlarmEngine::states`] order.
    pub fn raised(&self, now: Instant) -> Vec<AlarmStateView> {
        let mut views = self.states(now);
        views.retain(|view| view.state.is_raised());
        views
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::protections::{SideLimits, VariableLimits};
    use tokio::time::advance;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    /// One quantity `x` with one max-side level at 100 (hysteresis 5) and one min-side level at
    /// 10 (hysteresis 2), both with the given delays.
    fn one_level(level: Level, on: f64, off: f64) -> ProtectionSet {
        let limit = |t| LevelLimit::new(t).with_delays(on, off);
        let side = |h, t| {
            let mut s = SideLimits {
                hysteresis: h,
                ..SideLimits::default()
            };
            *s.level_mut(level) = Some(limit(t));
            s
        };
        let mut set = ProtectionSet::new();
        set.insert(
            "x".into(),
            VariableLimits {
                max: Some(side(5.0, 100.0)),
                min: Some(side(2.0, 10.0)),
            },
        );
        set
    }

    fn state(engine: &AlarmEngine, side: Side, level: Level) -> AlarmStateView {
        engine
            .states(Instant::now())
            .into_iter()
            .find(|v| v.side == side && v.level == level)
            .unwrap()
    }

    /// Events as short strings: `raised max warning 101 @5000`, times in ms since `t0`.
    fn show(events: &[AlarmEvent], t0: Instant) -> Vec<String> {
        events
            .iter()
            .map(|e| {
                format!(
                    "{} {} {} {} @{}",
                    if e.is_raised() { "raised" } else { "cleared" },
                    e.side(),
                    e.level(),
                    e.value(),
                    e.at().duration_since(t0).as_millis()
                )
            })
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn on_delay_raises_only_after_the_value_stayed_crossed() {
        let mut engine = AlarmEngine::new(&one_level(Level::Warning, 5.0, 10.0));
        let t0 = Instant::now();
        assert!(engine.observe("x", 99.0, t0).is_empty());
        assert!(engine.observe("x", 101.0, Instant::now()).is_empty());
        let view = state(&engine, Side::Max, Level::Warning);
        assert_eq!(view.state, AlarmState::Pending);
        assert_eq!(view.remaining_ms, Some(5000));
        assert_eq!(view.value, Some(101.0));

        advance(secs(4.9)).await;
        assert!(engine.tick(Instant::now()).is_empty());
        assert_eq!(
            state(&engine, Side::Max, Level::Warning).remaining_ms,
            Some(100)
        );
        advance(secs(0.1)).await;
        assert_eq!(engine.next_deadline(), Some(t0 + secs(5.0)));
        let events = engine.tick(Instant::now());
        assert_eq!(show(&events, t0), vec!["raised max warning 101 @5000"]);
        assert_eq!(events[0].threshold(), 100.0);
        assert_eq!(events[0].variable(), "x");
        let view = state(&engine, Side::Max, Level::Warning);
        assert_eq!(
            (view.state, view.since_ms, view.remaining_ms),
            (AlarmState::Active, Some(0), None)
        );
        // Staying up raises nothing more.
        advance(secs(60.0)).await;
        assert!(engine.observe("x", 150.0, Instant::now()).is_empty());
        assert!(engine.tick(Instant::now()).is_empty());
        assert_eq!(
            state(&engine, Side::Max, Level::Warning).since_ms,
            Some(60_000)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_back_while_pending_returns_to_normal_silently() {
        let mut engine = AlarmEngine::new(&one_level(Level::Alert, 5.0, 10.0));
        let t0 = Instant::now();
        assert!(engine.observe("x", 100.0, t0).is_empty()); // >= threshold crosses
        advance(secs(4.0)).await;
        assert!(engine.observe("x", 99.9, Instant::now()).is_empty());
        assert_eq!(
            state(&engine, Side::Max, Level::Alert).state,
            AlarmState::Normal
        );
        advance(secs(10.0)).await;
        assert!(engine.tick(Instant::now()).is_empty());
        // A new crossing starts the delay afresh.
        assert!(engine.observe("x", 101.0, Instant::now()).is_empty());
        advance(secs(4.0)).await;
        assert!(engine.tick(Instant::now()).is_empty());
        advance(secs(1.0)).await;
        assert_eq!(engine.tick(Instant::now()).len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn zero_on_delay_raises_on_the_crossing_sample() {
        let mut engine = AlarmEngine::new(&one_level(Level::Fault, 0.0, 0.0));
        let t0 = Instant::now();
        let events = engine.observe("x", 100.0, t0);
        assert_eq!(show(&events, t0), vec!["raised max fault 100 @0"]);
        // Zero off-delay clears on the first sample past the recovery point (100 - 5).
        assert!(engine.observe("x", 95.0, t0).is_empty());
        let events = engine.observe("x", 94.9, t0);
        assert_eq!(show(&events, t0), vec!["cleared max fault 94.9 @0"]);
    }

    #[tokio::test(start_paused = true)]
    async fn off_delay_and_hysteresis_hold_the_alarm() {
        let mut engine = AlarmEngine::new(&one_level(Level::Warning, 0.0, 10.0));
        let t0 = Instant::now();
        assert_eq!(engine.observe("x", 120.0, t0).len(), 1);
        // Below the threshold but inside the hysteresis band (95 ≤ value < 100): still active.
        advance(secs(1.0)).await;
        assert!(engine.observe("x", 96.0, Instant::now()).is_empty());
        assert!(engine.observe("x", 95.0, Instant::now()).is_empty());
        assert_eq!(
            state(&engine, Side::Max, Level::Warning).state,
            AlarmState::Active
        );
        // Past the recovery point: the off-delay runs.
        assert!(engine.observe("x", 94.0, Instant::now()).is_empty());
        let view = state(&engine, Side::Max, Level::Warning);
        assert_eq!(
            (view.state, view.remaining_ms),
            (AlarmState::Recovering, Some(10_000))
        );
        advance(secs(9.999)).await;
        assert!(engine.tick(Instant::now()).is_empty());
        advance(secs(0.001)).await;
        let events = engine.tick(Instant::now());
        assert_eq!(show(&events, t0), vec!["cleared max warning 94 @11000"]);
        assert_eq!(
            state(&engine, Side::Max, Level::Warning).state,
            AlarmState::Normal
        );
    }

    #[tokio::test(start_paused = true)]
    async fn re_crossing_while_recovering_returns_to_active_without_a_new_raise() {
        let mut engine = AlarmEngine::new(&one_level(Level::Warning, 0.0, 10.0));
        let t0 = Instant::now();
        assert_eq!(engine.observe("x", 101.0, t0).len(), 1);
        advance(secs(2.0)).await;
        assert!(engine.observe("x", 90.0, Instant::now()).is_empty());
        advance(secs(8.0)).await;
        // Back inside the band (not past 95): active again, nothing raised.
        assert!(engine.observe("x", 97.0, Instant::now()).is_empty());
        let view = state(&engine, Side::Max, Level::Warning);
        assert_eq!(
            (view.state, view.since_ms),
            (AlarmState::Active, Some(10_000))
        );
        advance(secs(5.0)).await;
        assert!(engine.tick(Instant::now()).is_empty());
        // The off-delay starts over.
        assert!(engine.observe("x", 90.0, Instant::now()).is_empty());
        advance(secs(9.0)).await;
        assert!(engine.tick(Instant::now()).is_empty());
        advance(secs(1.0)).await;
        assert_eq!(
            show(&engine.tick(Instant::now()), t0),
            vec!["cleared max warning 90 @25000"]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_min_side_is_mirrored() {
        let mut engine = AlarmEngine::new(&one_level(Level::Alert, 3.0, 10.0));
        let t0 = Instant::now();
        assert!(engine.observe("x", 10.1, t0).is_empty());
        assert!(engine.observe("x", 10.0, t0).is_empty()); // <= threshold crosses
        assert_eq!(
            state(&engine, Side::Min, Level::Alert).state,
            AlarmState::Pending
        );
        assert_eq!(
            state(&engine, Side::Max, Level::Alert).state,
            AlarmState::Normal
        );
        advance(secs(3.0)).await;
        assert_eq!(
            show(&engine.tick(Instant::now()), t0),
            vec!["raised min alert 10 @3000"]
        );
        // Recovery point 10 + 2: 12 is not past it, 12.5 is.
        assert!(engine.observe("x", 12.0, Instant::now()).is_empty());
        assert_eq!(
            state(&engine, Side::Min, Level::Alert).state,
            AlarmState::Active
        );
        assert!(engine.observe("x", 12.5, Instant::now()).is_empty());
        assert_eq!(
            state(&engine, Side::Min, Level::Alert).state,
            AlarmState::Recovering
        );
        advance(secs(10.0)).await;
        assert_eq!(
            show(&engine.tick(Instant::now()), t0),
            vec!["cleared min alert 12.5 @13000"]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_disabled_level_never_fires() {
        let mut set = one_level(Level::Warning, 0.0, 0.0);
        let max = set.get_mut("x").unwrap().max.as_mut().unwrap();
        max.warning.as_mut().unwrap().enabled = false;
        max.fault = Some(LevelLimit {
            threshold: 200.0,
            on_duration: 0.0,
            off_duration: 0.0,
            enabled: false,
        });
        let mut engine = AlarmEngine::new(&set);
        let t0 = Instant::now();
        for value in [0.0, 100.0, 1e9, 250.0, 50.0] {
            advance(secs(1.0)).await;
            let events = engine.observe("x", value, Instant::now());
            assert!(
                events.iter().all(|e| e.side() == Side::Min),
                "{:?}",
                show(&events, t0)
            );
        }
        assert!(
            engine
                .states(Instant::now())
                .iter()
                .all(|v| v.side == Side::Min)
        );
        // Unknown quantities are ignored.
        assert!(engine.observe("y", 1e9, Instant::now()).is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_flapping_input_raises_once_and_clears_once() {
        let mut engine = AlarmEngine::new(&one_level(Level::Warning, 5.0, 10.0));
        let t0 = Instant::now();
        let mut events = Vec::new();
        let sample = |engine: &mut AlarmEngine, value: f64, events: &mut Vec<AlarmEvent>| {
            engine.observe_into("x", value, Instant::now(), events);
            engine.tick_into(Instant::now(), events);
        };
        // Flapping faster than the on-delay: never raised.
        for i in 0..20 {
            sample(
                &mut engine,
                if i % 2 == 0 { 101.0 } else { 99.0 },
                &mut events,
            );
            advance(secs(2.0)).await;
        }
        assert!(events.is_empty(), "{:?}", show(&events, t0));
        // Held up long enough: raised once.
        for _ in 0..7 {
            sample(&mut engine, 105.0, &mut events);
            advance(secs(1.0)).await;
        }
        // Flapping across the threshold and the recovery point faster than the off-delay.
        for i in 0..60 {
            sample(
                &mut engine,
                if i % 2 == 0 { 90.0 } else { 102.0 },
                &mut events,
            );
            advance(secs(3.0)).await;
        }
        // Settled low: cleared once, after the off-delay.
        for _ in 0..15 {
            sample(&mut engine, 80.0, &mut events);
            advance(secs(1.0)).await;
        }
        let shown = show(&events, t0);
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(
            shown[0].starts_with("raised max warning 105 @45000"),
            "{shown:?}"
        );
        assert!(
            shown[1].starts_with("cleared max warning 80 @"),
            "{shown:?}"
        );
        assert_eq!(
            state(&engine, Side::Max, Level::Warning).state,
            AlarmState::Normal
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_sample_holds_until_the_next_one() {
        // No tick between samples: the delay that ran out meanwhile is applied first.
        let mut engine = AlarmEngine::new(&one_level(Level::Warning, 5.0, 0.0));
        let t0 = Instant::now();
        assert!(engine.observe("x", 101.0, t0).is_empty());
        advance(secs(7.0)).await;
        let events = engine.observe("x", 50.0, Instant::now());
        assert_eq!(
            show(&events, t0),
            vec![
                "raised max warning 101 @5000",
                "cleared max warning 50 @7000"
            ]
        );
        // NaN samples change nothing.
        assert!(engine.observe("x", f64::NAN, Instant::now()).is_empty());
        assert_eq!(state(&engine, Side::Max, Level::Warning).value, Some(50.0));
    }

    #[tokio::test(start_paused = true)]
    async fn several_levels_raise_in_order_of_their_delays() {
        let limits = SideLimits {
            hysteresis: 2.0,
            warning: Some(LevelLimit::new(95.0).with_delays(5.0, 10.0)),
            alert: Some(LevelLimit::new(98.0).with_delays(3.0, 10.0)),
            fault: Some(LevelLimit::new(100.0).with_delays(1.0, 10.0)),
        };
        let mut set = ProtectionSet::new();
        set.insert(
            "soc".into(),
            VariableLimits {
                max: Some(limits),
                min: None,
            },
        );
        let mut engine = AlarmEngine::new(&set);
        let t0 = Instant::now();
        assert!(engine.observe("soc", 99.0, t0).is_empty());
        let mut events = Vec::new();
        for _ in 0..10 {
            advance(secs(1.0)).await;
            engine.tick_into(Instant::now(), &mut events);
        }
        assert_eq!(
            show(&events, t0),
            vec!["raised max alert 99 @3000", "raised max warning 99 @5000"]
        );
        let raised: Vec<Level> = engine
            .raised(Instant::now())
            .iter()
            .map(|v| v.level)
            .collect();
        assert_eq!(raised, vec![Level::Warning, Level::Alert]);
    }

    #[tokio::test(start_paused = true)]
    async fn each_side_can_be_fed_its_own_measurement() {
        let mut engine = AlarmEngine::new(&one_level(Level::Fault, 0.0, 0.0));
        let t0 = Instant::now();
        assert_eq!(engine.quantities().collect::<Vec<_>>(), vec!["x"]);
        // Highest element 120 to the max side, lowest 5 to the min side.
        let mut events = Vec::new();
        engine.observe_side_into("x", Side::Max, 120.0, t0, &mut events);
        engine.observe_side_into("x", Side::Min, 5.0, t0, &mut events);
        assert_eq!(
            show(&events, t0),
            vec!["raised max fault 120 @0", "raised min fault 5 @0"]
        );
        assert_eq!(state(&engine, Side::Max, Level::Fault).value, Some(120.0));
        assert_eq!(state(&engine, Side::Min, Level::Fault).value, Some(5.0));
        // A max-side sample leaves the min side alone.
        let events = engine.observe_side("x", Side::Max, 50.0, t0);
        assert_eq!(show(&events, t0), vec!["cleared max fault 50 @0"]);
        assert_eq!(
            state(&engine, Side::Min, Level::Fault).state,
            AlarmState::Active
        );
        assert_eq!(state(&engine, Side::Min, Level::Fault).value, Some(5.0));
    }

    #[tokio::test(start_paused = true)]
    async fn replacing_limits_keeps_unchanged_states_and_clears_removed_ones() {
        let mut set = one_level(Level::Warning, 0.0, 10.0);
        set.get_mut("x").unwrap().max.as_mut().unwrap().alert =
            Some(LevelLimit::new(110.0).with_delays(0.0, 10.0));
        let mut engine = AlarmEngine::new(&set);
        let t0 = Instant::now();
        assert_eq!(engine.observe("x", 120.0, t0).len(), 2);
        advance(secs(30.0)).await;

        // Same limits: nothing happens, states stay, since is kept.
        assert!(engine.replace_limits(&set, Instant::now()).is_empty());
        let view = state(&engine, Side::Max, Level::Warning);
        assert_eq!(
            (view.state, view.since_ms),
            (AlarmState::Active, Some(30_000))
        );

        // Alert disabled while raised: cleared. Warning raised to 130 with the sample at 120:
        // still active, but now recovering (120 < 130 - 5).
        let mut changed = set.clone();
        let max = changed.get_mut("x").unwrap().max.as_mut().unwrap();
        max.alert.as_mut().unwrap().enabled = false;
        max.warning.as_mut().unwrap().threshold = 130.0;
        let events = engine.replace_limits(&changed, Instant::now());
        assert_eq!(show(&events, t0), vec!["cleared max alert 120 @30000"]);
        let view = state(&engine, Side::Max, Level::Warning);
        assert_eq!(
            (view.state, view.remaining_ms),
            (AlarmState::Recovering, Some(10_000))
        );
        advance(secs(10.0)).await;
        assert_eq!(engine.tick(Instant::now()).len(), 1);

        // Removing the quantity clears what was raised.
        assert_eq!(engine.observe("x", 5.0, Instant::now()).len(), 1); // min warning at 10
        let events = engine.replace_limits(&ProtectionSet::new(), Instant::now());
        assert_eq!(show(&events, t0), vec!["cleared min warning 5 @40000"]);
        assert!(engine.states(Instant::now()).is_empty());
    }
}
