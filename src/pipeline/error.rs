//! The errors of the pipeline: [`PipelineError`], what stops a whole command, and
//! [`PageError`], why an item's page could not be asked for (counted into the report, never
//! an abort). It only names failures; what to do about them is decided where they occur.

use std::path::PathBuf;

use crate::archive::{ArchiveError, LockError};
use crate::import::ImportError;
use crate::publish::PublishError;

/// Failures that stop a whole command. Per-item failures are in the reports instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    #[error(transparent)]
    Locked(#[from] LockError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("{path}: {message}", path = path.display())]
    Refused { path: PathBuf, message: String },
    #[error("no article matches `{0}`")]
    NotFound(String),
    #[error("`{given}` matches several articles: {}", candidates.join(", "))]
    Ambiguous { given: String, candidates: Vec<String> },
    #[error("{config}: no source named `{name}` in [[sources]]", config = config.display())]
    UnknownSource { name: String, config: PathBuf },
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    #[error(transparent)]
    Extract(#[from] crate::extract::ExtractError),
    #[error(transparent)]
    Warc(#[from] crate::archive::warc::WarcError),
    #[error(transparent)]
    Objects(#[from] crate::objects::ObjectError),
    #[error(transparent)]
    Opml(#[from] crate::opml::OpmlError),
    #[error(transparent)]
    Wacz(#[from] crate::wacz::WaczError),
    #[error(transparent)]
    Serve(#[from] crate::serve::ServeError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("{path}: another `feedkeeper watch`{holder} is already watching this archive", path = path.display(), holder = holder.as_deref().map(|h| format!(" ({h})")).unwrap_or_default())]
    AlreadyWatching { path: PathBuf, holder: Option<String> },
    /// `watch` is stopping: the cycle in progress was abandoned before it wrote anything.
    #[error("stopped before this cycle's changes were written; they are made at the next start")]
    Stopped,
}

impl PipelineError {
    /// True when another run holds the archive lock (exit code 75).
    pub fn is_lock_held(&self) -> bool {
        matches!(self, PipelineError::Locked(LockError::Held { .. }) | PipelineError::AlreadyWatching { .. })
    }

    /// True for errors the user can fix by changing the command line or the config (exit
    /// code 2), as opposed to failures of the archive or the disk (exit code 1).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            PipelineError::Refused { .. }
                | PipelineError::Config(_)
                | PipelineError::NotFound(_)
                | PipelineError::Ambiguous { .. }
                | PipelineError::Import(ImportError::NotFound { .. })
                | PipelineError::UnknownSource { .. }
                | PipelineError::Opml(_)
                | PipelineError::Wacz(crate::wacz::WaczError::Empty { .. })
                | PipelineError::Fetch(
                    crate::fetch::FetchError::InvalidUrl { .. } | crate::fetch::FetchError::InvalidConfig { .. }
                )
        )
    }
}

/// Why a kept item's page is not fetched: its link cannot be asked for.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum PageError {
    #[error("the item has no link")]
    NoLink,
    #[error("invalid link {link:?}: {source}")]
    InvalidLink { link: String, source: url::ParseError },
    #[error("invalid file link {link}")]
    InvalidFileLink { link: String },
    #[error("refused to read local file {} for a link from a remote feed", path.display())]
    FileFromRemoteFeed { path: PathBuf },
    #[error("{}: no such file", path.display())]
    NoSuchFile { path: PathBuf },
    #[error("refused to read local file {}: it is outside the source's folder {}", path.display(), dir.display())]
    OutsideSourceFolder { path: PathBuf, dir: PathBuf },
    #[error("unsupported link scheme {scheme:?} in {link}")]
    UnsupportedScheme { scheme: String, link: String },
}
