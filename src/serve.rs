//! Read-only HTTP over the feeds folder.
