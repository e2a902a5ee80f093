//! The Site page (`/site?system=<id>`): one system's structure as seed 002 §1 draws it, inverter
//! arrays with their inverters, battery arrays with their packs, batteries and (on demand)
//! cells, meters at system or array level, each row's adapters (a pack's in failover order) and
//! each battery array's attachment with its history. Rows are created, changed, attached and
//! deleted (after a preview of what goes with them) through forms.
//!
//! Everything the page shows is in the URL: the system, the one open form (`new=`, `edit=`,
//! `delete=`, `attach=`) and the pack whose cells are listed (`cells=`), so the page reads and its
//! forms open without JavaScript, and a view can be shared. This module owns the page, its URL
//! state and the formatting its parts share; each part has its own file.

mod adapters;
mod attachments;
mod batteries;
mod delete;
mod device_forms;
mod forms;
mod inverters;
mod live;
mod meters;
mod selector;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::site::{SiteOverview, get_adapter_types, get_site, get_site_live};
use crate::components::access::allowed;
use crate::components::error_view::ErrorPanel;
use crate::components::refresh::refresh_every;
use crate::pages::registry::encode_component;
use batteries::BatteryArrays;
use inverters::InverterArrays;
use live::{LIVE_REFRESH, LiveStates};
use model::site::adapters::AdapterType;

/// The adapter types as `get_adapter_types` answers them, read only while an adapter form is open.
type AdapterTypes = Resource<Result<Option<Vec<AdapterType>>, AppError>>;
use meters::Meters;
use model::auth::Permission;
use model::error::AppError;
use model::field::format_number;
use model::site::tree::{EntityKind, SiteTree};
use selector::SystemBar;

/// The one form the page has open, as the URL says.
#[derive(Clone, Debug, PartialEq)]
enum Panel {
    None,
    /// `new=<kind>&in=<parent>`: a new row of `kind` (in `parent`).
    New(EntityKind, String),
    /// `edit=<kind>:<id>`
    Edit(EntityKind, String),
    /// `delete=<kind>:<id>`: the delete preview and its confirmation.
    Delete(EntityKind, String),
    /// `attach=<battery array>`: attach or re-attach it.
    Attach(String),
}

impl Panel {
    /// Whether it is an adapter's form (which needs the adapter types and their schemas).
    fn shows_adapter_form(&self) -> bool {
        matches!(
            self,
            Panel::New(EntityKind::Adapter, _) | Panel::Edit(EntityKind::Adapter, _)
        )
    }

    /// The panel of the query whose parameters `get` reads.
    fn from_query(get: impl Fn(&str) -> Option<String>) -> Panel {
        let kind_and_id = |key: &str| {
            let value = get(key)?;
            let (kind, id) = value.split_once(':')?;
            Some((EntityKind::parse(kind)?, id.to_string()))
        };
        if let Some(kind) = get("new").and_then(|k| EntityKind::parse(&k)) {
            return Panel::New(kind, get("in").unwrap_or_default());
        }
        if let Some((kind, id)) = kind_and_id("edit") {
            return Panel::Edit(kind, id);
        }
        if let Some((kind, id)) = kind_and_id("delete") {
            return Panel::Delete(kind, id);
        }
        get("attach").map_or(Panel::None, Panel::Attach)
    }
}

/// What every part of the page reaches: the system shown, the open form, the pack whose cells
/// are listed, and what to do after a write succeeded.
#[derive(Clone, Copy)]
struct SiteCtx {
    system: StoredValue<String>,
    panel: Memo<Panel>,
    cells: Memo<Option<String>>,
    /// Reads the tree again (an open form then shows the rows as they are now).
    reload: Callback<()>,
    /// Reads the tree again and closes the form.
    done: Callback<()>,
    /// The devices' live states (refreshed every `LIVE_REFRESH`).
    live: LiveStates,
    /// The adapter types, read while an adapter form is open (none otherwise).
    adapter_types: AdapterTypes,
    /// Whether the signed-in role may edit the site: without it no edit link or form shows
    /// (the server refuses the change anyway).
    can_edit: bool,
}

