//! Reading `config.yaml` section by section into the file's items with their positions; the
//! references between items are resolved and checked afterwards (`links`).

use model::site::spec::{
    BatteryPackSpec, DEFAULT_TIMEZONE, InverterSpec, MeterSpec, MeterType, PhaseType, SiteSpec,
    SystemSpec,
};

use super::super::{MAX_BATTERIES_PER_PACK, MAX_CELLS_PER_BATTERY};
use super::AdapterConfigCheck;
use super::adapter::{AdapterPlace, ReadAdapter, read_adapter};
use super::keys::{
    ARRAY_KEYS, ARRAYS, ATTACHMENT_KEYS, ATTACHMENTS, BATTERY_ARRAY_KEYS, BATTERY_ARRAYS, HOME,
    HOME_KEYS, INVERTER_KEYS, INVERTERS, METER_KEYS, METERS, PACK_KEYS, PACKS, SECTIONS,
};
use super::links;
use super::node::{self, Checker, Fields, Named, Node, Spot};
use super::problems::SiteFileProblems;

/// Reads and checks a whole `config.yaml`. `file_name` is what problems are reported against;
/// `adapters` knows the adapter types and checks their configurations.
///
/// # Errors
/// Every problem of the file (a YAML syntax error is the only one reported when there is one).
pub fn read_site_yaml(
    text: &str,
    file_name: &str,
    adapters: &dyn AdapterConfigCheck,
) -> Result<SiteSpec, SiteFileProblems> {
    let root = node::parse(text, file_name)?;
    let mut check = Checker::new(file_name);
    let raw = {
        let mut reader = Reader {
            check: &mut check,
            catalog: adapters,
            raw: RawFile::default(),
        };
        reader.read(&root);
        reader.raw
    };
    let spec = links::resolve(&mut check, raw);
    check.finish(spec)
}

/// The file as read, before its references are resolved.
#[derive(Default)]
pub(super) struct RawFile {
    pub(super) system: SystemSpec,
    pub(super) system_id: Option<Named>,
    /// Every `system_id` / `home_id` written on an item.
    pub(super) system_refs: Vec<Named>,
    pub(super) inverter_arrays: Vec<RawGroup>,
    pub(super) inverters: Vec<RawMember<InverterSpec>>,
    pub(super) battery_arrays: Vec<RawGroup>,
    pub(super) packs: Vec<RawMember<BatteryPackSpec>>,
    pub(super) attachments: Vec<RawAttachment>,
    pub(super) meters: Vec<RawMeter>,
    /// Every adapter id, written or derived, with where it comes from.
    pub(super) adapter_ids: Vec<(Named, bool)>,
}

/// An inverter array or a battery array and the members it lists.
pub(super) struct RawGroup {
    pub(super) id: Option<Named>,
    pub(super) name: String,
    pub(super) members: Vec<Named>,
}

/// An inverter or a pack, with the group its own `array_id` / `battery_array_id` names.
pub(super) struct RawMember<T> {
    pub(super) id: Option<Named>,
    pub(super) group: Option<Named>,
    pub(super) spec: T,
    pub(super) spot: Spot,
}

pub(super) struct RawAttachment {
    pub(super) battery_array: Option<Named>,
    pub(super) inverter_array: Option<Named>,
    pub(super) attached_since: Option<String>,
    pub(super) detached_at: Option<String>,
    pub(super) spot: Spot,
}

/// `attachment_target`: the system, or an inverter array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    System,
    Array,
}

pub(super) struct RawMeter {
    pub(super) id: Option<Named>,
    /// `array_id` as written (null is none).
    pub(super) array: Option<Named>,
    pub(super) target: Option<(Target, Spot)>,
    pub(super) spec: MeterSpec,
}

struct Reader<'c, 'f> {
    check: &'c mut Checker<'f>,
    catalog: &'c dyn AdapterConfigCheck,
    raw: RawFile,
}

