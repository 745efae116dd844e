//! `export --wacz FILE`: a WACZ package of the selected articles' captures, read from the
//! archive without taking its lock (the archive is only read; a run writing at the same time
//! only appends, and what it adds after the export began is left out). The packaging itself
//! is [`crate::wacz`]'s; this file opens the archive and names what the package holds.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::PipelineError;
use crate::archive::ArchiveDir;
use crate::config::Config;
use crate::wacz::{self, Meta, Selection, WaczReport};

/// Flags of `export --wacz`.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The package to write (replaced atomically when it exists).
    pub file: PathBuf,
    pub selection: Selection,
}

/// `export --wacz`: see the module documentation. `now` is the package's creation time.
pub fn export_wacz(config: &Config, opts: &ExportOptions, now: DateTime<Utc>) -> Result<WaczReport, PipelineError> {
    let dir = ArchiveDir::of(config);
    let store = dir.open_read()?;
    let meta = Meta { title: &config.site.title, description: &config.site.description, created: now };
    Ok(wacz::write(store.as_ref(), &dir.captures()?, &opts.selection, &opts.file, &meta)?)
}
