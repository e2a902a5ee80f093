//! The import plan: what the definition files change in the registry (variables created,
//! fields updated, memory paths added, updated or deactivated), the versions that takes, and the
//! report of it. Pure: no database.

use std::collections::HashSet;

use super::load::{Existing, ExistingVariable};
use crate::registry::definition::{DesiredPath, DesiredVariable};
use model::registry::{
    FieldChange, ImportReport, MAX_REPORTED_DIFFS, MemoryOffsetRef, VariableDiff,
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
    },
}

pub(super) struct Plan<'a> {
    pub(super) changes: Vec<VariableChange<'a>>,
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

pub(super) fn plan<'a>(
    desired: &'a [DesiredVariable],
    existing: &'a Existing,
    prune: bool,
) -> Plan<'a> {
    let mut plan = Plan {
        changes: Vec::new(),
        unchanged: 0,
        versions_needed: 0,
    };
    let no_paths = Vec::new();
    for wanted in desired {
        let Some(current) = existing.variables.get(&wanted.name) else {
            plan.versions_needed += 1 + wanted.paths.len() as u64;
            plan.changes.push(VariableChange::New(wanted));
            continue;
        };
        let mut fields = Vec::new();
        let mut compare = |field: &str, old: &str, new: &str| {
            if old != new {
                fields.push(FieldChange {
                    field: field.to_string(),
                    old: Some(old.to_string()),
                    new: Some(new.to_string()),
                });
            }
        };
        compare("display_name", &current.display_name, &wanted.display_name);
        compare("units", &current.units, &wanted.units);
        compare("description", &current.description, &wanted.description);
        compare("category", &current.category, wanted.category.as_str());
        compare("locator", &current.locator, &wanted.locator);
        if current.deleted {
            compare("deleted", "true", "false");
        }

        let current_paths = existing.memory_paths.get(&current.id).unwrap_or(&no_paths);
        let mut paths = Vec::new();
        for wanted_path in &wanted.paths {
            match current_paths
                .iter()
                .find(|p| p.reference.table == wanted_path.reference.table)
            {
                None => paths.push(PathChange::Add(wanted_path.clone())),
                Some(have) if have.reference != wanted_path.reference || !have.active => paths
                    .push(PathChange::Update {
                        id: have.id,
                        old: have.reference.clone(),
                        old_active: have.active,
                        new: wanted_path.reference.clone(),
                    }),
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
        if fields.is_empty() && paths.is_empty() {
            plan.unchanged += 1;
        } else {
            plan.versions_needed += 1 + paths.len() as u64;
            plan.changes.push(VariableChange::Changed {
                existing: current,
                desired: Some(wanted),
                fields,
                paths,
            });
        }
    }
    if prune {
        // Variables the file no longer mentions at all lose their active memory paths.
        let mentioned: HashSet<&str> = desired.iter().map(|d| d.name.as_str()).collect();
        let mut orphans: Vec<&ExistingVariable> = existing
            .variables
            .values()
            .filter(|v| !v.deleted && !mentioned.contains(v.name.as_str()))
            .collect();
        orphans.sort_by_key(|v| v.id);
        for variable in orphans {
            let paths: Vec<PathChange> = existing
                .memory_paths
                .get(&variable.id)
                .unwrap_or(&no_paths)
                .iter()
                .filter(|p| p.active)
                .map(|p| PathChange::Deactivate {
                    id: p.id,
                    old: p.reference.clone(),
                })
                .collect();
            if !paths.is_empty() {
                plan.versions_needed += 1 + paths.len() as u64;
                plan.changes.push(VariableChange::Changed {
                    existing: variable,
                    desired: None,
                    fields: Vec::new(),
                    paths,
                });
            }
        }
    }
    plan
}

impl Plan<'_> {
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
                        kind: "new".into(),
                        changes: Vec::new(),
                    }
                }
                VariableChange::Changed {
                    existing,
                    fields,
                    paths,
                    ..
                } => {
                    report.changed += 1;
                    let mut changes = fields.clone();
                    for path in paths {
                        match path {
                            PathChange::Add(p) => {
                                report.paths_added += 1;
                                changes.push(FieldChange {
                                    field: path_field(&p.reference.table),
                                    old: None,
                                    new: Some(canonical(&p.reference)),
                                });
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
                                changes.push(FieldChange {
                                    field: path_field(&new.table),
                                    old: Some(old_text),
                                    new: Some(canonical(new)),
                                });
                            }
                            PathChange::Deactivate { old, .. } => {
                                report.paths_deactivated += 1;
                                changes.push(FieldChange {
                                    field: path_field(&old.table),
                                    old: Some(canonical(old)),
                                    new: None,
                                });
                            }
                        }
                    }
                    VariableDiff {
                        name: existing.name.clone(),
                        kind: "changed".into(),
                        changes,
                    }
                }
            };
            if report.diffs.len() < MAX_REPORTED_DIFFS {
                report.diffs.push(diff);
            } else {
                report.diffs_truncated = true;
            }
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
}
