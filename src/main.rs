//! The `feedkeeper` binary: parses flags, calls the library, prints, maps outcomes to exit codes.

fn main() {}
