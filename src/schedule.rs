//! When is a source next due, and the watch loop.
