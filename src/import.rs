//! Article files (plain text, front matter, saved HTML) -> `Article`.
