//! The forms of the devices: inverters, battery packs and meters, each new (in its parent) or
//! edited at the version it was read at. Inputs post as typed (`form[...]`); the server parses
//! and checks them and names the field of any broken rule, which the form shows beside it.

use leptos::prelude::*;

use super::SiteCtx;
use super::forms::{Choice, FormButtons, FormErrors, Input, LastError, close_on_success};
use crate::api::site::{
    CreateBatteryPack, CreateInverter, CreateMeter, InverterForm, MeterForm, PackForm,
    UpdateBatteryPack, UpdateInverter, UpdateMeter,
};
use model::field::format_number;
use model::site::spec::{MeterType, PhaseType};
use model::site::tree::{BatteryPackNode, InverterNode, MeterNode};

/// (id, name) of the arrays a device may belong to.
pub(super) type Parents = Vec<(String, String)>;

fn choices(parents: &Parents) -> Vec<(String, String)> {
    parents
        .iter()
        .map(|(id, name)| (id.clone(), format!("{name} ({id})")))
        .collect()
}

fn number(value: Option<f64>) -> String {
    value.map(format_number).unwrap_or_default()
}

const INVERTER_FIELDS: &[&str] = &["id", "array_id", "name", "phase_type"];

/// The inverter's inputs (its id is the new form's own).
#[component]
fn InverterInputs(
    form: &'static str,
    values: InverterForm,
    arrays: Parents,
    error: LastError,
) -> AnyView {
    let mut phases = vec![(String::new(), "—".to_string())];
    phases.extend(PhaseType::ALL.map(|p| (p.as_str().to_string(), p.as_str().to_string())));
    view! {
        <Choice
            form
            name="form[array_id]"
            field="array_id"
            label="Inverter array"
            value=values.array_id
            options=choices(&arrays)
            error
        />
        <Input
            form
            name="form[name]"
            field="name"
            label="Name"
            value=values.name
            error
            required=true
        />
        <Input form name="form[model]" field="model" label="Model" value=values.model error />
        <Input
            form
            name="form[serial_number]"
            field="serial_number"
            label="Serial number"
            value=values.serial_number
            error
        />
        <Input form name="form[vendor]" field="vendor" label="Vendor" value=values.vendor error />
        <Choice
            form
            name="form[phase_type]"
            field="phase_type"
            label="Phases"
            value=values.phase_type
            options=phases
            error
        />
    }
    .into_any()
}

#[component]
pub(super) fn NewInverterForm(array_id: String, arrays: Parents, ctx: SiteCtx) -> AnyView {
    let create = ServerAction::<CreateInverter>::new();
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    close_on_success(create.value(), ctx);
    let values = InverterForm {
        array_id,
        ..InverterForm::default()
    };
    view! {
        <ActionForm action=create attr:class="edit-form edit-panel" attr:aria-label="New inverter">
            <Input
                form="new-inverter"
                name="id"
                field="id"
                label="Id"
                value=String::new()
                error
                required=true
            />
            <InverterInputs form="new-inverter" values arrays error />
            <FormErrors error fields=INVERTER_FIELDS what="inverter".to_string() ctx />
            <FormButtons label="Create" pending=create.pending().into() ctx />
        </ActionForm>
    }
    .into_any()
}

#[component]
pub(super) fn EditInverterForm(inverter: InverterNode, arrays: Parents, ctx: SiteCtx) -> AnyView {
    let update = ServerAction::<UpdateInverter>::new();
    let error = Signal::derive(move || update.value().get().and_then(Result::err));
    close_on_success(update.value(), ctx);
    let values = InverterForm {
        array_id: inverter.array_id,
        name: inverter.name,
        model: inverter.model.unwrap_or_default(),
        serial_number: inverter.serial_number.unwrap_or_default(),
        vendor: inverter.vendor.unwrap_or_default(),
        phase_type: inverter
            .phase_type
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
    };
    let label = format!("Edit inverter {}", inverter.id);
    view! {
        <ActionForm action=update attr:class="edit-form edit-panel" attr:aria-label=label>
            <input type="hidden" name="id" value=inverter.id />
            <input type="hidden" name="expected_version" value=inverter.version.to_string() />
            <InverterInputs form="edit-inverter" values arrays error />
            <FormErrors error fields=INVERTER_FIELDS what="inverter".to_string() ctx />
            <FormButtons label="Save" pending=update.pending().into() ctx />
        </ActionForm>
    }
    .into_any()
}

