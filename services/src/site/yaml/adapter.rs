//! A device's adapter in `config.yaml`: `{type, id?, name?, priority?, enabled?, ...configuration}`.
//! The type must be known to the catalog, which also checks the configuration; its problems are
//! placed at the configuration key their JSON pointer names.

use model::site::ids;
use model::site::spec::AdapterSpec;
use serde_json::Value;

use super::AdapterConfigCheck;
use super::keys::ADAPTER_KEYS;
use super::node::{Checker, Fields, Named, Node, Spot, key_path};
use saphyr::YamlDataOwned;

/// An adapter as read, with where its id and priority came from (for the uniqueness rules).
pub(super) struct ReadAdapter {
    pub(super) spec: AdapterSpec,
    /// The id and where it was written; for a derived id, the adapter's own position.
    pub(super) id: Named,
    pub(super) derived_id: bool,
    pub(super) priority_spot: Spot,
}

/// Where one adapter sits: its path, its device and its place in the device's list.
pub(super) struct AdapterPlace<'a> {
    pub(super) path: &'a str,
    pub(super) device_id: &'a str,
    pub(super) position: usize,
    pub(super) default_priority: i32,
}

/// Reads one adapter, or `None` when it is not a mapping or has no readable type.
pub(super) fn read_adapter(
    check: &mut Checker<'_>,
    catalog: &dyn AdapterConfigCheck,
    node: &Node,
    place: &AdapterPlace<'_>,
) -> Option<ReadAdapter> {
    let fields = check.open_mapping(node, place.path)?;
    let adapter_type = check.required_text(&fields, "type")?;
    let known = catalog.knows(&adapter_type);
    if !known {
        let known_types = catalog.known_types();
        let hint = if known_types.is_empty() {
            String::new()
        } else {
            format!(" (known types: {})", known_types.join(", "))
        };
        let type_node = fields.get("type").unwrap_or(node);
        check.report_at(
            type_node,
            &fields.path_of("type"),
            format!("unknown adapter type {adapter_type:?}{hint}"),
        );
    }
    let explicit_id = check.named(&fields, "id").and_then(|id| check.slug(id));
    let name = check.text(&fields, "name");
    let priority = check
        .whole(&fields, "priority", 0, i64::from(i32::MAX))
        .and_then(|value| i32::try_from(value).ok());
    let priority_spot = match fields.get("priority") {
        Some(priority) => Spot::of(priority, fields.path_of("priority")),
        None => fields.spot(),
    };
    let enabled = check.flag(&fields, "enabled").unwrap_or(true);
    let config = configuration(check, &fields)?;
    if known {
        for (pointer, message) in catalog.check(&adapter_type, &config) {
            let spot = locate(node, &pointer, place.path);
            check.report(&spot, message);
        }
    }
    let derived_id = explicit_id.is_none();
    let id = explicit_id.unwrap_or_else(|| Named {
        value: ids::adapter_id(place.device_id, place.position),
        spot: fields.spot(),
    });
    Some(ReadAdapter {
        spec: AdapterSpec {
            id: id.value.clone(),
            adapter_type,
            name,
            config,
            priority: priority.unwrap_or(place.default_priority),
            enabled,
        },
        id,
        derived_id,
        priority_spot,
    })
}

/// The adapter's keys other than its own, as a JSON object.
fn configuration(check: &mut Checker<'_>, fields: &Fields<'_>) -> Option<Value> {
    let mut config = serde_json::Map::new();
    let mut complete = true;
    for (key, _, value) in &fields.entries {
        if ADAPTER_KEYS.contains(key) {
            continue;
        }
        match check.json(value, &fields.path_of(key)) {
            Some(value) => {
                config.insert((*key).to_string(), value);
            }
            None => complete = false,
        }
    }
    complete.then_some(Value::Object(config))
}

/// The field path and position a JSON pointer into the configuration names: the deepest node
/// that exists, with the rest of the pointer appended to the path (a missing key's name).
fn locate(adapter: &Node, pointer: &str, path: &str) -> Spot {
    let mut node = adapter;
    let mut path = path.to_string();
    let mut found = true;
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        let child = if found { child(node, &segment) } else { None };
        match child {
            Some((child, is_index)) => {
                node = child;
                path = if is_index {
                    format!("{path}[{segment}]")
                } else {
                    key_path(&path, &segment)
                };
            }
            None => {
                found = false;
                path = key_path(&path, &segment);
            }
        }
    }
    Spot::of(node, path)
}

/// A mapping's value by key or a list's item by index (true for an index).
fn child<'n>(node: &'n Node, segment: &str) -> Option<(&'n Node, bool)> {
    match &node.data {
        YamlDataOwned::Mapping(map) => map
            .iter()
            .find(|(key, _)| key.data.as_str() == Some(segment))
            .map(|(_, value)| (value, false)),
        YamlDataOwned::Sequence(items) => segment
            .parse::<usize>()
            .ok()
            .and_then(|index| items.get(index))
            .map(|item| (item, true)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use saphyr::LoadableYamlNode;

    #[test]
    fn pointers_are_placed_at_their_key() {
        let text = "type: modbus_generic\nhost: x\nregisters:\n  - 1\n  - 2\n";
        let root = Node::load_from_str(text).unwrap().remove(0);
        let spot = locate(&root, "/registers/1", "inverters[2].adapter");
        assert_eq!(spot.path, "inverters[2].adapter.registers[1]");
        assert_eq!((spot.line, spot.column), (5, 5));
        let missing = locate(&root, "/port", "meters[0].adapter");
        assert_eq!(missing.path, "meters[0].adapter.port");
        assert_eq!((missing.line, missing.column), (1, 1));
        let slash = locate(&root, "/a~1b", "x");
        assert_eq!(slash.path, "x.a/b");
    }
}
