//! The import plan: what the definition files change in the registry (variables created,
//! fields updated, memory paths added, updated or deactivated), the edits it keeps, the versions
//! that takes, and the report of it. Pure: no database.

use std::collections::HashSet;

use super::load::{EDITABLE_FIELDS, Existing, ExistingPath, ExistingVariable};
use crate::registry::definition::{DesiredPath, DesiredVariable};
use entity::system_variable::locator_of;
use model::registry::{
    DiffKind, FieldChange, ImportReport, KeptEdit, MAX_REPORTED_DIFFS, MemoryOffsetRef,
    VariableDiff,
};

/// A change to one memory path of an existing variable.
pub(super) enum PathChange {
    Add(DesiredPath),
    /// Different offset/size/num, or reactivated.
    Update {
        id: i64,
        old: MemoryOffsetRef,
        old_active: bool,
        new: MemoryOffsetRef,
    },
    Deactivate {
        id: i64,
        old: MemoryOffsetRef,
    },
}

pub(super) enum VariableChange<'a> {
    New(&'a DesiredVariable),
    Changed {
        existing: &'a ExistingVariable,
        desired: Option<&'a DesiredVariable>,
        fields: Vec<FieldChange>,
        paths: Vec<PathChange>,
        kept: Vec<KeptEdit>,
    },
}

pub(super) struct Plan<'a> {
    pub(super) changes: Vec<VariableChange<'a>>,
    /// Variables that stay as they are only because their edited fields are kept.
    pub(super) kept_only: Vec<(&'a str, Vec<KeptEdit>)>,
    pub(super) unchanged: u64,
    pub(super) versions_needed: u64,
}

/// The stored text of a memory reference: the same text as the generic JSON encoding (keys in
/// order, see the test below), written directly because a fresh import writes it 210,000 times.
pub(super) fn canonical(reference: &MemoryOffsetRef) -> String {
    // A JSON string value prints as its quoted, escaped text (and printing cannot fail).
    let table = serde_json::Value::String(reference.table.clone());
    format!(
        r#"{{"num":{},"offset":{},"size":{},"table":{table}}}"#,
        reference.num, reference.offset, reference.size
    )
}

pub(super) fn path_field(table: &str) -> String {
    format!("path[{table}]")
}

/// What importing `desired` changes in `existing`; with `prune`, memory paths the files no
/// longer have are deactivated (also those of variables the files no longer mention). A display
/// name, units or description someone edited is kept unless `overwrite_edits`.
pub(super) fn plan<'a>(
    desired: &'a [DesiredVariable],
    existing: &'a Existing,
    prune: bool,
    overwrite_edits: bool,
) -> Plan<'a> {
    let mut plan = Plan {
        changes: Vec::new(),
        kept_only: Vec::new(),
        unchanged: 0,
        versions_needed: 0,
    };
    for wanted in desired {
        let Some(current) = existing.variables.get(&wanted.name) else {
            plan.add(VariableChange::New(wanted));
            continue;
        };
        let (fields, kept) = if overwrite_edits {
            (field_changes(current, wanted), Vec::new())
        } else {
            keep_edits(field_changes(current, wanted), current, existing)
        };
        let paths = path_changes(existing.paths_of(current), wanted, prune);
        if fields.is_empty() && paths.is_empty() {
            plan.unchanged += 1;
            if !kept.is_empty() {
                plan.kept_only.push((&current.name, kept));
            }
        } else {
            plan.add(VariableChange::Changed {
                existing: current,
                desired: Some(wanted),
                fields,
                paths,
                kept,
            });
        }
    }
    if prune {
        for change in orphan_changes(desired, existing) {
            plan.add(change);
        }
    }
    plan
}

impl Existing {
    /// The memory paths of a variable, active or not.
    fn paths_of(&self, variable: &ExistingVariable) -> &[ExistingPath] {
        self.memory_paths
            .get(&variable.id)
            .map_or(&[], |paths| paths.as_slice())
    }
}

