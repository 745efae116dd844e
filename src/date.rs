//! The one date normaliser: every date string from a file, a feed or an HTTP header goes through here.
