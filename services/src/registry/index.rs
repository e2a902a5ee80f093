//! `RegistryIndex`: an in-memory copy of the columns the registry list filters on, so filtered
//! lists, text search and facet counts answer in milliseconds at 100,000 variables.
//!
//! Why in memory: a substring search over name, display name and description cannot use a B-tree
//! index, and SQLite's full-text extensions differ from PostgreSQL's. The registry changes rarely
//! and every change takes a new global system version, so the copy follows the database by
//! version: each query first reads the current system version (one indexed row) and, if it moved,
//! reloads only the variables whose `system_version` is newer (a path change also stamps its
//! variable, see the import and write services). It therefore stays correct when another process
//! (the CLI importer, a second console) writes to the same database.

use std::collections::HashMap;
use std::sync::Arc;

use entity::system_variable::{self, NO_LOCATOR, locator_of};
use entity::variable_access_path;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::Mutex;

use crate::system::system_version_of;
use model::error::AppError;
use model::registry::{AccessType, Category, FacetCount, VariableQuery, locator_matches};

/// Shared by every request of one server (cheap to clone).
#[derive(Clone, Default)]
pub struct RegistryIndex {
    snapshot: Arc<Mutex<Option<Arc<Snapshot>>>>,
}

/// One variable as the list sees it.
#[derive(Clone)]
struct Entry {
    id: i64,
    name: String,
    /// Lower-cased name, display name and description, one per line, for substring search.
    search_text: String,
    category: Category,
    /// Index into `Snapshot::locators` (no locator is interned as the column's empty text).
    locator: u32,
    deleted: bool,
    system_version: i64,
    /// Bit `access_type_bit(t)` is set when the variable has an active path of type `t`.
    access_types: u8,
}

/// The registry's list columns at one system version, sorted by name (byte order).
#[derive(Clone, Default)]
pub struct Snapshot {
    version: i64,
    entries: Vec<Entry>,
    /// Interned locators; entries refer to them by index.
    locators: Vec<String>,
    locator_ids: HashMap<String, u32>,
}

/// One variable's list columns, as [`Snapshot::entries`] hands them out.
pub struct ListEntry<'a> {
    pub id: i64,
    pub name: &'a str,
    pub category: Category,
    /// `None` when the variable has no locator.
    pub locator: Option<&'a str>,
    pub deleted: bool,
    pub system_version: i64,
}

/// The ids of one page of a filtered list, in list order, and how many variables matched.
pub struct Matches {
    pub total: u64,
    pub page_ids: Vec<i64>,
}

fn access_type_bit(access_type: AccessType) -> u8 {
    match access_type {
        AccessType::MemoryOffset => 1,
        AccessType::Modbus => 2,
        AccessType::Can => 4,
        AccessType::Rs485 => 8,
        AccessType::MemoryId => 16,
    }
}

fn search_text(name: &str, display_name: &str, description: &str) -> String {
    format!("{name}\n{display_name}\n{description}").to_lowercase()
}

/// Rows per read while loading.
const LOAD_CHUNK: u64 = 10_000;

/// The columns read for each variable.
type Row = (i64, String, String, String, Category, String, bool, i64);

impl RegistryIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// The snapshot at the database's current system version, brought up to date if needed.
    pub async fn current<C: ConnectionTrait>(&self, db: &C) -> Result<Arc<Snapshot>, AppError> {
        let mut guard = self.snapshot.lock().await;
        // Read the version before the rows: a commit landing in between is then picked up again
        // next time (re-applying a row is harmless), never missed.
        let version = system_version_of(db).await?;
        match guard.as_mut() {
            Some(snapshot) if snapshot.version == version => Ok(Arc::clone(snapshot)),
            Some(snapshot) if snapshot.version < version => {
                let since = snapshot.version;
                Arc::make_mut(snapshot).catch_up(db, since, version).await?;
                Ok(Arc::clone(snapshot))
            }
            // First use, or the counter went back (a re-created database): load everything.
            _ => {
                let mut fresh = Snapshot::default();
                fresh.catch_up(db, -1, version).await?;
                let fresh = Arc::new(fresh);
                *guard = Some(Arc::clone(&fresh));
                Ok(fresh)
            }
        }
    }
}

impl Snapshot {
    pub fn version(&self) -> i64 {
        self.version
    }

