//! The rules between the file's items: ids unique across the file, every `system_id` naming the
//! file's system, each inverter (pack) in exactly one array that both sides agree on, attachments
//! and meters naming arrays that exist, at most one open attachment per battery array. Then the
//! checked items become the `SiteSpec`.

use std::collections::HashMap;

use model::site::spec::{AttachmentSpec, BatteryArraySpec, InverterArraySpec, SiteSpec};

use super::keys::SYSTEM_LEVEL;
use super::node::{Checker, Named, Spot};
use super::read::{RawFile, RawGroup, RawMember, RawMeter, Target};

/// How problems name an array kind and its members.
struct Words {
    group: &'static str,
    groups: &'static str,
    member: &'static str,
    members: &'static str,
    list_key: &'static str,
    member_key: &'static str,
}

const INVERTER_WORDS: Words = Words {
    group: "inverter array",
    groups: "arrays",
    member: "inverter",
    members: "inverters",
    list_key: "inverter_ids",
    member_key: "array_id",
};

const PACK_WORDS: Words = Words {
    group: "battery array",
    groups: "battery_bank_arrays",
    member: "battery bank",
    members: "battery_banks",
    list_key: "battery_bank_ids",
    member_key: "battery_array_id",
};

/// Checks the references of a read file and builds its spec (meaningful only when no problem
/// was found).
pub(super) fn resolve(check: &mut Checker<'_>, raw: RawFile) -> SiteSpec {
    unique_ids(check, &raw);
    system_refs(check, &raw);
    let inverter_groups = assign(check, &raw.inverter_arrays, &raw.inverters, &INVERTER_WORDS);
    let pack_groups = assign(check, &raw.battery_arrays, &raw.packs, &PACK_WORDS);
    attachments(check, &raw);
    let array_ids = ids_of(&raw.inverter_arrays);
    let meter_arrays: Vec<Option<String>> = raw
        .meters
        .iter()
        .map(|meter| meter_array(check, meter, &raw.system.id, &array_ids))
        .collect();
    SiteSpec {
        system: raw.system,
        inverter_arrays: groups(raw.inverter_arrays)
            .map(|(id, name)| InverterArraySpec { id, name })
            .collect(),
        inverters: raw
            .inverters
            .into_iter()
            .zip(inverter_groups)
            .map(|(inverter, group)| {
                let mut spec = inverter.spec;
                spec.array_id = group.unwrap_or_default();
                spec
            })
            .collect(),
        battery_arrays: groups(raw.battery_arrays)
            .map(|(id, name)| BatteryArraySpec { id, name })
            .collect(),
        battery_packs: raw
            .packs
            .into_iter()
            .zip(pack_groups)
            .map(|(pack, group)| {
                let mut spec = pack.spec;
                spec.battery_array_id = group.unwrap_or_default();
                spec
            })
            .collect(),
        attachments: raw.attachments.into_iter().map(attachment_spec).collect(),
        meters: raw
            .meters
            .into_iter()
            .zip(meter_arrays)
            .map(|(meter, array_id)| {
                let mut spec = meter.spec;
                spec.array_id = array_id;
                spec
            })
            .collect(),
    }
}

fn groups(groups: Vec<RawGroup>) -> impl Iterator<Item = (String, String)> {
    groups
        .into_iter()
        .filter_map(|group| group.id.map(|id| (id.value, group.name)))
}

fn attachment_spec(raw: super::read::RawAttachment) -> AttachmentSpec {
    AttachmentSpec {
        battery_array_id: raw.battery_array.map(|id| id.value).unwrap_or_default(),
        inverter_array_id: raw.inverter_array.map(|id| id.value).unwrap_or_default(),
        attached_since: raw.attached_since,
        detached_at: raw.detached_at,
    }
}

fn ids_of(groups: &[RawGroup]) -> Vec<&str> {
    groups
        .iter()
        .filter_map(|group| group.id.as_ref())
        .map(|id| id.value.as_str())
        .collect()
}