const PACK_FIELDS: &[&str] = &[
    "id",
    "battery_array_id",
    "name",
    "nominal_kwh",
    "max_charge_kw",
    "max_discharge_kw",
    "batteries",
    "cells_per_battery",
    "cell_nominal_voltage",
];

/// The pack's inputs (its id is the new form's own).
#[component]
fn PackInputs(form: &'static str, values: PackForm, arrays: Parents, error: LastError) -> AnyView {
    view! {
        <Choice
            form
            name="form[battery_array_id]"
            field="battery_array_id"
            label="Battery array"
            value=values.battery_array_id
            options=choices(&arrays)
            error
        />
        <Input
            form
            name="form[name]"
            field="name"
            label="Name"
            value=values.name
            error
            required=true
        />
        <Input
            form
            name="form[chemistry]"
            field="chemistry"
            label="Chemistry"
            value=values.chemistry
            error
        />
        <Input
            form
            name="form[nominal_kwh]"
            field="nominal_kwh"
            label="Capacity"
            unit="kWh"
            value=values.nominal_kwh
            error
        />
        <Input
            form
            name="form[max_charge_kw]"
            field="max_charge_kw"
            label="Max charge"
            unit="kW"
            value=values.max_charge_kw
            error
        />
        <Input
            form
            name="form[max_discharge_kw]"
            field="max_discharge_kw"
            label="Max discharge"
            unit="kW"
            value=values.max_discharge_kw
            error
        />
        <Input
            form
            name="form[batteries]"
            field="batteries"
            label="Batteries"
            unit="units"
            value=values.batteries
            error
            required=true
        />
        <Input
            form
            name="form[cells_per_battery]"
            field="cells_per_battery"
            label="Cells per battery"
            unit="cells"
            value=values.cells_per_battery
            error
            required=true
        />
        <Input
            form
            name="form[cell_nominal_voltage]"
            field="cell_nominal_voltage"
            label="Cell nominal"
            unit="V"
            value=values.cell_nominal_voltage
            error
        />
    }
    .into_any()
}

#[component]
pub(super) fn NewPackForm(battery_array_id: String, arrays: Parents, ctx: SiteCtx) -> AnyView {
    let create = ServerAction::<CreateBatteryPack>::new();
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    close_on_success(create.value(), ctx);
    let values = PackForm {
        battery_array_id,
        batteries: "1".into(),
        cells_per_battery: "16".into(),
        ..PackForm::default()
    };
    view! {
        <ActionForm
            action=create
            attr:class="edit-form edit-panel"
            attr:aria-label="New battery pack"
        >
            <Input
                form="new-pack"
                name="id"
                field="id"
                label="Id"
                value=String::new()
                error
                required=true
            />
            <PackInputs form="new-pack" values arrays error />
            <FormErrors error fields=PACK_FIELDS what="battery pack".to_string() ctx />
            <FormButtons label="Create" pending=create.pending().into() ctx />
        </ActionForm>
    }
    .into_any()
}

