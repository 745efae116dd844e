//! Helper binary for `benches/serve.sh` (not a criterion bench): serves a folder with
//! `feedkeeper::serve` until SIGINT/SIGTERM, or writes the realistic ~200 KB `atom.xml`
//! the script measures. Run with no arguments (as `cargo bench` does) it only prints its
//! usage, so a plain `cargo bench` never blocks.
//!
//! ```text
//! serve write-atom DIR      write DIR/atom.xml (50 entries, full content, ~200 KB)
//! serve free-port           print a free 127.0.0.1 port
//! serve run DIR [ADDR]      serve DIR on ADDR (default 127.0.0.1:0); prints "listening on ADDR"
//! ```

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

const ARTICLE: &str = include_str!("../tests/fixtures/serve/feeds/articles/geneva-conference-2018-0.html");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["write-atom", dir] => write_atom(&PathBuf::from(dir)),
        ["free-port"] => {
            let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            println!("{port}");
            Ok(())
        }
        ["run", dir] => run(PathBuf::from(dir), "127.0.0.1:0".parse()?),
        ["run", dir, addr] => run(PathBuf::from(dir), addr.parse()?),
        _ => {
            eprintln!("serve bench helper: see benches/serve.sh (usage: write-atom DIR | free-port | run DIR [ADDR])");
            Ok(())
        }
    }
}

fn run(root: PathBuf, listen: SocketAddr) -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        println!("listening on {}", listener.local_addr()?);
        std::io::stdout().flush()?;
        let shutdown = async {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
            }
        };
        feedkeeper::serve::serve_on(listener, root, shutdown).await?;
        Ok(())
    })
}

/// Paragraph texts of the fixture article (already HTML-escaped there).
fn paragraphs() -> Vec<&'static str> {
    ARTICLE.split("<p>").skip(1).filter_map(|p| p.split("</p>").next()).filter(|p| p.len() > 80).collect()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn write_atom(dir: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let paras = paragraphs();
    let base = "https://example.org/feeds/";
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    out.push_str("  <title>1988 massacre archive</title>\n  <id>urn:uuid:5d1f6c1e-0f6b-4b7e-9f51-6d2f3c1a9e00</id>\n");
    out.push_str(&format!("  <link rel=\"self\" href=\"{base}atom.xml\"/>\n  <link rel=\"prev-archive\" href=\"{base}archive/3/atom.xml\"/>\n"));
    out.push_str("  <updated>2018-09-14T12:00:00Z</updated>\n");
    for i in 0..50 {
        let html: String = (0..12).map(|k| format!("<p>{}</p>\n", paras[(i + k) % paras.len()])).collect();
        out.push_str(&format!(
            "  <entry>\n    <title>Geneva conference calls for inquiry into the 1988 massacre ({i})</title>\n    \
             <id>urn:feedkeeper:{i:08x}</id>\n    <link href=\"{base}articles/geneva-conference-{i}.html\"/>\n    \
             <published>2018-09-{d:02}T10:00:00Z</published>\n    <updated>2018-09-{d:02}T10:00:00Z</updated>\n    \
             <author><name>PMOI/MEK</name></author>\n    <summary>Dignitaries and politicians reiterated the need to investigate the 1988 massacre in Iran.</summary>\n    \
             <content type=\"html\">{}</content>\n  </entry>\n",
            xml_escape(&html),
            d = 1 + i % 28,
        ));
    }
    out.push_str("</feed>\n");
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("atom.xml"), &out)?;
    println!("wrote {} ({} bytes)", dir.join("atom.xml").display(), out.len());
    Ok(())
}