/// `(arrays: array1, array2)`, or `(no arrays are defined)`.
fn listing(section: &str, ids: &[&str]) -> String {
    let mut distinct: Vec<&str> = Vec::with_capacity(ids.len());
    for id in ids {
        if !distinct.contains(id) {
            distinct.push(id);
        }
    }
    if distinct.is_empty() {
        format!("(no {section} are defined)")
    } else {
        format!("({section}: {})", distinct.join(", "))
    }
}

/// Every id once across the file; the later of two equal ids is the problem.
fn unique_ids(check: &mut Checker<'_>, raw: &RawFile) {
    let mut all: Vec<(&Named, bool)> = Vec::new();
    all.extend(raw.system_id.iter().map(|id| (id, false)));
    for group in raw.inverter_arrays.iter().chain(&raw.battery_arrays) {
        all.extend(group.id.iter().map(|id| (id, false)));
    }
    all.extend(
        raw.inverters
            .iter()
            .filter_map(|m| m.id.as_ref())
            .map(|id| (id, false)),
    );
    all.extend(
        raw.packs
            .iter()
            .filter_map(|m| m.id.as_ref())
            .map(|id| (id, false)),
    );
    all.extend(
        raw.meters
            .iter()
            .filter_map(|m| m.id.as_ref())
            .map(|id| (id, false)),
    );
    all.extend(raw.adapter_ids.iter().map(|(id, derived)| (id, *derived)));
    all.sort_by_key(|(id, _)| (id.spot.line, id.spot.column));
    let mut first: HashMap<&str, &Spot> = HashMap::new();
    for (id, derived) in all {
        let Some(used) = first.get(id.value.as_str()) else {
            first.insert(&id.value, &id.spot);
            continue;
        };
        let what = if derived {
            format!(
                "this adapter's id {:?} (derived from its device's id; give the adapter an `id:`)",
                id.value
            )
        } else {
            format!("the id {:?}", id.value)
        };
        let message = format!(
            "{what} is already used by {} (line {}); ids are unique across the file",
            used.path, used.line
        );
        check.report(&id.spot, message);
    }
}

/// Each `system_id` / `home_id` names the file's one system.
fn system_refs(check: &mut Checker<'_>, raw: &RawFile) {
    let Some(system) = &raw.system_id else {
        return;
    };
    for reference in &raw.system_refs {
        if reference.value != system.value {
            let message = format!(
                "names system {:?}, but home.id is {:?} (a file describes one system)",
                reference.value, system.value
            );
            check.report(&reference.spot, message);
        }
    }
}

/// The group of each member: from its own key or from the one group that lists it.
fn assign<T>(
    check: &mut Checker<'_>,
    groups: &[RawGroup],
    members: &[RawMember<T>],
    words: &Words,
) -> Vec<Option<String>> {
    let group_ids = ids_of(groups);
    let member_ids: Vec<&str> = members
        .iter()
        .filter_map(|member| member.id.as_ref())
        .map(|id| id.value.as_str())
        .collect();
    let mut listed: HashMap<&str, (&str, &Spot)> = HashMap::new();
    for group in groups {
        let Some(group_id) = &group.id else {
            continue;
        };
        for entry in &group.members {
            if !member_ids.contains(&entry.value.as_str()) {
                let message = format!(
                    "no {} {:?} is defined {}",
                    words.member,
                    entry.value,
                    listing(words.members, &member_ids)
                );
                check.report(&entry.spot, message);
            } else if let Some((other, spot)) = listed.get(entry.value.as_str()) {
                let message = format!(
                    "{} {:?} is already listed in {} {other:?} ({}, line {}); each {} belongs \
                     to one {}",
                    words.member,
                    entry.value,
                    words.group,
                    spot.path,
                    spot.line,
                    words.member,
                    words.group
                );
                check.report(&entry.spot, message);
            } else {
                listed.insert(&entry.value, (&group_id.value, &entry.spot));
            }
        }
    }
    members
        .iter()
        .map(|member| member_group(check, member, &group_ids, &listed, words))
        .collect()
}

