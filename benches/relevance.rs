//! Prints the time and memory to build topic models of 1,000, 10,000 and 100,000 documents,
//! and relevance scoring throughput against the 1,000- and 10,000-document models. Run with
//! `cargo bench --bench relevance` (`-- quick` builds only the 1,000-document model; `-- build N`
//! only builds an N-document model, `-- score N` only scores against one, for a profiler).
//!
//! Documents are made deterministically from the labelled fixtures and the seed, so the
//! vocabulary is realistic; no network, no clock inside the scorer. Memory is measured with
//! a counting allocator: "model" is what the built model keeps, "peak" the most the build
//! had allocated at once beyond its input. The "verdicts" digest hashes every verdict
//! (score bits, keep, reasons, nearest) on the labelled set against each model, so two
//! versions of the scorer can be compared at sizes the unit tests do not build.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use feedkeeper::relevance::{Candidate, Rules, TopicDoc, TopicModel, score};

/// Counts live and peak bytes on top of the system allocator.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's pointer, layout and size.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size - layout.size();
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

/// CPU seconds this process has used (user and system), when Linux says: on a shared
/// machine wall time also counts the time other processes had the core.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is the 12th, stime the 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok());
    match (field(11), field(12)) {
        (Some(u), Some(s)) => (u + s) / 100.0,
        _ => f64::NAN,
    }
}

