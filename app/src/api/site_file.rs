//! Server functions of the Site import page: a `config.yaml` previewed (a dry run) or applied,
//! as `powerdeck site import` and the REST import do it.

use leptos::prelude::*;

use model::error::AppError;
use model::site::plan::SiteImportOutcome;

/// Reads `text` as the `config.yaml` named `file_name`: its problems, or its plan (applied
/// unless `apply` is false). Without `prune` the system's rows the file leaves out are kept.
#[server(endpoint = "import_site_file")]
pub async fn import_site_file(
    file_name: String,
    text: String,
    prune: bool,
    apply: bool,
) -> Result<SiteImportOutcome, AppError> {
    let state = crate::ssr::state::app_state()?;
    let catalog = services::site::adapter_types::builtin_catalog()?;
    let name = match file_name.trim() {
        "" => "config.yaml",
        name => name,
    };
    let actor = crate::ssr::caller::actor().await?;
    services::site::yaml::import_text(&state.db, catalog, &text, name, prune, !apply, &actor).await
}