fn member_group<T>(
    check: &mut Checker<'_>,
    member: &RawMember<T>,
    group_ids: &[&str],
    listed: &HashMap<&str, (&str, &Spot)>,
    words: &Words,
) -> Option<String> {
    let id = member.id.as_ref()?;
    let listed_in = listed.get(id.value.as_str());
    match (&member.group, listed_in) {
        (Some(own), _) if !group_ids.contains(&own.value.as_str()) => {
            let message = format!(
                "no {} {:?} is defined {}",
                words.group,
                own.value,
                listing(words.groups, group_ids)
            );
            check.report(&own.spot, message);
            None
        }
        (Some(own), Some((list_group, list_spot))) if own.value != *list_group => {
            let message = format!(
                "names {} {:?}, but {} {list_group:?} lists this {} ({}, line {}); each {} \
                 belongs to one {}",
                words.group,
                own.value,
                words.group,
                words.member,
                list_spot.path,
                list_spot.line,
                words.member,
                words.group
            );
            check.report(&own.spot, message);
            None
        }
        (Some(own), _) => Some(own.value.clone()),
        (None, Some((group, _))) => Some((*group).to_string()),
        (None, None) => {
            let message = format!(
                "this {} is in no {}: give it `{}` or list it in one {}'s `{}` {}",
                words.member,
                words.group,
                words.member_key,
                words.group,
                words.list_key,
                listing(words.groups, group_ids)
            );
            check.report(&member.spot, message);
            None
        }
    }
}

/// Attachments name arrays that exist; a battery array has at most one open attachment.
fn attachments(check: &mut Checker<'_>, raw: &RawFile) {
    let battery_ids = ids_of(&raw.battery_arrays);
    let inverter_ids = ids_of(&raw.inverter_arrays);
    let mut open: HashMap<&str, &Spot> = HashMap::new();
    for attachment in &raw.attachments {
        let references = [
            (&attachment.battery_array, &battery_ids, &PACK_WORDS),
            (&attachment.inverter_array, &inverter_ids, &INVERTER_WORDS),
        ];
        for (reference, known, words) in references {
            if let Some(reference) = reference
                && !known.contains(&reference.value.as_str())
            {
                let message = format!(
                    "no {} {:?} is defined {}",
                    words.group,
                    reference.value,
                    listing(words.groups, known)
                );
                check.report(&reference.spot, message);
            }
        }
        let Some(battery_array) = &attachment.battery_array else {
            continue;
        };
        if attachment.detached_at.is_some() {
            continue;
        }
        if let Some(first) = open.get(battery_array.value.as_str()) {
            let message = format!(
                "battery array {:?} is already attached at {} (line {}); at most one attachment \
                 of a battery array is open (give the other a detached_at)",
                battery_array.value, first.path, first.line
            );
            check.report(&attachment.spot, message);
        } else {
            open.insert(&battery_array.value, &attachment.spot);
        }
    }
}

/// The inverter array a meter measures, `None` for a system-level meter.
fn meter_array(
    check: &mut Checker<'_>,
    meter: &RawMeter,
    system_id: &str,
    array_ids: &[&str],
) -> Option<String> {
    let array = meter
        .array
        .as_ref()
        .filter(|array| array.value != SYSTEM_LEVEL && array.value != system_id);
    if let Some(array) = array
        && !array_ids.contains(&array.value.as_str())
    {
        let message = format!(
            "no inverter array {:?} is defined {}; a system-level meter has array_id: home (or \
             null)",
            array.value,
            listing("arrays", array_ids)
        );
        check.report(&array.spot, message);
    }
    match (&meter.target, array) {
        (Some((Target::System, spot)), Some(array)) => check.report(
            spot,
            format!(
                "says the system, but array_id names inverter array {:?}",
                array.value
            ),
        ),
        (Some((Target::Array, spot)), None) => check.report(
            spot,
            "says an array, but array_id does not name an inverter array",
        ),
        _ => {}
    }
    array.map(|array| array.value.clone())
}
