//! A table's scrolling frame that the keyboard can reach.

use leptos::prelude::*;

/// `.table-wrap` as a named region in the tab order. A frame that scrolls with nothing focusable
/// inside (a journal, a plan of reads) could not be scrolled from the keyboard otherwise
/// (axe-core's `scrollable-region-focusable`). `short` caps its height (`.table-scroll-short`).
#[component]
pub fn ScrollRegion(
    label: &'static str,
    #[prop(optional)] short: bool,
    children: Children,
) -> impl IntoView {
    view! {
        <div
            class="table-wrap"
            class:table-scroll-short=short
            tabindex="0"
            role="region"
            aria-label=label
        >
            {children()}
        </div>
    }
}
