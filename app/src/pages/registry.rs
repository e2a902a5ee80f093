//! The Registry page: a server-filtered, paginated table of variables with search, category
//! chips, locator facets and an access-type filter. Every filter lives in the URL, so views can be
//! shared, the back button works, and it all works without JavaScript.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use model::auth::Permission;

use crate::api::registry::{RegistryListing, list_registry};
use crate::components::access::IfAllowed;
use crate::components::error_view::ErrorPanel;
use crate::components::live_stream::follow_live;
use model::field::{LiveValue, format_age, format_number, format_values};
use model::registry::{AccessType, Category, FacetCount, Variable, VariableQuery};

pub const PER_PAGE: u64 = 50;

/// The list filters encoded in a Registry URL.
pub fn query_from_params(params: &ParamsMap) -> VariableQuery {
    let text = |key: &str| {
        params
            .get(key)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    VariableQuery {
        category: text("category").and_then(|c| Category::parse(&c)),
        locator: text("locator"),
        q: text("q"),
        access_type: text("access_type").and_then(|a| AccessType::parse(&a)),
        page: text("page")
            .and_then(|p| p.parse().ok())
            .filter(|p| *p >= 1),
        per_page: Some(PER_PAGE),
        ..VariableQuery::default()
    }
}

/// Percent-encodes a query-string value (RFC 3986 unreserved characters stay as they are).
pub fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The Registry URL that shows `query`.
pub fn registry_url(query: &VariableQuery) -> String {
    let mut parts = Vec::new();
    if let Some(q) = &query.q {
        parts.push(format!("q={}", encode_component(q)));
    }
    if let Some(category) = query.category {
        parts.push(format!("category={category}"));
    }
    if let Some(locator) = &query.locator {
        parts.push(format!("locator={}", encode_component(locator)));
    }
    if let Some(access_type) = query.access_type {
        parts.push(format!("access_type={access_type}"));
    }
    if let Some(page) = query.page.filter(|p| *p > 1) {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() {
        "/registry".to_string()
    } else {
        format!("/registry?{}", parts.join("&"))
    }
}

#[component]
pub fn RegistryPage() -> AnyView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(query_from_params));
    let listing = Resource::new(move || query.get(), list_registry);
    view! {
        <Title text="Registry" />
        <section class="page page-wide" aria-labelledby="registry-title">
            <header class="page-header">
                <div>
                    <h1 id="registry-title">"Variable registry"</h1>
                    <p class="muted">"Every site variable, its units, locator and access paths."</p>
                </div>
                <div class="page-actions">
                    <IfAllowed permission=Permission::EditRegistry>
                        <a class="button" href="/registry/new">
                            "New variable"
                        </a>
                    </IfAllowed>
                    <a class="button button-secondary" href="/registry/import">
                        "Import / export"
                    </a>
                </div>
            </header>
            <Transition fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    let query = query.get();
                    match listing.await {
                        Ok(listing) => view! { <RegistryView listing query /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

/// One page of the registry: search form, category chips, locator facets, the table and pager.
#[component]
fn RegistryView(listing: RegistryListing, query: VariableQuery) -> AnyView {
    let page = listing.page.clone();
    // The page number comes back from the URL unchecked above 1: saturating arithmetic keeps a
    // huge one from overflowing.
    let skipped = page.page.saturating_sub(1).saturating_mul(page.per_page);
    let first = if page.total == 0 {
        0
    } else {
        skipped.saturating_add(1)
    };
    let last = skipped
        .saturating_add(page.items.len() as u64)
        .min(page.total);
    let pages = page.total.div_ceil(page.per_page.max(1)).max(1);
    let live = live_values_of(&listing);
    view! {
        <SearchForm query=query.clone() />
        <CategoryChips categories=listing.categories.clone() query=query.clone() />
        <div class="registry-layout">
            <LocatorFacets locators=listing.locators.clone() query=query.clone() />
            <div class="registry-results">
                <p class="result-summary muted" aria-live="polite">
                    {if page.total == 0 {
                        "No variables match these filters.".to_string()
                    } else {
                        format!(
                            "{first}–{last} of {} variables · system version {}",
                            page.total,
                            listing.system_version,
                        )
                    }}
                </p>
                <VariableTable items=page.items.clone() live not_polled=not_polled_of(&listing) />
                <Pager current=page.page pages query />
            </div>
        </div>
    }
    .into_any()
}

/// The category chips ("All" first), each a link that keeps the other filters.
#[component]
fn CategoryChips(categories: Vec<FacetCount>, query: VariableQuery) -> AnyView {
    let total_all: u64 = categories.iter().map(|c| c.count).sum();
    view! {
        <nav class="chips" aria-label="Categories">
            <a
                class="chip"
                href=registry_url(
                    &VariableQuery {
                        category: None,
                        page: None,
                        locator: None,
                        ..query.clone()
                    },
                )
                aria-current=query.category.is_none().then_some("true")
            >
                "All "
                <span class="chip-count">{total_all}</span>
            </a>
            {categories
                .iter()
                .map(|facet| {
                    let category = Category::parse(&facet.value);
                    let href = registry_url(
                        &VariableQuery {
                            category,
                            page: None,
                            locator: None,
                            ..query.clone()
                        },
                    );
                    let label = category.map_or(facet.value.clone(), |c| c.label().to_string());
                    view! {
                        <a
                            class="chip"
                            href=href
                            aria-current=(query.category == category).then_some("true")
                        >
                            {label}
                            " "
                            <span class="chip-count">{facet.count}</span>
                        </a>
                    }
                })
                .collect_view()}
        </nav>
    }
    .into_any()
}

/// The locator facets; the selected one links back to no locator filter.
#[component]
fn LocatorFacets(locators: Vec<FacetCount>, query: VariableQuery) -> AnyView {
    view! {
        <aside class="facets" aria-label="Locators">
            <h2 class="facet-title">"Locators"</h2>
            <ul>
                {locators
                    .iter()
                    .map(|facet| {
                        let selected = query.locator.as_deref() == Some(facet.value.as_str());
                        let href = registry_url(
                            &VariableQuery {
                                locator: if selected { None } else { Some(facet.value.clone()) },
                                page: None,
                                ..query.clone()
                            },
                        );
                        view! {
                            <li>
                                <a href=href aria-current=selected.then_some("true") class="facet">
                                    <span class="mono facet-value">{facet.value.clone()}</span>
                                    <span class="facet-count num">{facet.count}</span>
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </aside>
    }
    .into_any()
}

/// Previous / next links around "Page n of m".
#[component]
fn Pager(current: u64, pages: u64, query: VariableQuery) -> AnyView {
    view! {
        <nav class="pager" aria-label="Pages">
            {(current > 1)
                .then(|| {
                    view! {
                        <a
                            class="button button-secondary"
                            rel="prev"
                            href=registry_url(
                                &VariableQuery {
                                    page: Some(current - 1),
                                    ..query.clone()
                                },
                            )
                        >
                            "← Previous"
                        </a>
                    }
                })}
            <span class="muted">{format!("Page {current} of {pages}")}</span>
            {(current < pages)
                .then(|| {
                    view! {
                        <a
                            class="button button-secondary"
                            rel="next"
                            href=registry_url(
                                &VariableQuery {
                                    page: Some(current + 1),
                                    ..query.clone()
                                },
                            )
                        >
                            "Next →"
                        </a>
                    }
                })}
        </nav>
    }
    .into_any()
}

/// Search and filter form: a plain GET form, so it also works without JavaScript.
#[component]
fn SearchForm(query: VariableQuery) -> AnyView {
    view! {
        <form class="filter-bar" method="get" action="/registry" role="search">
            <label class="field field-grow">
                <span class="field-label">"Search"</span>
                <input
                    type="search"
                    name="q"
                    value=query.q.clone().unwrap_or_default()
                    placeholder="Name, display name or description"
                />
            </label>
            <label class="field">
                <span class="field-label">"Category"</span>
                <select name="category">
                    <option value="" selected=query.category.is_none()>
                        "All"
                    </option>
                    {Category::ALL
                        .iter()
                        .map(|c| {
                            view! {
                                <option value=c.as_str() selected=query.category == Some(*c)>
                                    {c.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <label class="field">
                <span class="field-label">"Access"</span>
                <select name="access_type">
                    <option value="" selected=query.access_type.is_none()>
                        "Any"
                    </option>
                    {AccessType::ALL
                        .iter()
                        .map(|a| {
                            view! {
                                <option value=a.as_str() selected=query.access_type == Some(*a)>
                                    {a.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <label class="field">
                <span class="field-label">"Locator"</span>
                <input
                    type="text"
                    name="locator"
                    value=query.locator.clone().unwrap_or_default()
                    placeholder="rbms.rack[*]"
                    class="mono"
                />
            </label>
            <div class="field-actions">
                <button type="submit" class="button">
                    "Search"
                </button>
                <a class="button button-secondary" href="/registry">
                    "Clear"
                </a>
            </div>
        </form>
    }
    .into_any()
}

/// The page's live values: as rendered by the server, then kept current in the browser by the
/// live stream (the table rows stay; only the value cells change).
fn live_values_of(listing: &RegistryListing) -> RwSignal<HashMap<String, LiveValue>> {
    let by_name = |values: Vec<LiveValue>| -> HashMap<String, LiveValue> {
        values.into_iter().map(|v| (v.name.clone(), v)).collect()
    };
    let live = RwSignal::new(by_name(listing.live.clone()));
    // Only variables that are polled can have a live value.
    let names: Vec<String> = listing.live.iter().map(|v| v.name.clone()).collect();
    follow_live(names, move |values| live.set(by_name(values)));
    live
}

/// Why each of the page's variables that is not polled is not, by name.
fn not_polled_of(listing: &RegistryListing) -> HashMap<String, String> {
    listing
        .not_polled
        .iter()
        .map(|n| (n.name.clone(), n.reason.clone()))
        .collect()
}

/// One live value cell: quality dot, value, units, age; "not polled" and why when no path of
/// the variable is polled; units alone when there is nothing to say.
fn live_cell(value: Option<&LiveValue>, units: &str, not_polled: Option<&String>) -> AnyView {
    match value {
        None => match not_polled {
            Some(reason) => view! {
                <span class="not-polled muted" title=format!("not polled: {reason}")>
                    "not polled: "
                    {reason.clone()}
                </span>
            }
            .into_any(),
            None => view! { <span class="muted">{units.to_string()}</span> }.into_any(),
        },
        Some(value) => {
            let quality = value.quality.as_str();
            // An array's cell shows its first element and its size; the title has them all.
            let elements = (value.values.len() > 1).then(|| {
                let all: Vec<String> = value.values.iter().map(|v| format_number(*v)).collect();
                format!(" · {} elements: {}", all.len(), all.join(", "))
            });
            let title = format!(
                "{quality} · {}{}{}",
                value.source,
                value
                    .error
                    .as_ref()
                    .map(|e| format!(" · {e}"))
                    .unwrap_or_default(),
                elements.unwrap_or_default()
            );
            view! {
                <span class="live" title=title>
                    <span class=format!("q-dot q-{quality}") role="img" aria-label=quality></span>
                    <span class="live-value">{format_values(&value.values)}</span>
                    " "
                    <span class="live-units">{units.to_string()}</span>
                    <span class="live-age muted">
                        {value.age_ms.map(format_age).unwrap_or_default()}
                    </span>
                </span>
            }
            .into_any()
        }
    }
}

#[component]
fn VariableTable(
    items: Vec<Variable>,
    live: RwSignal<HashMap<String, LiveValue>>,
    not_polled: HashMap<String, String>,
) -> AnyView {
    view! {
        <div class="table-wrap">
            <table class="data-table">
                <thead>
                    <tr>
                        <th scope="col" class="sticky-col">
                            "Name"
                        </th>
                        <th scope="col" class="num">
                            "Value"
                        </th>
                        <th scope="col">"Display name"</th>
                        <th scope="col">"Category"</th>
                        <th scope="col">"Locator"</th>
                        <th scope="col" class="num">
                            "Paths"
                        </th>
                        <th scope="col" class="num">
                            "Version"
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {items
                        .into_iter()
                        .map(|v| {
                            let href = format!("/registry/{}", v.name);
                            view! {
                                <tr>
                                    <td class="sticky-col">
                                        <a class="mono" href=href>
                                            {v.name.clone()}
                                        </a>
                                    </td>
                                    <td class="num">
                                        {
                                            let (name, units) = (v.name.clone(), v.units.clone());
                                            let reason = not_polled.get(&name).cloned();
                                            move || {
                                                live.with(|map| {
                                                    live_cell(map.get(&name), &units, reason.as_ref())
                                                })
                                            }
                                        }
                                    </td>
                                    <td class="wrap">{v.display_name.clone()}</td>
                                    <td>
                                        <span class=format!(
                                            "badge badge-{}",
                                            v.category,
                                        )>{v.category.as_str()}</span>
                                    </td>
                                    <td class="mono muted">
                                        {v.locator.clone().unwrap_or_else(|| "—".to_string())}
                                    </td>
                                    <td class="num">{v.path_count}</td>
                                    <td class="num" title="variable version · system version">
                                        {format!("v{} · {}", v.variable_version, v.system_version)}
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_round_trip_through_the_query() {
        let query = VariableQuery {
            q: Some("cell volt&x".into()),
            category: Some(Category::Oper),
            locator: Some("rbms.rack[*]".into()),
            access_type: Some(AccessType::MemoryOffset),
            page: Some(3),
            per_page: Some(PER_PAGE),
            ..VariableQuery::default()
        };
        let url = registry_url(&query);
        assert_eq!(
            url,
            "/registry?q=cell%20volt%26x&category=oper&locator=rbms.rack%5B%2A%5D&access_type=memory_offset&page=3"
        );
        let params = ParamsMap::from_iter([
            ("q".to_string(), "cell volt&x".to_string()),
            ("category".to_string(), "oper".to_string()),
            ("locator".to_string(), "rbms.rack[*]".to_string()),
            ("access_type".to_string(), "memory_offset".to_string()),
            ("page".to_string(), "3".to_string()),
        ]);
        assert_eq!(query_from_params(&params), query);
        assert_eq!(registry_url(&VariableQuery::default()), "/registry");
    }

    #[test]
    fn unknown_filter_values_are_ignored() {
        let params = ParamsMap::from_iter([
            ("category".to_string(), "misc".to_string()),
            ("page".to_string(), "0".to_string()),
            ("q".to_string(), "   ".to_string()),
        ]);
        let query = query_from_params(&params);
        assert_eq!(query.category, None);
        assert_eq!(query.page, None);
        assert_eq!(query.q, None);
    }
}
