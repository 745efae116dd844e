//! `migrate --to postgres://…`: copies a SQLite archive into an empty PostgreSQL database so
//! that feeds published from either are byte-identical.
//!
//! Everything is copied as stored — every version with its text and metadata, the
//! publication log with its sequence numbers, tags, the publisher's and other steps' saved
//! state, the source catalog with its due times and leases, source states, decisions,
//! refresh states and the capture ledger — in one
//! PostgreSQL transaction that first takes the write lock every writer takes and refuses a
//! target that holds anything, so a failed or refused migration leaves the target as it was.
//! Rows are streamed table by table (memory stays bounded whatever the archive's size), with
//! a callback per row for progress. The SQLite archive is only read. Captures stay where they
//! are: their references name the capture files in the archive folder, which PostgreSQL
//! archives keep using.

use postgres::types::ToSql;
use rusqlite::Connection;

use super::postgres::{PgStore, search_text, search_vector};
use super::{ArchiveError, SqliteStore};

/// What a column holds, for carrying it from SQLite to PostgreSQL.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Int,
    Real,
    Bool,
    /// Text that goes into the search vector, folded.
    Search,
}

use Kind::{Bool, Int, Real, Search, Text};

/// One table's copy: the SQLite query (in the order rows are inserted) and the PostgreSQL
/// insert, with the kinds of the selected columns.
struct Table {
    name: &'static str,
    select: &'static str,
    insert: String,
    kinds: &'static [Kind],
}

/// How many rows of each table were copied, in copy order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrateReport {
    pub tables: Vec<(&'static str, u64)>,
}

impl MigrateReport {
    /// The rows copied from `table`.
    pub fn rows(&self, table: &str) -> u64 {
        self.tables.iter().find(|(t, _)| *t == table).map_or(0, |(_, n)| *n)
    }
}

fn insert(table: &str, columns: &str, values: &str) -> String {
    format!("INSERT INTO {table} ({columns}) VALUES ({values})")
}

