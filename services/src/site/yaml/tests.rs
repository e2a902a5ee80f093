//! Tests of reading and writing `config.yaml`: the seed's own example, the full example in
//! `examples/site/`, one file with many problems, and read → write → read round trips.

use model::site::spec::{
    AdapterSpec, AttachmentSpec, BatteryArraySpec, BatteryPackSpec, InverterArraySpec,
    InverterSpec, MeterSpec, MeterType, PhaseType, SiteSpec, SystemSpec,
};
use serde_json::json;

use super::*;

const SEED_7_1: &str = include_str!("../../../tests/fixtures/site/seed_7_1.yaml");
const EXAMPLE: &str = include_str!("../../../../examples/site/config.yaml");

fn read(text: &str) -> Result<SiteSpec, SiteFileProblems> {
    read_site_yaml(text, "config.yaml", &AnyAdapter)
}

/// The problems as `line:column: path: message` lines.
fn problems(text: &str) -> Vec<String> {
    let problems = read(text).expect_err("expected problems");
    problems
        .problems
        .iter()
        .map(|p| format!("{}:{}: {}: {}", p.line, p.column, p.path, p.message))
        .collect()
}

fn assert_problems(text: &str, expected: &[&str]) {
    let found = problems(text);
    assert_eq!(found, expected, "\nfound:\n{}", found.join("\n"));
}

#[test]
fn the_seed_example_reports_its_undefined_devices() {
    let problems = read(SEED_7_1).unwrap_err();
    assert_eq!(
        problems.to_string(),
        "config.yaml:15:9: arrays[0].inverter_ids[0]: no inverter \"powdrive2\" is defined \
         (inverters: powdrive1)\n\
         config.yaml:16:9: arrays[0].inverter_ids[1]: no inverter \"senergy1\" is defined \
         (inverters: powdrive1)\n\
         config.yaml:44:9: battery_bank_arrays[0].battery_bank_ids[0]: no battery bank \
         \"jkbms_bank_ble\" is defined (battery_banks: battery1)\n\
         config.yaml:76:17: meters[0].adapter_id: no adapter \"grid_meter_1_adapter\" is defined \
         in this file; give the meter's adapter itself (`adapter: {type: ..., ...}`, with `id: \
         grid_meter_1_adapter` to keep that id)"
    );
}

#[test]
fn the_seed_example_reads_once_its_devices_are_defined() {
    let fixed = SEED_7_1
        .replace("      - powdrive2\n      - senergy1\n", "      []\n")
        .replace("inverter_ids:\n      []", "inverter_ids: []")
        .replace("      - jkbms_bank_ble\n", "      []\n")
        .replace("battery_bank_ids: \n      []", "battery_bank_ids: []")
        .replace(
            "    adapter_id: grid_meter_1_adapter  # References adapters table\n",
            "",
        );
    let spec = read(&fixed).unwrap();
    assert_eq!(spec.inverters[0].array_id, "array2");
    assert_eq!(spec.battery_packs[0].battery_array_id, "battery_array2");
    assert_eq!(spec.battery_packs[0].batteries, 4);
    assert_eq!(spec.battery_packs[0].cells_per_battery, 15);
    assert_eq!(spec.meters[0].array_id, None);
    assert_eq!(spec.meters[0].meter_type, Some(MeterType::Grid));
    let adapter = spec.inverters[0].adapter.as_ref().unwrap();
    assert_eq!(adapter.id, "powdrive1_adapter");
    assert_eq!(adapter.config, json!({}));
    assert_eq!(spec.attachments[0].detached_at, None);
}

#[test]
fn the_example_is_one_full_system() {
    let spec = read(EXAMPLE).unwrap();
    assert_eq!(spec.system.id, "system");
    assert_eq!(spec.system.timezone, "Asia/Karachi");
    let arrays: Vec<(&str, &str)> = spec
        .inverters
        .iter()
        .map(|inverter| (inverter.id.as_str(), inverter.array_id.as_str()))
        .collect();
    assert_eq!(
        arrays,
        [
            ("inverter1", "array1"),
            ("inverter2", "array1"),
            ("inverter3", "array2")
        ]
    );
    assert_eq!(spec.inverters[2].phase_type, Some(PhaseType::Single));
    let pack = &spec.battery_packs[0];
    assert_eq!((pack.batteries, pack.cells_per_battery), (4, 16));
    assert_eq!(pack.max_charge_kw, Some(10.0));
    let adapters: Vec<(&str, i32, &str)> = pack
        .adapters
        .iter()
        .map(|a| (a.id.as_str(), a.priority, a.adapter_type.as_str()))
        .collect();
    assert_eq!(
        adapters,
        [
            ("pack1_tcp", 1, "simulator_bms"),
            ("pack1_rtu", 2, "modbus_generic")
        ]
    );
    assert_eq!(
        pack.adapters[0].config,
        json!({"transport": "tcp", "host": "127.0.0.1", "port": 5021, "unit_id": 2})
    );
    assert_eq!(spec.battery_packs[1].adapters[0].id, "pack2_adapter");
    assert_eq!(spec.meters[0].array_id, None);
    assert_eq!(spec.attachments.len(), 1);
}