/// The fields of an existing variable that the files give other values (and its undeletion).
fn field_changes(current: &ExistingVariable, wanted: &DesiredVariable) -> Vec<FieldChange> {
    let mut fields = Vec::new();
    // `None` is a value too: no locator (logged as a missing old or new value).
    let mut compare = |field: &str, old: Option<&str>, new: Option<&str>| {
        if old != new {
            fields.push(FieldChange {
                field: field.to_string(),
                old: old.map(str::to_string),
                new: new.map(str::to_string),
            });
        }
    };
    compare(
        "display_name",
        Some(&current.display_name),
        Some(&wanted.display_name),
    );
    compare("units", Some(&current.units), Some(&wanted.units));
    compare(
        "description",
        Some(&current.description),
        Some(&wanted.description),
    );
    compare(
        "category",
        Some(current.category.as_str()),
        Some(wanted.category.as_str()),
    );
    compare(
        "locator",
        locator_of(&current.locator),
        wanted.locator.as_deref(),
    );
    if current.deleted {
        compare("deleted", Some("true"), Some("false"));
    }
    fields
}

/// Splits `fields` into the changes to make and the edited fields to keep: an editable field
/// whose latest change was an edit (not an import) keeps the edited value.
fn keep_edits(
    fields: Vec<FieldChange>,
    current: &ExistingVariable,
    existing: &Existing,
) -> (Vec<FieldChange>, Vec<KeptEdit>) {
    let mut changes = Vec::with_capacity(fields.len());
    let mut kept = Vec::new();
    for change in fields {
        let edit = EDITABLE_FIELDS
            .into_iter()
            .find(|f| *f == change.field)
            .and_then(|field| existing.edits.get(&(current.id, field)));
        match edit {
            Some(edit) => kept.push(KeptEdit {
                field: change.field,
                kept: change.old.unwrap_or_default(),
                file: change.new.unwrap_or_default(),
                edited_by: edit.changed_by.clone(),
                source_system: edit.source_system.clone(),
                variable_version: edit.variable_version,
                system_version: edit.system_version,
            }),
            None => changes.push(change),
        }
    }
    (changes, kept)
}

/// The memory paths to add or update (different reference, or inactive) so the variable has
/// the files' paths; with `prune`, its active paths on tables the files no longer give it are
/// deactivated.
fn path_changes(
    current_paths: &[ExistingPath],
    wanted: &DesiredVariable,
    prune: bool,
) -> Vec<PathChange> {
    let mut paths = Vec::new();
    for wanted_path in &wanted.paths {
        match current_paths
            .iter()
            .find(|p| p.reference.table == wanted_path.reference.table)
        {
            None => paths.push(PathChange::Add(wanted_path.clone())),
            Some(have) if have.reference != wanted_path.reference || !have.active => {
                paths.push(PathChange::Update {
                    id: have.id,
                    old: have.reference.clone(),
                    old_active: have.active,
                    new: wanted_path.reference.clone(),
                })
            }
            Some(_) => {}
        }
    }
    if prune {
        for have in current_paths.iter().filter(|p| p.active) {
            if !wanted
                .paths
                .iter()
                .any(|w| w.reference.table == have.reference.table)
            {
                paths.push(PathChange::Deactivate {
                    id: have.id,
                    old: have.reference.clone(),
                });
            }
        }
    }
    paths
}

/// Variables the files no longer mention at all lose their active memory paths (oldest
/// variable first).
fn orphan_changes<'a>(
    desired: &'a [DesiredVariable],
    existing: &'a Existing,
) -> Vec<VariableChange<'a>> {
    let mentioned: HashSet<&str> = desired.iter().map(|d| d.name.as_str()).collect();
    let mut orphans: Vec<&ExistingVariable> = existing
        .variables
        .values()
        .filter(|v| !v.deleted && !mentioned.contains(v.name.as_str()))
        .collect();
    orphans.sort_by_key(|v| v.id);
    let mut changes = Vec::new();
    for variable in orphans {
        let paths: Vec<PathChange> = existing
            .paths_of(variable)
            .iter()
            .filter(|p| p.active)
            .map(|p| PathChange::Deactivate {
                id: p.id,
                old: p.reference.clone(),
            })
            .collect();
        if !paths.is_empty() {
            changes.push(VariableChange::Changed {
                existing: variable,
                desired: None,
                fields: Vec::new(),
                paths,
                kept: Vec::new(),
            });
        }
    }
    changes
}

