//! Upstream sources: OPML in and out.
