//! The integration tests: one binary that drives the real `feedkeeper` program in temporary
//! folders, over real files, a real SQLite archive and real HTTP on 127.0.0.1.

#[path = "integration/harness.rs"]
mod harness;

#[path = "integration/core.rs"]
mod core;

#[path = "integration/ops.rs"]
mod ops;

#[path = "integration/upstream.rs"]
mod upstream;

#[path = "integration/unattended.rs"]
mod unattended;

#[path = "integration/archive_trust.rs"]
mod archive_trust;

#[path = "integration/fidelity.rs"]
mod fidelity;

#[path = "integration/hostile.rs"]
mod hostile;

#[path = "integration/perf.rs"]
mod perf;

#[path = "integration/faults.rs"]
mod faults;

#[path = "integration/opml_guard.rs"]
mod opml_guard;

#[path = "integration/backfill.rs"]
mod backfill;

#[path = "integration/wacz.rs"]
mod wacz;

#[path = "integration/import_report.rs"]
mod import_report;

#[path = "integration/damaged.rs"]
mod damaged;

#[path = "integration/durability.rs"]
mod durability;

#[path = "integration/limits.rs"]
mod limits;

#[path = "integration/extraction.rs"]
mod extraction;

#[path = "integration/relevance.rs"]
mod relevance;

#[path = "integration/s3_service.rs"]
mod s3_service;

#[path = "integration/objects.rs"]
mod objects;
#[path = "services/postgres.rs"]
mod pg_server;

#[path = "integration/postgres.rs"]
mod on_postgres;
#[path = "integration/refresh.rs"]
mod refresh;