fn main() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/relevance");
    let seed = std::fs::read_to_string(format!("{fixtures}/seed.txt")).expect("seed fixture");
    let labelled = std::fs::read_to_string(format!("{fixtures}/labelled.jsonl")).expect("labelled fixture");
    let items: Vec<serde_json::Value> = labelled.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let sentences: Vec<String> = seed
        .split(['.', '\n'])
        .chain(items.iter().filter_map(|i| i["summary"].as_str()))
        .map(str::trim)
        .filter(|s| s.len() > 20)
        .map(String::from)
        .collect();
    // Document n: 12 sentences picked by a fixed linear congruential sequence.
    let make_docs = |n: usize| -> Vec<(String, String, String)> {
        let mut x: u64 = 0x9e37_79b9;
        (0..n)
            .map(|d| {
                let mut text = String::new();
                for _ in 0..12 {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    text.push_str(&sentences[(x >> 33) as usize % sentences.len()]);
                    text.push_str(". ");
                }
                (format!("doc-{d}"), format!("Document {d}"), text)
            })
            .collect()
    };
    let build = |docs: &[(String, String, String)]| {
        TopicModel::build(docs.iter().map(|(id, title, text)| TopicDoc { id, title, text }))
    };
    let rules = Rules {
        keywords: vec!["1988 massacre".into(), "PMOI".into()],
        exclude: vec!["football".into()],
        ..Rules::default()
    };
    let candidate = |i: &serde_json::Value| -> (String, String, Option<String>) {
        (
            i["title"].as_str().unwrap_or("").to_string(),
            i["summary"].as_str().unwrap_or("").to_string(),
            i["link"].as_str().map(String::from),
        )
    };
    let cands: Vec<(String, String, Option<String>)> = items.iter().map(candidate).collect();
    let judge = |(title, summary, link): &(String, String, Option<String>), model: &TopicModel| {
        let c = Candidate { title, summary, text: "", link: link.as_deref(), categories: &[] };
        score(&c, model, &rules, &[])
    };

    let _warm = build(&make_docs(1));
    // `-- build N`: only build an N-document model, three times (for a profiler).
    let args: Vec<String> = std::env::args().collect();
    if let Some(n) = args.iter().position(|a| a == "build").and_then(|i| args.get(i + 1)?.parse::<usize>().ok()) {
        let docs = make_docs(n);
        for _ in 0..3 {
            let (t, cpu) = (Instant::now(), cpu_seconds());
            let model = build(&docs);
            println!(
                "build {n} docs: {:.3} s ({:.2} s CPU), fingerprint {}",
                t.elapsed().as_secs_f64(),
                cpu_seconds() - cpu,
                model.fingerprint()
            );
        }
        return;
    }
    // `-- score N`: only score the labelled items 100 times against an N-document model.
    if let Some(n) = args.iter().position(|a| a == "score").and_then(|i| args.get(i + 1)?.parse::<usize>().ok()) {
        let model = build(&make_docs(n));
        let (t, cpu) = (Instant::now(), cpu_seconds());
        for _ in 0..100 {
            for c in &cands {
                black_box(judge(c, &model));
            }
        }
        let k = (100 * cands.len()) as f64;
        println!(
            "score against {n} docs: {:.0} items/s, {:.0} per CPU second",
            k / t.elapsed().as_secs_f64(),
            k / (cpu_seconds() - cpu)
        );
        // The same items carrying 2–3 KB each: the summary, then article text from the seed.
        let body: String = seed.chars().filter(|c| *c != '\r').collect();
        let long: Vec<(String, String, Option<String>, String)> = cands
            .iter()
            .enumerate()
            .map(|(i, (title, summary, link))| {
                let want = 2_000 + (i * 37) % 1_000;
                let start = (i * 211) % body.len().saturating_sub(3_000).max(1);
                let start = (start..body.len()).find(|&j| body.is_char_boundary(j)).unwrap_or(0);
                let mut end = (start + want.saturating_sub(title.len() + summary.len())).min(body.len());
                while !body.is_char_boundary(end) {
                    end -= 1;
                }
                (title.clone(), summary.clone(), link.clone(), body[start..end].to_string())
            })
            .collect();
        let bytes: usize = long.iter().map(|(t, s, _, x)| t.len() + s.len() + x.len()).sum();
        let (t, cpu) = (Instant::now(), cpu_seconds());
        for _ in 0..20 {
            for (title, summary, link, text) in &long {
                let c = Candidate { title, summary, text, link: link.as_deref(), categories: &[] };
                black_box(score(&c, &model, &rules, &[]));
            }
        }
        let k = (20 * long.len()) as f64;
        println!(
            "score {:.1} KB items against {n} docs: {:.0} items/s, {:.0} per CPU second",
            bytes as f64 / long.len() as f64 / 1000.0,
            k / t.elapsed().as_secs_f64(),
            k / (cpu_seconds() - cpu)
        );
        return;
    }
    let quick = args.iter().any(|a| a == "quick");
    let sizes: &[usize] = if quick { &[1_000] } else { &[1_000, 10_000, 100_000] };
    for &n in sizes {
        let docs = make_docs(n);
        let bytes: usize = docs.iter().map(|(_, t, x)| t.len() + x.len()).sum();
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let (t, cpu) = (Instant::now(), cpu_seconds());
        let model = build(&docs);
        let secs = t.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu;
        let kept = LIVE.load(Ordering::Relaxed).saturating_sub(base);
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
        println!(
            "build {n:>7} docs ({:.1} KB each): {secs:.3} s ({cpu:.2} s CPU); model {:.1} MB, peak {:.1} MB",
            bytes as f64 / n as f64 / 1e3,
            mb(kept),
            mb(peak)
        );

        let mut h = blake3::Hasher::new();
        h.update(model.fingerprint().as_bytes());
        for c in &cands {
            let v = judge(c, &model);
            h.update(&v.score.to_bits().to_le_bytes());
            h.update(&[u8::from(v.keep)]);
            for r in &v.reasons {
                h.update(r.as_bytes());
                h.update(b"\0");
            }
            h.update(v.nearest.as_deref().unwrap_or("-").as_bytes());
        }
        println!("  fingerprint {}, verdicts {}", model.fingerprint(), &h.finalize().to_hex()[..16]);

        if n <= 10_000 {
            let feed: Vec<&(String, String, Option<String>)> = cands.iter().cycle().take(50).collect();
            let rounds = 100;
            let (t, cpu) = (Instant::now(), cpu_seconds());
            for _ in 0..rounds {
                for c in &feed {
                    black_box(judge(c, &model));
                }
            }
            let secs = t.elapsed().as_secs_f64();
            let cpu = cpu_seconds() - cpu;
            let k = (rounds * feed.len()) as f64;
            println!(
                "  score 50-item feed x {rounds} against it: {:.0} items/s ({:.1} µs/item; {:.0} items per CPU second)",
                k / secs,
                secs / k * 1e6,
                k / cpu
            );
        }
    }
}
