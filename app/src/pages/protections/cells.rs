//! One input of the Protections grid: number or enable checkbox, its classes (dirty, invalid,
//! console-only), and the parsing of typed numbers.

use leptos::prelude::*;

use super::state::EditorState;
use crate::components::number::{NumberError, parse_number};
use model::field::format_number;
use model::protections::{FieldPath, FieldValue, LimitField};

/// One input of the grid (a number, or the enable checkbox); an unset level shows a dash, and
/// its threshold field sets it.
#[component]
pub(super) fn FieldCell(
    state: EditorState,
    problems: Memo<Vec<(String, String)>>,
    console_only: RwSignal<Vec<String>>,
    path: FieldPath,
) -> impl IntoView {
    let key = path.to_string();
    let problem = Signal::derive({
        let key = key.clone();
        move || {
            problems.with(|p| {
                p.iter()
                    .find(|(path, _)| *path == key)
                    .map(|(_, rule)| rule.clone())
            })
        }
    });
    let class = field_class(state, &path, problem, console_only);
    if path.field == LimitField::Enabled {
        return view! { <EnableInput state path class /> }.into_any();
    }
    view! { <NumberInput state path class problem /> }.into_any()
}

/// The classes of a grid input: `limit-input`, plus dirty, invalid and console-only as they apply.
fn field_class(
    state: EditorState,
    path: &FieldPath,
    problem: Signal<Option<String>>,
    console_only: RwSignal<Vec<String>>,
) -> Signal<String> {
    let key = path.to_string();
    let path = path.clone();
    Signal::derive(move || {
        let mut class = String::from("limit-input");
        if state.form.with(|f| f.get_field(&path)) != state.saved.with(|s| s.get_field(&path)) {
            class.push_str(" dirty");
        }
        if problem.get().is_some() {
            class.push_str(" invalid");
        }
        if console_only.with(|c| c.contains(&key)) {
            class.push_str(" console-only");
        }
        class
    })
}

/// The enable checkbox of a level (disabled while the level is unset).
#[component]
fn EnableInput(state: EditorState, path: FieldPath, class: Signal<String>) -> impl IntoView {
    let key = path.to_string();
    let label = key.replace('.', " ");
    let value = Signal::derive({
        let path = path.clone();
        move || state.form.with(|f| f.get_field(&path))
    });
    let checked = move || matches!(value.get(), Some(FieldValue::Bool(true)));
    let checked_initially = matches!(value.get_untracked(), Some(FieldValue::Bool(true)));
    view! {
        <input
            type="checkbox"
            class=move || class.get()
            data-path=key
            aria-label=label
            disabled=move || value.get().is_none()
            checked=checked_initially
            prop:checked=move || {
                state.revision.get();
                checked()
            }
            on:change=move |ev| {
                let on = event_target_checked(&ev);
                state
                    .form
                    .update(|f| {
                        let _ = f.set_field(&path, FieldValue::Bool(on));
                    });
            }
        />
    }
}

/// A number input in its cell; text that is not a number is kept aside as a problem.
#[component]
fn NumberInput(
    state: EditorState,
    path: FieldPath,
    class: Signal<String>,
    problem: Signal<Option<String>>,
) -> AnyView {
    let key = path.to_string();
    let label = key.replace('.', " ");
    let value = Signal::derive({
        let path = path.clone();
        move || state.form.with(|f| f.get_field(&path))
    });
    let shown = move || {
        state.revision.get();
        match value.get() {
            Some(FieldValue::Number(n)) => format_number(n),
            _ => String::new(),
        }
    };
    let level_missing = level_missing(state, path.clone());
    let was = Signal::derive({
        let path = path.clone();
        move || {
            let saved = state.saved.with(|s| s.get_field(&path));
            if value.get() == saved {
                return None;
            }
            Some(match saved {
                Some(FieldValue::Number(n)) => format!("was {}", format_number(n)),
                _ => "was empty".to_string(),
            })
        }
    });
    // The register the device will hold this field in, and its raw value for the limit typed.
    let register = Signal::derive({
        let key = key.clone();
        move || {
            let hint = state.registers.with(|r| r.get(&key).cloned())?;
            let raw = match value.get() {
                Some(FieldValue::Number(n)) => format_number(hint.raw(n)),
                _ => "—".to_string(),
            };
            Some((hint.differs(), raw, hint.register))
        }
    });
    let title = move || {
        let mut lines: Vec<String> = problem.get().or_else(|| was.get()).into_iter().collect();
        if let Some((_, raw, register)) = register.get() {
            lines.push(format!("Device: {register} = {raw}"));
        }
        lines.join("\n")
    };
    let hint = move || {
        register
            .get()
            .filter(|(differs, _, _)| *differs)
            .map(|(_, raw, _)| view! { <span class="reg-hint">{format!("reg {raw}")}</span> })
    };
    // The attribute carries the value in the server's HTML (no JavaScript); the property keeps
    // it current in the browser.
    let initial = match value.get_untracked() {
        Some(FieldValue::Number(n)) => format_number(n),
        _ => String::new(),
    };
    let key_set = key.clone();
    view! {
        <td class="num">
            <input
                type="text"
                inputmode="decimal"
                autocomplete="off"
                size="6"
                class=move || class.get()
                data-path=key
                aria-label=label
                placeholder=move || {
                    if level_missing.get() || value.get().is_none() { "—" } else { "" }
                }
                disabled=level_missing
                aria-invalid=move || problem.get().is_some().to_string()
                // The problem, else what a changed cell held before (the saved value); then
                // the register the device holds it in.
                title=title
                value=initial.clone()
                prop:value=move || state.form.with_untracked(|_| shown())
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    match parse_decimal(&text) {
                        Ok(number) => {
                            state
                                .unparsed
                                .update(|u| {
                                    u.remove(&key_set);
                                });
                            state
                                .form
                                .update(|f| {
                                    let _ = f.set_field(&path, FieldValue::Number(number));
                                });
                        }
                        Err(why) => {
                            state
                                .unparsed
                                .update(|u| {
                                    u.insert(key_set.clone(), why.to_string());
                                })
                        }
                    }
                }
            />
            {hint}
        </td>
    }
    .into_any()
}

/// True while `path` is a level field other than the threshold and the level is unset: such
/// fields wait until the level exists.
fn level_missing(state: EditorState, path: FieldPath) -> Signal<bool> {
    Signal::derive(move || {
        path.field != LimitField::Threshold
            && path.level.is_some()
            && state.form.with(|f| {
                f.get_field(&FieldPath {
                    field: LimitField::Threshold,
                    ..path.clone()
                })
                .is_none()
            })
    })
}

/// A number as typed (a decimal comma is accepted), or why it is not one.
fn parse_decimal(text: &str) -> Result<f64, NumberError> {
    parse_number(&text.replace(',', "."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_with_a_point_or_a_comma() {
        assert_eq!(parse_decimal(" 3.5 "), Ok(3.5));
        assert_eq!(parse_decimal("3,5"), Ok(3.5));
        assert!(parse_decimal("").is_err());
        assert_eq!(
            parse_decimal(" 1,2,3 ").unwrap_err().to_string(),
            "\"1.2.3\" is not a number"
        );
        assert!(parse_decimal("inf").is_err());
    }
}
