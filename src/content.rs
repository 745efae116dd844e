//! Article bodies: plain text <-> HTML paragraphs, and HTML sanitization.
