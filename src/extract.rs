//! Pure main-text extraction: page HTML + URL -> readable article.
