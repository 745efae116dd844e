//! The archive: the only owner of the data folder, the SQL and the captures.
pub mod warc;
