//! [`Matcher::find`]: the text folded into symbol ids, the plain, filler and repeat scans, and
//! rules 3 and 4 choosing the hits. Buffers are kept per thread.

use std::cell::RefCell;

use super::rules::{clause_ok, insert_sorted, AllowCursor, Candidate, PatternInfo};
use super::symbols::SymbolMap;
use super::{Hit, Matcher, TermAction};
use crate::text::normalize::{next_ascii_alnum, CharFlags, FoldBuf, FoldSink};

impl Matcher {
    /// All blocking (`reject`/`hold`) hits in `text`, sorted by start. The hits never overlap.
    /// See the module docs for the boundary, clause, allow-phrase and overlap rules. Offsets are
    /// code points of `text`.
    pub fn find<'a>(&'a self, text: &'a str) -> Vec<Hit<'a>> {
        self.find_in_scratch(text, false)
    }

    /// [`find`](Self::find) plus the hits that an allow phrase suppressed, marked
    /// [`Hit::under_allow_phrase`] (a suppressed hit that overlaps a reported one is left out).
    /// Sorted by start. The `prohibited` stage uses them so that a solicitation cue beside an
    /// allow phrase cannot hide the term inside it (issue 11 item 3).
    pub fn find_with_allowed<'a>(&'a self, text: &'a str) -> Vec<Hit<'a>> {
        self.find_in_scratch(text, true)
    }

    /// [`find_with`](Self::find_with) in this thread's buffers (fresh ones when they are in
    /// use or gone).
    fn find_in_scratch<'a>(&'a self, text: &'a str, with_allowed: bool) -> Vec<Hit<'a>> {
        if self.blocking == 0 {
            return Vec::new();
        }
        let run =
            |scratch: &mut Scratch| self.find_with::<FillerWindows>(text, with_allowed, scratch);
        SCRATCH
            .try_with(|cell| match cell.try_borrow_mut() {
                Ok(mut scratch) => {
                    let hits = run(&mut scratch);
                    scratch.shrink_if_huge();
                    hits
                }
                Err(_) => run(&mut Scratch::default()),
            })
            .unwrap_or_else(|_| run(&mut Scratch::default()))
    }

    /// True when a filler between folded symbols `before` and `after` can be inside a match
    /// of the filler scan that rule 3 keeps: the two stand next to each other in some plain
    /// pattern (a `hold` term or allow phrase for a digit filler).
    #[inline]
    pub(super) fn filler_may_join(&self, before: u32, after: u32, digit: bool) -> bool {
        if before == 0 || after == 0 {
            return false;
        }
        let key = u64::from(before) << 32 | u64::from(after);
        let pairs = if digit {
            &self.digit_filler_pairs
        } else {
            &self.filler_pairs
        };
        pairs.binary_search(&key).is_ok()
    }

