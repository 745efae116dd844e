//! Pure relevance scoring of upstream items against the archive topic.