/// Lists the diff while fewer than `MAX_REPORTED_DIFFS` are listed, else says it cut.
fn push_diff(report: &mut ImportReport, diff: VariableDiff) {
    if report.diffs.len() < MAX_REPORTED_DIFFS {
        report.diffs.push(diff);
    } else {
        report.diffs_truncated = true;
    }
}

/// Counts a path change in the report and describes it as a change of the path's field.
fn report_path_change(report: &mut ImportReport, path: &PathChange) -> FieldChange {
    match path {
        PathChange::Add(p) => {
            report.paths_added += 1;
            FieldChange {
                field: path_field(&p.reference.table),
                old: None,
                new: Some(canonical(&p.reference)),
            }
        }
        PathChange::Update {
            old,
            old_active,
            new,
            ..
        } => {
            report.paths_updated += 1;
            let old_text = if *old_active {
                canonical(old)
            } else {
                format!("{} (inactive)", canonical(old))
            };
            FieldChange {
                field: path_field(&new.table),
                old: Some(old_text),
                new: Some(canonical(new)),
            }
        }
        PathChange::Deactivate { old, .. } => {
            report.paths_deactivated += 1;
            FieldChange {
                field: path_field(&old.table),
                old: Some(canonical(old)),
                new: None,
            }
        }
    }
}

impl<'a> Plan<'a> {
    /// Adds a change and counts its versions: one for the variable, one per path.
    fn add(&mut self, change: VariableChange<'a>) {
        let paths = match &change {
            VariableChange::New(wanted) => wanted.paths.len(),
            VariableChange::Changed { paths, .. } => paths.len(),
        };
        self.versions_needed += 1 + paths as u64;
        self.changes.push(change);
    }

