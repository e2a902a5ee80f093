//! The inverter arrays of the Site page: each array with its counts, the battery arrays attached
//! to it now and its meters, its inverters in a table (model, vendor, serial, phases, adapter),
//! and the forms that add, change and delete them.

use leptos::prelude::*;

use super::adapters::{AdapterCell, AdapterPanel, Device};
use super::delete::DeletePanel;
use super::device_forms::{EditInverterForm, NewInverterForm, Parents};
use super::forms::{NewArrayForm, RenameArrayForm};
use super::live::LiveStateCell;
use super::{Panel, SiteCtx, counted, text};
use model::site::tree::{EntityKind, InverterArrayNode, InverterNode, MeterNode};

#[component]
pub(super) fn InverterArrays(
    arrays: Vec<InverterArrayNode>,
    meters: Vec<MeterNode>,
    battery_arrays: Parents,
    ctx: SiteCtx,
) -> AnyView {
    let parents: Parents = arrays
        .iter()
        .map(|a| (a.id.clone(), a.name.clone()))
        .collect();
    let new_array = Panel::New(EntityKind::InverterArray, String::new());
    view! {
        <section class="site-section" aria-labelledby="inverter-arrays-title">
            <header class="site-section-head">
                <h2 id="inverter-arrays-title" class="section-title">
                    "Inverter arrays"
                </h2>
                {ctx
                    .can_edit
                    .then(|| {
                        view! {
                            <a
                                class="button button-secondary button-small"
                                href=ctx.href(&[("new", "inverter_array")])
                            >
                                "New inverter array"
                            </a>
                        }
                    })}
            </header>
            {move || {
                ctx.is(&new_array)
                    .then(|| view! { <NewArrayForm kind=EntityKind::InverterArray ctx /> })
            }}
            {arrays.is_empty().then(|| view! { <p class="muted">"No inverter arrays."</p> })}
            {arrays
                .into_iter()
                .map(|array| {
                    let meter_count = meters
                        .iter()
                        .filter(|m| m.array_id.as_deref() == Some(array.id.as_str()))
                        .count();
                    let names = battery_arrays.clone();
                    view! {
                        <InverterArrayCard
                            array
                            meter_count
                            battery_arrays=names
                            parents=parents.clone()
                            ctx
                        />
                    }
                })
                .collect_view()}
        </section>
    }
    .into_any()
}

/// One inverter array: its head (name, counts, attachments, actions), its forms and inverters.
#[component]
fn InverterArrayCard(
    array: InverterArrayNode,
    meter_count: usize,
    battery_arrays: Parents,
    parents: Parents,
    ctx: SiteCtx,
) -> AnyView {
    let id = array.id.clone();
    let kind = EntityKind::InverterArray;
    let attached: Vec<String> = array
        .battery_arrays
        .iter()
        .map(|b| {
            battery_arrays
                .iter()
                .find(|(id, _)| id == b)
                .map_or(b.clone(), |(_, name)| name.clone())
        })
        .collect();
    let edit = Panel::Edit(kind, id.clone());
    let delete = Panel::Delete(kind, id.clone());
    let add = Panel::New(EntityKind::Inverter, id.clone());
    let rename_form = {
        let (id, name, version) = (id.clone(), array.name.clone(), array.version);
        move || {
            ctx.is(&edit).then(
                || view! { <RenameArrayForm kind id=id.clone() name=name.clone() version ctx /> },
            )
        }
    };
    let delete_panel = {
        let id = id.clone();
        move || {
            ctx.is(&delete)
                .then(|| view! { <DeletePanel kind id=id.clone() ctx /> })
        }
    };
    let add_form = {
        let (id, parents) = (id.clone(), parents.clone());
        move || {
            ctx.is(&add).then(
                || view! { <NewInverterForm array_id=id.clone() arrays=parents.clone() ctx /> },
            )
        }
    };
    let title_id = format!("node-{id}");
    let labelled_by = title_id.clone();
    view! {
        <article class="site-node" aria-labelledby=labelled_by>
            <header class="site-node-head">
                <h3 id=title_id>
                    {array.name.clone()} " " <span class="mono muted">{id.clone()}</span>
                </h3>
                <span class="badge">{counted(array.inverters.len(), "inverter", "inverters")}</span>
                {(meter_count > 0)
                    .then(|| {
                        view! {
                            <span class="badge">{counted(meter_count, "meter", "meters")}</span>
                        }
                    })}
                {attached
                    .into_iter()
                    .map(|name| {
                        view! {
                            <span class="badge badge-good" title="Battery array attached now">
                                {format!("⇄ {name}")}
                            </span>
                        }
                    })
                    .collect_view()}
                {ctx
                    .can_edit
                    .then(|| {
                        view! {
                            <nav
                                class="row-actions"
                                aria-label=format!("Actions for {}", array.name)
                            >
                                <a href=ctx
                                    .href(&[("new", "inverter"), ("in", &id)])>"Add inverter"</a>
                                <a href=ctx.row_href("edit", kind, &id)>"Rename"</a>
                                <a href=ctx.row_href("delete", kind, &id)>"Delete…"</a>
                            </nav>
                        }
                    })}
            </header>
            {rename_form}
            {delete_panel}
            <InverterTable inverters=array.inverters.clone() ctx />
            <AdapterPanel devices=array.inverters.iter().map(inverter_device).collect() ctx />
            <InverterPanel inverters=array.inverters parents ctx />
            {add_form}
        </article>
    }
    .into_any()
}