/// `$1, …, $n`.
fn params(n: usize) -> String {
    (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

fn tables() -> Vec<Table> {
    vec![
        Table {
            name: "versions",
            select: "SELECT article_id, version, title, summary, content_text, content_html, meta, revision
                     FROM versions ORDER BY vid",
            insert: insert(
                "versions",
                "article_id, version, title, summary, content_text, content_html, meta, revision",
                &params(8),
            ),
            kinds: &[Text, Int, Text, Text, Text, Text, Text, Text],
        },
        Table {
            name: "articles",
            // An article's first log entry orders it among articles sharing a key, as its
            // rowid does in SQLite.
            select: "SELECT a.id, a.identity, a.canonical_url, a.fingerprint, v.version, a.sort_date,
                            a.first_archived_at,
                            COALESCE((SELECT MIN(l.seq) FROM feed_log l WHERE l.article_id = a.id), a.last_seq),
                            a.last_seq, v.title, v.summary, v.content_text
                     FROM articles a JOIN versions v ON v.vid = a.current_vid ORDER BY a.rowid",
            insert: insert(
                "articles",
                "id, identity, canonical_url, fingerprint, version_count, sort_date, first_archived_at, first_seq, \
                 last_seq, search",
                &format!("{}, {}", params(9), search_vector(10)),
            ),
            kinds: &[Text, Text, Text, Text, Int, Text, Text, Int, Int, Search, Search, Search],
        },
        Table {
            name: "feed_log",
            select: "SELECT l.seq, l.article_id, v.version FROM feed_log l JOIN versions v ON v.vid = l.vid ORDER BY l.seq",
            insert: insert("feed_log", "seq, article_id, version", &params(3)),
            kinds: &[Int, Text, Int],
        },
        Table {
            name: "article_tags",
            select: "SELECT tag, article_id, last_seq FROM article_tags ORDER BY tag, article_id",
            insert: insert("article_tags", "tag, article_id, last_seq", &params(3)),
            kinds: &[Text, Text, Int],
        },
        Table {
            name: "meta",
            select: "SELECT key, value FROM meta ORDER BY key",
            insert: insert("meta", "key, value", &params(2)),
            kinds: &[Text, Text],
        },
        Table {
            name: "source_state",
            select: "SELECT name, url, etag, last_modified, last_attempt, last_success, last_error, failures,
                            next_due, retry_after, ttl_secs, max_age_secs, items_kept
                     FROM source_state ORDER BY name",
            insert: insert(
                "source_state",
                "name, url, etag, last_modified, last_attempt, last_success, last_error, failures, next_due, \
                 retry_after, ttl_secs, max_age_secs, items_kept",
                &params(13),
            ),
            kinds: &[Text, Text, Text, Text, Text, Text, Text, Int, Text, Text, Int, Int, Int],
        },
        Table {
            name: "decisions",
            select: "SELECT source, item_key, title, url, score, kept, reasons, item_hash, topic_fingerprint,
                            rules_fingerprint, article_id, decided_at
                     FROM decisions ORDER BY source, item_key",
            insert: insert(
                "decisions",
                "source, item_key, title, url, score, kept, reasons, item_hash, topic_fingerprint, \
                 rules_fingerprint, article_id, decided_at",
                &params(12),
            ),
            kinds: &[Text, Text, Text, Text, Real, Bool, Text, Text, Text, Text, Text, Text],
        },
        Table {
            name: "sources",
            select:
                "SELECT name, url, host, every_secs, tags, keywords, backfill, origin, enabled, due_at, lease_owner,
                            lease_until, epoch
                     FROM sources ORDER BY name",
            insert: insert(
                "sources",
                "name, url, host, every_secs, tags, keywords, backfill, origin, enabled, due_at, lease_owner, \
                 lease_until, epoch",
                &params(13),
            ),
            kinds: &[Text, Text, Text, Int, Text, Text, Bool, Text, Bool, Int, Text, Int, Int],
        },
        Table {
            name: "capture_files",
            select: "SELECT file, committed_len FROM capture_files ORDER BY file",
            insert: insert("capture_files", "file, committed_len", &params(2)),
            kinds: &[Text, Int],
        },
        Table {
            name: "refresh_state",
            select: "SELECT article_id, state, since, last_checked, etag, last_modified, failures, last_error, evidence
                     FROM refresh_state ORDER BY article_id",
            insert: insert(
                "refresh_state",
                "article_id, state, since, last_checked, etag, last_modified, failures, last_error, evidence",
                &params(9),
            ),
            kinds: &[Text, Text, Text, Text, Text, Text, Int, Text, Text],
        },
    ]
}

/// Column `i` of a SQLite row as a PostgreSQL parameter of kind `kind`.
fn value(row: &rusqlite::Row<'_>, i: usize, kind: Kind) -> rusqlite::Result<Box<dyn ToSql + Sync>> {
    Ok(match kind {
        Text => Box::new(row.get::<_, Option<String>>(i)?),
        Int => Box::new(row.get::<_, Option<i64>>(i)?),
        Real => Box::new(row.get::<_, Option<f64>>(i)?),
        Bool => Box::new(row.get::<_, Option<bool>>(i)?),
        Search => Box::new(search_text(&row.get::<_, Option<String>>(i)?.unwrap_or_default())),
    })
}

/// Copies the SQLite archive `from` into the PostgreSQL archive `to` (its schema created
/// already), calling `on_row(table, rows copied, rows in the table)` as it goes. Refuses a
/// target that holds anything; on any error nothing is kept in the target.
pub fn migrate(
    from: &SqliteStore,
    to: &mut PgStore,
    on_row: &mut dyn FnMut(&str, u64, u64),
) -> Result<MigrateReport, ArchiveError> {
    let source_path = from.path().to_path_buf();
    let location = super::Backend::location(to).to_path_buf();
    let read = |context: &'static str| {
        let path = source_path.clone();
        move |source: rusqlite::Error| ArchiveError::Sql { path: path.clone(), context, source: source.into() }
    };
    let write = |context: &'static str| {
        let path = location.clone();
        move |source: postgres::Error| ArchiveError::Sql { path: path.clone(), context, source: source.into() }
    };
    let conn: &Connection = from.connection();
    let mut tx = to.client_mut().transaction().map_err(write("starting the migration"))?;
    tx.query_one("SELECT last_seq FROM log_counter FOR UPDATE", &[]).map_err(write("locking the archive"))?;
    if !super::postgres::is_empty_in(&mut tx).map_err(write("checking that the database is empty"))? {
        return Err(ArchiveError::Refused {
            path: location.clone(),
            detail: "the database already holds an archive; migrate only copies into an empty one (create a new \
                     database, or run `feedkeeper init` against an empty one)"
                .into(),
        });
    }
    // A catalog alone (the config's sources, saved by a command run against the new database)
    // is no archive: the archive's own catalog replaces it.
    tx.execute("DELETE FROM sources", &[]).map_err(write("replacing the source catalog"))?;
    let mut report = MigrateReport::default();
    for table in tables() {
        let total: i64 = conn
            .query_row(&format!("SELECT COUNT(*) FROM {}", table.name), [], |r| r.get(0))
            .map_err(read("counting the rows to copy"))?;
        let total = total.max(0) as u64;
        on_row(table.name, 0, total);
        let put = tx.prepare(&table.insert).map_err(write("preparing the copy"))?;
        let mut stmt = conn.prepare(table.select).map_err(read("reading the archive"))?;
        let mut rows = stmt.query([]).map_err(read("reading the archive"))?;
        let mut done = 0u64;
        while let Some(row) = rows.next().map_err(read("reading the archive"))? {
            let values = (0..table.kinds.len())
                .map(|i| value(row, i, table.kinds[i]))
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(read("reading the archive"))?;
            let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v.as_ref()).collect();
            tx.execute(&put, &refs).map_err(write("copying rows"))?;
            done += 1;
            on_row(table.name, done, total);
        }
        report.tables.push((table.name, done));
    }
    tx.execute("UPDATE log_counter SET last_seq = (SELECT COALESCE(MAX(seq), 0) FROM feed_log)", &[])
        .map_err(write("setting the log counter"))?;
    tx.commit().map_err(write("committing the migration"))?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::conformance::{article, keys};
    use crate::archive::postgres::{Schema, test_server};
    use crate::archive::{Backend, ListQuery, SourceStateStore, Store};

    #[test]
    fn every_table_is_copied_and_reads_back_the_same() {
        let mut sqlite = SqliteStore::open_in_memory().expect("sqlite");
        let mut a = article("urn:a", "Geneva conference", "The 1988 massacre.", 14, &["iran", "un"]);
        sqlite.put(&a, &keys(Some("https://a.example/"), Some("fp-a"))).expect("put");
        sqlite
            .put(&article("urn:b", "Evin prison", "Political prisoners.", 10, &["iran"]), &keys(None, None))
            .expect("put");
        a.title = "Geneva conference, revised".into();
        a.seal();
        sqlite.put(&a, &keys(Some("https://a.example/"), Some("fp-a"))).expect("new version");
        sqlite.meta_set("publish", "{\"last_seq\":3}").expect("meta");
        let state =
            crate::archive::SourceState { name: "HR".into(), url: "https://hr.example/".into(), ..Default::default() };
        sqlite.record_check(&[state], &[], &[]).expect("state");

        let mut pg = PgStore::open(&test_server::database(), Schema::Create).expect("pg");
        let mut seen = 0;
        let report = migrate(&sqlite, &mut pg, &mut |_, _, _| seen += 1).expect("migrate");
        assert_eq!((report.rows("versions"), report.rows("articles"), report.rows("feed_log")), (3, 2, 3));
        assert!(seen >= 8, "progress is reported per row");
        assert_eq!(pg.log_len().expect("len"), 3);
        assert_eq!(pg.list(&ListQuery::default()).expect("list"), sqlite.list(&ListQuery::default()).expect("list"));
        assert_eq!(pg.tags().expect("tags"), sqlite.tags().expect("tags"));
        assert_eq!(pg.meta_get("publish").expect("meta"), sqlite.meta_get("publish").expect("meta"));
        assert_eq!(pg.source_states().expect("states"), sqlite.source_states().expect("states"));
        assert_eq!(pg.search("revised", 10).expect("search").len(), 1);
        // The next write continues the log; a URL finds the migrated article.
        let out = pg.put(&article("urn:c", "New", "New text.", 20, &[]), &keys(None, None)).expect("put");
        assert_eq!(out, crate::archive::PutOutcome::Added { id: crate::article::ArticleId("urn:c".into()), seq: 4 });
        assert_eq!(pg.find(&a.id, &keys(Some("https://a.example/"), None)).expect("find"), Some(a.id.clone()));

        // A second migration into the same database is refused and changes nothing.
        let err = migrate(&sqlite, &mut pg, &mut |_, _, _| {}).expect_err("not empty");
        assert!(err.to_string().contains("already holds an archive"), "{err}");
        assert_eq!(pg.log_len().expect("len"), 4);
    }
}
