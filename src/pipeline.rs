//! The order of steps (import, check, publish, run) and the run report.
