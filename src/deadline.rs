//! A time budget for CPU-bound work on one untrusted document: parsing one upstream feed,
//! extracting one fetched page. The work takes a [`Deadline`] and checks it cooperatively
//! — between its phases and every so often inside its loops — and gives up with
//! [`OutOfTime`] once the budget is spent, on the thread doing the work: nothing is left
//! running in the background. A pathological document then costs about one budget instead
//! of holding a check (and the archive lock) for minutes or hours.
//!
//! It reads only the monotonic clock, and only to stop: the result of work that finishes
//! in time never depends on the clock. It knows nothing of feeds or pages.

use std::time::{Duration, Instant};

/// When the work on one document must stop; [`Deadline::none`] never does.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    started: Instant,
    at: Option<Instant>,
    budget: Duration,
}

/// The work ran past its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("gave up after its time budget of {}", budget_text(*budget))]
pub struct OutOfTime {
    /// The budget that was spent.
    pub budget: Duration,
}

/// `5 s`, `1.5 s`, `250 ms`.
fn budget_text(budget: Duration) -> String {
    if budget < Duration::from_secs(1) {
        format!("{} ms", budget.as_millis())
    } else if budget.subsec_millis() == 0 {
        format!("{} s", budget.as_secs())
    } else {
        format!("{:.1} s", budget.as_secs_f64())
    }
}

impl Deadline {
    /// No deadline: the work runs to its end (for commands a person waits on by hand, and
    /// for tests and benches).
    pub fn none() -> Deadline {
        Deadline { started: Instant::now(), at: None, budget: Duration::MAX }
    }

    /// `budget` from now.
    pub fn after(budget: Duration) -> Deadline {
        let started = Instant::now();
        Deadline { started, at: started.checked_add(budget), budget }
    }

    /// `Err` once the deadline has passed.
    pub fn check(&self) -> Result<(), OutOfTime> {
        match self.at {
            Some(at) if Instant::now() >= at => Err(OutOfTime { budget: self.budget }),
            _ => Ok(()),
        }
    }

    /// Before a step that cannot be interrupted and costs up to `factor` times the work done
    /// since the deadline was set: `Err` unless that much time is left, so the step is not
    /// started when it would run far past the deadline.
    pub fn room_for(&self, factor: u32) -> Result<(), OutOfTime> {
        let Some(at) = self.at else { return Ok(()) };
        let now = Instant::now();
        match now.checked_add((now - self.started).saturating_mul(factor)) {
            Some(done) if done <= at => Ok(()),
            _ => Err(OutOfTime { budget: self.budget }),
        }
    }

    /// Checks on every `every`-th call of a hot loop (`n` counts the loop's turns), so the
    /// clock is read rarely where each turn is cheap.
    pub fn check_every(&self, n: usize, every: usize) -> Result<(), OutOfTime> {
        if self.at.is_some() && n.is_multiple_of(every.max(1)) { self.check() } else { Ok(()) }
    }
}

/// Parses `html` as a document with `sink` (scripting on or off, as the sink's crate does
/// by default), a chunk at a time, checking `deadline` between chunks: the HTML parser's
/// cost per tag grows with the depth of the open elements, so this is where a hostile page
/// spends its time. The tree is the same as from one call.
pub(crate) fn parse_html<S>(html: &str, sink: S, scripting: bool, deadline: &Deadline) -> Result<S::Output, OutOfTime>
where
    S: html5ever::interface::TreeSink,
{
    use html5ever::tendril::TendrilSink;
    /// Bytes handed to the parser between two checks.
    const CHUNK: usize = 64 * 1024;
    let opts = html5ever::ParseOpts {
        tree_builder: html5ever::tree_builder::TreeBuilderOpts { scripting_enabled: scripting, ..Default::default() },
        ..Default::default()
    };
    let mut parser = html5ever::parse_document(sink, opts);
    let mut rest = html;
    while !rest.is_empty() {
        deadline.check()?;
        let mut end = rest.len().min(CHUNK);
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        parser.process(rest[..end].into());
        rest = &rest[end..];
    }
    deadline.check()?;
    Ok(parser.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_deadline_never_expires_and_a_spent_one_says_its_budget() {
        assert_eq!(Deadline::none().check(), Ok(()));
        let spent = Deadline::after(Duration::ZERO);
        assert_eq!(spent.check(), Err(OutOfTime { budget: Duration::ZERO }));
        assert_eq!(spent.check_every(3, 2), Ok(()), "only every second turn reads the clock");
        assert!(spent.check_every(4, 2).is_err());
        let hour = Deadline::after(Duration::from_secs(3600));
        assert_eq!(hour.check(), Ok(()));
        assert_eq!(hour.room_for(4), Ok(()), "a fresh deadline has room");
        assert_eq!(Deadline::none().room_for(1000), Ok(()));
        assert!(spent.room_for(0).is_err());
        assert_eq!(OutOfTime { budget: Duration::from_secs(20) }.to_string(), "gave up after its time budget of 20 s");
        assert_eq!(
            OutOfTime { budget: Duration::from_millis(1500) }.to_string(),
            "gave up after its time budget of 1.5 s"
        );
    }

    #[test]
    fn a_page_parsed_in_chunks_is_the_page_parsed_at_once() {
        // Multi-byte characters across the chunk boundaries, a tag cut by one.
        let mut html = String::from("<html><head><title>T</title></head><body>");
        for n in 0..20_000 {
            html.push_str(&format!("<p class=\"x{n}\">é—ü {n}</p>"));
        }
        let whole = dom_query::Document::from(html.as_str());
        let chunked =
            parse_html(&html, dom_query::Document::default(), false, &Deadline::none()).expect("no deadline, no stop");
        assert_eq!(chunked.html(), whole.html());
        let spent = parse_html(&html, dom_query::Document::default(), false, &Deadline::after(Duration::ZERO));
        assert!(spent.is_err());
    }
}
