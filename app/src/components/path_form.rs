//! The access-path inputs shared by the New variable form and the Add path form: type, reference
//! JSON (checked as you type with the shared rules), priority, read-only, rack.

use leptos::prelude::*;

use model::registry::{AccessType, FieldError, NewAccessPath, validate_new_path};

/// The path being edited; `build()` gives the path or the first rule it breaks.
#[derive(Clone, Copy)]
pub struct PathDraft {
    pub access_type: RwSignal<AccessType>,
    pub reference: RwSignal<String>,
    pub priority: RwSignal<String>,
    pub read_only: RwSignal<bool>,
    pub rack: RwSignal<String>,
}

impl PathDraft {
    pub fn new() -> Self {
        PathDraft {
            access_type: RwSignal::new(AccessType::Modbus),
            reference: RwSignal::new(example_reference(AccessType::Modbus).to_string()),
            priority: RwSignal::new("5".into()),
            read_only: RwSignal::new(false),
            rack: RwSignal::new(String::new()),
        }
    }

    pub fn build(&self) -> Result<NewAccessPath, FieldError> {
        let reference: serde_json::Value = serde_json::from_str(&self.reference.get())
            .map_err(|e| FieldError::new("reference", format!("not JSON ({e})")))?;
        let priority = self
            .priority
            .get()
            .trim()
            .parse::<i32>()
            .map_err(|_| FieldError::new("priority", "must be a whole number"))?;
        let rack = match self.rack.get().trim() {
            "" => None,
            text => Some(
                text.parse::<i32>()
                    .map_err(|_| FieldError::new("rack", "a number, or empty for all racks"))?,
            ),
        };
        let path = NewAccessPath {
            access_type: self.access_type.get(),
            reference,
            priority,
            read_only: self.read_only.get(),
            rack_number: rack,
            device_id: None,
        };
        validate_new_path(&path)?;
        Ok(path)
    }
}

impl Default for PathDraft {
    fn default() -> Self {
        Self::new()
    }
}

/// A valid reference of each type, as a starting point for the JSON field.
pub fn example_reference(access_type: AccessType) -> &'static str {
    match access_type {
        AccessType::MemoryOffset => {
            r#"{"table": "oper:rack:sm16", "offset": 0, "size": 2, "num": 1}"#
        }
        AccessType::Modbus => {
            r#"{"device": "bms", "unit_id": 1, "table": "holding", "address": 100, "count": 1, "data_type": "u16", "scale": 1.0}"#
        }
        AccessType::Can => {
            r#"{"can_id": 256, "extended": false, "start_byte": 0, "length": 2, "data_type": "u16", "scale": 1.0}"#
        }
        AccessType::Rs485 => {
            r#"{"channel": "rs485-1", "device_id": 1, "table": "holding", "address": 0}"#
        }
        AccessType::MemoryId => r#"{"memory_id": 2952790016, "width": 16}"#,
    }
}

#[component]
pub fn PathFields(
    draft: PathDraft,
    /// Prefix for element ids, unique on the page.
    id: &'static str,
) -> AnyView {
    // The message reads "field: rule", as the server words it.
    let error = move || draft.build().err().map(|e| e.to_string());
    view! {
        <label class="field">
            <span class="field-label">"Access type"</span>
            <select on:change=move |ev| {
                if let Some(t) = AccessType::parse(&event_target_value(&ev)) {
                    draft.access_type.set(t);
                    draft.reference.set(example_reference(t).to_string());
                }
            }>
                {AccessType::ALL
                    .iter()
                    .map(|t| {
                        view! {
                            <option value=t.as_str() selected=move || draft.access_type.get() == *t>
                                {t.label()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
        <label class="field">
            <span class="field-label">"Priority"</span>
            <input
                inputmode="numeric"
                prop:value=draft.priority
                on:input=move |ev| draft.priority.set(event_target_value(&ev))
            />
        </label>
        <label class="field">
            <span class="field-label">"Rack (empty = all)"</span>
            <input
                inputmode="numeric"
                prop:value=draft.rack
                on:input=move |ev| draft.rack.set(event_target_value(&ev))
            />
        </label>
        <label class="checkbox">
            <input
                type="checkbox"
                prop:checked=draft.read_only
                on:change=move |ev| draft.read_only.set(event_target_checked(&ev))
            />
            " Read-only"
        </label>
        <div class="field field-wide">
            <label class="field-label" for=format!("{id}-reference")>
                "Reference (JSON)"
            </label>
            <textarea
                id=format!("{id}-reference")
                class="mono"
                rows="2"
                prop:value=draft.reference
                on:input=move |ev| draft.reference.set(event_target_value(&ev))
                aria-describedby=format!("{id}-reference-error")
                aria-invalid=move || error().is_some().to_string()
            ></textarea>
            <span id=format!("{id}-reference-error") class="field-error" aria-live="polite">
                {error}
            </span>
        </div>
    }
    .into_any()
}