    /// Applies every variable changed after `since` (all of them when `since` is -1).
    async fn catch_up<C: ConnectionTrait>(
        &mut self,
        db: &C,
        since: i64,
        version: i64,
    ) -> Result<(), AppError> {
        use system_variable::Column;
        let mut positions: HashMap<i64, usize> = if since < 0 {
            HashMap::new()
        } else {
            self.entries
                .iter()
                .enumerate()
                .map(|(i, e)| (e.id, i))
                .collect()
        };
        let mut added = false;
        // Read in id-ordered chunks so a full load never holds all driver rows at once.
        let mut after = 0i64;
        loop {
            let rows: Vec<Row> = system_variable::Entity::find()
                .select_only()
                .columns([
                    Column::Id,
                    Column::Name,
                    Column::DisplayName,
                    Column::Description,
                    Column::Category,
                    Column::Locator,
                    Column::Deleted,
                    Column::SystemVersion,
                ])
                .filter(Column::SystemVersion.gt(since))
                .filter(Column::Id.gt(after))
                .order_by_asc(Column::Id)
                .limit(LOAD_CHUNK)
                .into_tuple()
                .all(db)
                .await?;
            let Some(&(last, ..)) = rows.last() else {
                break;
            };
            after = last;
            let access_types = active_access_types(db, &rows).await?;
            for (id, name, display_name, description, category, locator, deleted, version) in rows {
                let entry = Entry {
                    id,
                    search_text: search_text(&name, &display_name, &description),
                    name,
                    category,
                    locator: self.intern(locator)?,
                    deleted,
                    system_version: version,
                    access_types: access_types.get(&id).copied().unwrap_or(0),
                };
                match positions.get(&id) {
                    // Names never change, so an updated entry keeps its place in the order.
                    Some(&at) => self.entries[at] = entry,
                    None => {
                        positions.insert(id, self.entries.len());
                        self.entries.push(entry);
                        added = true;
                    }
                }
            }
        }
        if added {
            self.entries.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        }
        self.version = version;
        Ok(())
    }

    /// The id of a locator, a new one if it is not yet interned.
    fn intern(&mut self, locator: String) -> Result<u32, AppError> {
        if let Some(&id) = self.locator_ids.get(&locator) {
            return Ok(id);
        }
        let id = u32::try_from(self.locators.len()).map_err(|_| {
            AppError::Internal("the registry index holds more locators than u32 ids".into())
        })?;
        self.locator_ids.insert(locator.clone(), id);
        self.locators.push(locator);
        Ok(id)
    }

    /// Locator ids that a filter value selects: one exact locator, or all that match a `[*]`
    /// pattern. Variables without a locator match no filter.
    fn locator_filter(&self, pattern: &str) -> Vec<bool> {
        self.locators
            .iter()
            .map(|l| {
                if l == NO_LOCATOR {
                    false
                } else if pattern.contains("[*]") {
                    locator_matches(pattern, l)
                } else {
                    l == pattern
                }
            })
            .collect()
    }

    /// The query's filters, ready to test entries against.
    fn filter<'q>(&self, query: &'q VariableQuery) -> Filter<'q> {
        let locator_ok = query
            .locator
            .as_deref()
            .filter(|l| !l.is_empty())
            .map(|pattern| self.locator_filter(pattern));
        let finder = query
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(|needle| memchr::memmem::Finder::new(&needle.to_lowercase()).into_owned());
        Filter {
            query,
            locator_ok,
            finder,
            access_bit: query.access_type.map(access_type_bit),
        }
    }

    /// Filters, counts and pages the list exactly as the SQL list did: name order, page 1-based.
    pub fn matches(&self, query: &VariableQuery) -> Matches {
        let filter = self.filter(query);
        // Saturating: a page far past the end is simply empty, whatever number a client sends.
        let first = (query.page() - 1).saturating_mul(query.per_page());
        let mut total = 0u64;
        let mut page_ids = Vec::new();
        for entry in &self.entries {
            if !filter.keeps(entry, Facets::Both) {
                continue;
            }
            if total >= first && (page_ids.len() as u64) < query.per_page() {
                page_ids.push(entry.id);
            }
            total += 1;
        }
        Matches { total, page_ids }
    }

    /// Every variable's list columns in name order (deleted ones too), for filters that
    /// [`Snapshot::matches`] does not cover: the prototype API's offset paging and name patterns.
    pub fn entries(&self) -> impl Iterator<Item = ListEntry<'_>> {
        self.entries.iter().map(|entry| ListEntry {
            id: entry.id,
            name: &entry.name,
            category: entry.category,
            locator: locator_of(&self.locators[entry.locator as usize]),
            deleted: entry.deleted,
            system_version: entry.system_version,
        })
    }

    /// Variables per category (not deleted), every category listed.
    pub fn categories(&self) -> Vec<FacetCount> {
        self.categories_matching(&VariableQuery::default())
    }

    /// Variables per category among those the query's search, access type and version filters
    /// keep (its category and locator aside: a category chip shows what choosing it lists),
    /// every category listed.
    pub fn categories_matching(&self, query: &VariableQuery) -> Vec<FacetCount> {
        let filter = self.filter(query);
        Category::ALL
            .iter()
            .map(|&category| FacetCount {
                value: category.as_str().to_string(),
                count: self
                    .entries
                    .iter()
                    .filter(|e| e.category == category && filter.keeps(e, Facets::Neither))
                    .count() as u64,
            })
            .collect()
    }

    /// Locators with their variable counts (not deleted), optionally within one category,
    /// in locator order. Variables without a locator are not counted under any.
    pub fn locators(&self, category: Option<Category>) -> Vec<FacetCount> {
        self.locators_matching(&VariableQuery {
            category,
            ..VariableQuery::default()
        })
    }

    /// The same among the variables the query keeps (its locator aside).
    pub fn locators_matching(&self, query: &VariableQuery) -> Vec<FacetCount> {
        let filter = self.filter(query);
        let mut counts = vec![0u64; self.locators.len()];
        for entry in &self.entries {
            if filter.keeps(entry, Facets::CategoryOnly) {
                counts[entry.locator as usize] += 1;
            }
        }
        let mut facets: Vec<FacetCount> = counts
            .into_iter()
            .enumerate()
            .filter(|&(id, count)| count > 0 && self.locators[id] != NO_LOCATOR)
            .map(|(id, count)| FacetCount {
                value: self.locators[id].clone(),
                count,
            })
            .collect();
        facets.sort_by(|a, b| a.value.cmp(&b.value));
        facets
    }
}