    /// [`find`](Self::find) with its buffers passed in, and the parts of the text the filler
    /// scan looks at chosen by `F`; `with_allowed` adds the hits allow phrases cover, as
    /// [`find_with_allowed`](Self::find_with_allowed) returns them.
    pub(super) fn find_with<'a, F: FillerScan>(
        &'a self,
        text: &'a str,
        with_allowed: bool,
        scratch: &mut Scratch,
    ) -> Vec<Hit<'a>> {
        let Scratch {
            fold,
            consumed,
            run_syms,
            run_starts,
            rejects,
            holds,
            allows,
            chosen,
            suppressed,
        } = scratch;
        self.normalizer.fold_into(
            text,
            &mut SymbolFold {
                buf: fold,
                symbols: &self.symbols,
            },
        );
        rejects.clear();
        holds.clear();
        allows.clear();
        let flags = &fold.flags[..];

        // Plain terms. Matches arrive in order of their end, and at one end longest first, so
        // inserting each into its sorted list moves it past the few matches nested in it.
        self.plain.scan(&fold.codes, |end, pattern, info| {
            let start = end - info.len as usize;
            if !info.boundaries_ok(flags, start, end) || !clause_ok(flags, start, end) {
                return;
            }
            let list = match info.action() {
                TermAction::Reject => &mut *rejects,
                TermAction::Hold => &mut *holds,
                TermAction::Allow => &mut *allows,
            };
            insert_sorted(
                list,
                Candidate {
                    start: start as u32,
                    end: end as u32,
                    pattern,
                },
            );
        });

        // Rule 3 (fillers): a single ASCII letter or digit glued between two ideographs may be
        // an insertion (`赌a博`, `网x络x赌x场`). A second scan skips every such filler and keeps
        // the matches that have one inside; a digit filler counts for `hold` terms (and allow
        // phrases) only, since quantities stand there in ordinary text (`手枪1支`).
        let is_filler = |i: usize| {
            flags[i].is_ascii_alnum()
                && flags[i - 1].is_ideograph()
                && flags[i + 1].is_ideograph()
                && !flags[i].gap_before()
                && !flags[i + 1].gap_before()
        };
        let n = flags.len();
        if n >= 3 {
            let skip = |i: usize| i > 0 && i + 1 < n && is_filler(i);
            let mut report = |start: usize, end: usize, pattern: u32, info: PatternInfo| {
                let digit_inside = (start + 1..end - 1).any(|i| skip(i) && flags[i].is_digit());
                if digit_inside && info.action() == TermAction::Reject {
                    return;
                }
                if !info.boundaries_ok(flags, start, end) || !clause_ok(flags, start, end) {
                    return;
                }
                let list = match info.action() {
                    TermAction::Reject => &mut *rejects,
                    TermAction::Hold => &mut *holds,
                    TermAction::Allow => &mut *allows,
                };
                insert_sorted(
                    list,
                    Candidate {
                        start: start as u32,
                        end: end as u32,
                        pattern,
                    },
                );
            };
            F::scan(self, &fold.codes, flags, consumed, skip, &mut report);
        }

        // Repeats folded by default (`赌赌博博`): a scan that passes over every character equal
        // to the one before it, in windows around such repeats, for the plain terms that fold
        // repeats (module docs).
        if self.fold_repeats && n >= 3 {
            let codes = &fold.codes[..];
            let skip = |i: usize| {
                i > 0
                    && codes[i] != 0
                    && codes[i] == codes[i - 1]
                    && !flags[i].clause_break_before()
            };
            let mut report = |start: usize, end: usize, pattern: u32, info: PatternInfo| {
                if info.bits & PatternInfo::FOLD_REPEATS == 0
                    || !info.boundaries_ok(flags, start, end)
                    || !clause_ok(flags, start, end)
                {
                    return;
                }
                let list = match info.action() {
                    TermAction::Reject => &mut *rejects,
                    TermAction::Hold => &mut *holds,
                    TermAction::Allow => &mut *allows,
                };
                insert_sorted(
                    list,
                    Candidate {
                        start: start as u32,
                        end: end as u32,
                        pattern,
                    },
                );
            };
            let reach = self.max_plain_len + 1;
            let mut window: Option<(usize, usize)> = None;
            for i in 1..n {
                if !skip(i) {
                    continue;
                }
                let (from, to) = (i.saturating_sub(reach), (i + reach + 1).min(n));
                match &mut window {
                    Some((_, end)) if from <= *end => *end = to,
                    _ => {
                        if let Some((a, b)) = window.replace((from, to)) {
                            self.plain
                                .scan_skipping(codes, a..b, consumed, skip, &mut report);
                        }
                    }
                }
            }
            if let Some((a, b)) = window {
                self.plain
                    .scan_skipping(codes, a..b, consumed, skip, &mut report);
            }
        }

        // Repeat terms, over runs of equal folded characters.
        if let Some(repeat) = &self.repeat {
            run_syms.clear();
            run_starts.clear();
            // A run never crosses clause punctuation: `哈哈，哈哈哈` is two runs.
            for (i, &sym) in fold.codes.iter().enumerate() {
                if i == 0 || sym == 0 || sym != fold.codes[i - 1] || flags[i].clause_break_before()
                {
                    run_syms.push(sym);
                    run_starts.push(i as u32);
                }
            }
            run_starts.push(fold.codes.len() as u32);
            repeat.scan(run_syms, |end_run, pattern, info| {
                let first_run = end_run - info.len as usize;
                let Some((start, end)) = self.repeat_span(pattern, run_starts, first_run) else {
                    return;
                };
                if !info.boundaries_ok(flags, start, end) || !clause_ok(flags, start, end) {
                    return;
                }
                let list = match info.action() {
                    TermAction::Reject => &mut *rejects,
                    TermAction::Hold => &mut *holds,
                    TermAction::Allow => &mut *allows,
                };
                list.push(Candidate {
                    start: start as u32,
                    end: end as u32,
                    pattern,
                });
            });
            for list in [&mut *rejects, &mut *holds, &mut *allows] {
                list.sort_unstable_by_key(|c| c.key());
            }
        }

        // Rules 3 and 4. All lists are sorted by (start, longest first, pattern), so allow
        // coverage and overlaps are checked with cursors that only move forward.
        chosen.clear();
        suppressed.clear();
        let mut allowed = AllowCursor::new(allows);
        let mut last_end = 0;
        for &c in rejects.iter() {
            if allowed.covers(c) {
                if with_allowed {
                    suppressed.push(c);
                }
            } else if c.start >= last_end {
                chosen.push(c);
                last_end = c.end;
            }
        }
        let reject_count = chosen.len();
        let mut allowed = AllowCursor::new(allows);
        let mut next_reject = 0;
        let mut last_end = 0;
        for &c in holds.iter() {
            if allowed.covers(c) {
                if with_allowed {
                    suppressed.push(c);
                }
                continue;
            }
            if c.start < last_end {
                continue;
            }
            while next_reject < reject_count && chosen[next_reject].end <= c.start {
                next_reject += 1;
            }
            if next_reject < reject_count && chosen[next_reject].start < c.end {
                continue; // overlaps a chosen reject
            }
            chosen.push(c);
            last_end = c.end;
        }
        if reject_count > 0 && chosen.len() > reject_count {
            chosen.sort_unstable_by_key(|c| c.start);
        }

        // Suppressed candidates (rejects, then holds, each sorted by start) that overlap no
        // chosen hit and no earlier suppressed one, marked; then everything in start order.
        let mut marked: Vec<(Candidate, bool)> = chosen.iter().map(|&c| (c, false)).collect();
        if !suppressed.is_empty() {
            suppressed.sort_unstable_by_key(|c| c.key());
            let mut p = 0;
            let mut last_end = 0;
            for &c in suppressed.iter() {
                while p < chosen.len() && chosen[p].end <= c.start {
                    p += 1;
                }
                let overlaps = p < chosen.len() && chosen[p].start < c.end;
                if !overlaps && c.start >= last_end {
                    marked.push((c, true));
                    last_end = c.end;
                }
            }
            marked.sort_unstable_by_key(|(c, _)| c.start);
        }
        let mut cursor = Cursor::default();
        let mut hits = Vec::with_capacity(marked.len());
        for &(ref c, under_allow_phrase) in marked.iter() {
            let start = fold.spans[c.start as usize].0 as usize;
            let end = fold.spans[c.end as usize - 1].1 as usize;
            let from = cursor.byte_at_char(text.as_bytes(), start);
            let to = cursor.byte_at_char(text.as_bytes(), end);
            let report = self.reported[c.pattern as usize];
            hits.push(Hit {
                start,
                end,
                matched: &text[from..to],
                term: &self.terms[report.term.0 as usize..report.term.1 as usize],
                category: &self.categories[report.category as usize],
                action: report.action,
                under_allow_phrase,
            });
        }
        hits
    }

    /// The folded char span of a repeat pattern whose runs matched the text's runs
    /// `first_run..`, or `None` when the text's run lengths do not fit the pattern's counts.
    /// The first and last runs may be longer in the text than an exact count asks for: the
    /// match then takes the characters nearest the middle, as a plain term would.
    fn repeat_span(
        &self,
        pattern: u32,
        run_starts: &[u32],
        first_run: usize,
    ) -> Option<(usize, usize)> {
        let (from, to) = self.reported[pattern as usize].runs;
        let specs = &self.run_specs[from as usize..to as usize];
        let last = specs.len() - 1;
        let (mut start, mut end) = (0, 0);
        for (r, &(min, at_least)) in specs.iter().enumerate() {
            let run_start = run_starts[first_run + r] as usize;
            let run_end = run_starts[first_run + r + 1] as usize;
            let len = (run_end - run_start) as u32;
            let edge = r == 0 || r == last;
            if len < min || (!edge && !at_least && len != min) {
                return None;
            }
            if r == 0 {
                start = if at_least {
                    run_start
                } else {
                    run_end - min as usize
                };
            }
            if r == last {
                end = if at_least {
                    run_end
                } else {
                    run_start + min as usize
                };
            }
        }
        Some((start, end))
    }
}

