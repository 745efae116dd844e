//! Reading around damage in the SQLite archive: when a read meets a row it cannot read
//! (SQLite finds its page damaged, its text is not UTF-8, its metadata does not parse), the
//! row is skipped and named ([`Unreadable`], handed out by `Backend::take_unreadable`) and
//! the rest of the archive is still read.
//!
//! A row that SQLite reads but that does not decode is skipped where the streaming query
//! meets it ([`SqliteStore::skip`]). A damaged page stops the streaming query itself; the
//! functions here then read the same rows again one at a time — the keys first (from the
//! tables and indexes that lead to them, on other pages), then each row by its key — so that
//! only the rows on the damaged page are lost. When the keys cannot be read either, the read
//! fails with [`ArchiveError::Damaged`], which names the database and says what to do.
//! These paths run only on a damaged archive; a sound one is read by the streaming queries.

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::archive::{ArchiveError, LogEntry, SearchHit, Unreadable};
use crate::article::{Article, ArticleId};

/// What went wrong with a row, without the database's path (the report names it once).
fn reason(e: &ArchiveError) -> String {
    match e {
        ArchiveError::Sql { context, source, .. } => format!("{context}: {source}"),
        ArchiveError::Corrupt { what, detail, .. } => format!("corrupt {what}: {detail}"),
        ArchiveError::Damaged { detail, .. } => format!("damaged page: {detail}"),
        other => other.to_string(),
    }
}

impl SqliteStore {
    /// Records a skipped row (see `Backend::take_unreadable`).
    pub(super) fn skip(&self, seq: Option<u64>, id: Option<String>, e: &ArchiveError) {
        tracing::debug!(?seq, ?id, error = %e, "skipping an unreadable row");
        self.skipped.borrow_mut().push(Unreadable { seq, id, reason: reason(e) });
    }

    /// Every version of an article as (vid, version, article), in version order, by one
    /// query; versions that do not decode are skipped.
    pub(super) fn versions_of(&self, id: &ArticleId) -> Result<Vec<(i64, i64, Article)>, ArchiveError> {
        let context = "reading versions";
        let mut stmt = self
            .conn
            .prepare("SELECT vid, version, title, summary, content_text, content_html, meta FROM versions WHERE article_id = ?1 ORDER BY version")
            .map_err(self.sql(context))?;
        let mut rows = stmt.query([id.as_str()]).map_err(self.sql(context))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(self.sql(context))? {
            let vid: i64 = row.get(0).map_err(self.sql(context))?;
            let version: i64 = row.get(1).map_err(self.sql(context))?;
            match self.article_at(row, 2, context) {
                Ok(article) => out.push((vid, version, article)),
                Err(e) => self.skip(None, Some(format!("{id} version {version}")), &e),
            }
        }
        Ok(out)
    }