impl SiteCtx {
    /// The page for this system with `params` added (`&[("edit", "inverter:inv1")]`).
    fn href(&self, params: &[(&str, &str)]) -> String {
        let mut url = format!(
            "/site?system={}",
            encode_component(&self.system.get_value())
        );
        for (key, value) in params {
            url.push_str(&format!("&{key}={}", encode_component(value)));
        }
        url
    }

    /// The page with the form open for `kind` `id` (`edit`, `delete`).
    fn row_href(&self, action: &str, kind: EntityKind, id: &str) -> String {
        self.href(&[(action, &format!("{}:{id}", kind.as_str()))])
    }

    /// The page with no form open (the listed cells stay).
    fn close_href(&self) -> String {
        match self.cells.get_untracked() {
            Some(pack) => self.href(&[("cells", &pack)]),
            None => self.href(&[]),
        }
    }

    fn is(&self, panel: &Panel) -> bool {
        self.panel.with(|p| p == panel)
    }
}

#[component]
pub fn SitePage() -> AnyView {
    let query = use_query_map();
    let system = Memo::new(move |_| query.with(|q| q.get("system").filter(|s| !s.is_empty())));
    let can_edit = allowed(Permission::EditSite);
    // A form's address opened by a role that may not edit opens no form.
    let panel = Memo::new(move |_| {
        if can_edit {
            query.with(|q| Panel::from_query(|key| q.get(key)))
        } else {
            Panel::None
        }
    });
    let cells = Memo::new(move |_| query.with(|q| q.get("cells")));
    let site = Resource::new(move || system.get(), get_site);
    // Made here, beside the tree, so the server waits for it too: a page read without
    // JavaScript shows every device's state.
    let live = Resource::new(move || system.get(), get_site_live);
    refresh_every(LIVE_REFRESH, move || live.refetch());
    // Here too, for the same reason: a resource first made inside the tree's view is not waited
    // for, and an adapter form opened from its URL without JavaScript showed only "Reading…".
    let adapter_types = Resource::new(
        move || panel.with(Panel::shows_adapter_form),
        |wanted| async move {
            if wanted {
                get_adapter_types().await.map(Some)
            } else {
                Ok(None)
            }
        },
    );
    view! {
        <Title text="Site" />
        <section class="page page-wide site-page" aria-labelledby="site-title">
            <Transition fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match site.await {
                        Ok(overview) => {
                            let reload = Callback::new(move |()| site.refetch());
                            view! { <SiteView overview panel cells reload live adapter_types /> }
                                .into_any()
                        }
                        Err(error) => view! { <SiteError error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

/// The page header and the error (a system that does not exist answers 404).
#[component]
fn SiteError(error: AppError) -> AnyView {
    #[cfg(feature = "ssr")]
    if matches!(error, AppError::NotFound(_))
        && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
    {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <header class="page-header">
            <h1 id="site-title">"Site"</h1>
            <a class="button button-secondary" href="/site">
                "Show the first system"
            </a>
        </header>
        <ErrorPanel error />
    }
    .into_any()
}

/// The system bar and the system's tree, or a note when the site has no system.
#[component]
fn SiteView(
    overview: SiteOverview,
    panel: Memo<Panel>,
    cells: Memo<Option<String>>,
    reload: Callback<()>,
    live: LiveStates,
    adapter_types: AdapterTypes,
) -> AnyView {
    let Some(tree) = overview.tree else {
        return view! {
            <header class="page-header">
                <h1 id="site-title">"Site"</h1>
            </header>
            <p class="empty-state">
                "The site has no system yet. An engineer imports a config.yaml "
                <a href="/site/import">"here"</a> ", with " <code>"powerdeck site import"</code>
                " or with POST /api/v1/site/import."
            </p>
        }
        .into_any();
    };
    let system = StoredValue::new(tree.system.id.clone());
    let navigate = use_navigate();
    let done = Callback::new(move |()| {
        reload.run(());
        let ctx_cells = cells.get_untracked();
        let mut url = format!("/site?system={}", encode_component(&system.get_value()));
        if let Some(pack) = ctx_cells {
            url.push_str(&format!("&cells={}", encode_component(&pack)));
        }
        navigate(&url, Default::default());
    });
    let ctx = SiteCtx {
        system,
        panel,
        cells,
        reload,
        done,
        live,
        adapter_types,
        can_edit: allowed(Permission::EditSite),
    };
    view! {
        <Title text=format!("Site · {}", tree.system.name) />
        <SystemBar systems=overview.systems system=tree.system.clone() />
        <SiteSections tree ctx />
    }
    .into_any()
}

/// The three parts of the tree: inverter arrays, battery arrays, meters.
#[component]
fn SiteSections(tree: SiteTree, ctx: SiteCtx) -> AnyView {
    let arrays: Vec<(String, String)> = tree
        .inverter_arrays
        .iter()
        .map(|a| (a.id.clone(), a.name.clone()))
        .collect();
    let battery_arrays: Vec<(String, String)> = tree
        .battery_arrays
        .iter()
        .map(|a| (a.id.clone(), a.name.clone()))
        .collect();
    view! {
        <InverterArrays
            arrays=tree.inverter_arrays.clone()
            meters=tree.meters.clone()
            battery_arrays=battery_arrays.clone()
            ctx
        />
        <BatteryArrays
            arrays=tree.battery_arrays
            attachments=tree.attachments
            inverter_arrays=arrays.clone()
            ctx
        />
        <Meters meters=tree.meters arrays ctx />
    }
    .into_any()
}

/// A quantity with its unit for a table cell (`10.24 kWh`), or a dash when there is none.
fn quantity(value: Option<f64>, unit: &str) -> String {
    value.map_or_else(|| "—".into(), |v| format!("{} {unit}", format_number(v)))
}

/// A text for a table cell, or a dash when there is none.
fn text(value: Option<&str>) -> String {
    value.filter(|v| !v.is_empty()).unwrap_or("—").to_string()
}

/// `1st`, `2nd`, `3rd`, `4th`, … `11th`, `21st`: a place in a failover order.
fn ordinal(place: usize) -> String {
    let suffix = match (place % 10, place % 100) {
        (1, n) if n != 11 => "st",
        (2, n) if n != 12 => "nd",
        (3, n) if n != 13 => "rd",
        _ => "th",
    };
    format!("{place}{suffix}")
}

/// "1 inverter", "3 inverters".
fn counted(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// A row kind's label in the plural: `inverters`, `batteries`, `battery arrays`.
fn plural(label: &str) -> String {
    let consonant_y =
        label.ends_with('y') && !label[..label.len() - 1].ends_with(['a', 'e', 'i', 'o', 'u']);
    match label.strip_suffix('y') {
        Some(stem) if consonant_y => format!("{stem}ies"),
        _ => format!("{label}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_and_counts_read_as_words() {
        let places: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22].map(ordinal).into();
        assert_eq!(
            places,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd"
            ]
        );
        assert_eq!(counted(1, "pack", "packs"), "1 pack");
        assert_eq!(counted(0, "pack", "packs"), "0 packs");
        assert_eq!(quantity(Some(10.24), "kWh"), "10.24 kWh");
        assert_eq!(quantity(None, "kW"), "—");
        assert_eq!(plural("battery"), "batteries");
        assert_eq!(plural("battery array"), "battery arrays");
        assert_eq!(plural("cell"), "cells");
    }

    #[test]
    fn the_open_form_comes_from_the_url() {
        let query = |pairs: &[(&str, &str)]| {
            Panel::from_query(|key| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| (*v).to_string())
            })
        };
        assert_eq!(query(&[]), Panel::None);
        assert_eq!(
            query(&[("edit", "inverter:inv1")]),
            Panel::Edit(EntityKind::Inverter, "inv1".into())
        );
        assert_eq!(
            query(&[("new", "inverter"), ("in", "array1")]),
            Panel::New(EntityKind::Inverter, "array1".into())
        );
        assert_eq!(
            query(&[("delete", "battery_pack:p1")]),
            Panel::Delete(EntityKind::BatteryPack, "p1".into())
        );
        assert_eq!(query(&[("attach", "ba1")]), Panel::Attach("ba1".into()));
        assert_eq!(query(&[("edit", "bogus:x")]), Panel::None);
    }
}