/// Which parts of a text the filler scan (a single ASCII letter or digit glued between two
/// ideographs, `赌a博`, is passed over) looks at. [`Matcher::find`] uses [`FillerWindows`]; the
/// unit tests compare it with a scan of the whole text.
pub(super) trait FillerScan {
    /// Runs `matcher.plain.scan_skipping` over the parts of the folded text (`codes`, `flags`,
    /// at least 3 characters) where a match with a filler inside can be, with `skip(i)` true at
    /// each filler, reporting to `report`. `consumed` is the scan's scratch space.
    fn scan(
        matcher: &Matcher,
        codes: &[u32],
        flags: &[CharFlags],
        consumed: &mut Vec<u32>,
        skip: impl Fn(usize) -> bool + Copy,
        report: impl FnMut(usize, usize, u32, PatternInfo),
    );
}

/// The filler scan of [`Matcher::find`]: only the windows around the fillers that can be inside
/// a kept match.
pub(super) struct FillerWindows;

impl FillerScan for FillerWindows {
    #[inline]
    fn scan(
        matcher: &Matcher,
        codes: &[u32],
        flags: &[CharFlags],
        consumed: &mut Vec<u32>,
        skip: impl Fn(usize) -> bool + Copy,
        mut report: impl FnMut(usize, usize, u32, PatternInfo),
    ) {
        // A filler can be inside a kept match only when its two neighbours stand next to each
        // other in a pattern (see `filler_may_join`). Such a match has at most
        // `max_plain_len` symbols and a filler between any two of them, so it lies within
        // `2 * max_plain_len` of each of its fillers. Overlapping windows are merged and
        // scanned once: every match is found in exactly one of them, as the whole-text scan
        // finds it.
        let n = flags.len();
        let reach = 2 * matcher.max_plain_len;
        let mut window: Option<(usize, usize)> = None;
        let mut i = 0;
        loop {
            i = next_ascii_alnum(flags, i + 1);
            if i + 1 >= n {
                break;
            }
            if !skip(i) || !matcher.filler_may_join(codes[i - 1], codes[i + 1], flags[i].is_digit())
            {
                continue;
            }
            let (from, to) = (i.saturating_sub(reach), (i + reach + 1).min(n));
            match &mut window {
                Some((_, end)) if from <= *end => *end = to,
                _ => {
                    if let Some((a, b)) = window.replace((from, to)) {
                        matcher
                            .plain
                            .scan_skipping(codes, a..b, consumed, skip, &mut report);
                    }
                }
            }
        }
        if let Some((a, b)) = window {
            matcher
                .plain
                .scan_skipping(codes, a..b, consumed, skip, &mut report);
        }
    }
}

