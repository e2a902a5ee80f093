//! Protection limits as the browser, the API and the alarm engine see them: per protected
//! quantity (`soc`, `cell_voltage`, …) and side (`max`, `min`), three levels (warning, alert,
//! fault), each with a threshold, an on-delay, an off-delay and an enable, plus one hysteresis per
//! side. Also the flat field addressing the editor uses (`soc.max.alert.threshold`), the diff of
//! two sets, and the one validation function the browser and the server both run.
//!
//! # Wire format
//!
//! [`ProtectionsPayload`] reads the original prototype's payload unchanged:
//!
//! ```json
//! {"profile": "default",
//!  "protections": {"soc": {"max": {"hysteresis": 0.5,
//!                                  "warning": {"threshold": 95, "on_duration": 30,
//!                                              "off_duration": 60, "enabled": true}}}}}
//! ```
//!
//! Missing pieces are allowed and take these defaults: a missing side or level is "not
//! configured" (`None`); a missing `hysteresis` is 0; a missing `on_duration` / `off_duration`
//! is 0 s (act at once); a missing `enabled` is `true` (a threshold someone wrote down is meant
//! to work). `threshold` is required. Unknown keys inside a variable, side or level are rejected
//! (they are typos, e.g. `treshold`); unknown keys at the top of the payload are ignored.
//!
//! # Semantics (shared with the alarm engine)
//!
//! On the max side a level is crossed when `value >= threshold` and has recovered when
//! `value < threshold - hysteresis`; on the min side crossed when `value <= threshold`,
//! recovered when `value > threshold + hysteresis`. Durations are seconds.

mod alarms;
mod fields;
mod limits;
pub mod prototype;
mod units;
mod validation;

pub use alarms::*;
pub use fields::*;
pub use limits::*;
pub use units::*;
pub use validation::*;

#[cfg(test)]
mod tests {
    use super::*;

