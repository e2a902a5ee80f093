//! Walking parsed YAML with positions: the typed getters the reader uses, each of which records
//! a problem (with line, column and field path) instead of stopping when a value is wrong.

use model::site::ids;
use saphyr::{LoadableYamlNode, MarkedYamlOwned, ScalarOwned, YamlDataOwned};
use serde_json::Value;

use super::problems::{SiteFileProblem, SiteFileProblems};

pub(super) type Node = MarkedYamlOwned;

/// Where a value is: its field path and its position (both 1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Spot {
    pub(super) path: String,
    pub(super) line: usize,
    pub(super) column: usize,
}

impl Spot {
    pub(super) fn of(node: &Node, path: impl Into<String>) -> Spot {
        Spot {
            path: path.into(),
            line: node.span.start.line(),
            column: node.span.start.col() + 1,
        }
    }
}

/// A text value (an id or a reference to one) and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Named {
    pub(super) value: String,
    pub(super) spot: Spot,
}

/// `path.key`, or `key` at the top of the file.
pub(super) fn key_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Parses the file into its one document; a syntax error is the file's only problem.
pub(super) fn parse(text: &str, file: &str) -> Result<Node, SiteFileProblems> {
    let problem = |line: usize, column: usize, message: String| SiteFileProblems {
        problems: vec![SiteFileProblem {
            file: file.to_string(),
            line,
            column,
            path: String::new(),
            message,
        }],
    };
    let mut documents = MarkedYamlOwned::load_from_str(text).map_err(|err| {
        let mark = err.marker();
        problem(
            mark.line().max(1),
            mark.col() + 1,
            format!("malformed YAML: {}", err.info()),
        )
    })?;
    if let Some(second) = documents.get(1) {
        let spot = Spot::of(second, "");
        return Err(problem(
            spot.line,
            spot.column,
            "a config.yaml holds one YAML document, and a second one starts here".into(),
        ));
    }
    match documents.pop() {
        Some(root) if !matches!(root.data, YamlDataOwned::BadValue) => Ok(root),
        _ => Err(problem(
            1,
            1,
            "the file is empty; it needs at least `home:` (the system's id, name and timezone)"
                .into(),
        )),
    }
}

/// What kind of value a node holds, for "expected X, found Y".
pub(super) fn kind(node: &Node) -> &'static str {
    match &node.data {
        YamlDataOwned::Value(ScalarOwned::Null) => "nothing (null)",
        YamlDataOwned::Value(ScalarOwned::Boolean(_)) => "true/false",
        YamlDataOwned::Value(ScalarOwned::Integer(_)) => "a whole number",
        YamlDataOwned::Value(ScalarOwned::FloatingPoint(_)) => "a number",
        YamlDataOwned::Value(ScalarOwned::String(_)) => "text",
        YamlDataOwned::Sequence(_) => "a list",
        YamlDataOwned::Mapping(_) => "a mapping",
        YamlDataOwned::Tagged(..) => "a tagged value",
        _ => "a value that cannot be read",
    }
}

pub(super) fn is_null(node: &Node) -> bool {
    matches!(node.data, YamlDataOwned::Value(ScalarOwned::Null))
}

/// The keys and values of one YAML mapping, with its path for problems.
pub(super) struct Fields<'n> {
    pub(super) path: String,
    pub(super) node: &'n Node,
    /// (key, key node, value node) in file order; keys that are not text are left out (and
    /// reported).
    pub(super) entries: Vec<(&'n str, &'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    /// The value of `key`, `None` when the key is absent or its value is null.
    pub(super) fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(name, _, value)| *name == key && !is_null(value))
            .map(|(_, _, value)| *value)
    }

    pub(super) fn path_of(&self, key: &str) -> String {
        key_path(&self.path, key)
    }

    pub(super) fn spot(&self) -> Spot {
        Spot::of(self.node, self.path.clone())
    }
}

/// Collects every problem of one file.
pub(super) struct Checker<'f> {
    file: &'f str,
    found: Vec<SiteFileProblem>,
}

impl<'f> Checker<'f> {
    pub(super) fn new(file: &'f str) -> Self {
        Checker {
            file,
            found: Vec::new(),
        }
    }

