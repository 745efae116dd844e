//! feedkeeper keeps a topic archive of news articles, publishes it as Atom, RSS and JSON
//! feeds, and watches upstream feeds for new related items, which it fetches and archives.
//!
//! The binary (`src/main.rs`) is a thin shell over this library: it parses flags, calls
//! into [`pipeline`] and the step modules, prints, and maps outcomes to exit codes.

pub mod archive;
pub mod article;
mod charset;
pub mod config;
pub mod content;
pub mod date;
pub mod deadline;
pub mod extract;
pub mod fetch;
pub mod import;
pub mod objects;
pub mod opml;
pub mod pipeline;
pub mod publish;
pub mod refresh;
pub mod relevance;
pub mod schedule;
pub mod serve;
pub mod upstream;
pub mod wacz;
pub mod websub;

/// Whether the tests rewrite their expected-output files (golden feeds, parser companions,
/// pinned verdicts) instead of comparing against them: `FEEDKEEPER_BLESS=1 cargo test …`,
/// then review the diff. The one switch for every fixture that is regenerated.
#[cfg(test)]
pub(crate) fn bless() -> bool {
    std::env::var_os("FEEDKEEPER_BLESS").is_some()
}
