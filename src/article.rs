//! The Atom-shaped article model, stable ids and normalisation. No I/O.
