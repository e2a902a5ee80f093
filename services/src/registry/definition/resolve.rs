//! Joining `data_def.json` and `var_metadata.json` into the variables they describe, each with
//! its memory paths.

use super::FastMap;
use super::data_def::DataDef;
use super::metadata::Metadata;
use model::registry::{Category, MemoryOffsetRef, title_case};

/// Category of variables whose table has no category prefix and whose metadata gives none: the
/// prototype's default.
pub const DEFAULT_CATEGORY: Category = Category::Oper;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredPath {
    pub reference: MemoryOffsetRef,
    pub priority: i32,
    pub read_only: bool,
}

/// A variable as the files describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredVariable {
    pub name: String,
    pub display_name: String,
    pub units: String,
    pub description: String,
    pub category: Category,
    /// `None` when neither the metadata nor its defaults give one (or the level that decides
    /// says `"locator": null`), as the prototype stored it.
    pub locator: Option<String>,
    pub paths: Vec<DesiredPath>,
}

/// Imported memory paths all get this priority; other access types are added through the API.
pub const IMPORTED_PATH_PRIORITY: i32 = 10;

/// Holding tables (`...:hold`) and configuration tables are writable; measurements are not.
pub fn table_is_writable(table: &str, category: Option<Category>) -> bool {
    table.ends_with(":hold") || category == Some(Category::Config)
}

/// Resolves every item into variables: one variable per name, one memory path per table it
/// appears in. Variables come out in order of first appearance.
/// Every rule a file can break is checked while parsing it, so resolving cannot fail.
pub fn resolve(data_def: &DataDef, metadata: &Metadata) -> Vec<DesiredVariable> {
    let items: usize = data_def.tables.iter().map(|t| t.items.len()).sum();
    let mut variables: Vec<DesiredVariable> = Vec::with_capacity(items);
    let mut index: FastMap<&str, usize> =
        FastMap::with_capacity_and_hasher(items, Default::default());
    for table in &data_def.tables {
        for item in &table.items {
            let reference = MemoryOffsetRef {
                table: table.table.clone(),
                offset: item.offset,
                size: item.size,
                num: item.num,
            };
            let path = DesiredPath {
                reference,
                priority: IMPORTED_PATH_PRIORITY,
                read_only: !table_is_writable(&table.table, table.category),
            };
            if let Some(&at) = index.get(item.name.as_str()) {
                variables[at].paths.push(path);
                continue;
            }
            let meta = metadata.resolve(&item.name);
            let category = table.category.or(meta.category).unwrap_or(DEFAULT_CATEGORY);
            let display_name = match meta.display_name {
                Some(given) => given.to_string(),
                None if item.num > 1 => format!("{} [{}]", title_case(&item.name), item.num),
                None => title_case(&item.name),
            };
            let description = meta.description.map(str::to_string).unwrap_or_else(|| {
                format!(
                    "Imported from {}, {} element(s) of size {} bytes",
                    table.table, item.num, item.size
                )
            });
            index.insert(&item.name, variables.len());
            variables.push(DesiredVariable {
                name: item.name.clone(),
                display_name,
                units: meta.units.unwrap_or_default().to_string(),
                description,
                category,
                locator: meta.locator.map(str::to_string),
                paths: vec![path],
            });
        }
    }
    variables
}
