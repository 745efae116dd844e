//! One poll of one upstream source: fetch -> parse (with repair) -> items.