    pub(super) fn report(&mut self, spot: &Spot, message: impl Into<String>) {
        self.found.push(SiteFileProblem {
            file: self.file.to_string(),
            line: spot.line,
            column: spot.column,
            path: spot.path.clone(),
            message: message.into(),
        });
    }

    pub(super) fn report_at(&mut self, node: &Node, path: &str, message: impl Into<String>) {
        self.report(&Spot::of(node, path), message);
    }

    /// The value when nothing was found wrong, else every problem in file order.
    pub(super) fn finish<T>(mut self, value: T) -> Result<T, SiteFileProblems> {
        if self.found.is_empty() {
            return Ok(value);
        }
        self.found
            .sort_by_key(|problem| (problem.line, problem.column));
        Err(SiteFileProblems {
            problems: self.found,
        })
    }

    /// A mapping whose keys must be among `allowed` (each other key is a problem naming them).
    pub(super) fn mapping<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        allowed: &[&str],
    ) -> Option<Fields<'n>> {
        let fields = self.open_mapping(node, path)?;
        for (key, key_node, _) in &fields.entries {
            if !allowed.contains(key) {
                let hint = match closest(key, allowed) {
                    Some(close) => format!("did you mean `{close}`? "),
                    None => String::new(),
                };
                self.report_at(
                    key_node,
                    &key_path(path, key),
                    format!(
                        "unknown key; {hint}the keys allowed here are: {}",
                        allowed.join(", ")
                    ),
                );
            }
        }
        Some(fields)
    }

    /// A mapping with any text keys (an adapter's configuration).
    pub(super) fn open_mapping<'n>(&mut self, node: &'n Node, path: &str) -> Option<Fields<'n>> {
        let YamlDataOwned::Mapping(map) = &node.data else {
            self.report_at(
                node,
                path,
                format!(
                    "expected a mapping (`key: value` lines), found {}",
                    kind(node)
                ),
            );
            return None;
        };
        let mut entries = Vec::with_capacity(map.len());
        for (key, value) in map {
            match &key.data {
                YamlDataOwned::Value(ScalarOwned::String(name)) => {
                    entries.push((name.as_str(), key, value));
                }
                _ => self.report_at(
                    key,
                    path,
                    format!("a key must be text, found {}", kind(key)),
                ),
            }
        }
        Some(Fields {
            path: path.to_string(),
            node,
            entries,
        })
    }

    /// The items of a list with their paths (`path[0]`...); null is an empty list.
    pub(super) fn sequence<'n>(&mut self, node: &'n Node, path: &str) -> Vec<(String, &'n Node)> {
        match &node.data {
            YamlDataOwned::Sequence(items) => items
                .iter()
                .enumerate()
                .map(|(index, item)| (format!("{path}[{index}]"), item))
                .collect(),
            YamlDataOwned::Value(ScalarOwned::Null) => Vec::new(),
            _ => {
                self.report_at(
                    node,
                    path,
                    format!("expected a list (`- ` items), found {}", kind(node)),
                );
                Vec::new()
            }
        }
    }

    /// Text at `node`, or `None` after reporting what was found instead.
    pub(super) fn text_at(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.data {
            YamlDataOwned::Value(ScalarOwned::String(text)) => Some(text.clone()),
            YamlDataOwned::Value(ScalarOwned::Integer(_) | ScalarOwned::FloatingPoint(_)) => {
                self.report_at(
                    node,
                    path,
                    "expected text, found a number (put it in quotes to make it text)",
                );
                None
            }
            _ => {
                self.report_at(node, path, format!("expected text, found {}", kind(node)));
                None
            }
        }
    }

    /// Optional text; absent and null are `None`.
    pub(super) fn text(&mut self, fields: &Fields<'_>, key: &str) -> Option<String> {
        let node = fields.get(key)?;
        self.text_at(node, &fields.path_of(key))
    }

    /// Required, non-empty text (a name).
    pub(super) fn required_text(&mut self, fields: &Fields<'_>, key: &str) -> Option<String> {
        if !self.require(fields, key) {
            return None;
        }
        let text = self.text(fields, key)?;
        if text.trim().is_empty() {
            self.report_at(fields.node, &fields.path_of(key), "may not be empty");
            return None;
        }
        Some(text)
    }

    /// Reports a missing (or null) required key at its mapping; true when it is there.
    pub(super) fn require(&mut self, fields: &Fields<'_>, key: &str) -> bool {
        if fields.get(key).is_some() {
            return true;
        }
        self.report_at(fields.node, &fields.path_of(key), "required, but missing");
        false
    }

    /// Optional text with where it was written (a reference to another id).
    pub(super) fn named(&mut self, fields: &Fields<'_>, key: &str) -> Option<Named> {
        let node = fields.get(key)?;
        let path = fields.path_of(key);
        let value = self.text_at(node, &path)?;
        Some(Named {
            value,
            spot: Spot::of(node, path),
        })
    }

    /// A required id that passes `ids::check_id`.
    pub(super) fn id(&mut self, fields: &Fields<'_>, key: &str) -> Option<Named> {
        if !self.require(fields, key) {
            return None;
        }
        let named = self.named(fields, key)?;
        self.slug(named)
    }

    /// The value when it passes `ids::check_id`, else `None` after reporting why.
    pub(super) fn slug(&mut self, named: Named) -> Option<Named> {
        match ids::check_id(&named.value) {
            Ok(()) => Some(named),
            Err(rule) => {
                self.report(&named.spot, rule);
                None
            }
        }
    }

    /// A list of ids (`inverter_ids: [a, b]`), each with its position.
    pub(super) fn id_list(&mut self, fields: &Fields<'_>, key: &str) -> Vec<Named> {
        let Some(node) = fields.get(key) else {
            return Vec::new();
        };
        let mut ids = Vec::new();
        for (path, item) in self.sequence(node, &fields.path_of(key)) {
            let Some(value) = self.text_at(item, &path) else {
                continue;
            };
            let named = Named {
                value,
                spot: Spot::of(item, path),
            };
            ids.extend(self.slug(named));
        }
        ids
    }

    /// An optional whole number within `min..=max`.
    pub(super) fn whole(
        &mut self,
        fields: &Fields<'_>,
        key: &str,
        min: i64,
        max: i64,
    ) -> Option<i64> {
        let node = fields.get(key)?;
        let path = fields.path_of(key);
        let YamlDataOwned::Value(ScalarOwned::Integer(value)) = node.data else {
            self.report_at(
                node,
                &path,
                format!("expected a whole number, found {}", kind(node)),
            );
            return None;
        };
        if !(min..=max).contains(&value) {
            self.report_at(
                node,
                &path,
                format!("must be from {min} to {max}, not {value}"),
            );
            return None;
        }
        Some(value)
    }

    /// An optional number that is at least `min` (whole numbers are accepted).
    pub(super) fn number(&mut self, fields: &Fields<'_>, key: &str, min: f64) -> Option<f64> {
        let node = fields.get(key)?;
        let path = fields.path_of(key);
        #[allow(clippy::cast_precision_loss)] // file values are far below 2^53
        let value = match node.data {
            YamlDataOwned::Value(ScalarOwned::Integer(value)) => value as f64,
            YamlDataOwned::Value(ScalarOwned::FloatingPoint(value)) => value.into_inner(),
            _ => {
                self.report_at(
                    node,
                    &path,
                    format!("expected a number, found {}", kind(node)),
                );
                return None;
            }
        };
        if !value.is_finite() || value < min {
            self.report_at(node, &path, format!("must be a number of at least {min}"));
            return None;
        }
        Some(value)
    }

    /// An optional `true`/`false`.
    pub(super) fn flag(&mut self, fields: &Fields<'_>, key: &str) -> Option<bool> {
        let node = fields.get(key)?;
        if let YamlDataOwned::Value(ScalarOwned::Boolean(value)) = node.data {
            return Some(value);
        }
        self.report_at(
            node,
            &fields.path_of(key),
            format!("expected true or false, found {}", kind(node)),
        );
        None
    }

    /// An optional word out of `options` (an enum's spelling).
    pub(super) fn choice<T: Copy>(
        &mut self,
        fields: &Fields<'_>,
        key: &str,
        options: &[(&str, T)],
    ) -> Option<T> {
        let node = fields.get(key)?;
        let path = fields.path_of(key);
        let text = self.text_at(node, &path)?;
        if let Some((_, value)) = options.iter().find(|(word, _)| *word == text) {
            return Some(*value);
        }
        let words: Vec<&str> = options.iter().map(|(word, _)| *word).collect();
        self.report_at(
            node,
            &path,
            format!("{text:?} is not one of: {}", words.join(", ")),
        );
        None
    }

    /// An optional RFC 3339 time, kept as written.
    pub(super) fn timestamp(&mut self, fields: &Fields<'_>, key: &str) -> Option<Named> {
        let named = self.named(fields, key)?;
        match chrono::DateTime::parse_from_rfc3339(&named.value) {
            Ok(_) => Some(named),
            Err(err) => {
                self.report(
                    &named.spot,
                    format!(
                        "{:?} is not an RFC 3339 time like 2025-01-01T00:00:00+05:00 ({err})",
                        named.value
                    ),
                );
                None
            }
        }
    }

    /// The JSON value of a YAML node (an adapter's configuration).
    pub(super) fn json(&mut self, node: &Node, path: &str) -> Option<Value> {
        match &node.data {
            YamlDataOwned::Value(scalar) => self.json_scalar(scalar, node, path),
            YamlDataOwned::Sequence(items) => {
                let mut values = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    values.push(self.json(item, &format!("{path}[{index}]")));
                }
                values
                    .into_iter()
                    .collect::<Option<Vec<_>>>()
                    .map(Value::Array)
            }
            YamlDataOwned::Mapping(_) => {
                let fields = self.open_mapping(node, path)?;
                let mut object = serde_json::Map::new();
                let mut complete = true;
                for (key, _, value) in &fields.entries {
                    match self.json(value, &key_path(path, key)) {
                        Some(value) => {
                            object.insert((*key).to_string(), value);
                        }
                        None => complete = false,
                    }
                }
                complete.then_some(Value::Object(object))
            }
            _ => {
                self.report_at(node, path, format!("{} is not supported here", kind(node)));
                None
            }
        }
    }

    fn json_scalar(&mut self, scalar: &ScalarOwned, node: &Node, path: &str) -> Option<Value> {
        Some(match scalar {
            ScalarOwned::Null => Value::Null,
            ScalarOwned::Boolean(value) => Value::Bool(*value),
            ScalarOwned::Integer(value) => Value::from(*value),
            ScalarOwned::String(value) => Value::String(value.clone()),
            ScalarOwned::FloatingPoint(value) => {
                let Some(number) = serde_json::Number::from_f64(value.into_inner()) else {
                    self.report_at(node, path, "must be a finite number (not .nan or .inf)");
                    return None;
                };
                Value::Number(number)
            }
        })
    }
}