#[test]
fn the_example_reads_back_from_what_is_written() {
    let spec = read(EXAMPLE).unwrap();
    let written = write_site_yaml(&spec);
    let again = read(&written).unwrap_or_else(|problems| panic!("{problems}\n{written}"));
    assert_eq!(again, spec);
    assert_eq!(write_site_yaml(&again), written, "writing is stable");
}

/// A spec with text the writer must quote and values the reader must keep exactly.
fn awkward_spec() -> SiteSpec {
    let adapter = |id: &str, priority: i32, enabled: bool| AdapterSpec {
        id: id.into(),
        adapter_type: "modbus_generic".into(),
        name: Some("yes".into()),
        config: json!({
            "host": "10.0.0.1",
            "port": 502,
            "timeout_s": 1.5,
            "registers": [1, 2, "3"],
            "map": {"a: b": null, "nested": {"deep": [{"x": true}]}},
            "empty": {},
            "none": []
        }),
        priority,
        enabled,
    };
    SiteSpec {
        system: SystemSpec {
            id: "site-1".into(),
            name: "Site: \"North\" #1".into(),
            description: Some("two lines\nof text ".into()),
            timezone: "America/Argentina/Buenos_Aires".into(),
        },
        inverter_arrays: vec![InverterArraySpec {
            id: "123".into(),
            name: "true".into(),
        }],
        inverters: vec![InverterSpec {
            id: "inv".into(),
            array_id: "123".into(),
            name: "null".into(),
            model: Some("".into()),
            serial_number: Some("0123".into()),
            vendor: None,
            phase_type: Some(PhaseType::Auto),
            adapter: Some(adapter("custom_adapter_id", 3, true)),
        }],
        battery_arrays: vec![BatteryArraySpec {
            id: "ba".into(),
            name: "- dash".into(),
        }],
        battery_packs: vec![BatteryPackSpec {
            id: "p".into(),
            battery_array_id: "ba".into(),
            name: "P".into(),
            chemistry: None,
            nominal_kwh: Some(5.0),
            max_charge_kw: Some(0.1),
            max_discharge_kw: None,
            batteries: 1,
            cells_per_battery: 512,
            cell_nominal_voltage: None,
            adapters: vec![
                adapter("p_adapter", 5, false),
                adapter("p_adapter_2", 1, true),
            ],
        }],
        attachments: vec![
            AttachmentSpec {
                battery_array_id: "ba".into(),
                inverter_array_id: "123".into(),
                attached_since: Some("2025-01-01T00:00:00Z".into()),
                detached_at: Some("2025-02-01T00:00:00+05:00".into()),
            },
            AttachmentSpec {
                battery_array_id: "ba".into(),
                inverter_array_id: "123".into(),
                attached_since: None,
                detached_at: None,
            },
        ],
        meters: vec![MeterSpec {
            id: "m".into(),
            name: "M".into(),
            array_id: Some("123".into()),
            model: None,
            meter_type: None,
            adapter: None,
        }],
    }
}

#[test]
fn awkward_values_read_back_unchanged() {
    let spec = awkward_spec();
    let written = write_site_yaml(&spec);
    let again = read(&written).unwrap_or_else(|problems| panic!("{problems}\n{written}"));
    assert_eq!(again, spec, "\n{written}");
}

#[test]
fn an_empty_site_reads_back() {
    let spec = SiteSpec {
        system: SystemSpec {
            id: "system".into(),
            name: "My Solar System".into(),
            description: None,
            timezone: "UTC".into(),
        },
        ..SiteSpec::default()
    };
    let written = write_site_yaml(&spec);
    assert!(written.contains("\ninverters: []\n"), "{written}");
    assert_eq!(read(&written).unwrap(), spec);
}

/// Every kind of problem in one file; each is reported, at its own line and column.
const MANY: &str = "\
home:
  id: system
  name: Home
  timezone: Asia/Karachi
  colour: blue
arrays:
  - id: array1
    name: A
    home_id: other
    inverter_ids: [inv1, inv2, ghost]
  - id: array2
    name: B
    inverter_ids: [inv2]
  - id: bad id
    name: C
inverters:
  - id: inv1
    name: One
    array_id: array2
    phase_type: two
  - id: inv2
    name: Two
    adapter:
      type: powdrive
      priority: high
  - id: inv3
    name: Three
  - id: inv1
    name: Again
    array_id: array9
    serial_number: 12345
