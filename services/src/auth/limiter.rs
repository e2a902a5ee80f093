//! The per-address limit on failed logins: a sliding window of the failure times of each
//! address, in memory. It stops one address from trying many names (the per-user lock stops
//! many tries of one name). Time is passed in, so its tests need no sleeping.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};

/// How many addresses the limiter remembers at most: past that, addresses whose failures have
/// all left the window are forgotten, then any (a flood of addresses must not exhaust memory).
const MAX_ADDRESSES: usize = 10_000;

/// At most `max_failures` failed logins per address within `window`.
#[derive(Debug)]
pub struct AddressLimiter {
    max_failures: usize,
    window: TimeDelta,
    failures: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

impl AddressLimiter {
    pub fn new(max_failures: u32, window: TimeDelta) -> AddressLimiter {
        AddressLimiter {
            max_failures: usize::try_from(max_failures).unwrap_or(usize::MAX).max(1),
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Ok` when `address` may try to sign in at `now`; else how long until it may.
    pub fn check(&self, address: &str, now: DateTime<Utc>) -> Result<(), TimeDelta> {
        let mut failures = self.lock();
        let Some(times) = failures.get_mut(address) else {
            return Ok(());
        };
        self.forget_old(times, now);
        if times.len() < self.max_failures {
            return Ok(());
        }
        // The oldest failure in the window leaves it first.
        let oldest = times.front().copied().unwrap_or(now);
        Err(oldest + self.window - now)
    }

    /// Counts a failed login from `address` at `now`.
    pub fn record_failure(&self, address: &str, now: DateTime<Utc>) {
        let mut failures = self.lock();
        if failures.len() >= MAX_ADDRESSES && !failures.contains_key(address) {
            self.shrink(&mut failures, now);
        }
        let times = failures.entry(address.to_string()).or_default();
        self.forget_old(times, now);
        times.push_back(now);
        // Only the newest `max_failures` matter for the decision.
        while times.len() > self.max_failures {
            times.pop_front();
        }
    }

    /// The failures of `address` within the window before `now`.
    pub fn failures(&self, address: &str, now: DateTime<Utc>) -> usize {
        let cutoff = now - self.window;
        self.lock()
            .get(address)
            .map_or(0, |times| times.iter().filter(|at| **at > cutoff).count())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<DateTime<Utc>>>> {
        // A panic elsewhere while holding the lock left consistent data (plain pushes and pops).
        self.failures.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn forget_old(&self, times: &mut VecDeque<DateTime<Utc>>, now: DateTime<Utc>) {
        let cutoff = now - self.window;
        while times.front().is_some_and(|at| *at <= cutoff) {
            times.pop_front();
        }
    }

    fn shrink(&self, failures: &mut HashMap<String, VecDeque<DateTime<Utc>>>, now: DateTime<Utc>) {
        let cutoff = now - self.window;
        failures.retain(|_, times| times.back().is_some_and(|at| *at > cutoff));
        if failures.len() >= MAX_ADDRESSES {
            let excess: Vec<String> = failures
                .keys()
                .take(failures.len() + 1 - MAX_ADDRESSES)
                .cloned()
                .collect();
            for key in excess {
                failures.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(minutes: i64, seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap()
            + TimeDelta::minutes(minutes)
            + TimeDelta::seconds(seconds)
    }

    #[test]
    fn the_limit_is_reached_at_the_maximum_and_lifts_as_the_window_slides() {
        let limiter = AddressLimiter::new(3, TimeDelta::minutes(15));
        let ip = "203.0.113.7";
        assert_eq!(limiter.check(ip, t(0, 0)), Ok(()));
        limiter.record_failure(ip, t(0, 0));
        limiter.record_failure(ip, t(5, 0));
        assert_eq!(limiter.check(ip, t(5, 0)), Ok(()));
        limiter.record_failure(ip, t(10, 0));
        assert_eq!(limiter.failures(ip, t(10, 0)), 3);
        // The third failure reaches the limit: refused until the first leaves the window.
        assert_eq!(limiter.check(ip, t(10, 0)), Err(TimeDelta::minutes(5)));
        assert_eq!(limiter.check(ip, t(14, 59)), Err(TimeDelta::seconds(1)));
        assert_eq!(limiter.check(ip, t(15, 0)), Ok(()));
        // Sliding, not fixed: one more failure now blocks again until the 5-minute one leaves.
        limiter.record_failure(ip, t(15, 0));
        assert_eq!(limiter.check(ip, t(15, 0)), Err(TimeDelta::minutes(5)));
        assert_eq!(limiter.failures(ip, t(31, 0)), 0);
        assert_eq!(limiter.check(ip, t(31, 0)), Ok(()));
    }

    #[test]
    fn addresses_are_counted_apart() {
        let limiter = AddressLimiter::new(1, TimeDelta::minutes(15));
        limiter.record_failure("198.51.100.1", t(0, 0));
        assert!(limiter.check("198.51.100.1", t(1, 0)).is_err());
        assert_eq!(limiter.check("198.51.100.2", t(1, 0)), Ok(()));
        assert_eq!(limiter.check("2001:db8::1", t(1, 0)), Ok(()));
    }

    #[test]
    fn memory_stays_bounded_under_a_flood_of_addresses() {
        let limiter = AddressLimiter::new(5, TimeDelta::minutes(15));
        for n in 0..(MAX_ADDRESSES + 500) {
            limiter.record_failure(
                &format!("10.{}.{}.{}", n >> 16, (n >> 8) & 255, n & 255),
                t(0, 0),
            );
        }
        assert!(limiter.lock().len() <= MAX_ADDRESSES);
        // Once the window has passed, old addresses make room for new ones.
        limiter.record_failure("192.0.2.1", t(20, 0));
        assert_eq!(limiter.lock().len(), 1);
    }
}
