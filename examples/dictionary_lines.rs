//! Share of corpus lines flagged by a large real-world dictionary (issue 11 "Measure"): the
//! full People's Daily (January 1998) and the full reviews corpus (`data/corpus/*.txt.xz`), one
//! event per line, with the default lexicon and with houbb/sensitive-word's own word list
//! (`sensitive_word_dict.txt` from its jar: `benches/peers/run.sh` extracts it into
//! `~/.cache/synth-review/peers/`), each measured three ways:
//!
//! - (a) `raw`: the `aho-corasick` crate over the original line, the terms as plain strings
//!   (leftmost-longest; a line is flagged when any term occurs in it), as a plain matcher would;
//! - (b) `matcher`: our `Matcher::find` (folding, word-boundary and clause rules, allow phrases);
//! - (c) `stage`: the actual `prohibited` stage (`Stages::review` of one event with the line as
//!   `content.text`): the matcher plus the context rules (word boundary by segmentation,
//!   solicitation, negation and reporting cues) and the display-order reading. Sound-alikes are
//!   off (an empty `SoundAlikes`), so (b) → (c) is the context rules alone.
//!
//! The word list is read the way a pipeline's `word_lists` entry with `format = "sensitive-word"`
//! reads it (`parse_word_list`, every word `reject`); words that fold to nothing (which
//! `Matcher::new` refuses) are left out and counted. Prints, per corpus and dictionary, the lines
//! flagged (rejected / held) under (a), (b), (c), and the 10 terms that flag the most lines under
//! (c).
//!
//! ```text
//! cargo run --release --example dictionary_lines -- ~/.cache/synth-review/peers/sensitive_word_dict.txt
//! ```

#[path = "../benches/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, MatchKind};
use synth_review::decision::Action;
use synth_review::event::{parse_event, Limits};
use synth_review::stages::prohibited::Prohibited;
use synth_review::stages::{Stage, StageOutput};
use synth_review::text::lexicon::{parse_word_list, WordListFormat};
use synth_review::text::matcher::{LexiconEntry, Matcher, TermAction};
use synth_review::text::normalize::Normalizer;
use synth_review::text::sound::SoundAlikes;

struct Dictionary {
    name: String,
    raw: AhoCorasick,
    /// The action of each pattern of `raw`.
    raw_actions: Vec<TermAction>,
    matcher: Arc<Matcher>,
    stage: Prohibited,
}

fn dictionary(name: &str, entries: Vec<LexiconEntry>) -> Dictionary {
    let normalizer = Normalizer::shared();
    let total = entries.len();
    let entries: Vec<LexiconEntry> = entries
        .into_iter()
        .filter(|e| !normalizer.fold_term(&e.term).is_empty())
        .collect();
    let flagging: Vec<&LexiconEntry> = entries
        .iter()
        .filter(|e| e.action != TermAction::Allow)
        .collect();
    let terms: Vec<&str> = flagging.iter().map(|e| e.term.as_str()).collect();
    let raw_actions = flagging.iter().map(|e| e.action).collect();
    println!(
        "{name}: {total} entries, {} used ({} fold to nothing), {} reject/hold terms",
        entries.len(),
        total - entries.len(),
        terms.len()
    );
    let raw = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&terms)
        .unwrap();
    let t = std::time::Instant::now();
    let matcher = Arc::new(Matcher::new(normalizer, entries).unwrap());
    println!("  matcher built in {:.2?}", t.elapsed());
    synth_review::text::words::warm_up();
    let stage = Prohibited::new(matcher.clone(), Arc::new(SoundAlikes::new(&[])));
    Dictionary {
        name: name.to_string(),
        raw,
        raw_actions,
        matcher,
        stage,
    }
}

#[derive(Default)]
struct Count {
    flagged: usize,
    rejected: usize,
    held: usize,
}

impl Count {
    fn add(&mut self, reject: bool, hold: bool) {
        if reject || hold {
            self.flagged += 1;
        }
        if reject {
            self.rejected += 1;
        } else if hold {
            self.held += 1;
        }
    }
    fn show(&self, lines: usize) -> String {
        format!(
            "{:>6} = {:>7.3} %  (rejected {}, held {})",
            self.flagged,
            100.0 * self.flagged as f64 / lines as f64,
            self.rejected,
            self.held
        )
    }
}

fn main() {
    let dict_path = std::env::args_os().nth(1).expect(
        "usage: dictionary_lines SENSITIVE_WORD_DICT (sensitive_word_dict.txt, see benches/peers/run.sh)",
    );
    let dict_path = std::path::PathBuf::from(dict_path);
    let words = parse_word_list(
        &dict_path.display().to_string(),
        &std::fs::read(&dict_path).unwrap_or_else(|e| panic!("{}: {e}", dict_path.display())),
        WordListFormat::SensitiveWord,
        "sensitive-word",
        TermAction::Reject,
    )
    .unwrap();
    let dictionaries = [
        dictionary("default lexicon", support::default_entries()),
        dictionary("sensitive-word dict", words),
    ];

    let limits = Limits::default();
    for file in ["peoples-daily-199801.txt.xz", "reviews.txt.xz"] {
        let text = support::read_text(&support::root().join("data/corpus").join(file));
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        println!("\n{file}: {} non-blank lines", lines.len());
        for d in &dictionaries {
            let (mut raw, mut matched, mut staged) =
                (Count::default(), Count::default(), Count::default());
            let mut terms: HashMap<String, usize> = HashMap::new();
            for line in &lines {
                let (mut reject, mut hold) = (false, false);
                for m in d.raw.find_iter(*line) {
                    match d.raw_actions[m.pattern().as_usize()] {
                        TermAction::Reject => reject = true,
                        _ => hold = true,
                    }
                }
                raw.add(reject, hold);
                let hits = d.matcher.find(line);
                matched.add(
                    hits.iter().any(|h| h.action == TermAction::Reject),
                    hits.iter().any(|h| h.action == TermAction::Hold),
                );
                let ev = serde_json::json!({"event_id": "c", "user": {"id": "u", "identity_verified": true, "verification_method": "mobile"},
                    "content": {"kind": "text", "text": line}, "synthesis": {"technique": "text_generation"}});
                let parsed = parse_event(&serde_json::to_vec(&ev).unwrap(), &limits).unwrap();
                let mut out = StageOutput::default();
                d.stage.review(&parsed.event, &mut out);
                staged.add(
                    out.findings.iter().any(|f| f.action == Action::Reject),
                    out.findings.iter().any(|f| f.action == Action::Hold),
                );
                let mut seen: Vec<&str> = Vec::new();
                for f in &out.findings {
                    if let Some(term) = f.evidence.as_ref().and_then(|e| e.term.as_deref()) {
                        if !seen.contains(&term) {
                            seen.push(term);
                            *terms.entry(term.to_string()).or_default() += 1;
                        }
                    }
                }
            }
            println!("  {}:", d.name);
            println!(
                "    (a) raw aho-corasick, original text: {}",
                raw.show(lines.len())
            );
            println!(
                "    (b) Matcher::find:                    {}",
                matched.show(lines.len())
            );
            println!(
                "    (c) prohibited stage (context rules): {}",
                staged.show(lines.len())
            );
            let mut top: Vec<(String, usize)> = terms.into_iter().collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            if !top.is_empty() {
                let list: Vec<String> = top
                    .iter()
                    .take(10)
                    .map(|(t, n)| format!("{t} {n}"))
                    .collect();
                println!("    most frequent under (c), lines: {}", list.join(", "));
            }
        }
    }
}
