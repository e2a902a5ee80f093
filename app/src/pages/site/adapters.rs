//! Adapters on the Site page: each inverter's and meter's adapter and each pack's in failover
//! order (1st, 2nd) with their links, and the forms that add, change and delete them. An
//! adapter's configuration is edited through the form its type's JSON Schema generates
//! (`model::site::adapters::form`), checked as you type by the validator the server runs
//! (`ConfigValidator`, the jsonschema crate, asked through `check_adapter_config`: compiled into
//! the browser, its static data would sit in the main bundle, which `--split` cannot divide),
//! each problem beside its field with its JSON pointer and rule; Save waits until there is none.
//! Test connection reads the adapter's quantities once, before anything is saved.
//!
//! The type is in the URL (`type=`), like the form itself (`new=adapter&in=inverter:inv1`,
//! `edit=adapter:<id>`): choosing it is a plain GET form, so it works without JavaScript too.

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::delete::DeletePanel;
use super::forms::{FormErrors, Input, LastError, close_on_success};
use super::{Panel, SiteCtx, ordinal};
use crate::api::site::{
    CreateSiteAdapter, TestAdapterConnection, UpdateSiteAdapter, check_adapter_config,
};
use crate::components::error_view::ErrorPanel;
use model::error::AppError;
use model::field::format_number;
use model::site::adapters::form::{
    ConfigForm, FieldKind, FormField, Inputs, option_text, problem_field,
};
use model::site::adapters::{AdapterType, ConfigProblem};
use model::site::ids::adapter_id;
use model::site::live::Reading;
use model::site::spec::DeviceCategory;
use model::site::tree::{AdapterNode, EntityKind};

/// A device with its adapters (a pack's in failover order).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Device {
    pub kind: EntityKind,
    pub id: String,
    pub name: String,
    pub adapters: Vec<AdapterNode>,
}

impl Device {
    fn category(&self) -> DeviceCategory {
        match self.kind {
            EntityKind::BatteryPack => DeviceCategory::Battery,
            EntityKind::Meter => DeviceCategory::Meter,
            _ => DeviceCategory::Inverter,
        }
    }

    fn is_pack(&self) -> bool {
        self.kind == EntityKind::BatteryPack
    }

    /// `inverter:inv1`, the `in=` of a new adapter's form.
    fn target(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.id)
    }
}

/// An adapter in a few words: its type, and `off` when it is disabled.
pub(super) fn adapter_label(adapter: &AdapterNode) -> String {
    if adapter.enabled {
        adapter.adapter_type.clone()
    } else {
        format!("{} (off)", adapter.adapter_type)
    }
}

/// A device's adapters for its table cell, each with Edit and Delete, and Add adapter (a pack
/// may have several; an inverter or meter one).
#[component]
pub(super) fn AdapterCell(device: Device, ctx: SiteCtx) -> AnyView {
    let pack = device.is_pack();
    let can_add = ctx.can_edit && (pack || device.adapters.is_empty());
    let add_href = ctx.href(&[("new", "adapter"), ("in", &device.target())]);
    let items = device
        .adapters
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let place = pack.then(|| format!("{} ", ordinal(i + 1)));
            view! {
                <li>
                    <span class="adapter-place">{place}</span>
                    <span title=a.id.clone()>{adapter_label(a)}</span>
                    {ctx
                        .can_edit
                        .then(|| {
                            view! {
                                " "
                                <a
                                    href=ctx.row_href("edit", EntityKind::Adapter, &a.id)
                                    aria-label=format!("Edit adapter {}", a.id)
                                >
                                    "Edit"
                                </a>
                                " "
                                <a
                                    href=ctx.row_href("delete", EntityKind::Adapter, &a.id)
                                    aria-label=format!("Delete adapter {}", a.id)
                                >
                                    "Delete…"
                                </a>
                            }
                        })}
                </li>
            }
        })
        .collect_view();
    view! {
        <ul class="adapter-list">
            {items} {device.adapters.is_empty().then(|| view! { <li class="muted">"none"</li> })}
            {can_add
                .then(|| {
                    view! {
                        <li>
                            <a href=add_href aria-label=format!("Add adapter to {}", device.name)>
                                "Add adapter"
                            </a>
                        </li>
                    }
                })}
        </ul>
    }
    .into_any()
}