impl Reader<'_, '_> {
    fn read(&mut self, root: &Node) {
        let Some(top) = self.check.mapping(root, "", &SECTIONS) else {
            return;
        };
        match top.get(HOME) {
            Some(home) => self.home(home),
            None => {
                self.check.require(&top, HOME);
            }
        }
        for item in self.items(&top, ARRAYS, &ARRAY_KEYS) {
            let group = self.group(&item, "inverter_ids");
            self.raw.inverter_arrays.push(group);
        }
        for item in self.items(&top, INVERTERS, &INVERTER_KEYS) {
            let inverter = self.inverter(&item);
            self.raw.inverters.push(inverter);
        }
        for item in self.items(&top, BATTERY_ARRAYS, &BATTERY_ARRAY_KEYS) {
            let group = self.group(&item, "battery_bank_ids");
            self.raw.battery_arrays.push(group);
        }
        for item in self.items(&top, PACKS, &PACK_KEYS) {
            let pack = self.pack(&item);
            self.raw.packs.push(pack);
        }
        for item in self.items(&top, ATTACHMENTS, &ATTACHMENT_KEYS) {
            let attachment = self.attachment(&item);
            self.raw.attachments.push(attachment);
        }
        for item in self.items(&top, METERS, &METER_KEYS) {
            let meter = self.meter(&item);
            self.raw.meters.push(meter);
        }
    }

