//! The Protections limits grid: its header, one row per quantity and side with per-row reset,
//! and the live alarm badges.

use leptos::prelude::*;

use super::cells::FieldCell;
use super::state::EditorState;
use model::profiles::AlarmRow;
use model::protections::{AlarmState, FieldPath, Level, LimitField, Side};

/// The limits grid: one row per quantity and side.
#[component]
pub(super) fn LimitsGrid(
    state: EditorState,
    problems: Memo<Vec<(String, String)>>,
    console_only: RwSignal<Vec<String>>,
) -> AnyView {
    // Rows follow the set's quantities and sides; they change only when a recall replaces the
    // form (the revision), not on every keystroke.
    let rows = Memo::new(move |_| {
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
    });
    view! {
        <div class="table-wrap limits-wrap">
            <table class="data-table limits-grid" aria-describedby="limits-help">
                <caption id="limits-help" class="muted">
                    "Hysteresis and limits in the quantity's unit, shown beside its name (e.g. soc [%]); "
                    "delays in seconds. Changed fields are marked; "
                    "a field held by no device variable is kept in the console only (italic)."
                </caption>
                <thead>
                    <tr>
                        <th scope="col" rowspan="2">
                            "Quantity"
                        </th>
                        <th scope="col" rowspan="2">
                            "Side"
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
        move |_| state.reset_side(&quantity, side)
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
