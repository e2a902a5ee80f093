//! The meters of the Site page: system-level meters first, then those measuring one inverter
//! array, with their type, model and adapter, and the forms that add, change and delete them.

use leptos::prelude::*;

use super::adapters::{AdapterCell, AdapterPanel, Device};
use super::delete::DeletePanel;
use super::device_forms::{EditMeterForm, NewMeterForm, Parents};
use super::live::LiveStateCell;
use super::{Panel, SiteCtx, text};
use model::site::tree::{EntityKind, MeterNode};

#[component]
pub(super) fn Meters(meters: Vec<MeterNode>, arrays: Parents, ctx: SiteCtx) -> AnyView {
    let new_meter = Panel::New(EntityKind::Meter, String::new());
    let new_form = {
        let arrays = arrays.clone();
        move || {
            ctx.is(&new_meter)
                .then(|| view! { <NewMeterForm arrays=arrays.clone() ctx /> })
        }
    };
    let devices: Vec<Device> = meters
        .iter()
        .map(|m| Device {
            kind: EntityKind::Meter,
            id: m.id.clone(),
            name: m.name.clone(),
            adapters: m.adapter.iter().cloned().collect(),
        })
        .collect();
    let panel = view! {
        <AdapterPanel devices ctx />
        <MeterPanel meters=meters.clone() arrays=arrays.clone() ctx />
    };
    let table = if meters.is_empty() {
        view! { <p class="muted">"No meters."</p> }.into_any()
    } else {
        view! {
            <div class="table-wrap site-table">
                <table class="data-table">
                    <thead>
                        <tr>
                            <th scope="col">"Meter"</th>
                            <th scope="col">"State"</th>
                            <th scope="col">"Id"</th>
                            <th scope="col">"Measures"</th>
                            <th scope="col">"Type"</th>
                            <th scope="col">"Model"</th>
                            <th scope="col">"Adapter"</th>
                            <th scope="col" class="row-actions">
                                <span class="visually-hidden">"Actions"</span>
                            </th>
                        </tr>
                    </thead>
                    <tbody>
                        {meters
                            .into_iter()
                            .map(|meter| view! { <MeterRow meter arrays=arrays.clone() ctx /> })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="site-section" aria-labelledby="meters-title">
            <header class="site-section-head">
                <h2 id="meters-title" class="section-title">
                    "Meters"
                </h2>
                {ctx
                    .can_edit
                    .then(|| {
                        view! {
                            <a
                                class="button button-secondary button-small"
                                href=ctx.href(&[("new", "meter")])
                            >
                                "New meter"
                            </a>
                        }
                    })}
            </header>
            {new_form}
            {table}
            {panel}
        </section>
    }
    .into_any()
}

/// Below the meters' table: the edit form or delete panel of the meter the URL names.
#[component]
fn MeterPanel(meters: Vec<MeterNode>, arrays: Parents, ctx: SiteCtx) -> impl IntoView {
    let kind = EntityKind::Meter;
    move || match ctx.panel.get() {
        Panel::Edit(k, id) if k == kind => meters.iter().find(|m| m.id == id).map(|meter| {
            view! { <EditMeterForm meter=meter.clone() arrays=arrays.clone() ctx /> }.into_any()
        }),
        Panel::Delete(k, id) if k == kind && meters.iter().any(|m| m.id == id) => {
            Some(view! { <DeletePanel kind id ctx /> }.into_any())
        }
        _ => None,
    }
}

/// One meter; marked while its form is open.
#[component]
fn MeterRow(meter: MeterNode, arrays: Parents, ctx: SiteCtx) -> AnyView {
    let (kind, id) = (EntityKind::Meter, meter.id.clone());
    let (edit, delete) = (
        Panel::Edit(kind, id.clone()),
        Panel::Delete(kind, id.clone()),
    );
    let level = match &meter.array_id {
        None => view! { <span class="badge">"system"</span> }.into_any(),
        Some(array) => {
            let name = arrays
                .iter()
                .find(|(i, _)| i == array)
                .map_or(array.clone(), |(_, n)| n.clone());
            view! {
                <span class="badge badge-oper">"array"</span>
                " "
                {name}
                " "
                <span class="mono muted">{array.clone()}</span>
            }
            .into_any()
        }
    };
    let device = Device {
        kind,
        id: id.clone(),
        name: meter.name.clone(),
        adapters: meter.adapter.iter().cloned().collect(),
    };
    view! {
        <tr class:selected=move || ctx.is(&edit) || ctx.is(&delete)>
            <th scope="row" class="row-head">
                {meter.name.clone()}
            </th>
            <LiveStateCell device_id=id.clone() ctx />
            <td class="mono">{id.clone()}</td>
            <td>{level}</td>
            <td>{text(meter.meter_type.map(|t| t.as_str()))}</td>
            <td>{text(meter.model.as_deref())}</td>
            <td>
                <AdapterCell device ctx />
            </td>
            <td class="row-actions">
                {ctx
                    .can_edit
                    .then(|| {
                        view! {
                            <a
                                href=ctx.row_href("edit", kind, &id)
                                aria-label=format!("Edit {}", meter.name)
                            >
                                "Edit"
                            </a>
                            <a
                                href=ctx.row_href("delete", kind, &id)
                                aria-label=format!("Delete {}", meter.name)
                            >
                                "Delete…"
                            </a>
                        }
                    })}
            </td>
        </tr>
    }
    .into_any()
}
