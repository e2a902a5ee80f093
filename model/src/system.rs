//! Facts about the running installation shown on the Overview page.

use serde::{Deserialize, Serialize};

/// Which database engine the server talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DatabaseBackend {
    Sqlite,
    Postgres,
}

impl DatabaseBackend {
    pub fn label(self) -> &'static str {
        match self {
            DatabaseBackend::Sqlite => "SQLite",
            DatabaseBackend::Postgres => "PostgreSQL",
        }
    }
}

/// Where the data lives, without credentials: safe to show and to log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatabaseInfo {
    pub backend: DatabaseBackend,
    /// The SQLite file path, or `host:port/database` for PostgreSQL.
    pub location: String,
}

/// Everything the Overview page shows, read in one server call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Overview {
    pub product_version: String,
    pub database: DatabaseInfo,
    /// Migrations applied to the database.
    pub schema_applied: u32,
    /// Migrations this build knows about.
    pub schema_known: u32,
    /// Name of the newest applied migration, if any.
    pub schema_latest: Option<String>,
    pub system_version: i64,
    /// RFC 3339 time of the last system version change.
    pub system_version_updated: String,
    pub uptime_seconds: u64,
    /// RFC 3339 time at which the server answered.
    pub server_time: String,
}

impl Overview {
    /// True when every migration this build knows about has been applied.
    pub fn schema_current(&self) -> bool {
        self.schema_applied == self.schema_known
    }
}

/// `YYYY-MM-DD HH:MM UTC` from an RFC 3339 timestamp (shown as is if it is not one).
pub fn short_timestamp(rfc3339: &str) -> String {
    match (rfc3339.get(0..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) if rfc3339.len() >= 16 => format!("{date} {time} UTC"),
        _ => rfc3339.to_string(),
    }
}

/// Renders a duration for people: `45 s`, `12 min 05 s`, `3 h 07 min`, `2 d 04 h`.
pub fn format_uptime(seconds: u64) -> String {
    let (days, hours, minutes, secs) = (
        seconds / 86_400,
        seconds / 3_600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    if days > 0 {
        format!("{days} d {hours:02} h")
    } else if hours > 0 {
        format!("{hours} h {minutes:02} min")
    } else if minutes > 0 {
        format!("{minutes} min {secs:02} s")
    } else {
        format!("{secs} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_shortened_to_the_minute() {
        assert_eq!(
            short_timestamp("2026-11-24T06:12:03+00:00"),
            "2026-11-24 06:12 UTC"
        );
        assert_eq!(short_timestamp("garbage"), "garbage");
    }

    #[test]
    fn uptime_picks_the_two_largest_units() {
        let cases = [
            (0, "0 s"),
            (59, "59 s"),
            (60, "1 min 00 s"),
            (725, "12 min 05 s"),
            (3_600, "1 h 00 min"),
            (11_220, "3 h 07 min"),
            (86_399, "23 h 59 min"),
            (86_400, "1 d 00 h"),
            (187_200, "2 d 04 h"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(format_uptime(seconds), expected, "for {seconds} s");
        }
    }
}
