//! Writing a `SiteSpec` as `config.yaml` (`powerdeck site export`): the format the reader takes, in
//! block style, one section per list in the spec's order, so the file reads back to the same spec.

use std::borrow::Cow;

use model::site::ids;
use model::site::spec::{AdapterSpec, BatteryPackSpec, InverterSpec, MeterSpec, SiteSpec};
use saphyr::Scalar;
use serde_json::Value;

use super::keys::{
    ADAPTER_KEYS, ARRAYS, ATTACHMENTS, BATTERY_ARRAYS, HOME, INVERTERS, METERS, PACKS, SYSTEM_LEVEL,
};

/// The spec as `config.yaml` text.
pub fn write_site_yaml(spec: &SiteSpec) -> String {
    let mut out = Out::default();
    out.raw(&format!(
        "# Powerdeck site configuration of the system {:?}, as `powerdeck site export` writes it.\n\
         # `powerdeck site import FILE` applies it; the format is seed 002 §7.1 (`home` is the\n\
         # system, `arrays` the inverter arrays, `battery_bank_arrays` and `battery_banks` the\n\
         # battery arrays and their packs).\n",
        spec.system.id
    ));
    write_home(&mut out, spec);
    write_arrays(&mut out, spec);
    write_inverters(&mut out, &spec.inverters);
    write_battery_arrays(&mut out, spec);
    write_packs(&mut out, &spec.battery_packs);
    write_attachments(&mut out, spec);
    write_meters(&mut out, &spec.meters);
    out.text
}

fn write_home(out: &mut Out, spec: &SiteSpec) {
    out.raw(&format!("\n{HOME}:\n"));
    let system = &spec.system;
    out.field(2, "id", &scalar(&system.id));
    out.field(2, "name", &scalar(&system.name));
    if let Some(description) = &system.description {
        out.field(2, "description", &scalar(description));
    }
    out.field(2, "timezone", &scalar(&system.timezone));
}

fn write_arrays(out: &mut Out, spec: &SiteSpec) {
    out.section(
        ARRAYS,
        "Inverter arrays, each with the inverters it holds.",
        spec.inverter_arrays.is_empty(),
    );
    for array in &spec.inverter_arrays {
        out.item();
        out.field(4, "id", &scalar(&array.id));
        out.field(4, "name", &scalar(&array.name));
        let members = spec
            .inverters
            .iter()
            .filter(|inverter| inverter.array_id == array.id)
            .map(|inverter| inverter.id.as_str());
        out.list(4, "inverter_ids", members);
    }
}

fn write_inverters(out: &mut Out, inverters: &[InverterSpec]) {
    out.section(
        INVERTERS,
        "Inverters, each in one array, with the adapter it is read through.",
        inverters.is_empty(),
    );
    for inverter in inverters {
        out.item();
        out.field(4, "id", &scalar(&inverter.id));
        out.field(4, "name", &scalar(&inverter.name));
        out.field(4, "array_id", &scalar(&inverter.array_id));
        out.optional(4, "model", inverter.model.as_deref());
        out.optional(4, "serial_number", inverter.serial_number.as_deref());
        out.optional(4, "vendor", inverter.vendor.as_deref());
        if let Some(phase) = inverter.phase_type {
            out.field(4, "phase_type", phase.as_str());
        }
        if let Some(adapter) = &inverter.adapter {
            out.raw("    adapter:\n");
            write_adapter(out, 6, adapter, &inverter.id, 0, Some(1));
        }
    }
}

fn write_battery_arrays(out: &mut Out, spec: &SiteSpec) {
    out.section(
        BATTERY_ARRAYS,
        "Battery arrays, each with the battery banks (packs) it holds.",
        spec.battery_arrays.is_empty(),
    );
    for array in &spec.battery_arrays {
        out.item();
        out.field(4, "id", &scalar(&array.id));
        out.field(4, "name", &scalar(&array.name));
        let members = spec
            .battery_packs
            .iter()
            .filter(|pack| pack.battery_array_id == array.id)
            .map(|pack| pack.id.as_str());
        out.list(4, "battery_bank_ids", members);
    }
}