    pub(super) fn report(&self, gaps: u64, dry_run: bool) -> ImportReport {
        let mut report = ImportReport {
            unchanged: self.unchanged,
            skipped: gaps,
            dry_run,
            ..ImportReport::default()
        };
        for change in &self.changes {
            let diff = match change {
                VariableChange::New(wanted) => {
                    report.new += 1;
                    report.paths_added += wanted.paths.len() as u64;
                    VariableDiff {
                        name: wanted.name.clone(),
                        kind: DiffKind::New,
                        changes: Vec::new(),
                        kept: Vec::new(),
                    }
                }
                VariableChange::Changed {
                    existing,
                    fields,
                    paths,
                    kept,
                    ..
                } => {
                    report.changed += 1;
                    report.kept += kept.len() as u64;
                    let mut changes = fields.clone();
                    for path in paths {
                        changes.push(report_path_change(&mut report, path));
                    }
                    VariableDiff {
                        name: existing.name.clone(),
                        kind: DiffKind::Changed,
                        changes,
                        kept: kept.clone(),
                    }
                }
            };
            push_diff(&mut report, diff);
        }
        for (name, kept) in &self.kept_only {
            report.kept += kept.len() as u64;
            push_diff(
                &mut report,
                VariableDiff {
                    name: (*name).to_string(),
                    kind: DiffKind::Kept,
                    changes: Vec::new(),
                    kept: kept.clone(),
                },
            );
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::registry::AccessReference;

    #[test]
    fn canonical_text_matches_the_generic_encoding() {
        for table in ["prot:sbmu:hold", "odd \"name\" \\ ü"] {
            let reference = MemoryOffsetRef {
                table: table.into(),
                offset: 24,
                size: 4,
                num: 96,
            };
            let generic = AccessReference::MemoryOffset(reference.clone())
                .to_json()
                .to_string();
            assert_eq!(canonical(&reference), generic);
        }
    }

    fn reference(table: &str, offset: u32) -> MemoryOffsetRef {
        MemoryOffsetRef {
            table: table.into(),
            offset,
            size: 2,
            num: 1,
        }
    }

    fn desired(name: &str, description: &str, tables: &[(&str, u32)]) -> DesiredVariable {
        DesiredVariable {
            name: name.into(),
            display_name: name.into(),
            units: String::new(),
            description: description.into(),
            category: model::registry::Category::Oper,
            locator: Some("system.global".into()),
            paths: tables
                .iter()
                .map(|(table, offset)| DesiredPath {
                    reference: reference(table, *offset),
                    priority: 10,
                    read_only: true,
                })
                .collect(),
        }
    }

    /// The registry after importing `variables`, with path ids from 100 on; `inactive` paths
    /// are on the tables named there.
    fn existing(variables: &[DesiredVariable], inactive: &[&str], deleted: &[&str]) -> Existing {
        let mut existing = Existing {
            variables: Default::default(),
            memory_paths: Default::default(),
            edits: Default::default(),
        };
        let mut path_id = 100;
        for (id, wanted) in (1..).zip(variables) {
            existing.variables.insert(
                wanted.name.clone(),
                ExistingVariable {
                    id,
                    name: wanted.name.clone(),
                    display_name: wanted.display_name.clone(),
                    units: wanted.units.clone(),
                    description: wanted.description.clone(),
                    category: wanted.category,
                    locator: entity::system_variable::locator_column(wanted.locator.as_deref()),
                    variable_version: 1,
                    deleted: deleted.contains(&wanted.name.as_str()),
                },
            );
            for path in &wanted.paths {
                path_id += 1;
                existing
                    .memory_paths
                    .entry(id)
                    .or_default()
                    .push(ExistingPath {
                        id: path_id,
                        active: !inactive.contains(&path.reference.table.as_str()),
                        reference: path.reference.clone(),
                    });
            }
        }
        existing
    }

    #[test]
    fn a_new_variable_is_created_with_a_version_for_it_and_each_path() {
        let before = [desired("soc", "charge", &[("oper:a", 0)])];
        let existing = existing(&before, &[], &[]);
        let files = [
            desired("soc", "charge", &[("oper:a", 0)]),
            desired("rack_voltage", "volts", &[("oper:a", 2), ("oper:b", 0)]),
        ];
        let plan = plan(&files, &existing, false, false);
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.versions_needed, 3);
        assert!(
            matches!(plan.changes.as_slice(), [VariableChange::New(v)] if v.name == "rack_voltage")
        );
        let report = plan.report(4, true);
        assert_eq!((report.new, report.paths_added, report.skipped), (1, 2, 4));
        assert_eq!(report.diffs[0].kind, DiffKind::New);
    }

    #[test]
    fn changed_fields_and_moved_or_inactive_paths_are_updated() {
        let before = [desired("soc", "charge", &[("oper:a", 0), ("oper:b", 4)])];
        let existing = existing(&before, &["oper:b"], &[]);
        let files = [desired(
            "soc",
            "state of charge",
            &[("oper:a", 2), ("oper:b", 4), ("oper:c", 0)],
        )];
        let plan = plan(&files, &existing, false, false);
        assert_eq!(plan.versions_needed, 1 + 3);
        let report = plan.report(0, false);
        assert_eq!(
            (report.changed, report.paths_updated, report.paths_added),
            (1, 2, 1)
        );
        let changes: Vec<(&str, Option<&str>, Option<&str>)> = report.diffs[0]
            .changes
            .iter()
            .map(|c| (c.field.as_str(), c.old.as_deref(), c.new.as_deref()))
            .collect();
        assert_eq!(
            changes,
            [
                ("description", Some("charge"), Some("state of charge")),
                (
                    "path[oper:a]",
                    Some(r#"{"num":1,"offset":0,"size":2,"table":"oper:a"}"#),
                    Some(r#"{"num":1,"offset":2,"size":2,"table":"oper:a"}"#)
                ),
                (
                    "path[oper:b]",
                    Some(r#"{"num":1,"offset":4,"size":2,"table":"oper:b"} (inactive)"#),
                    Some(r#"{"num":1,"offset":4,"size":2,"table":"oper:b"}"#)
                ),
                (
                    "path[oper:c]",
                    None,
                    Some(r#"{"num":1,"offset":0,"size":2,"table":"oper:c"}"#)
                ),
            ]
        );
    }

    #[test]
    fn a_deleted_variable_in_the_files_comes_back() {
        let before = [desired("soc", "charge", &[("oper:a", 0)])];
        let existing = existing(&before, &[], &["soc"]);
        let plan = plan(&before, &existing, false, false);
        let report = plan.report(0, false);
        assert_eq!(report.changed, 1);
        let deleted = &report.diffs[0].changes[0];
        assert_eq!(
            (
                deleted.field.as_str(),
                deleted.old.as_deref(),
                deleted.new.as_deref()
            ),
            ("deleted", Some("true"), Some("false"))
        );
    }

    #[test]
    fn only_pruning_removes_paths_and_the_paths_of_variables_no_longer_mentioned() {
        let before = [
            desired("soc", "charge", &[("oper:a", 0), ("oper:b", 0)]),
            desired("gone", "old", &[("oper:a", 2)]),
        ];
        let existing = existing(&before, &[], &[]);
        let files = [desired("soc", "charge", &[("oper:a", 0)])];

        let kept = plan(&files, &existing, false, false);
        assert!(kept.changes.is_empty());
        assert_eq!((kept.unchanged, kept.versions_needed), (1, 0));

        let pruned = plan(&files, &existing, true, false);
        assert_eq!(pruned.versions_needed, 2 + 2);
        let report = pruned.report(0, false);
        assert_eq!((report.changed, report.paths_deactivated), (2, 2));
        let names: Vec<&str> = report.diffs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["soc", "gone"]);
        assert!(
            report
                .diffs
                .iter()
                .all(|d| d.changes.iter().all(|c| c.new.is_none()))
        );
    }

    #[test]
    fn edited_fields_are_kept_unless_overwriting_and_the_rest_still_changes() {
        let before = [desired("soc", "charge", &[("oper:a", 0)])];
        let mut existing = existing(&before, &[], &[]);
        existing.edits.insert(
            (1, "description"),
            super::super::load::LastEdit {
                changed_by: "ana".into(),
                source_system: "console".into(),
                variable_version: 2,
                system_version: 7,
            },
        );
        let mut files = [desired("soc", "from the file", &[("oper:a", 0)])];
        files[0].units = "%".into();

        let kept = plan(&files, &existing, false, false).report(0, true);
        assert_eq!((kept.changed, kept.kept), (1, 1));
        let diff = &kept.diffs[0];
        assert_eq!(diff.kind, DiffKind::Changed);
        let fields: Vec<&str> = diff.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            ["units"],
            "the units were never edited: the file wins"
        );
        assert_eq!(
            diff.kept,
            [KeptEdit {
                field: "description".into(),
                kept: "charge".into(),
                file: "from the file".into(),
                edited_by: "ana".into(),
                source_system: "console".into(),
                variable_version: 2,
                system_version: 7,
            }]
        );

        files[0].units = String::new();
        let only_kept = plan(&files, &existing, false, false);
        assert_eq!(
            only_kept.versions_needed, 0,
            "keeping an edit writes nothing"
        );
        let report = only_kept.report(0, true);
        assert_eq!((report.unchanged, report.kept), (1, 1));
        assert_eq!(report.diffs[0].kind, DiffKind::Kept);

        let overwrite = plan(&files, &existing, false, true).report(0, true);
        assert_eq!((overwrite.changed, overwrite.kept), (1, 0));
        assert_eq!(overwrite.diffs[0].changes[0].field, "description");
    }

    #[test]
    fn the_report_lists_at_most_the_reported_diffs_and_says_so() {
        let files: Vec<DesiredVariable> = (0..=MAX_REPORTED_DIFFS)
            .map(|i| desired(&format!("v{i}"), "", &[]))
            .collect();
        let existing = existing(&[], &[], &[]);
        let report = plan(&files, &existing, false, false).report(0, false);
        assert_eq!(report.new, MAX_REPORTED_DIFFS as u64 + 1);
        assert_eq!(report.diffs.len(), MAX_REPORTED_DIFFS);
        assert!(report.diffs_truncated);
    }
}
