//! `migrate --to postgres://…`: the steps around [`archive::migrate`](crate::archive::migrate)
//! — check the target URL, hold the SQLite archive's lock so nothing changes it while it is
//! copied, open both ends, and report progress per table. The copying itself is the
//! archive's.

use std::path::PathBuf;

use super::{PipelineError, Progress};
use crate::archive::migrate::{self, MigrateReport};
use crate::archive::postgres::{PgStore, Schema};
use crate::archive::{ArchiveDir, SqliteStore};
use crate::config::{Config, StoreUrl, parse_store_url};

/// Copies the config's SQLite archive into the empty PostgreSQL database at `to`.
pub fn migrate(config: &Config, to: &str, progress: &dyn Progress) -> Result<MigrateReport, PipelineError> {
    let url = match parse_store_url(to) {
        Ok(StoreUrl::Postgres(url)) => url,
        _ => {
            return Err(PipelineError::Refused {
                path: PathBuf::from(crate::archive::postgres::redacted(to)),
                message: "is not a PostgreSQL URL: migrate copies into postgres://user@host/database".into(),
            });
        }
    };
    // The SQLite archive in the archive folder, whatever `[store] url` says now.
    let dir = ArchiveDir::new(config.archive_dir());
    let _lock = dir.lock()?;
    let from = SqliteStore::open_read_only(&dir.require()?)?;
    let mut target = PgStore::open(&url, Schema::Create)?;
    let mut started = false;
    let report = migrate::migrate(&from, &mut target, &mut |table, done, total| {
        if done == 0 {
            if started {
                progress.finish();
            }
            progress.start(&format!("copying {table}"), Some(total));
            started = true;
        } else {
            progress.step(table);
        }
    });
    if started {
        progress.finish();
    }
    Ok(report?)
}
