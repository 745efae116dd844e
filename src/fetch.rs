//! The one HTTP and file client.