/// Which of the query's facet filters (category, locator) an entry is tested against: the
/// list applies both; a facet's counts leave out its own filter.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Facets {
    Both,
    CategoryOnly,
    Neither,
}

/// A query's filters, ready to test entries against.
struct Filter<'q> {
    query: &'q VariableQuery,
    locator_ok: Option<Vec<bool>>,
    finder: Option<memchr::memmem::Finder<'static>>,
    access_bit: Option<u8>,
}

impl Filter<'_> {
    fn keeps(&self, entry: &Entry, facets: Facets) -> bool {
        let query = self.query;
        let category_ok =
            facets == Facets::Neither || query.category.is_none_or(|c| entry.category == c);
        let locator_ok = facets != Facets::Both
            || self
                .locator_ok
                .as_ref()
                .is_none_or(|ok| ok[entry.locator as usize]);
        (query.include_deleted || !entry.deleted)
            && category_ok
            && locator_ok
            && self
                .access_bit
                .is_none_or(|bit| entry.access_types & bit != 0)
            && query.since_version.is_none_or(|v| entry.system_version > v)
            && self
                .finder
                .as_ref()
                .is_none_or(|f| f.find(entry.search_text.as_bytes()).is_some())
    }
}

/// Access types of the active paths of the variables in `rows` (one chunk, so the id list stays
/// under both databases' bound-parameter limits).
async fn active_access_types<C: ConnectionTrait>(
    db: &C,
    rows: &[Row],
) -> Result<HashMap<i64, u8>, AppError> {
    use variable_access_path::Column;
    let found: Vec<(i64, AccessType)> = variable_access_path::Entity::find()
        .select_only()
        .columns([Column::VariableId, Column::AccessType])
        .filter(Column::Active.eq(true))
        .filter(Column::VariableId.is_in(rows.iter().map(|row| row.0)))
        .into_tuple()
        .all(db)
        .await?;
    let mut types = HashMap::new();
    for (variable_id, access_type) in found {
        *types.entry(variable_id).or_default() |= access_type_bit(access_type);
    }
    Ok(types)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, name: &str, category: Category, locator: u32, types: u8) -> Entry {
        Entry {
            id,
            name: name.into(),
            search_text: search_text(name, &format!("Display {id}"), "Some Description"),
            category,
            locator,
            deleted: false,
            system_version: id,
            access_types: types,
        }
    }

    fn snapshot() -> Snapshot {
        let mut s = Snapshot::default();
        s.intern("rbms.rack[1].module[1]".into()).unwrap();
        s.intern("rbms.rack[2].module[1]".into()).unwrap();
        s.intern("system.global".into()).unwrap();
        s.entries = vec![
            entry(1, "a_voltage", Category::Oper, 0, 1),
            entry(2, "b_voltage", Category::Oper, 1, 1 | 2),
            entry(3, "c_limit", Category::Prot, 2, 2),
            Entry {
                deleted: true,
                ..entry(4, "d_gone", Category::Oper, 2, 0)
            },
        ];
        s
    }

    fn ids(s: &Snapshot, query: VariableQuery) -> (u64, Vec<i64>) {
        let m = s.matches(&query);
        (m.total, m.page_ids)
    }

    #[test]
    fn filters_combine_and_deleted_are_hidden_unless_asked() {
        let s = snapshot();
        assert_eq!(ids(&s, VariableQuery::default()), (3, vec![1, 2, 3]));
        let deleted_too = VariableQuery {
            include_deleted: true,
            ..Default::default()
        };
        assert_eq!(ids(&s, deleted_too), (4, vec![1, 2, 3, 4]));
        let oper_modbus = VariableQuery {
            category: Some(Category::Oper),
            access_type: Some(AccessType::Modbus),
            ..Default::default()
        };
        assert_eq!(ids(&s, oper_modbus), (1, vec![2]));
        let wildcard = VariableQuery {
            locator: Some("rbms.rack[*].module[1]".into()),
            ..Default::default()
        };
        assert_eq!(ids(&s, wildcard), (2, vec![1, 2]));
        let since = VariableQuery {
            since_version: Some(1),
            ..Default::default()
        };
        assert_eq!(ids(&s, since), (2, vec![2, 3]));
    }

    #[test]
    fn search_is_case_insensitive_over_all_three_texts() {
        let s = snapshot();
        let by_name = VariableQuery {
            q: Some("VOLT".into()),
            ..Default::default()
        };
        assert_eq!(ids(&s, by_name), (2, vec![1, 2]));
        let by_display = VariableQuery {
            q: Some(" display 3 ".into()),
            ..Default::default()
        };
        assert_eq!(ids(&s, by_display), (1, vec![3]));
        let by_description = VariableQuery {
            q: Some("some desc".into()),
            ..Default::default()
        };
        assert_eq!(ids(&s, by_description).0, 3);
    }

    #[test]
    fn paging_counts_everything_and_returns_one_page() {
        let s = snapshot();
        let second = VariableQuery {
            page: Some(2),
            per_page: Some(2),
            ..Default::default()
        };
        assert_eq!(ids(&s, second), (3, vec![3]));
    }

    #[test]
    fn facets_follow_the_search_but_not_their_own_filter() {
        let s = snapshot();
        let counts = |facets: Vec<FacetCount>| -> Vec<(String, u64)> {
            facets.into_iter().map(|f| (f.value, f.count)).collect()
        };
        // "voltage" keeps two oper variables: the chips say so, whichever category is chosen.
        let voltage = VariableQuery {
            q: Some("voltage".into()),
            category: Some(Category::Prot),
            ..Default::default()
        };
        assert_eq!(
            counts(s.categories_matching(&voltage)),
            vec![
                ("config".to_string(), 0),
                ("prot".to_string(), 0),
                ("oper".to_string(), 2)
            ]
        );
        // Locators count within the chosen category and the search, whatever locator is chosen.
        let oper_voltage = VariableQuery {
            q: Some("b_volt".into()),
            category: Some(Category::Oper),
            locator: Some("rbms.rack[1].module[1]".into()),
            ..Default::default()
        };
        assert_eq!(
            counts(s.locators_matching(&oper_voltage)),
            vec![("rbms.rack[2].module[1]".to_string(), 1)]
        );
    }

    #[test]
    fn facets_count_live_variables() {
        let s = snapshot();
        let categories: Vec<(String, u64)> = s
            .categories()
            .into_iter()
            .map(|f| (f.value, f.count))
            .collect();
        assert_eq!(
            categories,
            vec![
                ("config".to_string(), 0),
                ("prot".to_string(), 1),
                ("oper".to_string(), 2)
            ]
        );
        let oper: Vec<String> = s
            .locators(Some(Category::Oper))
            .into_iter()
            .map(|f| f.value)
            .collect();
        assert_eq!(
            oper,
            vec!["rbms.rack[1].module[1]", "rbms.rack[2].module[1]"]
        );
    }

    #[test]
    fn variables_without_a_locator_are_in_no_locator_facet_and_match_no_locator_filter() {
        let mut s = snapshot();
        let none = s.intern(NO_LOCATOR.into()).unwrap();
        s.entries.push(entry(5, "e_free", Category::Oper, none, 1));
        let facets: Vec<String> = s.locators(None).into_iter().map(|f| f.value).collect();
        assert_eq!(
            facets,
            vec![
                "rbms.rack[1].module[1]",
                "rbms.rack[2].module[1]",
                "system.global"
            ]
        );
        assert_eq!(ids(&s, VariableQuery::default()), (4, vec![1, 2, 3, 5]));
        for pattern in ["rbms.rack[*].module[1]", "system.global", "e_free"] {
            let filtered = VariableQuery {
                locator: Some(pattern.into()),
                ..Default::default()
            };
            assert!(!ids(&s, filtered).1.contains(&5), "{pattern}");
        }
        let listed: Vec<Option<&str>> = s.entries().map(|e| e.locator).collect();
        assert_eq!(listed[4], None);
    }
}