#[component]
pub(super) fn EditPackForm(pack: BatteryPackNode, arrays: Parents, ctx: SiteCtx) -> AnyView {
    let update = ServerAction::<UpdateBatteryPack>::new();
    let error = Signal::derive(move || update.value().get().and_then(Result::err));
    close_on_success(update.value(), ctx);
    let values = PackForm {
        battery_array_id: pack.battery_array_id,
        name: pack.name,
        chemistry: pack.chemistry.unwrap_or_default(),
        nominal_kwh: number(pack.nominal_kwh),
        max_charge_kw: number(pack.max_charge_kw),
        max_discharge_kw: number(pack.max_discharge_kw),
        batteries: pack.batteries_count.to_string(),
        cells_per_battery: pack.cells_per_battery.to_string(),
        cell_nominal_voltage: number(pack.cell_nominal_voltage),
    };
    let label = format!("Edit battery pack {}", pack.id);
    view! {
        <ActionForm action=update attr:class="edit-form edit-panel" attr:aria-label=label>
            <input type="hidden" name="id" value=pack.id />
            <input type="hidden" name="expected_version" value=pack.version.to_string() />
            <PackInputs form="edit-pack" values arrays error />
            <FormErrors error fields=PACK_FIELDS what="battery pack".to_string() ctx />
            <FormButtons label="Save" pending=update.pending().into() ctx />
        </ActionForm>
    }
    .into_any()
}

const METER_FIELDS: &[&str] = &["id", "array_id", "name", "meter_type"];

/// The meter's inputs (its id is the new form's own).
#[component]
fn MeterInputs(
    form: &'static str,
    values: MeterForm,
    arrays: Parents,
    error: LastError,
) -> AnyView {
    let mut levels = vec![(String::new(), "System level".to_string())];
    levels.extend(choices(&arrays));
    let mut types = vec![(String::new(), "—".to_string())];
    types.extend(MeterType::ALL.map(|t| (t.as_str().to_string(), t.as_str().to_string())));
    view! {
        <Input
            form
            name="form[name]"
            field="name"
            label="Name"
            value=values.name
            error
            required=true
        />
        <Choice
            form
            name="form[array_id]"
            field="array_id"
            label="Measures"
            value=values.array_id
            options=levels
            error
        />
        <Choice
            form
            name="form[meter_type]"
            field="meter_type"
            label="Type"
            value=values.meter_type
            options=types
            error
        />
        <Input form name="form[model]" field="model" label="Model" value=values.model error />
    }
    .into_any()
}

#[component]
pub(super) fn NewMeterForm(arrays: Parents, ctx: SiteCtx) -> AnyView {
    let create = ServerAction::<CreateMeter>::new();
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    close_on_success(create.value(), ctx);
    view! {
        <ActionForm action=create attr:class="edit-form edit-panel" attr:aria-label="New meter">
            <input type="hidden" name="system_id" value=ctx.system.get_value() />
            <Input
                form="new-meter"
                name="id"
                field="id"
                label="Id"
                value=String::new()
                error
                required=true
            />
            <MeterInputs form="new-meter" values=MeterForm::default() arrays error />
            <FormErrors error fields=METER_FIELDS what="meter".to_string() ctx />
            <FormButtons label="Create" pending=create.pending().into() ctx />
        </ActionForm>
    }
    .into_any()
}

#[component]
pub(super) fn EditMeterForm(meter: MeterNode, arrays: Parents, ctx: SiteCtx) -> AnyView {
    let update = ServerAction::<UpdateMeter>::new();
    let error = Signal::derive(move || update.value().get().and_then(Result::err));
    close_on_success(update.value(), ctx);
    let values = MeterForm {
        array_id: meter.array_id.unwrap_or_default(),
        name: meter.name,
        model: meter.model.unwrap_or_default(),
        meter_type: meter
            .meter_type
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
    };
    let label = format!("Edit meter {}", meter.id);
    view! {
        <ActionForm action=update attr:class="edit-form edit-panel" attr:aria-label=label>
            <input type="hidden" name="id" value=meter.id />
            <input type="hidden" name="expected_version" value=meter.version.to_string() />
            <MeterInputs form="edit-meter" values arrays error />
            <FormErrors error fields=METER_FIELDS what="meter".to_string() ctx />
            <FormButtons label="Save" pending=update.pending().into() ctx />
        </ActionForm>
    }
    .into_any()
}