    /// The original prototype's payload, unchanged.
    const PROTOTYPE: &str = r#"{
        "profile": "site-a",
        "protections": {
            "soc": {
                "max": {
                    "hysteresis": 0.5,
                    "warning": {"threshold": 95, "on_duration": 30, "off_duration": 60, "enabled": true},
                    "alert": {"threshold": 98, "on_duration": 10, "off_duration": 60, "enabled": true}
                },
                "min": {
                    "hysteresis": 0.5,
                    "warning": {"threshold": 10, "on_duration": 30, "off_duration": 60, "enabled": true},
                    "fault": {"threshold": 2, "on_duration": 1, "off_duration": 60, "enabled": false}
                }
            },
            "cell_temp": {"max": {"warning": {"threshold": 45}}}
        }
    }"#;

    fn soc_info() -> VariableInfo {
        VariableInfo {
            min: Some(0.0),
            max: Some(100.0),
            units: "%".into(),
        }
    }

    fn known_soc(name: &str) -> Option<VariableInfo> {
        match name {
            "soc" => Some(soc_info()),
            "cell_temp" => Some(VariableInfo::default()),
            _ => None,
        }
    }

    #[test]
    fn the_prototype_payload_reads_unchanged_with_documented_defaults() {
        let payload: ProtectionsPayload = serde_json::from_str(PROTOTYPE).unwrap();
        assert_eq!(payload.profile.as_deref(), Some("site-a"));
        let soc = &payload.protections["soc"];
        let max = soc.max.as_ref().unwrap();
        assert_eq!(max.hysteresis, 0.5);
        assert_eq!(
            max.warning,
            Some(LevelLimit {
                threshold: 95.0,
                on_duration: 30.0,
                off_duration: 60.0,
                enabled: true
            })
        );
        assert_eq!(max.fault, None);
        assert!(!soc.min.as_ref().unwrap().fault.unwrap().enabled);
        // Missing hysteresis, durations and enabled take their defaults.
        let temp = payload.protections["cell_temp"].max.as_ref().unwrap();
        assert_eq!(temp.hysteresis, 0.0);
        assert_eq!(temp.warning, Some(LevelLimit::new(45.0)));
        assert!(payload.protections["cell_temp"].min.is_none());
        assert_eq!(validate(&payload.protections, &known_soc), vec![]);

        // The profile is optional; a round trip keeps everything.
        let bare: ProtectionsPayload =
            serde_json::from_str(r#"{"protections": {"soc": {}}}"#).unwrap();
        assert_eq!(bare.profile, None);
        let text = serde_json::to_string(&payload).unwrap();
        assert_eq!(
            serde_json::from_str::<ProtectionsPayload>(&text).unwrap(),
            payload
        );
        // Typos inside the limits are rejected rather than silently defaulted.
        let typo =
            r#"{"protections": {"soc": {"max": {"warning": {"threshold": 1, "enabld": false}}}}}"#;
        assert!(serde_json::from_str::<ProtectionsPayload>(typo).is_err());
        let missing_threshold =
            r#"{"protections": {"soc": {"max": {"warning": {"on_duration": 1}}}}}"#;
        assert!(serde_json::from_str::<ProtectionsPayload>(missing_threshold).is_err());
    }

    /// The six quantities of `prot:sbmu:hold`, in engineering units, without ranges.
    fn known_device_quantity(name: &str) -> Option<VariableInfo> {
        let units = match name {
            "cell_voltage" => "mV",
            "pack_voltage" => "V",
            "charge_current" | "discharge_current" => "A",
            "cell_temp" => "°C",
            "soc" => return Some(soc_info()),
            _ => return None,
        };
        Some(VariableInfo {
            min: None,
            max: None,
            units: units.into(),
        })
    }

    #[test]
    fn the_seeded_default_profile_is_valid() {
        let payload: ProtectionsPayload =
            serde_json::from_str(include_str!("../../../examples/protections_default.json"))
                .unwrap();
        assert_eq!(payload.profile.as_deref(), Some("default"));
        assert_eq!(
            validate(&payload.protections, &known_device_quantity),
            vec![]
        );
        let sides: usize = payload
            .protections
            .values()
            .map(|v| v.sides().count())
            .sum();
        assert_eq!(payload.protections.len(), 6);
        assert_eq!(sides, 10);
        for (_, limits) in payload.protections.iter() {
            for (_, side) in limits.sides() {
                assert_eq!(side.levels().count(), 3);
            }
        }
    }

    #[test]
    fn enums_serialise_lowercase_and_parse_back() {
        assert_eq!(serde_json::to_string(&Side::Max).unwrap(), r#""max""#);
        assert_eq!(
            serde_json::to_string(&Level::Warning).unwrap(),
            r#""warning""#
        );
        assert_eq!(
            serde_json::to_string(&AlarmState::Recovering).unwrap(),
            r#""recovering""#
        );
        assert_eq!(
            serde_json::to_string(&LimitField::OnDuration).unwrap(),
            r#""on_duration""#
        );
        for side in Side::ALL {
            assert_eq!(Side::parse(side.as_str()), Some(side));
        }
        for level in Level::ALL {
            assert_eq!(Level::parse(level.as_str()), Some(level));
        }
    }

    #[test]
    fn field_paths_print_and_parse() {
        let alert = FieldPath::level("soc", Side::Max, Level::Alert, LimitField::Threshold);
        assert_eq!(alert.to_string(), "soc.max.alert.threshold");
        let hyst = FieldPath::hysteresis("soc", Side::Max);
        assert_eq!(hyst.to_string(), "soc.max.hysteresis");
        assert_eq!("soc.max.alert.threshold".parse(), Ok(alert));
        assert_eq!("soc.max.hysteresis".parse(), Ok(hyst));
        assert_eq!(
            "cell_voltage.min.fault.off_duration"
                .parse::<FieldPath>()
                .map(|p| p.to_string()),
            Ok("cell_voltage.min.fault.off_duration".to_string())
        );
        for bad in [
            "",
            "soc",
            "soc.max",
            "soc.up.hysteresis",
            "soc.max.threshold",
            "soc.max.alert.hysteresis",
            "soc.max.severe.threshold",
            ".max.hysteresis",
            "soc.max.alert.threshold.x",
        ] {
            assert!(bad.parse::<FieldPath>().is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn fields_get_set_and_diff() {
        let payload: ProtectionsPayload = serde_json::from_str(PROTOTYPE).unwrap();
        let set = payload.protections;
        let fields = set.fields();
        // cell_temp max: hysteresis + 4 fields; soc max: 1 + 2×4; soc min: 1 + 2×4.
        assert_eq!(fields.len(), 5 + 9 + 9);
        assert_eq!(fields[0].0.to_string(), "cell_temp.max.hysteresis");
        for (path, value) in &fields {
            assert_eq!(set.get_field(path), Some(*value), "{path}");
        }
        let path: FieldPath = "soc.max.alert.threshold".parse().unwrap();
        assert_eq!(set.get_field(&path), Some(FieldValue::Number(98.0)));
        assert_eq!(
            set.get_field(&"soc.max.fault.threshold".parse().unwrap()),
            None
        );

        let mut edited = set.clone();
        edited.set_field(&path, FieldValue::Number(97.0)).unwrap();
        edited
            .set_field(
                &"soc.min.fault.enabled".parse().unwrap(),
                FieldValue::Bool(true),
            )
            .unwrap();
        // A new level comes into being with its threshold, and only so.
        let on = "soc.max.fault.on_duration".parse().unwrap();
        assert!(edited.set_field(&on, FieldValue::Number(1.0)).is_err());
        edited
            .set_field(
                &"soc.max.fault.threshold".parse().unwrap(),
                FieldValue::Number(99.5),
            )
            .unwrap();
        edited.set_field(&on, FieldValue::Number(1.0)).unwrap();
        // Kinds are checked.
        assert!(edited.set_field(&path, FieldValue::Bool(true)).is_err());
        assert!(
            edited
                .set_field(
                    &"soc.max.alert.enabled".parse().unwrap(),
                    FieldValue::Number(1.0)
                )
                .is_err()
        );

        let changes = diff(&set, &edited);
        let printed: Vec<String> = changes
            .iter()
            .map(|c| {
                let show = |v: &Option<FieldValue>| v.map_or("—".to_string(), |v| v.to_string());
                format!("{} {} -> {}", c.path, show(&c.old), show(&c.new))
            })
            .collect();
        assert_eq!(
            printed,
            vec![
                "soc.max.alert.threshold 98 -> 97",
                "soc.max.fault.threshold — -> 99.5",
                "soc.max.fault.on_duration — -> 1",
                "soc.max.fault.off_duration — -> 0",
                "soc.max.fault.enabled — -> true",
                "soc.min.fault.enabled false -> true",
            ]
        );
        assert_eq!(set.diff(&set), vec![]);

        assert!(edited.remove("soc", Side::Max, Some(Level::Fault)));
        assert!(!edited.remove("soc", Side::Max, Some(Level::Fault)));
        assert!(edited.remove("cell_temp", Side::Max, None));
        assert!(!edited.contains_key("cell_temp"));
    }

    // -------------------------------------------------------------- validation table

    /// soc (0–100 %): max 90 / 95 / 98, hysteresis 2; min 10 / 5 / 2, hysteresis 1.
    fn base() -> ProtectionSet {
        let side = |h: f64, [w, a, f]: [f64; 3]| SideLimits {
            hysteresis: h,
            warning: Some(LevelLimit::new(w).with_delays(5.0, 10.0)),
            alert: Some(LevelLimit::new(a).with_delays(3.0, 10.0)),
            fault: Some(LevelLimit::new(f).with_delays(1.0, 10.0)),
        };
        let mut set = ProtectionSet::new();
        set.insert(
            "soc".into(),
            VariableLimits {
                max: Some(side(2.0, [90.0, 95.0, 98.0])),
                min: Some(side(1.0, [10.0, 5.0, 2.0])),
            },
        );
        set
    }

    fn set(set: &mut ProtectionSet, path: &str, value: f64) {
        let path: FieldPath = path.parse().unwrap();
        let value = if path.field == LimitField::Enabled {
            FieldValue::Bool(value != 0.0)
        } else {
            FieldValue::Number(value)
        };
        set.set_field(&path, value).unwrap();
    }

    type Edit = &'static [(&'static str, f64)];
    /// What, edits, expected path and rule keyword (`None`: valid).
    type Case = (&'static str, Edit, Option<(&'static str, &'static str)>);

    /// The cases of `validation_rules_name_the_most_specific_field`.
    const VALIDATION_CASES: &[Case] = &[
        ("the base set", &[], None),
        (
            "unknown quantity",
            &[("bogus.max.warning.threshold", 1.0)],
            Some(("bogus", "unknown")),
        ),
        (
            "max alert below warning",
            &[("soc.max.alert.threshold", 89.0)],
            Some((
                "soc.max.alert.threshold",
                "High alert 89 % must be above high warning 90 %",
            )),
        ),
        (
            "max fault equal to alert",
            &[("soc.max.fault.threshold", 95.0)],
            Some(("soc.max.fault.threshold", "must be above high alert")),
        ),
        (
            "min alert above warning",
            &[("soc.min.alert.threshold", 12.0)],
            Some((
                "soc.min.alert.threshold",
                "Low alert 12 % must be below low warning 10 %",
            )),
        ),
        (
            "min fault above alert",
            &[("soc.min.fault.threshold", 6.0)],
            Some(("soc.min.fault.threshold", "must be below low alert")),
        ),
        (
            "disabled alert is skipped by ordering",
            &[
                ("soc.max.alert.threshold", 50.0),
                ("soc.max.alert.enabled", 0.0),
            ],
            None,
        ),
        (
            "with alert disabled, fault is compared with warning",
            &[
                ("soc.max.alert.enabled", 0.0),
                ("soc.max.fault.threshold", 89.0),
            ],
            Some(("soc.max.fault.threshold", "must be above high warning")),
        ),
        (
            "negative hysteresis",
            &[("soc.max.hysteresis", -1.0)],
            Some(("soc.max.hysteresis", "negative")),
        ),
        (
            "NaN hysteresis",
            &[("soc.min.hysteresis", f64::NAN)],
            Some(("soc.min.hysteresis", "finite")),
        ),
        (
            "hysteresis wider than a gap",
            &[("soc.max.hysteresis", 3.5)],
            Some((
                "soc.max.hysteresis",
                "gap between alert (95 %) and fault (98 %)",
            )),
        ),
        (
            "hysteresis equal to the gap touches, allowed",
            &[("soc.max.hysteresis", 3.0)],
            None,
        ),
        (
            "hysteresis gap counts enabled levels only",
            &[("soc.min.alert.enabled", 0.0), ("soc.min.hysteresis", 7.0)],
            None,
        ),
        (
            "max recovery point below the range",
            &[
                ("soc.max.alert.enabled", 0.0),
                ("soc.max.fault.enabled", 0.0),
                ("soc.max.warning.threshold", 5.0),
                ("soc.min.warning.enabled", 0.0),
                ("soc.min.alert.enabled", 0.0),
                ("soc.min.fault.enabled", 0.0),
                ("soc.max.hysteresis", 5.0),
            ],
            Some(("soc.max.hysteresis", "recovery point of warning")),
        ),
        (
            "min recovery point above the range",
            &[
                ("soc.min.alert.enabled", 0.0),
                ("soc.min.fault.enabled", 0.0),
                ("soc.min.hysteresis", 90.0),
                ("soc.max.warning.enabled", 0.0),
                ("soc.max.alert.enabled", 0.0),
                ("soc.max.fault.enabled", 0.0),
            ],
            Some(("soc.min.hysteresis", "maximum 100 %")),
        ),
        (
            "threshold above the range",
            &[("soc.max.fault.threshold", 101.0)],
            Some(("soc.max.fault.threshold", "out of range")),
        ),
        (
            "threshold below the range",
            &[("soc.min.fault.threshold", -1.0)],
            Some(("soc.min.fault.threshold", "minimum 0 %")),
        ),
        (
            "range is inclusive",
            &[
                ("soc.max.fault.threshold", 100.0),
                ("soc.min.fault.threshold", 0.0),
            ],
            None,
        ),
        (
            "NaN threshold",
            &[("soc.max.alert.threshold", f64::NAN)],
            Some(("soc.max.alert.threshold", "finite")),
        ),
        (
            "infinite threshold",
            &[("soc.min.warning.threshold", f64::INFINITY)],
            Some(("soc.min.warning.threshold", "finite")),
        ),
        (
            "negative on-delay",
            &[("soc.max.warning.on_duration", -0.5)],
            Some(("soc.max.warning.on_duration", "negative")),
        ),
        (
            "NaN off-delay",
            &[("soc.min.fault.off_duration", f64::NAN)],
            Some(("soc.min.fault.off_duration", "finite")),
        ),
        (
            "infinite on-delay",
            &[("soc.max.fault.on_duration", f64::INFINITY)],
            Some(("soc.max.fault.on_duration", "finite")),
        ),
        (
            "negative delay on a disabled level still counts",
            &[
                ("soc.max.fault.enabled", 0.0),
                ("soc.max.fault.off_duration", -1.0),
            ],
            Some(("soc.max.fault.off_duration", "negative")),
        ),
        (
            "min side overlapping the max side",
            &[
                ("soc.min.warning.threshold", 90.0),
                ("soc.min.hysteresis", 0.0),
            ],
            Some(("soc.min.warning.threshold", "max side's warning (90 %)")),
        ),
    ];

    #[test]
    fn validation_rules_name_the_most_specific_field() {
        let cases = VALIDATION_CASES;
        assert!(cases.len() >= 15);
        for (what, edits, expected) in cases {
            let mut s = base();
            for (path, value) in *edits {
                set(&mut s, path, *value);
            }
            let errors = validate(&s, &known_soc);
            match expected {
                None => assert_eq!(errors, vec![], "{what}"),
                Some((path, keyword)) => {
                    // Thresholds out of order are said at both (the second names the first).
                    let ordering = keyword.contains("must be above high")
                        || keyword.contains("must be below low");
                    let expected_count = if ordering { 2 } else { 1 };
                    assert_eq!(errors.len(), expected_count, "{what}: {errors:#?}");
                    if ordering {
                        let paired = &errors[1].message;
                        assert!(
                            paired.contains("must be below high")
                                || paired.contains("must be above low"),
                            "{what}: {paired}"
                        );
                    }
                    assert_eq!(errors[0].field, *path, "{what}: {errors:#?}");
                    assert!(
                        errors[0].message.contains(keyword),
                        "{what}: {:?} lacks {keyword:?}",
                        errors[0].message
                    );
                }
            }
        }
    }

    #[test]
    fn unknown_ranges_skip_the_range_rules_but_not_the_others() {
        let mut s = base();
        set(&mut s, "soc.max.fault.threshold", 1e6);
        set(&mut s, "soc.max.hysteresis", 3.0);
        let open = |_: &str| Some(VariableInfo::default());
        assert_eq!(validate(&s, &open), vec![]);
        set(&mut s, "soc.max.hysteresis", 6.0);
        let errors = validate(&s, &open);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "soc.max.hysteresis");
    }

    // -------------------------------------------------------------- property tests

    /// SplitMix64: small, seeded, deterministic.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// Uniform in [0, 1).
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }

        /// Uniform in [low, high], in steps of 0.001 (numbers an operator would type; they also
        /// survive a JSON round trip exactly).
        fn range(&mut self, low: f64, high: f64) -> f64 {
            milli(low + (high - low) * self.unit())
        }

        fn chance(&mut self, p: f64) -> bool {
            self.unit() < p
        }

        fn below(&mut self, n: usize) -> usize {
            // The remainder is below `n`, itself a usize, so it converts back.
            usize::try_from(self.next() % n as u64).unwrap()
        }
    }

    fn milli(x: f64) -> f64 {
        (x * 1000.0).round() / 1000.0
    }

    /// Quantities `q0`…`q3` with range 0–1000.
    fn known_q(name: &str) -> Option<VariableInfo> {
        name.strip_prefix('q').map(|_| VariableInfo {
            min: Some(0.0),
            max: Some(1000.0),
            units: String::new(),
        })
    }

    /// A random set, valid by construction: max thresholds grow outwards from 500–700, min ones
    /// from 100–300, gaps 5–50; disabled levels anywhere in range; hysteresis up to the smallest
    /// gap between consecutive enabled levels.
    fn valid_set(rng: &mut Rng) -> ProtectionSet {
        let mut set = ProtectionSet::new();
        for q in 0..1 + rng.below(4) {
            let mut limits = VariableLimits::default();
            for side in Side::ALL {
                if rng.chance(0.2) {
                    continue;
                }
                let mut side_limits = SideLimits::default();
                let mut threshold = match side {
                    Side::Max => rng.range(500.0, 700.0),
                    Side::Min => rng.range(100.0, 300.0),
                };
                let mut last_enabled: Option<f64> = None;
                let mut smallest_gap = f64::INFINITY;
                for level in Level::ALL {
                    let step = rng.range(5.0, 50.0);
                    if level != Level::Warning {
                        threshold = milli(
                            threshold
                                + match side {
                                    Side::Max => step,
                                    Side::Min => -step,
                                },
                        );
                    }
                    if rng.chance(0.15) {
                        continue; // not configured
                    }
                    let enabled = rng.chance(0.8);
                    let t = if enabled {
                        if let Some(previous) = last_enabled {
                            smallest_gap = smallest_gap.min((threshold - previous).abs());
                        }
                        last_enabled = Some(threshold);
                        threshold
                    } else {
                        rng.range(0.0, 1000.0)
                    };
                    *side_limits.level_mut(level) = Some(LevelLimit {
                        threshold: t,
                        on_duration: (rng.range(0.0, 60.0) * 10.0).round() / 10.0,
                        off_duration: rng.range(0.0, 60.0),
                        enabled,
                    });
                }
                // Round down to 0.001 so it never exceeds the gap.
                let mut cap = (smallest_gap.min(50.0) * 1000.0).floor();
                while cap / 1000.0 > smallest_gap {
                    cap -= 1.0; // the product rounded up to the next integer
                }
                side_limits.hysteresis = if rng.chance(0.1) {
                    cap / 1000.0
                } else {
                    (rng.unit() * cap).floor() / 1000.0
                };
                *limits.side_mut(side) = Some(side_limits);
            }
            // A quantity with no side has no fields: nothing a diff could express.
            if limits.max.is_some() || limits.min.is_some() {
                set.insert(format!("q{q}"), limits);
            }
        }
        set
    }

    #[test]
    fn random_valid_sets_validate_clean_and_round_trip() {
        let mut rng = Rng(0x5EED_0001);
        for case in 0..2_000 {
            let set = valid_set(&mut rng);
            assert_eq!(validate(&set, &known_q), vec![], "case {case}: {set:#?}");
            // JSON round trip.
            let text = serde_json::to_string(&set).unwrap();
            assert_eq!(serde_json::from_str::<ProtectionSet>(&text).unwrap(), set);
            // Rebuilding from the flat fields gives the same set, and no diff.
            let mut rebuilt = ProtectionSet::new();
            for (path, value) in set.fields() {
                rebuilt.set_field(&path, value).unwrap();
            }
            assert_eq!(rebuilt, set, "case {case}");
            assert_eq!(diff(&set, &rebuilt), vec![]);
        }
    }

    #[test]
    fn swapping_two_enabled_thresholds_always_breaks_that_side() {
        let mut rng = Rng(0x5EED_0002);
        let mut swapped = 0;
        for case in 0..3_000 {
            let mut set = valid_set(&mut rng);
            let candidates: Vec<(String, Side, Vec<Level>)> = set
                .iter()
                .flat_map(|(name, limits)| {
                    limits.sides().map(move |(side, s)| {
                        (
                            name.clone(),
                            side,
                            s.enabled_levels().map(|(l, _)| l).collect::<Vec<Level>>(),
                        )
                    })
                })
                .filter(|(_, _, levels)| levels.len() >= 2)
                .collect();
            if candidates.is_empty() {
                continue;
            }
            let (name, side, levels) = &candidates[rng.below(candidates.len())];
            let i = rng.below(levels.len());
            let j = (i + 1 + rng.below(levels.len() - 1)) % levels.len();
            let side_limits = set.get_mut(name).unwrap().side_mut(*side).as_mut().unwrap();
            let a = side_limits.level(levels[i]).unwrap().threshold;
            let b = side_limits.level(levels[j]).unwrap().threshold;
            side_limits.level_mut(levels[i]).as_mut().unwrap().threshold = b;
            side_limits.level_mut(levels[j]).as_mut().unwrap().threshold = a;
            swapped += 1;
            let prefix = format!("{name}.{side}.");
            let errors = validate(&set, &known_q);
            assert!(
                errors
                    .iter()
                    .any(|e| e.field.starts_with(&prefix) && e.field.ends_with(".threshold")),
                "case {case}: swapping {} and {} on {name}.{side} went unnoticed: {errors:?}",
                levels[i],
                levels[j]
            );
        }
        assert!(swapped > 1_000, "only {swapped} swaps");
    }

    #[test]
    fn a_single_bad_number_is_reported_at_its_own_path() {
        let mut rng = Rng(0x5EED_0003);
        for case in 0..2_000 {
            let mut set = valid_set(&mut rng);
            let fields: Vec<FieldPath> = set
                .fields()
                .into_iter()
                .map(|(path, _)| path)
                .filter(|path| path.field != LimitField::Enabled)
                .collect();
            if fields.is_empty() {
                continue;
            }
            let path = &fields[rng.below(fields.len())];
            let bad = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY][rng.below(3)];
            set.set_field(path, FieldValue::Number(bad)).unwrap();
            let errors = validate(&set, &known_q);
            let expected = path.to_string();
            assert_eq!(errors.len(), 1, "case {case}: {expected}: {errors:?}");
            assert_eq!(errors[0].field, expected, "case {case}");
            assert!(errors[0].message.contains("finite"), "case {case}");
        }
    }

    #[test]
    fn diff_then_apply_reaches_the_other_set() {
        let mut rng = Rng(0x5EED_0004);
        for case in 0..1_000 {
            let a = valid_set(&mut rng);
            let b = valid_set(&mut rng);
            let changes = diff(&a, &b);
            assert_eq!(changes.is_empty(), a == b);
            // Apply: thresholds before other fields, removals of whole levels/sides last.
            let mut applied = a.clone();
            let mut ordered: Vec<&FieldChange> = changes.iter().collect();
            ordered.sort_by_key(|c| c.path.field != LimitField::Threshold);
            for change in &ordered {
                if let Some(new) = change.new {
                    applied.set_field(&change.path, new).unwrap();
                }
            }
            for change in &ordered {
                if change.new.is_none() {
                    let p = &change.path;
                    if b.get(&p.variable).and_then(|v| v.side(p.side)).is_none() {
                        applied.remove(&p.variable, p.side, None);
                    } else if let Some(level) = p.level {
                        applied.remove(&p.variable, p.side, Some(level));
                    }
                }
            }
            assert_eq!(applied, b, "case {case}");
        }
    }
}
