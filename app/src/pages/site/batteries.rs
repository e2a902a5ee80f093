//! The battery arrays of the Site page: each array with its counts and attachment (now and as a
//! history), its packs in a table (chemistry, capacity and power with their units, batteries,
//! cells, adapters in failover order), a pack's batteries and cells on demand, and the forms
//! that add, change, attach and delete them.

use leptos::prelude::*;

use super::adapters::{AdapterCell, AdapterPanel, Device};
use super::attachments::{AttachPanel, AttachmentHistory};
use super::delete::DeletePanel;
use super::device_forms::{EditPackForm, NewPackForm, Parents};
use super::forms::{NewArrayForm, RenameArrayForm};
use super::live::LiveStateCell;
use super::{Panel, SiteCtx, counted, quantity, text};
use model::field::format_number;
use model::site::ids::cell_id;
use model::site::tree::{AttachmentNode, BatteryArrayNode, BatteryPackNode, EntityKind};

#[component]
pub(super) fn BatteryArrays(
    arrays: Vec<BatteryArrayNode>,
    attachments: Vec<AttachmentNode>,
    inverter_arrays: Parents,
    ctx: SiteCtx,
) -> AnyView {
    let parents: Parents = arrays
        .iter()
        .map(|a| (a.id.clone(), a.name.clone()))
        .collect();
    let new_array = Panel::New(EntityKind::BatteryArray, String::new());
    view! {
        <section class="site-section" aria-labelledby="battery-arrays-title">
            <header class="site-section-head">
                <h2 id="battery-arrays-title" class="section-title">
                    "Battery arrays"
                </h2>
                {ctx
                    .can_edit
                    .then(|| {
                        view! {
                            <a
                                class="button button-secondary button-small"
                                href=ctx.href(&[("new", "battery_array")])
                            >
                                "New battery array"
                            </a>
                        }
                    })}
            </header>
            {move || {
                ctx.is(&new_array)
                    .then(|| view! { <NewArrayForm kind=EntityKind::BatteryArray ctx /> })
            }}
            {arrays.is_empty().then(|| view! { <p class="muted">"No battery arrays."</p> })}
            {arrays
                .into_iter()
                .map(|array| {
                    let history: Vec<AttachmentNode> = attachments
                        .iter()
                        .filter(|a| a.battery_array_id == array.id)
                        .cloned()
                        .collect();
                    view! {
                        <BatteryArrayCard
                            array
                            history
                            inverter_arrays=inverter_arrays.clone()
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

/// The array's totals: packs, batteries, cells and capacity.
fn totals(array: &BatteryArrayNode) -> Vec<String> {
    let batteries: u32 = array.packs.iter().map(|p| p.batteries_count).sum();
    let cells: u32 = array.packs.iter().map(|p| p.cell_count).sum();
    let kwh: Vec<f64> = array.packs.iter().filter_map(|p| p.nominal_kwh).collect();
    let to_usize = |n: u32| usize::try_from(n).unwrap_or(usize::MAX);
    let mut parts = vec![
        counted(array.packs.len(), "pack", "packs"),
        counted(to_usize(batteries), "battery", "batteries"),
        counted(to_usize(cells), "cell", "cells"),
    ];
    if !kwh.is_empty() {
        parts.push(quantity(Some(kwh.iter().sum()), "kWh"));
    }
    parts
}

/// One battery array: its head (name, totals, attachment, actions), its forms, its attachment
/// history and its packs.
#[component]
fn BatteryArrayCard(
    array: BatteryArrayNode,
    history: Vec<AttachmentNode>,
    inverter_arrays: Parents,
    parents: Parents,
    ctx: SiteCtx,
) -> AnyView {
    let (kind, id) = (EntityKind::BatteryArray, array.id.clone());
    let attached = array.attached_to.as_ref().map(|to| {
        inverter_arrays
            .iter()
            .find(|(i, _)| i == to)
            .map_or(to.clone(), |(_, name)| format!("{name} ({to})"))
    });
    let (edit, delete, add, attach) = (
        Panel::Edit(kind, id.clone()),
        Panel::Delete(kind, id.clone()),
        Panel::New(EntityKind::BatteryPack, id.clone()),
        Panel::Attach(id.clone()),
    );
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
    let attach_panel = {
        let (id, current, choices) = (
            id.clone(),
            array.attached_to.clone(),
            inverter_arrays.clone(),
        );
        move || {
            ctx.is(&attach).then(|| {
                view! {
                    <AttachPanel
                        battery_array_id=id.clone()
                        current=current.clone()
                        inverter_arrays=choices.clone()
                        ctx
                    />
                }
            })
        }
    };
    let add_form = {
        let (id, parents) = (id.clone(), parents.clone());
        move || {
            ctx.is(&add).then(
                || view! { <NewPackForm battery_array_id=id.clone() arrays=parents.clone() ctx /> },
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
                {totals(&array)
                    .into_iter()
                    .map(|t| view! { <span class="badge">{t}</span> })
                    .collect_view()}
                {match attached {
                    Some(to) => {
                        view! {
                            <span class="badge badge-good">{format!("attached to {to}")}</span>
                        }
                            .into_any()
                    }
                    None => {
                        view! { <span class="badge badge-warn">"not attached"</span> }.into_any()
                    }
                }}
                {ctx
                    .can_edit
                    .then(|| {
                        view! {
                            <nav
                                class="row-actions"
                                aria-label=format!("Actions for {}", array.name)
                            >
                                <a href=ctx
                                    .href(&[("new", "battery_pack"), ("in", &id)])>"Add pack"</a>
                                <a href=ctx
                                    .href(
                                        &[("attach", &id)],
                                    )>
                                    {if array.attached_to.is_some() {
                                        "Re-attach…"
                                    } else {
                                        "Attach…"
                                    }}
                                </a>
                                <a href=ctx.row_href("edit", kind, &id)>"Rename"</a>
                                <a href=ctx.row_href("delete", kind, &id)>"Delete…"</a>
                            </nav>
                        }
                    })}
            </header>
            {rename_form}
            {delete_panel}
            {attach_panel}
            <AttachmentHistory history inverter_arrays />
            <PackTable packs=array.packs.clone() ctx />
            <AdapterPanel devices=array.packs.iter().map(pack_device).collect() ctx />
            <PackPanel packs=array.packs parents ctx />
            {add_form}
        </article>
    }
    .into_any()
}

#[component]
fn PackTable(packs: Vec<BatteryPackNode>, ctx: SiteCtx) -> AnyView {
    if packs.is_empty() {
        return view! { <p class="muted site-empty">"No packs."</p> }.into_any();
    }
    view! {
        <div class="table-wrap site-table">
            <table class="data-table">
                <thead>
                    <tr>
                        <th scope="col">"Pack"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Id"</th>
                        <th scope="col">"Chemistry"</th>
                        <th scope="col" class="num">
                            "Capacity"
                        </th>
                        <th scope="col" class="num">
                            "Charge"
                        </th>
                        <th scope="col" class="num">
                            "Discharge"
                        </th>
                        <th scope="col" class="num">
                            "Batteries"
                        </th>
                        <th scope="col" class="num">
                            "Cells"
                        </th>
                        <th scope="col" class="num">
                            "Cell nominal"
                        </th>
                        <th scope="col">"Adapters (failover order)"</th>
                        <th scope="col" class="row-actions">
                            <span class="visually-hidden">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {packs.into_iter().map(|pack| view! { <PackRow pack ctx /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// A pack as a device with its adapters in failover order (1st, 2nd).
fn pack_device(pack: &BatteryPackNode) -> Device {
    Device {
        kind: EntityKind::BatteryPack,
        id: pack.id.clone(),
        name: pack.name.clone(),
        adapters: pack.adapters.clone(),
    }
}

/// Below the packs' table: the batteries and cells of the pack the URL names, and its edit
/// form or delete panel.
#[component]
fn PackPanel(packs: Vec<BatteryPackNode>, parents: Parents, ctx: SiteCtx) -> impl IntoView {
    let kind = EntityKind::BatteryPack;
    let find = move |id: &str| packs.iter().find(|p| p.id == id).cloned();
    let cells = {
        let find = find.clone();
        move || {
            ctx.cells
                .get()
                .and_then(|id| find(&id))
                .map(|pack| view! { <CellList pack /> })
        }
    };
    let form = move || match ctx.panel.get() {
        Panel::Edit(k, id) if k == kind => find(&id)
            .map(|pack| view! { <EditPackForm pack arrays=parents.clone() ctx /> }.into_any()),
        Panel::Delete(k, id) if k == kind && find(&id).is_some() => {
            Some(view! { <DeletePanel kind id ctx /> }.into_any())
        }
        _ => None,
    };
    view! {
        {cells}
        {form}
    }
}

/// One pack; marked while its form is open or its cells are listed.
#[component]
fn PackRow(pack: BatteryPackNode, ctx: SiteCtx) -> AnyView {
    let (kind, id) = (EntityKind::BatteryPack, pack.id.clone());
    let (edit, delete) = (
        Panel::Edit(kind, id.clone()),
        Panel::Delete(kind, id.clone()),
    );
    let showing_cells = {
        let id = id.clone();
        move || ctx.cells.with(|c| c.as_deref() == Some(id.as_str()))
    };
    let cells_href = {
        let (id, showing_cells) = (id.clone(), showing_cells.clone());
        move || {
            if showing_cells() {
                ctx.href(&[])
            } else {
                ctx.href(&[("cells", &id)])
            }
        }
    };
    let cells_label = {
        let showing_cells = showing_cells.clone();
        move || {
            if showing_cells() {
                "Hide cells"
            } else {
                "Cells"
            }
        }
    };
    let cells_aria = {
        let (name, cells_label) = (pack.name.clone(), cells_label.clone());
        move || format!("{} of {name}", cells_label())
    };
    let selected = {
        let showing_cells = showing_cells.clone();
        move || ctx.is(&edit) || ctx.is(&delete) || showing_cells()
    };
    view! {
        <tr class:selected=selected>
            <th scope="row" class="row-head">
                {pack.name.clone()}
            </th>
            <LiveStateCell device_id=id.clone() ctx />
            <td class="mono">{id.clone()}</td>
            <td>{text(pack.chemistry.as_deref())}</td>
            <td class="num">{quantity(pack.nominal_kwh, "kWh")}</td>
            <td class="num">{quantity(pack.max_charge_kw, "kW")}</td>
            <td class="num">{quantity(pack.max_discharge_kw, "kW")}</td>
            <td class="num">{pack.batteries_count}</td>
            <td class="num" title=format!("{} per battery", pack.cells_per_battery)>
                {pack.cell_count}
            </td>
            <td class="num">{quantity(pack.cell_nominal_voltage, "V")}</td>
            <td class="wrap">
                <AdapterCell device=pack_device(&pack) ctx />
            </td>
            <td class="row-actions">
                <a
                    href=cells_href
                    aria-expanded=move || showing_cells().to_string()
                    aria-label=cells_aria
                >
                    {cells_label}
                </a>
                {ctx
                    .can_edit
                    .then(|| {
                        view! {
                            <a
                                href=ctx.row_href("edit", kind, &id)
                                aria-label=format!("Edit {}", pack.name)
                            >
                                "Edit"
                            </a>
                            <a
                                href=ctx.row_href("delete", kind, &id)
                                aria-label=format!("Delete {}", pack.name)
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

/// The pack's batteries, each with its cells (ids follow the pack's: `pack1_b0_c0` …).
#[component]
fn CellList(pack: BatteryPackNode) -> AnyView {
    let nominal = pack
        .cell_nominal_voltage
        .map(|v| format!("{} V nominal", format_number(v)));
    view! {
        <div class="table-wrap site-table site-cells">
            <table class="data-table" aria-label=format!("Batteries and cells of {}", pack.name)>
                <thead>
                    <tr>
                        <th scope="col">"Battery"</th>
                        <th scope="col" class="num">
                            "Index"
                        </th>
                        <th scope="col">"Model"</th>
                        <th scope="col">"Serial"</th>
                        <th scope="col" class="num">
                            "Cells"
                        </th>
                        <th scope="col">"Cell ids"</th>
                    </tr>
                </thead>
                <tbody>
                    {pack
                        .batteries
                        .into_iter()
                        .map(|b| {
                            let range = match b.cell_count {
                                0 => "—".to_string(),
                                n => format!("{} … {}", cell_id(&b.id, 0), cell_id(&b.id, n - 1)),
                            };
                            view! {
                                <tr>
                                    <td class="mono">{b.id.clone()}</td>
                                    <td class="num">{b.index}</td>
                                    <td>{text(b.model.as_deref())}</td>
                                    <td class="mono">{text(b.serial_number.as_deref())}</td>
                                    <td class="num">{b.cell_count}</td>
                                    <td class="mono">
                                        {range}
                                        {nominal
                                            .clone()
                                            .map(|n| {
                                                view! { <span class="muted">{format!(" · {n}")}</span> }
                                            })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
