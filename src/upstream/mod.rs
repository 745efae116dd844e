//! One poll of one upstream source: fetch -> parse (with repair) -> items.
//!
//! Parsing lives in submodules and is pure (bytes and metadata in, items out): `draft`
//! holds the model the readers fill; `parse` normalises it and holds [`parse_feed`];
//! `decode` picks the encoding; `xml` is the lenient reader for every RSS and Atom version;
//! `json` reads JSON Feed; `fallback` reads items out of hopeless XML with an HTML parser;
//! `unescape` decodes entities and strips markup. Relevance and storage belong elsewhere.

mod decode;
mod draft;
mod fallback;
mod json;
mod parse;
mod poll;
mod unescape;
mod xml;

#[cfg(test)]
mod fixture_tests;

pub use draft::FeedFormat;
pub use parse::{FeedItem, History, ParseError, ParsedFeed, parse_feed, parse_feed_within};
pub use poll::{Poll, PollError, PollOutcome, PollRequest, item_hash, item_key, item_text, poll, poll_request};

/// Decodes character references as leniently as feed text is read: `&amp;`, `&#233;`,
/// `&#xE9;`, `&eacute;` and the rest of HTML's names; a bare `&` or an unknown `&name;` stays
/// as written. For other documents of the feed world (OPML).
pub(crate) fn decode_entities(s: &str) -> std::borrow::Cow<'_, str> {
    unescape::decode_entities(s, &mut unescape::TextRepairs::default())
}
