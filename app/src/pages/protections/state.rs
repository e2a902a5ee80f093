//! `EditorState`: the signals the Protections editor, its outcome handlers, the grid and its
//! cells share.

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::api::protections::LimitsLive;

use model::profiles::{AlarmRow, Recalled, RegisterHint};
use model::protections::{Measured, ProtectionSet, Side, VariableInfo, validate};

/// Everything the editor's widgets share.
#[derive(Clone, Copy)]
pub(super) struct EditorState {
    /// The form as edited.
    pub(super) form: RwSignal<ProtectionSet>,
    /// What the profile holds as saved: the reference for dirty markers.
    pub(super) saved: RwSignal<ProtectionSet>,
    pub(super) known: RwSignal<BTreeMap<String, VariableInfo>>,
    /// Field path → why its text is not a number (the form keeps the last good number).
    pub(super) unparsed: RwSignal<BTreeMap<String, String>>,
    /// Bumped when the form is replaced from outside (recall, reset), so inputs show it anew;
    /// typing never rewrites an input under the caret.
    pub(super) revision: RwSignal<u64>,
    pub(super) alarms: RwSignal<Vec<AlarmRow>>,
    /// Each quantity's latest measurement (the "Now" column), by quantity.
    pub(super) measured: RwSignal<BTreeMap<String, Measured>>,
    /// Field path → the register a deploy writes it to (the register-value hints).
    pub(super) registers: RwSignal<BTreeMap<String, RegisterHint>>,
}

impl EditorState {
    /// The state of a freshly recalled profile: nothing edited, nothing unparsed, no alarms yet.
    pub(super) fn new(recalled: &Recalled) -> Self {
        EditorState {
            form: RwSignal::new(recalled.protections.clone()),
            saved: RwSignal::new(recalled.protections.clone()),
            known: RwSignal::new(recalled.known.clone()),
            unparsed: RwSignal::new(BTreeMap::new()),
            revision: RwSignal::new(0),
            alarms: RwSignal::new(Vec::new()),
            measured: RwSignal::new(BTreeMap::new()),
            registers: RwSignal::new(recalled.registers.clone()),
        }
    }

    /// Takes the alarm states and measurements the server sent.
    pub(super) fn show_live(&self, live: LimitsLive) {
        self.alarms.set(live.rows);
        self.measured.set(
            live.measured
                .into_iter()
                .map(|m| (m.quantity.clone(), m))
                .collect(),
        );
    }

    /// Every problem: unparsable text first, then the validation rules.
    pub(super) fn problems(&self) -> Vec<(String, String)> {
        let mut problems: Vec<(String, String)> = self.unparsed.get().into_iter().collect();
        let known = self.known.get();
        let form = self.form.get();
        problems.extend(
            validate(&form, &|name| known.get(name).cloned())
                .into_iter()
                .map(|e| (e.field, e.message)),
        );
        problems
    }

    /// How many fields differ from what is saved (tracked).
    pub(super) fn dirty_count(&self) -> usize {
        let form = self.form.get();
        self.saved.with(|saved| form.diff(saved).len())
    }

    /// True while one side of a quantity differs from what is saved (tracked).
    pub(super) fn side_is_dirty(&self, quantity: &str, side: Side) -> bool {
        let form = self
            .form
            .with(|f| f.get(quantity).and_then(|v| v.side(side)).cloned());
        let saved = self
            .saved
            .with(|s| s.get(quantity).and_then(|v| v.side(side)).cloned());
        form != saved
    }

    /// Puts one side of a quantity back to what is saved, forgetting its unparsed text.
    pub(super) fn reset_side(&self, quantity: &str, side: Side) {
        let saved = self
            .saved
            .with_untracked(|s| s.get(quantity).and_then(|v| v.side(side)).cloned());
        self.form.update(|form| {
            if let Some(limits) = form.get_mut(quantity) {
                *limits.side_mut(side) = saved;
            }
        });
        self.unparsed.update(|u| {
            u.retain(|path, _| !path.starts_with(&format!("{quantity}.{}.", side.as_str())))
        });
        self.revision.update(|r| *r += 1);
    }

    pub(super) fn replace_form(&self, set: ProtectionSet) {
        self.form.set(set);
        self.unparsed.set(BTreeMap::new());
        self.revision.update(|r| *r += 1);
    }
}