    /// [`SqliteStore::versions_of`] one version at a time, from the index of versions.
    pub(super) fn salvage_versions(&self, id: &ArticleId) -> Result<Vec<(i64, i64, Article)>, ArchiveError> {
        let mut stmt = self
            .conn
            .prepare("SELECT vid, version FROM versions WHERE article_id = ?1 ORDER BY version")
            .map_err(self.sql("reading versions"))?;
        let keys = stmt
            .query_map([id.as_str()], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
            .map_err(self.sql("reading versions"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.sql("reading versions"))?;
        let mut out = Vec::new();
        for (vid, version) in keys {
            match self.version_row(vid) {
                Ok(article) => out.push((vid, version, article)),
                Err(e) => self.skip(None, Some(format!("{id} version {version}")), &e),
            }
        }
        Ok(out)
    }

    /// One version row, by its rowid.
    fn version_row(&self, vid: i64) -> Result<Article, ArchiveError> {
        let context = "reading a version";
        let mut stmt = self
            .conn
            .prepare_cached("SELECT title, summary, content_text, content_html, meta FROM versions WHERE vid = ?1")
            .map_err(self.sql(context))?;
        let mut rows = stmt.query([vid]).map_err(self.sql(context))?;
        match rows.next().map_err(self.sql(context))? {
            Some(row) => self.article_at(row, 0, context),
            None => Err(self.missing(vid)),
        }
    }

    fn missing(&self, vid: i64) -> ArchiveError {
        ArchiveError::Corrupt { path: self.path.clone(), what: format!("version {vid}"), detail: "missing".into() }
    }

    /// `list` one article at a time: the ids in order from `articles` (and `article_tags`),
    /// then each current version by its rowid.
    pub(super) fn salvage_list(&self, tag: Option<&str>, limit: i64) -> Result<Vec<Article>, ArchiveError> {
        let sql = match tag {
            Some(_) => {
                "SELECT a.id, a.current_vid FROM article_tags t JOIN articles a ON a.id = t.article_id
                 WHERE t.tag = ?1 ORDER BY a.sort_date DESC, a.id LIMIT ?2"
            }
            None => "SELECT a.id, a.current_vid FROM articles a WHERE ?1 = ?1 ORDER BY a.sort_date DESC, a.id LIMIT ?2",
        };
        let keys = self.keys(sql, params![tag.unwrap_or_default(), limit], "listing articles")?;
        let mut out = Vec::with_capacity(keys.len());
        for (id, vid) in keys {
            match self.version_row(vid) {
                Ok(article) => out.push(article),
                Err(e) => self.skip(None, Some(id), &e),
            }
        }
        Ok(out)
    }

    /// (text, integer) pairs of a query, all read before the rows they lead to.
    fn keys(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        context: &'static str,
    ) -> Result<Vec<(String, i64)>, ArchiveError> {
        let mut stmt = self.conn.prepare(sql).map_err(self.sql(context))?;
        let rows = stmt.query_map(params, |r| Ok((r.get(0)?, r.get(1)?))).map_err(self.sql(context))?;
        rows.collect::<Result<_, _>>().map_err(self.sql(context))
    }

    /// A search hit from a row of (title, summary, text, html, meta, snippet, bm25).
    pub(super) fn search_hit(&self, row: &rusqlite::Row<'_>) -> Result<SearchHit, ArchiveError> {
        let article = self.article_at(row, 0, "searching")?;
        let snippet: String = row.get(5).map_err(self.sql("searching"))?;
        let rank: f64 = row.get(6).map_err(self.sql("searching"))?;
        Ok(SearchHit { article, snippet, score: -rank })
    }

    /// `search` one hit at a time: the matching rowids ranked from the full-text index alone
    /// (ties by rowid), then each hit's version and snippet.
    pub(super) fn salvage_search(&self, q: &str, limit: usize) -> Result<Vec<SearchHit>, ArchiveError> {
        let context = "searching";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT rowid FROM search WHERE search MATCH ?1 ORDER BY bm25(search, 10.0, 4.0, 1.0), rowid LIMIT ?2",
            )
            .map_err(self.sql(context))?;
        let vids = stmt
            .query_map(params![q, limit as i64], |r| r.get::<_, i64>(0))
            .map_err(self.sql(context))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.sql(context))?;
        let mut hit_stmt = self
            .conn
            .prepare(
                "SELECT v.title, v.summary, v.content_text, v.content_html, v.meta,
                        snippet(search, -1, '[', ']', '…', 16), bm25(search, 10.0, 4.0, 1.0)
                 FROM search JOIN versions v ON v.vid = search.rowid
                 WHERE search MATCH ?1 AND search.rowid = ?2",
            )
            .map_err(self.sql(context))?;
        let mut out = Vec::with_capacity(vids.len());
        for vid in vids {
            let hit = hit_stmt
                .query_row(params![q, vid], |row| Ok(self.search_hit(row)))
                .optional()
                .map_err(self.sql(context))
                .and_then(|found| found.unwrap_or_else(|| Err(self.missing(vid))));
            match hit {
                Ok(hit) => out.push(hit),
                Err(e) => self.skip(None, self.article_of_version(vid), &e),
            }
        }
        Ok(out)
    }

    /// The id of the article whose current version is `vid`, if that can still be read.
    fn article_of_version(&self, vid: i64) -> Option<String> {
        self.conn.query_row("SELECT id FROM articles WHERE current_vid = ?1", [vid], |r| r.get(0)).ok()
    }

    /// `log_range` from `from` on, one entry at a time by sequence number.
    pub(super) fn salvage_log(
        &self,
        from: u64,
        to: u64,
        visit: &mut dyn FnMut(LogEntry) -> Result<(), ArchiveError>,
    ) -> Result<(), ArchiveError> {
        let context = "reading the publication log";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT l.seq, v.version, v.title, v.summary, v.content_html, v.meta
                 FROM feed_log l JOIN versions v ON v.vid = l.vid WHERE l.seq = ?1",
            )
            .map_err(self.sql(context))?;
        for seq in from..=to {
            let entry = stmt
                .query_row([seq as i64], |row| Ok(self.read_entry(row)))
                .optional()
                .map_err(self.sql(context))
                .and_then(Option::transpose);
            match entry {
                Ok(Some(entry)) => visit(entry)?,
                Ok(None) => {}
                Err(e) => {
                    let id = self
                        .conn
                        .query_row("SELECT article_id FROM feed_log WHERE seq = ?1", [seq as i64], |r| r.get(0))
                        .ok();
                    self.skip(Some(seq), id, &e);
                }
            }
        }
        Ok(())
    }

    /// `tag_entries` one entry at a time: the tag's articles in order, then each current
    /// version by its rowid.
    pub(super) fn salvage_tag(&self, tag: &str, limit: usize) -> Result<Vec<LogEntry>, ArchiveError> {
        let context = "reading a tag";
        let mut stmt = self
            .conn
            .prepare(
                "SELECT a.id, a.current_vid, t.last_seq, a.version_count FROM article_tags t JOIN articles a ON a.id = t.article_id
                 WHERE t.tag = ?1 ORDER BY t.last_seq DESC LIMIT ?2",
            )
            .map_err(self.sql(context))?;
        let keys = stmt
            .query_map(params![tag, limit as i64], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?))
            })
            .map_err(self.sql(context))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.sql(context))?;
        let mut out = Vec::with_capacity(keys.len());
        for (id, vid, seq, version) in keys {
            match self.version_row(vid) {
                Ok(mut article) => {
                    article.content.text.clear();
                    out.push(LogEntry { seq: seq as u64, version: version as u32, article });
                }
                Err(e) => self.skip(Some(seq as u64), Some(id), &e),
            }
        }
        Ok(out)
    }
}
