//! Would pinyin initials of the feature library's terms (`csbd` for 出售冰毒, issue 11 item 4)
//! be safe to match? For every ideographic `reject`/`hold` term of the default lexicon, its
//! initials (first letter of each character's most common reading, `pinyin` crate); then every
//! whole Latin word (ASCII or full-width letters, case-folded) of both corpora
//! (`data/corpus/*.txt.xz`) and of jieba's dictionary (`data/lexicon-bench/jieba-words.txt.xz`)
//! that equals one: how often, and for which terms. `docs/matching.md` §2.5g gives the result.
//!
//! ```text
//! cargo run --release --example initials_corpus
//! ```

#[path = "../benches/support/mod.rs"]
mod support;

use std::collections::{BTreeMap, HashMap};

use pinyin::ToPinyin;
use synth_review::text::matcher::TermAction;

/// Whole runs of Latin letters (ASCII or full-width), lowercased.
fn latin_words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in line.chars() {
        let c = match c {
            'Ａ'..='Ｚ' | 'ａ'..='ｚ' => char::from_u32(c as u32 - 0xFEE0).unwrap(),
            _ => c,
        };
        if c.is_ascii_alphabetic() {
            word.push(c.to_ascii_lowercase());
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

fn main() {
    let root = support::root();
    let mut initials: HashMap<String, Vec<String>> = HashMap::new();
    for row in support::default_entries() {
        if !matches!(row.action, TermAction::Reject | TermAction::Hold) {
            continue;
        }
        let term: String = row.term.chars().filter(|&c| c != '+').collect();
        let letters: Option<String> = term
            .chars()
            .map(|c| c.to_pinyin().and_then(|p| p.plain().chars().next()))
            .collect();
        if let Some(letters) = letters.filter(|l| l.len() >= 2) {
            initials.entry(letters).or_default().push(row.term.clone());
        }
    }
    println!("{} initials of {} terms", initials.len(), {
        initials.values().map(Vec::len).sum::<usize>()
    });
    let sources = [
        (
            "peoples-daily",
            root.join("data/corpus/peoples-daily-199801.txt.xz"),
        ),
        ("reviews", root.join("data/corpus/reviews.txt.xz")),
        (
            "jieba-dictionary",
            root.join("data/lexicon-bench/jieba-words.txt.xz"),
        ),
    ];
    let mut hits: BTreeMap<String, BTreeMap<&str, usize>> = BTreeMap::new();
    for (name, path) in &sources {
        let text = support::read_text(path);
        let (mut words, mut lines_hit) = (0usize, 0usize);
        for line in text.lines() {
            let mut any = false;
            for w in latin_words(line) {
                words += 1;
                if initials.contains_key(&w) {
                    *hits.entry(w).or_default().entry(name).or_default() += 1;
                    any = true;
                }
            }
            lines_hit += any as usize;
        }
        println!("{name}: {words} Latin words, {lines_hit} lines with one equal to an initials");
    }
    let mut by_length: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for key in initials.keys() {
        let e = by_length.entry(key.len()).or_default();
        e.0 += 1;
        e.1 += hits.contains_key(key) as usize;
    }
    for (len, (all, hit)) in &by_length {
        println!("{len} letters: {all} initials, {hit} of them found as a word");
    }
    let mut short: Vec<_> = initials.iter().filter(|(k, _)| k.len() <= 3).collect();
    short.sort();
    for (k, terms) in short {
        println!("  {k}: {}", terms.join(" "));
    }
    for (w, per) in &hits {
        println!("{w} ({}): {per:?}", initials[w].join(" "));
    }
}