/// The allowed key a typo most likely meant: at most two edits away.
fn closest<'a>(key: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|candidate| (edit_distance(key, candidate), *candidate))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_matched_to_the_allowed_key() {
        assert_eq!(edit_distance("baudrate", "baud_rate"), 1);
        assert_eq!(
            closest("inverter_id", &["id", "inverter_ids"]),
            Some("inverter_ids")
        );
        assert_eq!(closest("colour", &["id", "name"]), None);
    }

    #[test]
    fn a_syntax_error_is_one_problem_with_its_position() {
        let problems = parse("home:\n  id: [system\n", "config.yaml").unwrap_err();
        assert_eq!(problems.len(), 1);
        let problem = &problems.problems[0];
        assert!(problem.message.starts_with("malformed YAML: "), "{problem}");
        assert!(problem.line >= 2, "{problem}");
    }

    #[test]
    fn empty_files_and_second_documents_are_problems() {
        let empty = parse("# nothing\n", "c.yaml").unwrap_err();
        assert!(
            empty
                .to_string()
                .starts_with("c.yaml:1:1: the file is empty")
        );
        let two = parse("home: {}\n---\nhome: {}\n", "c.yaml").unwrap_err();
        assert!(two.to_string().starts_with("c.yaml:3:1: "), "{two}");
    }
}
