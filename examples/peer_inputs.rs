//! Writes the inputs of `benches/matcher.rs` as plain files for the peer harnesses
//! (`benches/peers/`, issue 11 "Measure"): into the directory given,
//!
//! - `lines.txt`: every line of the full People's Daily (January 1998), one per line, as
//!   `Matcher::find` sees them in the benchmark (`str::lines`);
//! - `jieba-50k.txt`: the 50,000 sampled jieba words (`support::jieba_sample`), one per line,
//!   the terms `raw-aho-*/jieba-50k` searches for;
//! - `default.txt`: the reject and hold terms of the default lexicon (`data/lexicon/*.csv`, no
//!   allow phrases), one per line: what a team switching over would feed sensitive-word.
//!
//! ```text
//! cargo run --release --example peer_inputs -- DIR
//! ```

#[path = "../benches/support/mod.rs"]
mod support;

use std::io::Write;
use std::path::Path;

fn write_lines<'a>(path: &Path, lines: impl IntoIterator<Item = &'a str>) -> (usize, usize) {
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    );
    let (mut n, mut bytes) = (0, 0);
    for line in lines {
        assert!(!line.contains('\n'), "a line with a line feed: {line:?}");
        writeln!(out, "{line}").unwrap();
        n += 1;
        bytes += line.len();
    }
    out.flush().unwrap();
    (n, bytes)
}

fn main() {
    let dir = std::env::args_os()
        .nth(1)
        .expect("usage: peer_inputs DIR (the directory to write lines.txt, jieba-50k.txt, default.txt into)");
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).unwrap();

    let corpus = support::peoples_daily();
    let (n, bytes) = write_lines(&dir.join("lines.txt"), corpus.lines());
    println!("lines.txt: {n} lines, {bytes} bytes without line ends");

    let words = support::jieba_sample(&support::jieba_words());
    // A word that is blank once trimmed (a lone `+` in jieba's list) would be no word to a peer.
    let (n, _) = write_lines(
        &dir.join("jieba-50k.txt"),
        words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()),
    );
    println!("jieba-50k.txt: {n} terms");

    let terms = support::flagging_terms(&support::default_entries());
    let (n, _) = write_lines(&dir.join("default.txt"), terms.iter().map(String::as_str));
    println!("default.txt: {n} reject/hold terms");
}
