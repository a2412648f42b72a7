//! Building a [`Matcher`]: lexicon rows folded and parsed for repeat marks, rows that fold alike
//! merged, symbols numbered, and the plain and repeat automata built.

use std::collections::hash_map::Entry as MapEntry;
use std::collections::HashMap;
use std::sync::Arc;

use super::automaton::Automaton;
use super::regional::RegionalPhrases;
use super::rules::PatternInfo;
use super::symbols::SymbolMap;
use super::{LexiconEntry, Matcher, MatcherError, Reported, TermAction};
use crate::text::normalize::Normalizer;

/// One distinct folded term while the matcher is built, with the lexicon row it reports.
#[derive(Debug)]
struct Pattern {
    action: TermAction,
    term: String,
    category: String,
    location: String,
}

/// A folded term before it becomes a pattern: its folded characters and, per character,
/// whether a `+` follows it in the term as written.
struct ParsedTerm {
    chars: Vec<char>,
    repeat: Vec<bool>,
    word_start: bool,
    word_end: bool,
    /// Some folded character is a letter or digit of a spaced script (`CharFlags::is_word`).
    any_word: bool,
}

impl ParsedTerm {
    fn new(normalizer: &Normalizer, term: &str) -> Self {
        let folded = normalizer.fold_text(term);
        let original: Vec<char> = term.chars().collect();
        let chars: Vec<char> = folded.text.chars().collect();
        let repeat = (0..chars.len())
            .map(|i| {
                let span = folded.spans[i];
                // The last folded char of its original character (`ﬁ+` repeats the `i`), with
                // a `+` directly after that character and its combining marks.
                let last_of_char = folded.spans.get(i + 1) != Some(&span);
                last_of_char && original.get(span.1 as usize) == Some(&'+')
            })
            .collect();
        ParsedTerm {
            chars,
            repeat,
            word_start: folded.flags.first().is_some_and(|f| f.is_word()),
            word_end: folded.flags.last().is_some_and(|f| f.is_word()),
            any_word: folded.flags.iter().any(|f| f.is_word()),
        }
    }

    fn is_repeat(&self) -> bool {
        self.repeat.contains(&true)
    }

    /// Whether repeats of the term's characters fold away by default (`赌赌博博` is `赌博`):
    /// a term without `+` marks, of two or more characters, none a letter or digit of a spaced
    /// script (`daikai` keeps its exact spelling) and no two neighbours equal (`哈哈` and
    /// `天天` ask for exactly their own repeat).
    fn folds_repeats(&self) -> bool {
        !self.is_repeat()
            && !self.any_word
            && self.chars.len() >= 2
            && self.chars.windows(2).all(|w| w[0] != w[1])
    }

    /// Runs of equal characters: `(char, min count, at least)`. `赌+赌博` → `赌`×2+, `博`×1.
    fn runs(&self) -> Vec<(char, u32, bool)> {
        let mut runs: Vec<(char, u32, bool)> = Vec::new();
        for (&c, &rep) in self.chars.iter().zip(&self.repeat) {
            match runs.last_mut() {
                Some(last) if last.0 == c => {
                    last.1 += 1;
                    last.2 |= rep;
                }
                _ => runs.push((c, 1, rep)),
            }
        }
        runs
    }

    /// The merge key: the folded text, with a repeat pattern written in its canonical form
    /// (each run as its minimum count of characters, then `+` if it may repeat). Folded text
    /// never contains `+`, so the two kinds never collide.
    fn key(&self) -> String {
        if !self.is_repeat() {
            return self.chars.iter().collect();
        }
        let mut key = String::new();
        for (c, min, at_least) in self.runs() {
            key.extend(std::iter::repeat_n(c, min as usize));
            if at_least {
                key.push('+');
            }
        }
        key
    }
}