battery_bank_arrays:
  - id: ba1
    name: Batteries
battery_banks:
  - id: pack1
    name: Pack
    battery_array_id: ba1
    batteries: 0
    nominal_kwh: -1
    adapters:
      - type: bms
      - type: bms
        priority: 1
  - name: Nameless
    battery_array_id: ba1
    batteries: 2
    cells_per_battery: 16
battery_bank_array_attachments:
  - battery_bank_array_id: ba1
    inverter_array_id: array1
    attached_since: yesterday
  - battery_bank_array_id: ba1
    inverter_array_id: nowhere
meters:
  - id: meter1
    name: Grid
    array_id: array5
    type: gas
    attachment_target: system
    adapters: {}
";

#[test]
fn every_problem_of_a_file_is_reported_at_its_position() {
    assert_problems(
        MANY,
        &[
            "5:3: home.colour: unknown key; the keys allowed here are: id, name, description, \
             timezone",
            "9:14: arrays[0].home_id: names system \"other\", but home.id is \"system\" (a file \
             describes one system)",
            "10:32: arrays[0].inverter_ids[2]: no inverter \"ghost\" is defined (inverters: \
             inv1, inv2, inv3)",
            "13:20: arrays[1].inverter_ids[0]: inverter \"inv2\" is already listed in inverter \
             array \"array1\" (arrays[0].inverter_ids[1], line 10); each inverter belongs to \
             one inverter array",
            "14:9: arrays[2].id: an id holds only letters, digits, '_' and '-' (' ' is not \
             allowed)",
            "19:15: inverters[0].array_id: names inverter array \"array2\", but inverter array \
             \"array1\" lists this inverter (arrays[0].inverter_ids[0], line 10); each \
             inverter belongs to one inverter array",
            "20:17: inverters[0].phase_type: \"two\" is not one of: single, three, auto",
            "25:17: inverters[1].adapter.priority: expected a whole number, found text",
            "26:5: inverters[2]: this inverter is in no inverter array: give it `array_id` or \
             list it in one inverter array's `inverter_ids` (arrays: array1, array2)",
            "28:9: inverters[3].id: the id \"inv1\" is already used by inverters[0].id (line \
             17); ids are unique across the file",
            "30:15: inverters[3].array_id: no inverter array \"array9\" is defined (arrays: \
             array1, array2)",
            "31:20: inverters[3].serial_number: expected text, found a number (put it in \
             quotes to make it text)",
            "36:5: battery_banks[0].cells_per_battery: required, but missing",
            "39:16: battery_banks[0].batteries: must be from 1 to 256, not 0",
            "40:18: battery_banks[0].nominal_kwh: must be a number of at least 0",
            "44:19: battery_banks[0].adapters[1].priority: priority 1 is already used by \
             battery_banks[0].adapters[0] (line 42); each of a pack's adapters needs its own \
             priority",
            "45:5: battery_banks[1].id: required, but missing",
            "52:21: battery_bank_array_attachments[0].attached_since: \"yesterday\" is not an \
             RFC 3339 time like 2025-01-01T00:00:00+05:00 (premature end of input)",
            "53:5: battery_bank_array_attachments[1]: battery array \"ba1\" is already attached \
             at battery_bank_array_attachments[0] (line 50); at most one attachment of a \
             battery array is open (give the other a detached_at)",
            "54:24: battery_bank_array_attachments[1].inverter_array_id: no inverter array \
             \"nowhere\" is defined (arrays: array1, array2)",
            "58:15: meters[0].array_id: no inverter array \"array5\" is defined (arrays: array1, \
             array2); a system-level meter has array_id: home (or null)",
            "59:11: meters[0].type: \"gas\" is not one of: grid, consumption, production",
            "60:24: meters[0].attachment_target: says the system, but array_id names inverter \
             array \"array5\"",
            "61:5: meters[0].adapters: unknown key; did you mean `adapter`? the keys allowed \
             here are: id, name, system_id, home_id, array_id, attachment_target, type, model, \
             adapter, adapter_id",
        ],
    );
}

#[test]
fn typos_name_the_key_meant() {
    let text = "home: {id: s, name: S}\ninverter:\n  - id: x\n";
    assert_problems(
        text,
        &[
            "2:1: inverter: unknown key; did you mean `inverters`? the keys allowed here are: \
           home, arrays, inverters, battery_bank_arrays, battery_banks, \
           battery_bank_array_attachments, meters",
        ],
    );
}

