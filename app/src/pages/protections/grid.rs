//! The Protections limits grid: its header, one row per quantity and side with per-row reset,
//! and the live alarm badges.

use leptos::prelude::*;

use super::cells::FieldCell;
use super::state::EditorState;
use model::field::{Quality, format_number};
use model::profiles::AlarmRow;
use model::protections::{AlarmState, FieldPath, Level, LimitField, Margin, Side};

/// The limits grid: one row per quantity and side.
/// The grid's rows: the set's quantities and sides. They change only when a recall replaces the
/// form (the revision), not on every keystroke.
fn grid_rows(state: EditorState) -> Memo<Vec<(String, Side)>> {
    Memo::new(move |_| {
        state.revision.get();
        state.form.with_untracked(|form| {
            form.iter()
                .flat_map(|(quantity, limits)| {
                    limits
                        .sides()
                        .map(|(side, _)| (quantity.clone(), side))
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        })
    })
}

/// What the grid's caption says.
const GRID_HELP: &str = "Hysteresis and limits in the quantity's unit, shown beside its name \
    (e.g. soc [%]); delays in seconds. Now: the live measurement and how far it is from the next \
    level. Under a limit, \u{201c}reg\u{201d} is the number the device register will hold. Arrow \
    keys move between cells; Enter (or F2, or a click) edits a cell's text, Enter or Escape ends \
    that. Changed fields are marked (their title says what they were); a field held by no device \
    variable is kept in the console only (italic).";

#[component]
pub(super) fn LimitsGrid(
    state: EditorState,
    problems: Memo<Vec<(String, String)>>,
    console_only: RwSignal<Vec<String>>,
) -> AnyView {
    let rows = grid_rows(state);
    view! {
        <div class="table-wrap limits-wrap">
            <table
                class="data-table limits-grid"
                aria-describedby="limits-help"
                on:keydown=keys::on_key
                on:click=keys::on_click
                on:focusout=keys::on_focus_out
            >
                <caption id="limits-help" class="muted">
                    {GRID_HELP}
                </caption>
                <thead>
                    <tr>
                        <th scope="col" rowspan="2">
                            "Quantity"
                        </th>
                        <th scope="col" rowspan="2">
                            "Side"
                        </th>
                        <th
                            scope="col"
                            rowspan="2"
                            class="num"
                            title="The live measurement this side sees, and how far it is from the nearest level it has not crossed"
                        >
                            "Now [unit]"
                        </th>
                        <th scope="col" rowspan="2" class="num">
                            "Hyst. [unit]"
                        </th>
                        {Level::ALL
                            .into_iter()
                            .map(|level| {
                                view! {
                                    <th
                                        scope="colgroup"
                                        colspan="4"
                                        class=format!("level-head level-{}", level.as_str())
                                    >
                                        {level.label()}
                                    </th>
                                }
                            })
                            .collect_view()}
                        <th scope="col" rowspan="2">
                            <span class="visually-hidden">"Reset"</span>
                        </th>
                    </tr>
                    <tr>
                        {Level::ALL
                            .into_iter()
                            .map(|_| {
                                view! {
                                    <th scope="col" class="num">
                                        "Limit [unit]"
                                    </th>
                                    <th scope="col" class="num">
                                        "On [s]"
                                    </th>
                                    <th scope="col" class="num">
                                        "Off [s]"
                                    </th>
                                    <th scope="col">"On"</th>
                                }
                            })
                            .collect_view()}
                    </tr>
                </thead>
                <tbody>
                    <For each=move || rows.get() key=|row| row.clone() let((quantity, side))>
                        <LimitsRow state problems console_only quantity side />
                    </For>
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn LimitsRow(
    state: EditorState,
    problems: Memo<Vec<(String, String)>>,
    console_only: RwSignal<Vec<String>>,
    quantity: String,
    side: Side,
) -> AnyView {
    let units = state.known.with_untracked(|k| {
        k.get(&quantity)
            .map(|i| i.units.clone())
            .unwrap_or_default()
    });
    let row_dirty = Signal::derive({
        let quantity = quantity.clone();
        move || state.side_is_dirty(&quantity, side)
    });
    let reset = {
        let quantity = quantity.clone();
        move |ev: leptos::ev::MouseEvent| {
            state.reset_side(&quantity, side);
            keys::focus_row_start(&ev);
        }
    };
    let cell = |level: Option<Level>, field: LimitField| {
        let path = FieldPath {
            variable: quantity.clone(),
            side,
            level,
            field,
        };
        view! { <FieldCell state problems console_only path /> }
    };
    view! {
        <tr class=move || if row_dirty.get() { "limits-row dirty-row" } else { "limits-row" }>
            <th scope="row" class="quantity">
                {quantity.clone()}
                {(!units.is_empty())
                    .then(|| {
                        view! {
                            <span class="unit" data-testid=format!("unit-{quantity}")>
                                {format!(" [{units}]")}
                            </span>
                        }
                    })}
            </th>
            <td class=format!("side side-{}", side.as_str())>{side.label()}</td>
            <NowCell state quantity=quantity.clone() side />
            {cell(None, LimitField::Hysteresis)}
            {Level::ALL
                .into_iter()
                .map(|level| {
                    let badge = {
                        let quantity = quantity.clone();
                        move || alarm_badge(&state.alarms.get(), &quantity, side, level)
                    };
                    view! {
                        {cell(Some(level), LimitField::Threshold)}
                        {cell(Some(level), LimitField::OnDuration)}
                        {cell(Some(level), LimitField::OffDuration)}
                        <td class="enable-cell">
                            <FieldCell
                                state
                                problems
                                console_only
                                path=FieldPath {
                                    variable: quantity.clone(),
                                    side,
                                    level: Some(level),
                                    field: LimitField::Enabled,
                                }
                            />
                            {badge}
                        </td>
                    }
                })
                .collect_view()}
            <td>
                <button
                    type="button"
                    class="button-link"
                    disabled=move || !row_dirty.get()
                    on:click=reset
                    aria-label=format!("Reset {} {}", quantity, side.as_str())
                >
                    "Reset"
                </button>
            </td>
        </tr>
    }
    .into_any()
}

/// The "Now" cell of a row: the measurement this side sees (dimmed and labelled when stale or
/// bad, a dash without one) and the margin to the nearest level not crossed, against the limits
/// as edited (so an operator sees what a new threshold would mean before saving it).
#[component]
fn NowCell(state: EditorState, quantity: String, side: Side) -> AnyView {
    let testid = format!("now-{quantity}-{}", side.as_str());
    let reading = {
        let quantity = quantity.clone();
        move || {
            let measured = state.measured.with(|m| m.get(&quantity).cloned());
            let value = measured.as_ref().and_then(|m| m.on(side));
            let quality = measured.as_ref().map_or(Quality::Bad, |m| m.quality);
            let (margin, crossed) = value
                .and_then(|value| {
                    state.form.with(|f| {
                        f.get(&quantity)
                            .and_then(|limits| limits.side(side))
                            .map(|limits| {
                                (
                                    Some(limits.margin(side, value)),
                                    limits.crossed_by(side, value),
                                )
                            })
                    })
                })
                .unwrap_or((None, None));
            now_text(value, quality, margin, crossed)
        }
    };
    view! {
        <td class="num now-cell" data-testid=testid>
            {move || {
                let (class, value, note) = reading();
                view! {
                    <span class=format!("now-value {class}")>{value}</span>
                    <span class="now-margin">{note}</span>
                }
            }}
        </td>
    }
    .into_any()
}

/// What the "Now" cell shows: (class, value, note under it). The value takes the colour of the
/// most severe level it has crossed.
fn now_text(
    value: Option<f64>,
    quality: Quality,
    margin: Option<Margin>,
    crossed: Option<Level>,
) -> (&'static str, String, String) {
    let Some(value) = value else {
        return ("quality-bad", "—".into(), "no reading".into());
    };
    let value = format_number(value);
    match quality {
        Quality::Bad => return ("quality-bad", value, "bad reading".into()),
        Quality::Stale => return ("quality-stale", value, "stale".into()),
        Quality::Good => {}
    }
    let note = match margin {
        Some(Margin::Short { level, by }) => {
            format!("{} to {}", format_number(by), level.as_str())
        }
        Some(Margin::Past(level)) => format!("past {}", level.as_str()),
        Some(Margin::NoLevels) | None => String::new(),
    };
    let class = match crossed {
        None => "quality-good",
        Some(Level::Warning) => "quality-good past-warning",
        Some(Level::Alert | Level::Fault) => "quality-good past-alert",
    };
    (class, value, note)
}

/// The live state of one level as a small badge (nothing while normal).
fn alarm_badge(rows: &[AlarmRow], quantity: &str, side: Side, level: Level) -> Option<AnyView> {
    let row = rows
        .iter()
        .find(|r| r.view.variable == quantity && r.view.side == side && r.view.level == level)?;
    let remaining = row
        .view
        .remaining_ms
        .map(|ms| format!(" {}s", ms.div_ceil(1000)))
        .unwrap_or_default();
    let (class, text) = match row.view.state {
        AlarmState::Normal => return None,
        AlarmState::Pending => ("badge badge-warn", format!("pending{remaining}")),
        AlarmState::Active => ("badge badge-bad", "active".to_string()),
        AlarmState::Recovering => ("badge badge-warn", format!("recovering{remaining}")),
    };
    Some(
        view! {
            <span
                class=class
                data-testid=format!("alarm-{quantity}-{}-{}", side.as_str(), level.as_str())
            >
                {text}
            </span>
        }
        .into_any(),
    )
}

/// The grid's keyboard: arrow keys move between cells, Enter edits one, and a row's Reset gives
/// the focus back to the row instead of dropping it on the page. Browser-only: nothing to do on
/// the server.
mod keys {
    #[cfg(feature = "hydrate")]
    use leptos::wasm_bindgen::JsCast;

    /// Focus on the first input of the row `ev` happened in (a Reset button disables itself once
    /// the row is back to what is saved, and focus would fall to the page's body).
    pub(super) fn focus_row_start(ev: &leptos::ev::MouseEvent) {
        #[cfg(feature = "hydrate")]
        {
            let input = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.closest("tr").ok().flatten())
                .and_then(|row| row.query_selector("input:not([disabled])").ok().flatten())
                .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(input) = input {
                let _ = input.focus();
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    }

    /// The attribute a text cell carries while its text is being edited.
    #[cfg(feature = "hydrate")]
    const EDITING: &str = "data-editing";

    /// The grid's keys, spreadsheet-like. A cell is first *selected* (its text highlighted:
    /// typing replaces it, arrow keys move to the neighbouring cell). Enter or F2 *edits* it (the
    /// caret at the end: left and right move in the text, up and down still leave the cell);
    /// Enter or Escape selects it again. A click edits at once.
    pub(super) fn on_key(ev: leptos::ev::KeyboardEvent) {
        #[cfg(feature = "hydrate")]
        {
            let Some(input) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            else {
                return;
            };
            let text = input.type_() == "text";
            let editing = text && input.has_attribute(EDITING);
            let (rows, columns): (i32, i32) = match ev.key().as_str() {
                "Enter" | "F2" if text && !editing => {
                    ev.prevent_default();
                    start_editing(&input);
                    return;
                }
                "Enter" | "Escape" if editing => {
                    ev.prevent_default();
                    stop_editing(&input);
                    return;
                }
                "ArrowUp" => (-1, 0),
                "ArrowDown" => (1, 0),
                "ArrowLeft" if !editing => (0, -1),
                "ArrowRight" if !editing => (0, 1),
                _ => return,
            };
            let Some(row) = input.closest("tr").ok().flatten() else {
                return;
            };
            let here = inputs_of(&row);
            let Some(column) = here
                .iter()
                .position(|el| el.dyn_ref::<web_sys::HtmlInputElement>() == Some(&input))
            else {
                return;
            };
            let target_row = match rows {
                -1 => row.previous_element_sibling(),
                1 => row.next_element_sibling(),
                _ => Some(row),
            };
            let Some(target_row) = target_row else {
                return;
            };
            let targets = inputs_of(&target_row);
            let wanted = i64::try_from(column).unwrap_or(i64::MAX) + i64::from(columns);
            let Some(target) = usize::try_from(wanted).ok().and_then(|i| targets.get(i)) else {
                return;
            };
            ev.prevent_default();
            let _ = input.remove_attribute(EDITING);
            let _ = target.focus();
            if let Some(text_input) = target.dyn_ref::<web_sys::HtmlInputElement>()
                && text_input.type_() == "text"
            {
                stop_editing(text_input);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    }

    /// A click in a text cell edits it where the caret landed.
    pub(super) fn on_click(ev: leptos::ev::MouseEvent) {
        #[cfg(feature = "hydrate")]
        if let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .filter(|input| input.type_() == "text")
        {
            let _ = input.set_attribute(EDITING, "");
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    }

    /// Leaving a cell ends its editing.
    pub(super) fn on_focus_out(ev: leptos::ev::FocusEvent) {
        #[cfg(feature = "hydrate")]
        if let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        {
            let _ = input.remove_attribute(EDITING);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    }

    #[cfg(feature = "hydrate")]
    fn start_editing(input: &web_sys::HtmlInputElement) {
        let _ = input.set_attribute(EDITING, "");
        let end = u32::try_from(input.value().chars().count()).unwrap_or(u32::MAX);
        let _ = input.set_selection_range(end, end);
    }

    #[cfg(feature = "hydrate")]
    fn stop_editing(input: &web_sys::HtmlInputElement) {
        let _ = input.remove_attribute(EDITING);
        input.select();
    }

    /// The inputs of a row, cell by cell (one per cell at most).
    #[cfg(feature = "hydrate")]
    fn inputs_of(row: &web_sys::Element) -> Vec<web_sys::HtmlElement> {
        let cells = row.children();
        (0..cells.length())
            .filter_map(|i| cells.item(i))
            .filter_map(|cell| cell.query_selector("input").ok().flatten())
            .filter_map(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_now_cell_says_the_value_its_quality_and_the_margin() {
        let short = Some(Margin::Short {
            level: Level::Alert,
            by: 2.5,
        });
        assert_eq!(
            now_text(Some(92.5), Quality::Good, short, Some(Level::Warning)),
            (
                "quality-good past-warning",
                "92.5".into(),
                "2.5 to alert".into()
            )
        );
        assert_eq!(
            now_text(
                Some(99.0),
                Quality::Good,
                Some(Margin::Past(Level::Fault)),
                Some(Level::Fault)
            ),
            ("quality-good past-alert", "99".into(), "past fault".into())
        );
        assert_eq!(
            now_text(Some(99.0), Quality::Stale, short, None),
            ("quality-stale", "99".into(), "stale".into())
        );
        assert_eq!(
            now_text(None, Quality::Bad, None, None),
            ("quality-bad", "—".into(), "no reading".into())
        );
        assert_eq!(
            now_text(Some(1.0), Quality::Good, Some(Margin::NoLevels), None).2,
            ""
        );
    }
}
