//! Runs a lexicon over corpus files and prints every hit, each line of a file matched on its
//! own (as the worker sees one event) and the whole file matched as one text.
//!
//! ```text
//! cargo run --release --example corpus_hits -- [OPTIONS] FILE...
//!   --lexicon PATH   a lexicon CSV, or a folder of them (default: data/lexicon)
//!   --words FILE     a word list, one term per line, each a `hold` term (instead of --lexicon)
//!   --summary        print counts only
//! ```
//! FILE may be plain UTF-8 or `.xz`. Output, one tab-separated line per hit:
//! `mode  file  line  start  end  term  action  matched  context`, `mode` being `line` or
//! `file` (`line` is then the line of the hit's start, and `start`/`end` are offsets in the
//! whole file). The context shows 8 characters either side. `docs/matching.md` lists the result
//! for the default lexicon over `data/corpus/*.txt.xz`.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use synth_review::text::lexicon::parse_lexicon;
use synth_review::text::matcher::{LexiconEntry, Matcher, TermAction};
use synth_review::text::normalize::Normalizer;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut lexicons: Vec<PathBuf> = Vec::new();
    let mut words: Option<PathBuf> = None;
    let mut summary = false;
    let mut files: Vec<PathBuf> = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--lexicon" => lexicons.push(args.next().expect("--lexicon PATH").into()),
            "--words" => words = Some(args.next().expect("--words FILE").into()),
            "--summary" => summary = true,
            _ => files.push(arg.into()),
        }
    }
    let normalizer = Arc::new(Normalizer::new());
    let entries = match &words {
        Some(path) => read_text(path)?
            .lines()
            .enumerate()
            .filter(|(_, w)| !normalizer.fold_term(w).is_empty())
            .map(|(i, w)| LexiconEntry {
                term: w.trim().to_string(),
                category: "probe".to_string(),
                action: TermAction::Hold,
                source: format!("{}:{}", path.display(), i + 1),
            })
            .collect(),
        None => {
            if lexicons.is_empty() {
                lexicons.push("data/lexicon".into());
            }
            read_lexicons(&lexicons)?
        }
    };
    let matcher = Matcher::new(normalizer, entries)?;
    eprintln!("{} blocking terms", matcher.len());
    for file in &files {
        let text = read_text(file)?;
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        let mut counts = [0usize; 2];
        let mut joined = [0usize; 2];
        for (n, line) in text.lines().enumerate() {
            let hits = matcher.find(line);
            let offsets = if summary || hits.is_empty() {
                Vec::new()
            } else {
                char_offsets(line)
            };
            for hit in hits {
                counts[0] += 1;
                joined[0] += usize::from(has_clause_punctuation(hit.matched));
                if !summary {
                    print_hit(
                        "line",
                        &name,
                        n + 1,
                        line,
                        &offsets,
                        (
                            hit.start,
                            hit.end,
                            hit.term,
                            hit.action.as_str(),
                            hit.matched,
                        ),
                    );
                }
            }
        }
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(
                text.chars()
                    .enumerate()
                    .filter(|&(_, c)| c == '\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        let offsets = char_offsets(&text);
        for hit in matcher.find(&text) {
            counts[1] += 1;
            joined[1] += usize::from(has_clause_punctuation(hit.matched));
            if !summary {
                let line = line_starts.partition_point(|&s| s <= hit.start);
                print_hit(
                    "file",
                    &name,
                    line,
                    &text,
                    &offsets,
                    (
                        hit.start,
                        hit.end,
                        hit.term,
                        hit.action.as_str(),
                        hit.matched,
                    ),
                );
            }
        }
        println!(
            "# {name}: {} hits per line ({} across clause punctuation), {} hits over the whole file ({} across clause punctuation)",
            counts[0], joined[0], counts[1], joined[1]
        );
    }
    Ok(())
}

/// Whether `s` contains a character that the matcher treats as clause punctuation on its own
/// (`。，、；：！？` in any width, an ellipsis, a line break).
fn has_clause_punctuation(s: &str) -> bool {
    s.chars()
        .any(|c| "。，、；：！？,;:!?｡､…⋯︙\n\r\u{2028}\u{2029}".contains(c))
        || s.contains("..")
        || s.contains(". ")
        || s.contains("——")
        || s.contains("--")
}

/// Byte offset of every char of `text`, and of its end.
fn char_offsets(text: &str) -> Vec<usize> {
    text.char_indices()
        .map(|(b, _)| b)
        .chain([text.len()])
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn print_hit(
    mode: &str,
    file: &str,
    line: usize,
    text: &str,
    offsets: &[usize],
    hit: (usize, usize, &str, &str, &str),
) {
    let (start, end, term, action, matched) = hit;
    let from = offsets[start.saturating_sub(8)];
    let to = offsets[(end + 8).min(offsets.len() - 1)];
    println!(
        "{mode}\t{file}\t{line}\t{start}\t{end}\t{term}\t{action}\t{}\t{}",
        matched.escape_debug(),
        text[from..to].escape_debug()
    );
}

fn read_lexicons(paths: &[PathBuf]) -> anyhow::Result<Vec<LexiconEntry>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut csvs: Vec<PathBuf> = std::fs::read_dir(path)?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()?;
            csvs.retain(|p| p.extension().is_some_and(|e| e == "csv"));
            csvs.sort();
            files.extend(csvs);
        } else {
            files.push(path.clone());
        }
    }
    let mut entries = Vec::new();
    for f in &files {
        entries.extend(parse_lexicon(&f.display().to_string(), &std::fs::read(f)?)?);
    }
    Ok(entries)
}

/// Reads a UTF-8 text file, decompressing `.xz`.
fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path)?;
    let bytes = if path.extension().is_some_and(|e| e == "xz") {
        let mut out = Vec::new();
        lzma_rs::xz_decompress(&mut &bytes[..], &mut out)?;
        out
    } else {
        bytes
    };
    Ok(String::from_utf8(bytes)?)
}