fn write_packs(out: &mut Out, packs: &[BatteryPackSpec]) {
    out.section(
        PACKS,
        "Battery banks (packs): `batteries` units of `cells_per_battery` cells each.",
        packs.is_empty(),
    );
    for pack in packs {
        out.item();
        out.field(4, "id", &scalar(&pack.id));
        out.field(4, "name", &scalar(&pack.name));
        out.field(4, "battery_array_id", &scalar(&pack.battery_array_id));
        out.optional(4, "chemistry", pack.chemistry.as_deref());
        out.number(4, "nominal_kwh", pack.nominal_kwh);
        out.number(4, "max_charge_kw", pack.max_charge_kw);
        out.number(4, "max_discharge_kw", pack.max_discharge_kw);
        out.field(4, "batteries", &pack.batteries.to_string());
        out.field(4, "cells_per_battery", &pack.cells_per_battery.to_string());
        out.number(4, "cell_nominal_voltage", pack.cell_nominal_voltage);
        match pack.adapters.as_slice() {
            [] => {}
            [only] if only.priority == 1 => {
                out.raw("    adapter:\n");
                write_adapter(out, 6, only, &pack.id, 0, Some(1));
            }
            adapters => {
                out.raw("    adapters:\n");
                for (position, adapter) in adapters.iter().enumerate() {
                    out.item();
                    write_adapter(out, 8, adapter, &pack.id, position, None);
                }
            }
        }
    }
}

fn write_attachments(out: &mut Out, spec: &SiteSpec) {
    out.section(
        ATTACHMENTS,
        "Which inverter array each battery array is attached to (open while no detached_at).",
        spec.attachments.is_empty(),
    );
    for attachment in &spec.attachments {
        out.item();
        out.field(
            4,
            "battery_bank_array_id",
            &scalar(&attachment.battery_array_id),
        );
        out.field(
            4,
            "inverter_array_id",
            &scalar(&attachment.inverter_array_id),
        );
        out.optional(4, "attached_since", attachment.attached_since.as_deref());
        out.optional(4, "detached_at", attachment.detached_at.as_deref());
    }
}

fn write_meters(out: &mut Out, meters: &[MeterSpec]) {
    out.section(
        METERS,
        "Energy meters; `array_id: home` measures the whole system.",
        meters.is_empty(),
    );
    for meter in meters {
        out.item();
        out.field(4, "id", &scalar(&meter.id));
        out.field(4, "name", &scalar(&meter.name));
        let array = meter.array_id.as_deref().unwrap_or(SYSTEM_LEVEL);
        out.field(4, "array_id", &scalar(array));
        if let Some(meter_type) = meter.meter_type {
            out.field(4, "type", meter_type.as_str());
        }
        out.optional(4, "model", meter.model.as_deref());
        if let Some(adapter) = &meter.adapter {
            out.raw("    adapter:\n");
            write_adapter(out, 6, adapter, &meter.id, 0, Some(1));
        }
    }
}

/// An adapter's keys at `indent`: `type`, the id and priority only where they differ from what
/// the reader derives (`default_priority: None` always writes the priority), then the
/// configuration. Configuration keys spelled like the adapter's own keys cannot be written (the
/// reader never produces them).
fn write_adapter(
    out: &mut Out,
    indent: usize,
    adapter: &AdapterSpec,
    device_id: &str,
    position: usize,
    default_priority: Option<i32>,
) {
    out.field(indent, "type", &scalar(&adapter.adapter_type));
    if adapter.id != ids::adapter_id(device_id, position) {
        out.field(indent, "id", &scalar(&adapter.id));
    }
    out.optional(indent, "name", adapter.name.as_deref());
    if default_priority != Some(adapter.priority) {
        out.field(indent, "priority", &adapter.priority.to_string());
    }
    if !adapter.enabled {
        out.field(indent, "enabled", "false");
    }
    if let Value::Object(config) = &adapter.config {
        for (key, value) in config {
            if !ADAPTER_KEYS.contains(&key.as_str()) {
                write_value(out, indent, key, value);
            }
        }
    }
}