/// Folding straight into symbol ids: the sink [`Matcher::find`] folds text with.
struct SymbolFold<'a> {
    buf: &'a mut FoldBuf,
    symbols: &'a SymbolMap,
}

impl FoldSink for SymbolFold<'_> {
    fn reset(&mut self, hint: usize) {
        self.buf.reset(hint);
    }

    #[inline]
    fn push(&mut self, ch: char, at: u32, flags: u8) {
        self.buf.push(self.symbols.get(ch), at, flags);
    }

    #[inline]
    fn extend_last_span(&mut self, end: u32) {
        self.buf.extend_last_span(end);
    }

    fn folded_len(&self) -> usize {
        self.buf.codes.len()
    }

    fn replace(&mut self, _from: usize, fixes: &[(usize, char)]) {
        for &(i, ch) in fixes {
            self.buf.codes[i] = self.symbols.get(ch);
        }
    }
}

/// Per-thread buffers of [`Matcher::find`], reused from call to call.
#[derive(Default)]
pub(super) struct Scratch {
    fold: FoldBuf,
    /// Folded indices the filler scan consumed (rule 3).
    consumed: Vec<u32>,
    run_syms: Vec<u32>,
    run_starts: Vec<u32>,
    rejects: Vec<Candidate>,
    holds: Vec<Candidate>,
    allows: Vec<Candidate>,
    chosen: Vec<Candidate>,
    /// Candidates an allow phrase covers ([`Matcher::find_with_allowed`]).
    suppressed: Vec<Candidate>,
}

impl Scratch {
    /// Buffers that grew past this many folded characters are freed after use, so one huge
    /// text does not pin its memory in every worker thread. Review limits (256 Ki characters
    /// per field) stay below it.
    const KEEP: usize = 1 << 19;

    fn shrink_if_huge(&mut self) {
        if self.fold.capacity() > Self::KEEP || self.rejects.capacity() > Self::KEEP {
            *self = Scratch::default();
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// Keeps a byte offset and a char index of a UTF-8 string in step, so converting a series of
/// increasing char indices to byte offsets costs only the distance between them.
#[derive(Default)]
struct Cursor {
    byte: usize,
    chars: usize,
}

impl Cursor {
    /// Byte offset of char index `index` of `s` (`s.len()` for the index just past the end).
    fn byte_at_char(&mut self, s: &[u8], index: usize) -> usize {
        while self.chars < index && self.byte < s.len() {
            self.byte += 1;
            while self.byte < s.len() && !is_char_start(s[self.byte]) {
                self.byte += 1;
            }
            self.chars += 1;
        }
        while self.chars > index {
            self.byte -= 1;
            while !is_char_start(s[self.byte]) {
                self.byte -= 1;
            }
            self.chars -= 1;
        }
        self.byte
    }
}

/// True for the first byte of a UTF-8 sequence (not a continuation byte `10xxxxxx`).
fn is_char_start(b: u8) -> bool {
    b & 0xC0 != 0x80
}