    /// The mappings of a section's list (absent and null are empty).
    fn items<'n>(&mut self, top: &Fields<'n>, section: &str, allowed: &[&str]) -> Vec<Fields<'n>> {
        let Some(list) = top.get(section) else {
            return Vec::new();
        };
        let mut items = Vec::new();
        for (path, item) in self.check.sequence(list, section) {
            items.extend(self.check.mapping(item, &path, allowed));
        }
        items
    }

    fn home(&mut self, node: &Node) {
        let Some(fields) = self.check.mapping(node, HOME, &HOME_KEYS) else {
            return;
        };
        let id = self.check.id(&fields, "id");
        let name = self.check.required_text(&fields, "name");
        let description = self.check.text(&fields, "description");
        let timezone = self.check.named(&fields, "timezone");
        if let Some(zone) = &timezone
            && let Err(rule) = check_timezone(&zone.value)
        {
            self.check.report(&zone.spot, rule);
        }
        self.raw.system = SystemSpec {
            id: id.as_ref().map(|id| id.value.clone()).unwrap_or_default(),
            name: name.unwrap_or_default(),
            description,
            timezone: timezone.map_or_else(|| DEFAULT_TIMEZONE.to_string(), |zone| zone.value),
        };
        self.raw.system_id = id;
    }

    /// Records the item's `system_id` and `home_id` (checked against `home.id` later).
    fn system_refs(&mut self, fields: &Fields<'_>) {
        for key in ["system_id", "home_id"] {
            if let Some(named) = self.check.named(fields, key) {
                self.raw.system_refs.push(named);
            }
        }
    }

    fn group(&mut self, fields: &Fields<'_>, list_key: &str) -> RawGroup {
        self.system_refs(fields);
        RawGroup {
            id: self.check.id(fields, "id"),
            name: self.check.required_text(fields, "name").unwrap_or_default(),
            members: self.check.id_list(fields, list_key),
        }
    }

    fn inverter(&mut self, fields: &Fields<'_>) -> RawMember<InverterSpec> {
        self.system_refs(fields);
        let id = self.check.id(fields, "id");
        let device_id = id.as_ref().map(|id| id.value.clone()).unwrap_or_default();
        let adapter = fields.get("adapter").and_then(|node| {
            let place = AdapterPlace {
                path: &fields.path_of("adapter"),
                device_id: &device_id,
                position: 0,
                default_priority: 1,
            };
            self.read_adapter(node, &place)
        });
        let phases = PhaseType::ALL.map(|phase| (phase.as_str(), phase));
        let spec = InverterSpec {
            id: device_id,
            array_id: String::new(),
            name: self.check.required_text(fields, "name").unwrap_or_default(),
            model: self.check.text(fields, "model"),
            serial_number: self.check.text(fields, "serial_number"),
            vendor: self.check.text(fields, "vendor"),
            phase_type: self.check.choice(fields, "phase_type", &phases),
            adapter: adapter.map(|adapter| adapter.spec),
        };
        RawMember {
            id,
            group: self.check.named(fields, "array_id"),
            spec,
            spot: fields.spot(),
        }
    }

    fn pack(&mut self, fields: &Fields<'_>) -> RawMember<BatteryPackSpec> {
        self.system_refs(fields);
        let id = self.check.id(fields, "id");
        let device_id = id.as_ref().map(|id| id.value.clone()).unwrap_or_default();
        let adapters = self.pack_adapters(fields, &device_id);
        let mut count = |key: &str, max: i64| {
            self.check.require(fields, key);
            let value = self.check.whole(fields, key, 1, max).unwrap_or(1);
            u32::try_from(value).unwrap_or(1)
        };
        // The services' bounds: each battery and cell becomes a row.
        let batteries = count("batteries", i64::from(MAX_BATTERIES_PER_PACK));
        let cells_per_battery = count("cells_per_battery", i64::from(MAX_CELLS_PER_BATTERY));
        let spec = BatteryPackSpec {
            id: device_id,
            battery_array_id: String::new(),
            name: self.check.required_text(fields, "name").unwrap_or_default(),
            chemistry: self.check.text(fields, "chemistry"),
            nominal_kwh: self.check.number(fields, "nominal_kwh", 0.0),
            max_charge_kw: self.check.number(fields, "max_charge_kw", 0.0),
            max_discharge_kw: self.check.number(fields, "max_discharge_kw", 0.0),
            batteries,
            cells_per_battery,
            cell_nominal_voltage: self.check.number(fields, "cell_nominal_voltage", 0.0),
            adapters,
        };
        RawMember {
            id,
            group: self.check.named(fields, "battery_array_id"),
            spec,
            spot: fields.spot(),
        }
    }

    /// A pack's `adapter:` (one) or `adapters:` (a failover list, priorities unique).
    fn pack_adapters(
        &mut self,
        fields: &Fields<'_>,
        device_id: &str,
    ) -> Vec<model::site::spec::AdapterSpec> {
        let read = match (fields.get("adapter"), fields.get("adapters")) {
            (Some(_), Some(list)) => {
                self.check.report_at(
                    list,
                    &fields.path_of("adapters"),
                    "give either `adapter` (one) or `adapters` (a list), not both",
                );
                return Vec::new();
            }
            (Some(node), None) => {
                let place = AdapterPlace {
                    path: &fields.path_of("adapter"),
                    device_id,
                    position: 0,
                    default_priority: 1,
                };
                self.read_adapter(node, &place).into_iter().collect()
            }
            (None, Some(list)) => self.adapter_list(list, &fields.path_of("adapters"), device_id),
            (None, None) => Vec::new(),
        };
        let mut seen: Vec<(i32, &Spot)> = Vec::new();
        for adapter in &read {
            let priority = adapter.spec.priority;
            if let Some((_, first)) = seen.iter().find(|(used, _)| *used == priority) {
                let message = format!(
                    "priority {priority} is already used by {} (line {}); each of a pack's \
                     adapters needs its own priority",
                    first.path, first.line
                );
                self.check.report(&adapter.priority_spot, message);
            } else {
                seen.push((priority, &adapter.priority_spot));
            }
        }
        read.into_iter().map(|adapter| adapter.spec).collect()
    }

    fn adapter_list(&mut self, list: &Node, path: &str, device_id: &str) -> Vec<ReadAdapter> {
        let mut read = Vec::new();
        for (position, (item_path, item)) in self.check.sequence(list, path).into_iter().enumerate()
        {
            let place = AdapterPlace {
                path: &item_path,
                device_id,
                position,
                default_priority: i32::try_from(position + 1).unwrap_or(i32::MAX),
            };
            read.extend(self.read_adapter(item, &place));
        }
        read
    }

    /// Reads an adapter and records its id.
    fn read_adapter(&mut self, node: &Node, place: &AdapterPlace<'_>) -> Option<ReadAdapter> {
        let adapter = read_adapter(self.check, self.catalog, node, place)?;
        self.raw
            .adapter_ids
            .push((adapter.id.clone(), adapter.derived_id));
        Some(adapter)
    }

    fn attachment(&mut self, fields: &Fields<'_>) -> RawAttachment {
        let mut reference = |key: &str| {
            self.check.require(fields, key);
            self.check.named(fields, key)
        };
        let battery_array = reference("battery_bank_array_id");
        let inverter_array = reference("inverter_array_id");
        let since = self.check.timestamp(fields, "attached_since");
        let until = self.check.timestamp(fields, "detached_at");
        if let (Some(since), Some(until)) = (&since, &until)
            && let (Ok(start), Ok(end)) = (
                chrono::DateTime::parse_from_rfc3339(&since.value),
                chrono::DateTime::parse_from_rfc3339(&until.value),
            )
            && end < start
        {
            self.check.report(
                &until.spot,
                format!("is before attached_since ({})", since.value),
            );
        }
        RawAttachment {
            battery_array,
            inverter_array,
            attached_since: since.map(|since| since.value),
            detached_at: until.map(|until| until.value),
            spot: fields.spot(),
        }
    }

    fn meter(&mut self, fields: &Fields<'_>) -> RawMeter {
        self.system_refs(fields);
        let id = self.check.id(fields, "id");
        let device_id = id.as_ref().map(|id| id.value.clone()).unwrap_or_default();
        let targets = [
            ("system", Target::System),
            ("home", Target::System),
            ("array", Target::Array),
        ];
        let target = self
            .check
            .choice(fields, "attachment_target", &targets)
            .zip(fields.get("attachment_target"))
            .map(|(target, node)| (target, Spot::of(node, fields.path_of("attachment_target"))));
        let meter_types = MeterType::ALL.map(|meter| (meter.as_str(), meter));
        let spec = MeterSpec {
            id: device_id.clone(),
            name: self.check.required_text(fields, "name").unwrap_or_default(),
            array_id: None,
            model: self.check.text(fields, "model"),
            meter_type: self.check.choice(fields, "type", &meter_types),
            adapter: self.meter_adapter(fields, &device_id),
        };
        RawMeter {
            id,
            array: self.check.named(fields, "array_id"),
            target,
            spec,
        }
    }

    /// `adapter:`, whose id `adapter_id` may give; an `adapter_id` alone names an adapter this
    /// file does not define.
    fn meter_adapter(
        &mut self,
        fields: &Fields<'_>,
        device_id: &str,
    ) -> Option<model::site::spec::AdapterSpec> {
        let adapter_id = self
            .check
            .named(fields, "adapter_id")
            .and_then(|id| self.check.slug(id));
        let Some(node) = fields.get("adapter") else {
            if let Some(adapter_id) = adapter_id {
                let message = format!(
                    "no adapter {:?} is defined in this file; give the meter's adapter itself \
                     (`adapter: {{type: ..., ...}}`, with `id: {}` to keep that id)",
                    adapter_id.value, adapter_id.value
                );
                self.check.report(&adapter_id.spot, message);
            }
            return None;
        };
        let place = AdapterPlace {
            path: &fields.path_of("adapter"),
            device_id,
            position: 0,
            default_priority: 1,
        };
        let mut adapter = read_adapter(self.check, self.catalog, node, &place)?;
        if let Some(given) = adapter_id {
            if !adapter.derived_id && adapter.id.value != given.value {
                let message = format!(
                    "names adapter {:?} but the adapter's own id is {:?}",
                    given.value, adapter.id.value
                );
                self.check.report(&given.spot, message);
            }
            adapter.spec.id.clone_from(&given.value);
            adapter.id = given;
            adapter.derived_id = false;
        }
        self.raw
            .adapter_ids
            .push((adapter.id.clone(), adapter.derived_id));
        Some(adapter.spec)
    }
}

/// A light check of an IANA zone name (`Asia/Karachi`, `UTC`, `Etc/GMT+5`): the database of
/// zones itself is not consulted here.
fn check_timezone(zone: &str) -> Result<(), String> {
    let well_formed = !zone.is_empty()
        && zone
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'))
        && !zone.starts_with('/')
        && !zone.ends_with('/');
    if well_formed {
        Ok(())
    } else {
        Err(format!(
            "{zone:?} is not an IANA time zone name like Asia/Karachi or UTC"
        ))
    }
}