#[component]
fn InverterTable(inverters: Vec<InverterNode>, ctx: SiteCtx) -> AnyView {
    if inverters.is_empty() {
        return view! { <p class="muted site-empty">"No inverters."</p> }.into_any();
    }
    view! {
        <div class="table-wrap site-table">
            <table class="data-table">
                <thead>
                    <tr>
                        <th scope="col">"Inverter"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Id"</th>
                        <th scope="col">"Model"</th>
                        <th scope="col">"Vendor"</th>
                        <th scope="col">"Serial"</th>
                        <th scope="col">"Phases"</th>
                        <th scope="col">"Adapter"</th>
                        <th scope="col" class="row-actions">
                            <span class="visually-hidden">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {inverters
                        .into_iter()
                        .map(|inverter| {
                            view! { <InverterRow inverter ctx /> }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The edit form or delete panel of the inverter the URL names, below its table.
#[component]
fn InverterPanel(inverters: Vec<InverterNode>, parents: Parents, ctx: SiteCtx) -> impl IntoView {
    let kind = EntityKind::Inverter;
    move || match ctx.panel.get() {
        Panel::Edit(k, id) if k == kind => inverters.iter().find(|i| i.id == id).map(|inverter| {
            view! { <EditInverterForm inverter=inverter.clone() arrays=parents.clone() ctx /> }
                .into_any()
        }),
        Panel::Delete(k, id) if k == kind && inverters.iter().any(|i| i.id == id) => {
            Some(view! { <DeletePanel kind id ctx /> }.into_any())
        }
        _ => None,
    }
}

/// One inverter; marked while its form is open.
#[component]
fn InverterRow(inverter: InverterNode, ctx: SiteCtx) -> AnyView {
    let kind = EntityKind::Inverter;
    let id = inverter.id.clone();
    let (edit, delete) = (
        Panel::Edit(kind, id.clone()),
        Panel::Delete(kind, id.clone()),
    );
    let device = inverter_device(&inverter);
    view! {
        <tr class:selected=move || ctx.is(&edit) || ctx.is(&delete)>
            <th scope="row" class="row-head">
                {inverter.name.clone()}
            </th>
            <LiveStateCell device_id=id.clone() ctx />
            <td class="mono">{id.clone()}</td>
            <td>{text(inverter.model.as_deref())}</td>
            <td>{text(inverter.vendor.as_deref())}</td>
            <td class="mono">{text(inverter.serial_number.as_deref())}</td>
            <td>{text(inverter.phase_type.map(|p| p.as_str()))}</td>
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
                                aria-label=format!("Edit {}", inverter.name)
                            >
                                "Edit"
                            </a>
                            <a
                                href=ctx.row_href("delete", kind, &id)
                                aria-label=format!("Delete {}", inverter.name)
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

/// An inverter as a device with its one adapter.
fn inverter_device(inverter: &InverterNode) -> Device {
    Device {
        kind: EntityKind::Inverter,
        id: inverter.id.clone(),
        name: inverter.name.clone(),
        adapters: inverter.adapter.iter().cloned().collect(),
    }
}
