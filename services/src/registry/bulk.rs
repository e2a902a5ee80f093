//! Multi-row INSERT statements for bulk writes (a fresh import inserts ~400k rows): values that
//! every row shares are bound once per statement, the rest once per row.

use std::fmt::Write;

use sea_orm::{DbBackend, Statement, Value};

/// Rows per statement. With ≤ 8 per-row values that is ≤ 16,000 parameters, under SQLite's
/// 32,766 and PostgreSQL's 65,535.
pub const ROWS_PER_STATEMENT: usize = 2_000;

/// How bulk INSERTs start. On SQLite, `OR FAIL`: a multi-row INSERT that may abort halfway
/// ("OR ABORT", the default) makes SQLite keep a statement journal to undo just that statement,
/// about a twentieth of a fresh import. A failing bulk INSERT fails the whole transaction anyway,
/// and the caller rolls it back, so nothing half-written ever remains.
pub fn insert_verb(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Sqlite => "INSERT OR FAIL INTO",
        _ => "INSERT INTO",
    }
}

/// An `INSERT INTO table (columns) SELECT shared, v.column1, .. FROM (VALUES (..), (..)) AS v`.
///
/// The shared values are parameters in the SELECT list, so a 2,000-row statement binds them once
/// instead of 2,000 times. (Not numbered parameters such as `?1` repeated in every row: sqlx
/// looks up each parameter's name when binding, which SQLite answers by a linear scan, so a
/// statement with thousands of numbered parameters binds in quadratic time.) Columns left out
/// take their defaults (NULL for the nullable ones).
pub struct BulkInsert {
    backend: DbBackend,
    table: &'static str,
    shared: Vec<(&'static str, Value)>,
    per_row: Vec<&'static str>,
}

impl BulkInsert {
    pub fn new(backend: DbBackend, table: &'static str) -> Self {
        BulkInsert {
            backend,
            table,
            shared: Vec::new(),
            per_row: Vec::new(),
        }
    }

    /// A column with the same value in every row.
    pub fn shared(mut self, column: &'static str, value: impl Into<Value>) -> Self {
        self.shared.push((column, value.into()));
        self
    }

    /// Columns given per row, in the order `statement` expects each row's values.
    pub fn per_row(mut self, columns: &[&'static str]) -> Self {
        self.per_row.extend_from_slice(columns);
        self
    }

    /// How many values one row carries.
    pub fn row_width(&self) -> usize {
        self.per_row.len()
    }

    /// The statement inserting the rows whose per-row values are `values`, row after row.
    pub fn statement(&self, values: Vec<Value>) -> Statement {
        let width = self.per_row.len();
        assert!(
            width > 0 && values.len().is_multiple_of(width),
            "{} values do not make whole rows of {width}",
            values.len()
        );
        let rows = values.len() / width;
        // `?` on SQLite (numbered by position), `$n` on PostgreSQL.
        let mut next = 0;
        let mut placeholder = |sql: &mut String| {
            next += 1;
            let _ = match self.backend {
                DbBackend::Postgres => write!(sql, "${next}"),
                _ => write!(sql, "?"),
            };
        };

        let mut sql = String::with_capacity(128 + rows * width * 8);
        let _ = write!(sql, "{} \"{}\" (", insert_verb(self.backend), self.table);
        let columns = self
            .shared
            .iter()
            .map(|(c, _)| *c)
            .chain(self.per_row.iter().copied());
        for (i, column) in columns.enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let _ = write!(sql, "\"{column}\"");
        }
        sql.push_str(") SELECT ");
        for _ in &self.shared {
            placeholder(&mut sql);
            sql.push_str(", ");
        }
        for c in 1..=width {
            if c > 1 {
                sql.push_str(", ");
            }
            let _ = write!(sql, "v.column{c}");
        }
        sql.push_str(" FROM (VALUES ");
        for row in 0..rows {
            sql.push_str(if row == 0 { "(" } else { ", (" });
            for c in 0..width {
                if c > 0 {
                    sql.push_str(", ");
                }
                placeholder(&mut sql);
            }
            sql.push(')');
        }
        sql.push_str(") AS v");

        let shared = self.shared.len();
        let mut all = Vec::with_capacity(shared + values.len());
        all.extend(self.shared.iter().map(|(_, value)| value.clone()));
        all.extend(values);
        Statement::from_sql_and_values(self.backend, sql, all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_values_are_bound_once_and_selected_for_every_row() {
        let insert = BulkInsert::new(DbBackend::Sqlite, "t")
            .shared("a", 7i64)
            .per_row(&["b", "c"]);
        let statement = insert.statement(vec![1i64.into(), "x".into(), 2i64.into(), "y".into()]);
        assert_eq!(
            statement.sql,
            r#"INSERT OR FAIL INTO "t" ("a", "b", "c") SELECT ?, v.column1, v.column2 FROM (VALUES (?, ?), (?, ?)) AS v"#
        );
        assert_eq!(statement.values.expect("values").0.len(), 5);

        let postgres = BulkInsert::new(DbBackend::Postgres, "t")
            .shared("a", 7i64)
            .per_row(&["b"])
            .statement(vec![1i64.into(), 2i64.into()]);
        assert_eq!(
            postgres.sql,
            r#"INSERT INTO "t" ("a", "b") SELECT $1, v.column1 FROM (VALUES ($2), ($3)) AS v"#
        );
    }

    #[test]
    #[should_panic(expected = "whole rows")]
    fn a_partial_row_is_a_bug() {
        BulkInsert::new(DbBackend::Sqlite, "t")
            .per_row(&["a", "b"])
            .statement(vec![1i64.into()]);
    }
}