/// The adapter form or delete panel the URL opens for one of `devices`.
#[component]
pub(super) fn AdapterPanel(devices: Vec<Device>, ctx: SiteCtx) -> impl IntoView {
    let kind = EntityKind::Adapter;
    move || match ctx.panel.get() {
        Panel::New(k, target) if k == kind => {
            devices.iter().find(|d| d.target() == target).map(|device| {
                view! { <AdapterEditor device=device.clone() adapter=None ctx /> }.into_any()
            })
        }
        Panel::Edit(k, id) if k == kind => devices.iter().find_map(|device| {
            let adapter = device.adapters.iter().find(|a| a.id == id)?.clone();
            Some(
                view! { <AdapterEditor device=device.clone() adapter=Some(adapter) ctx /> }
                    .into_any(),
            )
        }),
        Panel::Delete(k, id) if k == kind => devices
            .iter()
            .any(|d| d.adapters.iter().any(|a| a.id == id))
            .then(|| view! { <DeletePanel kind id ctx /> }.into_any()),
        _ => None,
    }
}

/// Reads the adapter types (the page's resource, so the server renders the form too), then
/// shows the form.
#[component]
fn AdapterEditor(device: Device, adapter: Option<AdapterNode>, ctx: SiteCtx) -> AnyView {
    let query = use_query_map();
    let chosen = Memo::new(move |_| query.with(|q| q.get("type")));
    let title = match &adapter {
        Some(a) => format!("Edit adapter {}", a.id),
        None => format!("New adapter for {}", device.name),
    };
    view! {
        <div class="edit-panel adapter-panel" role="group" aria-label=title.clone()>
            <h4 class="adapter-panel-title">{title.clone()}</h4>
            <Suspense fallback=|| {
                view! { <p class="muted">"Reading the adapter types…"</p> }
            }>
                {move || {
                    let (device, adapter) = (device.clone(), adapter.clone());
                    Suspend::new(async move {
                        match ctx.adapter_types.await {
                            Ok(Some(types)) => {
                                view! { <AdapterTypeStep types device adapter chosen ctx /> }
                                    .into_any()
                            }
                            Ok(None) => {
                                // Only for a moment in the browser: the panel has just opened.
                                view! { <p class="muted">"Reading the adapter types…"</p> }
                                    .into_any()
                            }
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </div>
    }
    .into_any()
}

/// The type choice (a GET form: the type goes into the URL) and the form of the chosen type.
#[component]
fn AdapterTypeStep(
    types: Vec<AdapterType>,
    device: Device,
    adapter: Option<AdapterNode>,
    chosen: Memo<Option<String>>,
    ctx: SiteCtx,
) -> AnyView {
    let category = device.category();
    let serving: Vec<AdapterType> = types.into_iter().filter(|t| t.serves(category)).collect();
    // The URL's type, else the adapter's own, else the first this build can drive.
    let current = {
        let (serving, own) = (
            serving.clone(),
            adapter.as_ref().map(|a| a.adapter_type.clone()),
        );
        Memo::new(move |_| {
            chosen
                .get()
                .or_else(|| own.clone())
                .and_then(|t| serving.iter().find(|s| s.adapter_type == t && s.drivable))
                .or_else(|| serving.iter().find(|t| t.drivable))
                .cloned()
        })
    };
    let keep: Vec<(String, String)> = match &adapter {
        Some(a) => vec![("edit".into(), format!("adapter:{}", a.id))],
        None => vec![
            ("new".into(), "adapter".into()),
            ("in".into(), device.target()),
        ],
    };
    let selected = current.with_untracked(|t| t.as_ref().map(|t| t.adapter_type.clone()));
    view! {
        <TypeChooser types=serving current=selected keep ctx />
        {move || {
            let (device, adapter) = (device.clone(), adapter.clone());
            match current.get() {
                Some(adapter_type) => {
                    view! { <AdapterConfigForm adapter_type device adapter ctx /> }.into_any()
                }
                None => {
                    view! {
                        <p class="muted">
                            "No adapter type this build can drive serves this device."
                        </p>
                    }
                        .into_any()
                }
            }
        }}
    }
    .into_any()
}

/// The type select: non-drivable types are listed with their reason and cannot be chosen.
#[component]
fn TypeChooser(
    types: Vec<AdapterType>,
    current: Option<String>,
    keep: Vec<(String, String)>,
    ctx: SiteCtx,
) -> AnyView {
    let navigate = use_navigate();
    let href_for = {
        let keep = keep.clone();
        move |t: &str| {
            let mut params: Vec<(&str, &str)> =
                keep.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            params.push(("type", t));
            ctx.href(&params)
        }
    };
    let on_change = move |ev: leptos::ev::Event| {
        let t = event_target_value(&ev);
        navigate(&href_for(&t), Default::default());
    };
    let options = types
        .iter()
        .map(|t| {
            let label = if t.drivable {
                format!("{} — {}", t.adapter_type, t.name)
            } else {
                format!(
                    "{} — not drivable in this build: {}",
                    t.adapter_type,
                    t.not_drivable_reason.clone().unwrap_or_default()
                )
            };
            let selected = current.as_deref() == Some(t.adapter_type.as_str());
            view! {
                <option value=t.adapter_type.clone() disabled=!t.drivable selected=selected>
                    {label}
                </option>
            }
        })
        .collect_view();
    view! {
        <form method="get" action="/site" class="adapter-type-form">
            <input type="hidden" name="system" value=ctx.system.get_value() />
            {keep
                .into_iter()
                .map(|(k, v)| view! { <input type="hidden" name=k value=v /> })
                .collect_view()}
            <div class="field">
                <label class="field-label" for="adapter-type">
                    "Adapter type"
                </label>
                <select id="adapter-type" name="type" on:change=on_change>
                    {options}
                </select>
            </div>
            <button type="submit" class="button button-secondary button-small">
                "Show its settings"
            </button>
        </form>
    }
    .into_any()
}

const ADAPTER_FIELDS: &[&str] = &["id", "adapter_type", "name", "priority", "device_id"];

/// A problem in words with where and which rule: `1 is less than the minimum of 2 (minLength
/// at /serial_port)`.
fn describe(problem: &ConfigProblem) -> String {
    let at = if problem.pointer.is_empty() {
        "/"
    } else {
        &problem.pointer
    };
    format!("{} ({} at {at})", problem.message, problem.rule)
}

/// The server's message for config field `name` (a form posted without JavaScript is checked
/// there; its error names the field as `config/<pointer>`).
fn server_message(error: Option<&AppError>, name: &str) -> Option<String> {
    match error {
        Some(AppError::Validation { field, message })
            if field
                .strip_prefix("config")
                .and_then(problem_field)
                .as_deref()
                == Some(name) =>
        {
            Some(message.clone())
        }
        _ => None,
    }
}

/// The create or update form of an adapter of `adapter_type`.
#[component]
fn AdapterConfigForm(
    adapter_type: AdapterType,
    device: Device,
    adapter: Option<AdapterNode>,
    ctx: SiteCtx,
) -> AnyView {
    let kind = device.kind.as_str();
    match adapter {
        None => {
            let create = ServerAction::<CreateSiteAdapter>::new();
            let error = Signal::derive(move || create.value().get().and_then(Result::err));
            close_on_success(create.value(), ctx);
            let label = format!("New adapter for {}", device.name);
            let (device_id, id) = (
                device.id.clone(),
                adapter_id(&device.id, device.adapters.len()),
            );
            view! {
                <ActionForm
                    action=create
                    attr:class="edit-form adapter-form"
                    attr:aria-label=label
                    attr:novalidate=true
                >
                    <input type="hidden" name="device_kind" value=kind />
                    <input type="hidden" name="device_id" value=device_id />
                    <Input
                        form="adapter"
                        name="id"
                        field="id"
                        label="Id"
                        value=id
                        error
                        required=true
                    />
                    <AdapterFormBody
                        adapter_type
                        device
                        adapter=None
                        error
                        pending=create.pending().into()
                        save="Create"
                        ctx
                    />
                </ActionForm>
            }
            .into_any()
        }
        Some(adapter) => {
            let update = ServerAction::<UpdateSiteAdapter>::new();
            let error = Signal::derive(move || update.value().get().and_then(Result::err));
            close_on_success(update.value(), ctx);
            let label = format!("Edit adapter {}", adapter.id);
            let (id, version) = (adapter.id.clone(), adapter.version.to_string());
            view! {
                <ActionForm
                    action=update
                    attr:class="edit-form adapter-form"
                    attr:aria-label=label
                    attr:novalidate=true
                >
                    <input type="hidden" name="id" value=id />
                    <input type="hidden" name="expected_version" value=version />
                    <input type="hidden" name="device_kind" value=kind />
                    <AdapterFormBody
                        adapter_type
                        device
                        adapter=Some(adapter)
                        error
                        pending=update.pending().into()
                        save="Save"
                        ctx
                    />
                </ActionForm>
            }
            .into_any()
        }
    }
}

/// The server validator's answer for the form's configuration, asked again whenever it changes.
/// An effect (browser only), not a resource: a resource read inside the panel's Suspense would
/// hold the server-rendered page at its fallback, and an adapter form opened without JavaScript
/// showed only "Reading the adapter types…". Only the answer to the latest question is kept.
fn server_check(
    adapter_type: String,
    read: Memo<(serde_json::Value, Vec<ConfigProblem>)>,
) -> ReadSignal<Option<Result<Vec<ConfigProblem>, AppError>>> {
    let (answer, set_answer) = signal(None);
    let asked = StoredValue::new(0_u64);
    Effect::new(move |_| {
        let config = read.with(|(config, _)| config.to_string());
        let adapter_type = adapter_type.clone();
        asked.update_value(|n| *n += 1);
        let question = asked.get_value();
        leptos::task::spawn_local(async move {
            let result = check_adapter_config(adapter_type, config).await;
            // The form may have closed meanwhile: then there is nobody to tell.
            if asked.try_get_value() == Some(question) {
                set_answer.try_set(Some(result));
            }
        });
    });
    answer
}

/// The form's own inputs (name; a pack's priority and enabled), the generated configuration
/// fields checked as you type, Test connection and Save.
#[component]
fn AdapterFormBody(
    adapter_type: AdapterType,
    device: Device,
    adapter: Option<AdapterNode>,
    error: LastError,
    pending: Signal<bool>,
    save: &'static str,
    ctx: SiteCtx,
) -> AnyView {
    let form = Arc::new(ConfigForm::from_schema(&adapter_type.config_schema));
    let start = adapter
        .as_ref()
        .filter(|a| a.adapter_type == adapter_type.adapter_type)
        .map_or(&adapter_type.default_config, |a| &a.config);
    let inputs = RwSignal::new(form.inputs(start));
    // The inputs as a configuration (and what cannot be read as one), then the server's
    // validator on it, asked again whenever it changes (in the browser only: the server renders
    // the form before any answer, as the browser's first paint does).
    let read = {
        let form = form.clone();
        Memo::new(move |_| inputs.with(|i| form.config(i)))
    };
    let checked = server_check(adapter_type.adapter_type.clone(), read);
    let problems = Memo::new(move |_| {
        let mut found = read.with(|(_, unreadable)| unreadable.clone());
        match checked.get() {
            Some(Ok(server)) => found.extend(server),
            Some(Err(error)) => found.push(ConfigProblem {
                pointer: String::new(),
                rule: "server".into(),
                message: error.plain(),
            }),
            None => {}
        }
        found
    });
    let general = {
        let form = form.clone();
        Memo::new(move |_| {
            problems.with(|ps| {
                ps.iter()
                    .filter(|p| problem_field(&p.pointer).is_none_or(|f| form.field(&f).is_none()))
                    .map(describe)
                    .collect::<Vec<_>>()
            })
        })
    };
    let other_error = Signal::derive(move || {
        error.get().filter(
            |e| !matches!(e, AppError::Validation { field, .. } if field.starts_with("config")),
        )
    });
    let pack = device.is_pack();
    let priority = adapter.as_ref().map_or_else(
        || {
            device
                .adapters
                .iter()
                .map(|a| a.priority)
                .max()
                .map_or(1, |p| p + 1)
        },
        |a| a.priority,
    );
    let enabled = adapter.as_ref().is_none_or(|a| a.enabled);
    let name = adapter
        .as_ref()
        .and_then(|a| a.name.clone())
        .unwrap_or_default();
    let fields = form
        .fields
        .iter()
        .map(|field| {
            view! { <ConfigField field=field.clone() form=form.clone() inputs problems error /> }
        })
        .collect_view();
    let blocked = Signal::derive(move || pending.get() || problems.with(|p| !p.is_empty()));
    view! {
        <input type="hidden" name="form[adapter_type]" value=adapter_type.adapter_type.clone() />
        <Input form="adapter" name="form[name]" field="name" label="Name" value=name error />
        {pack
            .then(|| {
                view! {
                    <Input
                        form="adapter"
                        name="form[priority]"
                        field="priority"
                        label="Priority (1 = 1st, lower wins)"
                        value=priority.to_string()
                        error
                    />
                    <div class="field field-check">
                        <span class="field-label">"Failover"</span>
                        <label>
                            <input type="checkbox" name="form[enabled]" checked=enabled />
                            " Enabled"
                        </label>
                    </div>
                }
            })}
        <p class="field-wide adapter-type-help muted">{adapter_type.description.clone()}</p>
        {fields}
        <ul class="field-wide field-error adapter-general-problems" aria-live="polite">
            {move || general.get().into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
        </ul>
        <TestConnection adapter_type=adapter_type.adapter_type.clone() form inputs problems />
        <FormErrors error=other_error fields=ADAPTER_FIELDS what="adapter".to_string() ctx />
        <div class="field-actions field-wide">
            <button type="submit" class="button" disabled=move || blocked.get()>
                {save}
            </button>
            <a class="button button-secondary" href=ctx.close_href()>
                "Cancel"
            </a>
            <span class="muted adapter-save-hint">
                {move || {
                    problems
                        .with(|p| !p.is_empty())
                        .then_some("Save waits until the settings are valid.")
                }}
            </span>
        </div>
    }
    .into_any()
}

/// One generated field: its input by kind, label (marked when required now), help, and the
/// problems whose pointer falls in it, as you type (or the server's, without JavaScript).
#[component]
fn ConfigField(
    field: FormField,
    form: Arc<ConfigForm>,
    inputs: RwSignal<Inputs>,
    problems: Memo<Vec<ConfigProblem>>,
    error: LastError,
) -> AnyView {
    let name = field.name.clone();
    let id = format!("adapter-config-{name}");
    let error_id = format!("{id}-error");
    let help_id = format!("{id}-help");
    let shown = {
        let (form, name) = (form.clone(), name.clone());
        Memo::new(move |_| inputs.with(|i| form.shown(&name, i)))
    };
    let required = {
        let (form, name) = (form.clone(), name.clone());
        Memo::new(move |_| inputs.with(|i| form.required(&name, i)))
    };
    let messages = {
        let name = name.clone();
        Memo::new(move |_| {
            let found: Vec<String> = problems.with(|ps| {
                ps.iter()
                    .filter(|p| problem_field(&p.pointer).as_deref() == Some(name.as_str()))
                    .map(describe)
                    .collect()
            });
            if found.is_empty() {
                error
                    .with(|e| server_message(e.as_ref(), &name))
                    .unwrap_or_default()
            } else {
                found.join(" · ")
            }
        })
    };
    let initial = inputs.with_untracked(|i| i.get(&name).cloned().unwrap_or_default());
    let set = {
        let name = name.clone();
        move |text: String| {
            inputs.update(|i| {
                i.insert(name.clone(), text);
            })
        }
    };
    let input_name = format!("form[config][{name}]");
    let invalid = move || (!messages.with(String::is_empty)).to_string();
    let described = format!("{error_id} {help_id}");
    let wide = field.kind == FieldKind::Json;
    let control = match field.kind.clone() {
        FieldKind::Choice { options } => {
            let blank = (!field.required && field.default.is_none())
                .then(|| view! { <option value="">"—"</option> });
            let options = options
                .iter()
                .map(|o| {
                    let text = option_text(o);
                    let selected = text == initial;
                    view! {
                        <option value=text.clone() selected=selected>
                            {text.clone()}
                        </option>
                    }
                })
                .collect_view();
            view! {
                <select
                    id=id.clone()
                    name=input_name
                    aria-describedby=described
                    aria-invalid=invalid
                    on:change=move |ev| set(event_target_value(&ev))
                >
                    {blank}
                    {options}
                </select>
            }
            .into_any()
        }
        FieldKind::Integer { minimum, maximum } | FieldKind::Number { minimum, maximum } => {
            let step = if matches!(field.kind, FieldKind::Integer { .. }) {
                "1"
            } else {
                "any"
            };
            view! {
                <input
                    type="number"
                    class="num"
                    id=id.clone()
                    name=input_name
                    value=initial
                    min=minimum.map(format_number)
                    max=maximum.map(format_number)
                    step=step
                    required=move || required.get()
                    aria-describedby=described
                    aria-invalid=invalid
                    on:input=move |ev| set(event_target_value(&ev))
                />
            }
            .into_any()
        }
        FieldKind::Text {
            min_length,
            max_length,
            pattern,
        } => view! {
            <input
                type="text"
                id=id.clone()
                name=input_name
                value=initial
                minlength=min_length.map(|n| n.to_string())
                maxlength=max_length.map(|n| n.to_string())
                pattern=pattern
                required=move || required.get()
                autocomplete="off"
                spellcheck="false"
                aria-describedby=described
                aria-invalid=invalid
                on:input=move |ev| set(event_target_value(&ev))
            />
        }
        .into_any(),
        FieldKind::Checkbox => view! {
            <input
                type="checkbox"
                id=id.clone()
                name=input_name
                checked=initial == "on"
                aria-describedby=described
                on:change=move |ev| set(
                    if event_target_checked(&ev) { "on".into() } else { String::new() },
                )
            />
        }
        .into_any(),
        FieldKind::Json => view! {
            <textarea
                id=id.clone()
                name=input_name
                class="mono"
                rows="6"
                spellcheck="false"
                aria-describedby=described
                aria-invalid=invalid
                on:input=move |ev| set(event_target_value(&ev))
            >
                {initial}
            </textarea>
        }
        .into_any(),
    };
    let json_note = wide.then_some(" (JSON)");
    view! {
        <div
            class="field adapter-field"
            class:field-wide=wide
            hidden=move || !shown.get()
            data-field=name.clone()
        >
            <label class="field-label" for=id>
                {field.label.clone()}
                {json_note}
                {move || {
                    required
                        .get()
                        .then(|| {
                            view! {
                                <span class="required-mark" title="required">
                                    " *"
                                </span>
                            }
                        })
                }}
            </label>
            {control}
            <span id=help_id class="field-help">
                {field.help.clone()}
            </span>
            <span id=error_id class="field-error" aria-live="polite">
                {move || messages.get()}
            </span>
        </div>
    }
    .into_any()
}

/// "Test connection": reads each quantity of the adapter the form describes once (nothing is
/// saved or written to the device) and lists the values with their units, or says what failed.
#[component]
fn TestConnection(
    adapter_type: String,
    form: Arc<ConfigForm>,
    inputs: RwSignal<Inputs>,
    problems: Memo<Vec<ConfigProblem>>,
) -> AnyView {
    let test = ServerAction::<TestAdapterConnection>::new();
    let run = move |_| {
        let config = inputs.with_untracked(|i| form.config(i).0);
        test.dispatch(TestAdapterConnection {
            adapter_type: adapter_type.clone(),
            config: config.to_string(),
        });
    };
    let pending = test.pending();
    view! {
        <div class="field-wide adapter-test" aria-label="Test connection" role="group">
            <div class="adapter-test-head">
                <button
                    type="button"
                    class="button button-secondary"
                    on:click=run
                    disabled=move || pending.get() || problems.with(|p| !p.is_empty())
                >
                    "Test connection"
                </button>
                <span class="muted adapter-test-status" aria-live="polite">
                    {move || pending.get().then_some("Reading each quantity once…")}
                </span>
            </div>
            {move || {
                test.value()
                    .get()
                    .map(|result| match result {
                        Ok(readings) => view! { <TestReadings readings /> }.into_any(),
                        Err(error) => {
                            view! {
                                <p class="adapter-test-error" role="alert">
                                    {error.plain()}
                                </p>
                            }
                                .into_any()
                        }
                    })
            }}
        </div>
    }
    .into_any()
}

#[component]
fn TestReadings(readings: Vec<Reading>) -> AnyView {
    if readings.is_empty() {
        return view! { <p class="muted">"The device answered; the adapter reads no quantity."</p> }
            .into_any();
    }
    view! {
        <table class="data-table adapter-test-readings" aria-label="Values read">
            <thead>
                <tr>
                    <th scope="col">"Quantity"</th>
                    <th scope="col" class="num">
                        "Value"
                    </th>
                </tr>
            </thead>
            <tbody>
                {readings
                    .into_iter()
                    .map(|r| {
                        let what = match r.index {
                            Some(i) => format!("{} [{i}]", r.quantity),
                            None => r.quantity.to_string(),
                        };
                        let value = r
                            .value
                            .map_or_else(
                                || "not implemented".to_string(),
                                |v| {
                                    format!("{} {}", format_number(v), r.unit.symbol())
                                        .trim_end()
                                        .to_string()
                                },
                            );
                        view! {
                            <tr>
                                <th scope="row" class="mono">
                                    {what}
                                </th>
                                <td class="num">{value}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
