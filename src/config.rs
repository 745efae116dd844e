//! The config file: `feedkeeper.toml` structs, parsing and validation with file/line/key errors.