#[test]
fn a_missing_home_and_wrong_shapes_are_problems() {
    assert_problems(
        "arrays: {id: a}\ninverters: 3\n",
        &[
            "1:1: home: required, but missing",
            "1:9: arrays: expected a list (`- ` items), found a mapping",
            "2:12: inverters: expected a list (`- ` items), found a whole number",
        ],
    );
    assert_problems(
        "- home\n",
        &["1:1: : expected a mapping (`key: value` lines), found a list"],
    );
}

#[test]
fn duplicate_keys_are_a_syntax_problem() {
    let problems = read("home:\n  id: a\n  id: b\n").unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(
        problems
            .to_string()
            .starts_with("config.yaml:3:3: malformed YAML: duplicated key"),
        "{problems}"
    );
}

/// A catalog that knows two types and wants `port` below 65536 and `host` present.
struct TwoTypes;

impl AdapterConfigCheck for TwoTypes {
    fn knows(&self, adapter_type: &str) -> bool {
        matches!(adapter_type, "simulator_meter" | "modbus_generic")
    }

    fn check(&self, _adapter_type: &str, config: &serde_json::Value) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if config.get("host").is_none() {
            problems.push((String::new(), "\"host\" is a required property".into()));
        }
        if config["port"].as_i64().is_some_and(|port| port > 65535) {
            problems.push(("/port".into(), "70000 is greater than 65535".into()));
        }
        if config["hosts"][1].is_number() {
            problems.push(("/hosts/1".into(), "1 is not a string".into()));
        }
        problems
    }

    fn known_types(&self) -> Vec<String> {
        vec!["simulator_meter".into(), "modbus_generic".into()]
    }
}

#[test]
fn adapter_types_and_configurations_are_checked_by_the_catalog() {
    let text = "\
home: {id: s, name: S}
meters:
  - id: m1
    name: M1
    adapter:
      type: simulator_metre
  - id: m2
    name: M2
    adapter:
      type: modbus_generic
      port: 70000
  - id: m3
    name: M3
    adapter:
      type: modbus_generic
      host: a
      hosts: [a, 1]
";
    let problems = read_site_yaml(text, "site.yaml", &TwoTypes).unwrap_err();
    assert_eq!(
        problems.to_string(),
        "site.yaml:6:13: meters[0].adapter.type: unknown adapter type \"simulator_metre\" \
         (known types: simulator_meter, modbus_generic)\n\
         site.yaml:10:7: meters[1].adapter: \"host\" is a required property\n\
         site.yaml:11:13: meters[1].adapter.port: 70000 is greater than 65535\n\
         site.yaml:17:18: meters[2].adapter.hosts[1]: 1 is not a string"
    );
}

#[test]
fn adapter_ids_are_derived_given_and_unique() {
    let text = "\
home: {id: s, name: S}
arrays: [{id: a, name: A}]
inverters:
  - {id: i1, name: I1, array_id: a, adapter: {type: t, id: i2_adapter}}
  - {id: i2, name: I2, array_id: a, adapter: {type: t}}
meters:
  - {id: m1, name: M1, adapter_id: m1_link, adapter: {type: t, enabled: false}}
";
    let found = problems(text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with(
            "5:46: inverters[1].adapter: this adapter's id \"i2_adapter\" (derived from its \
             device's id; give the adapter an `id:`) is already used by inverters[0].adapter.id"
        ),
        "{found:?}"
    );
    let spec = read(&text.replace("id: i2_adapter", "id: i1_link")).unwrap();
    assert_eq!(spec.inverters[0].adapter.as_ref().unwrap().id, "i1_link");
    assert_eq!(spec.inverters[1].adapter.as_ref().unwrap().id, "i2_adapter");
    let meter_adapter = spec.meters[0].adapter.as_ref().unwrap();
    assert_eq!(meter_adapter.id, "m1_link");
    assert!(!meter_adapter.enabled);
}

#[test]
fn membership_comes_from_either_side() {
    let text = "\
home: {id: s, name: S}
arrays:
  - {id: a, name: A, inverter_ids: [listed]}
  - {id: b, name: B}
inverters:
  - {id: listed, name: L}
  - {id: own, name: O, array_id: b}
  - {id: both, name: B, array_id: a}
battery_bank_arrays:
  - {id: ba, name: BA, battery_bank_ids: [p1]}
battery_banks:
  - {id: p1, name: P1, batteries: 1, cells_per_battery: 4}
  - {id: p2, name: P2, battery_array_id: ba, batteries: 1, cells_per_battery: 4}
";
    let spec = read(text).unwrap();
    let arrays: Vec<&str> = spec.inverters.iter().map(|i| i.array_id.as_str()).collect();
    assert_eq!(arrays, ["a", "b", "a"]);
    let packs: Vec<&str> = spec
        .battery_packs
        .iter()
        .map(|p| p.battery_array_id.as_str())
        .collect();
    assert_eq!(packs, ["ba", "ba"]);
}