/// A configuration value: scalars inline, objects as nested blocks, lists as `- ` items (an item
/// that is a list, or an empty list or object, as a JSON flow value, which is YAML too).
fn write_value(out: &mut Out, indent: usize, key: &str, value: &Value) {
    let key = scalar(key);
    match value {
        Value::Object(entries) if !entries.is_empty() => {
            out.field(indent, &key, "");
            for (child_key, child) in entries {
                write_value(out, indent + 2, child_key, child);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            out.field(indent, &key, "");
            for item in items {
                write_item(out, indent + 2, item);
            }
        }
        _ => out.field(indent, &key, &flow(value)),
    }
}

/// One item of a configuration list, its `- ` at `indent`: an object of scalars (a register map
/// entry) on one line as `{key: value, ...}`.
fn write_item(out: &mut Out, indent: usize, item: &Value) {
    match item {
        Value::Object(entries) if entries.values().all(is_scalar) => {
            let fields: Vec<String> = entries
                .iter()
                .map(|(key, value)| format!("{}: {}", scalar(key), flow(value)))
                .collect();
            out.raw(&format!(
                "{}- {{{}}}\n",
                " ".repeat(indent),
                fields.join(", ")
            ));
        }
        Value::Object(entries) if !entries.is_empty() => {
            out.item();
            for (key, value) in entries {
                write_value(out, indent + 2, key, value);
            }
        }
        _ => out.raw(&format!("{}- {}\n", " ".repeat(indent), flow(item))),
    }
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

/// A value on one line: text as a scalar, anything else as JSON.
fn flow(value: &Value) -> String {
    match value {
        Value::String(text) => scalar(text),
        other => other.to_string(),
    }
}

/// Text as a YAML scalar: plain when it reads back as the same text (also in YAML 1.1 readers),
/// else double-quoted.
fn scalar(text: &str) -> String {
    if is_plain(text) {
        text.to_string()
    } else {
        quoted(text)
    }
}

fn is_plain(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let yaml_1_1_words = ["yes", "no", "on", "off", "y", "n"];
    (first.is_alphanumeric() || first == '_' || first == '/')
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || " _-./+()".contains(c))
        && !text.ends_with(' ')
        && !text.contains("  ")
        && !yaml_1_1_words.contains(&text.to_ascii_lowercase().as_str())
        && matches!(
            Scalar::parse_from_cow(Cow::Borrowed(text)),
            Scalar::String(_)
        )
}

fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The text being written; `item` makes the next field start a list item (`- `).
#[derive(Default)]
struct Out {
    text: String,
    dash: bool,
}

impl Out {
    fn raw(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// A section header with a one-line comment; an empty section is written as `[]`.
    fn section(&mut self, key: &str, comment: &str, empty: bool) {
        let value = if empty { " []" } else { "" };
        self.raw(&format!("\n# {comment}\n{key}:{value}\n"));
    }

    /// The next field starts an item of a section's list.
    fn item(&mut self) {
        self.dash = true;
    }

    /// `key: value` at `indent` (`key:` alone for an empty value, a nested block follows).
    fn field(&mut self, indent: usize, key: &str, value: &str) {
        let lead = if self.dash {
            self.dash = false;
            format!("{}- ", " ".repeat(indent.saturating_sub(2)))
        } else {
            " ".repeat(indent)
        };
        let separator = if value.is_empty() { "" } else { " " };
        self.raw(&format!("{lead}{key}:{separator}{value}\n"));
    }

    fn optional(&mut self, indent: usize, key: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.field(indent, key, &scalar(value));
        }
    }

    fn number(&mut self, indent: usize, key: &str, value: Option<f64>) {
        if let Some(value) = value {
            self.field(indent, key, &format!("{value:?}"));
        }
    }

    /// A list of ids as `- ` items, `[]` when empty.
    fn list<'a>(&mut self, indent: usize, key: &str, items: impl Iterator<Item = &'a str>) {
        let items: Vec<String> = items
            .map(|item| format!("{}- {}\n", " ".repeat(indent + 2), scalar(item)))
            .collect();
        if items.is_empty() {
            self.field(indent, key, "[]");
        } else {
            self.field(indent, key, "");
            self.raw(&items.concat());
        }
    }
}