impl Matcher {
    /// Folds `entries` and builds the automata.
    ///
    /// Rows whose terms fold alike (`赌博`, `賭博`, `赌 博`) become one pattern. Among blocking
    /// duplicates, the strongest action wins (reject > hold). The earliest row with that action
    /// supplies the reported term and category. Duplicate allow phrases are harmless.
    ///
    /// # Errors
    /// [`MatcherError::EmptyTerm`] for a term that folds to nothing.
    /// [`MatcherError::AllowConflict`] when an allow phrase and a blocking term fold alike.
    /// [`MatcherError::TooLarge`] past `u32::MAX` states.
    pub fn new(
        normalizer: Arc<Normalizer>,
        entries: Vec<LexiconEntry>,
    ) -> Result<Self, MatcherError> {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut parsed: Vec<ParsedTerm> = Vec::new();
        let mut patterns: Vec<Pattern> = Vec::new();
        for entry in entries {
            let term = ParsedTerm::new(&normalizer, &entry.term);
            if term.chars.is_empty() {
                return Err(MatcherError::EmptyTerm {
                    term: entry.term,
                    location: entry.source,
                });
            }
            match index.entry(term.key()) {
                MapEntry::Vacant(slot) => {
                    slot.insert(patterns.len());
                    patterns.push(Pattern {
                        action: entry.action,
                        term: entry.term,
                        category: entry.category,
                        location: entry.source,
                    });
                    parsed.push(term);
                }
                MapEntry::Occupied(slot) => {
                    let pattern = &mut patterns[*slot.get()];
                    merge_duplicate(slot.key(), pattern, entry)?
                }
            }
        }
        // Regional phrase variants (`网络赌场` → `网路赌场`, `regional.rs`), where no row folds
        // alike already: they report the row's own term.
        let regional = RegionalPhrases::new(&normalizer);
        let lexicon_patterns = patterns.len();
        for id in 0..lexicon_patterns {
            if parsed[id].is_repeat() || parsed[id].any_word {
                continue;
            }
            let folded: String = parsed[id].chars.iter().collect();
            for variant in regional.variants(&folded) {
                let MapEntry::Vacant(slot) = index.entry(variant) else {
                    continue;
                };
                let term = ParsedTerm::new(&normalizer, slot.key());
                slot.insert(patterns.len());
                let of = &patterns[id];
                patterns.push(Pattern {
                    action: of.action,
                    term: of.term.clone(),
                    category: of.category.clone(),
                    location: of.location.clone(),
                });
                parsed.push(term);
            }
        }
        drop(index);
        if u32::try_from(patterns.len()).is_err() {
            return Err(MatcherError::TooLarge(patterns.len()));
        }

        // Symbols: every distinct folded character of every term, numbered from 1.
        let mut symbols = SymbolMap::default();
        for term in &parsed {
            for &c in &term.chars {
                symbols.intern(c);
            }
        }
        let alphabet = symbols.len() + 1;

        let mut info = Vec::with_capacity(patterns.len());
        let mut reported = Vec::with_capacity(patterns.len());
        let mut terms = String::new();
        let mut category_ids: HashMap<String, u32> = HashMap::new();
        let mut categories: Vec<Box<str>> = Vec::new();
        let mut run_specs: Vec<(u32, bool)> = Vec::new();
        let mut plain_seqs: Vec<(Vec<u32>, u32)> = Vec::new();
        let mut repeat_seqs: Vec<(Vec<u32>, u32)> = Vec::new();
        let mut filler_pairs: Vec<u64> = Vec::new();
        let mut digit_filler_pairs: Vec<u64> = Vec::new();
        let mut max_plain_len = 0;
        let mut has_fold_repeats = false;
        for (id, (term, pattern)) in parsed.iter().zip(patterns).enumerate() {
            let from = terms.len() as u32;
            terms.push_str(&pattern.term);
            let category = *category_ids
                .entry(pattern.category)
                .or_insert_with_key(|c| {
                    categories.push(c.as_str().into());
                    categories.len() as u32 - 1
                });
            let mut report = Reported {
                term: (from, terms.len() as u32),
                category,
                action: pattern.action,
                runs: (0, 0),
            };
            let mut bits = pattern.action.strength();
            if term.word_start {
                bits |= PatternInfo::WORD_START;
            }
            if term.word_end {
                bits |= PatternInfo::WORD_END;
            }
            if term.folds_repeats() {
                bits |= PatternInfo::FOLD_REPEATS;
                has_fold_repeats = true;
            }
            if term.is_repeat() {
                let runs = term.runs();
                let from = run_specs.len() as u32;
                run_specs.extend(runs.iter().map(|&(_, min, at_least)| (min, at_least)));
                report.runs = (from, run_specs.len() as u32);
                info.push(PatternInfo {
                    len: runs.len() as u32,
                    bits,
                });
                let seq = runs.iter().map(|r| symbols.get(r.0)).collect();
                repeat_seqs.push((seq, id as u32));
            } else {
                info.push(PatternInfo {
                    len: term.chars.len() as u32,
                    bits,
                });
                let seq: Vec<u32> = term.chars.iter().map(|&c| symbols.get(c)).collect();
                for pair in seq.windows(2) {
                    let key = u64::from(pair[0]) << 32 | u64::from(pair[1]);
                    filler_pairs.push(key);
                    if pattern.action != TermAction::Reject {
                        digit_filler_pairs.push(key);
                    }
                }
                max_plain_len = max_plain_len.max(seq.len());
                plain_seqs.push((seq, id as u32));
            }
            reported.push(report);
        }
        if u32::try_from(terms.len()).is_err() {
            return Err(MatcherError::TooLarge(terms.len()));
        }
        drop(parsed);
        let plain = Automaton::build(plain_seqs, &info, alphabet)?;
        let repeat = if repeat_seqs.is_empty() {
            None
        } else {
            Some(Automaton::build(repeat_seqs, &info, alphabet)?)
        };
        for pairs in [&mut filler_pairs, &mut digit_filler_pairs] {
            pairs.sort_unstable();
            pairs.dedup();
            pairs.shrink_to_fit();
        }
        // The lexicon's own terms: regional variants report one of them and are not counted.
        let blocking = reported[..lexicon_patterns]
            .iter()
            .filter(|p| p.action != TermAction::Allow)
            .count();
        terms.shrink_to_fit();
        Ok(Matcher {
            normalizer,
            symbols,
            plain,
            repeat,
            reported,
            terms,
            categories,
            run_specs,
            blocking,
            filler_pairs,
            digit_filler_pairs,
            max_plain_len,
            fold_repeats: has_fold_repeats,
        })
    }
}

/// Folds a second row into the pattern that an earlier row with the same folded term created.
fn merge_duplicate(
    folded: &str,
    pattern: &mut Pattern,
    entry: LexiconEntry,
) -> Result<(), MatcherError> {
    let conflict =
        |allow: (&str, &str), block: (&str, &str, TermAction)| MatcherError::AllowConflict {
            folded: folded.to_string(),
            allow_term: allow.0.to_string(),
            allow_location: allow.1.to_string(),
            term: block.0.to_string(),
            location: block.1.to_string(),
            action: block.2,
        };
    match (pattern.action, entry.action) {
        (TermAction::Allow, TermAction::Allow) => Ok(()),
        (TermAction::Allow, action) => Err(conflict(
            (&pattern.term, &pattern.location),
            (&entry.term, &entry.source, action),
        )),
        (action, TermAction::Allow) => Err(conflict(
            (&entry.term, &entry.source),
            (&pattern.term, &pattern.location, action),
        )),
        (old, new) => {
            if new.strength() > old.strength() {
                pattern.action = new;
                pattern.term = entry.term;
                pattern.category = entry.category;
                pattern.location = entry.source;
            }
            Ok(())
        }
    }
}
