//! The Aho-Corasick automaton over symbol ids that both the plain and the repeat terms are
//! matched with. Its transitions are in [`EdgeTable`].

use super::edges::EdgeTable;
use super::rules::PatternInfo;
use super::MatcherError;

/// An Aho-Corasick automaton over symbol ids: a trie with failure and dictionary-suffix links.
///
/// State 0 is the root. A state id carries [`Automaton::EMITS`] in its top bit when the state
/// ends a term or has one along its failure chain, so the search loads a state's output record
/// only when there is something to report. The root's transitions are a dense table indexed by
/// symbol; all others are in one hash table, so a transition costs one probe however many
/// continuations a character has (`中` has hundreds in a dictionary-sized lexicon).
pub(super) struct Automaton {
    /// `root[symbol]`: the state after the root reads `symbol` (0 when no term starts with it).
    root: Vec<u32>,
    /// Every other transition.
    edges: EdgeTable,
    /// Failure link of each state (by index): its longest proper suffix that is a state.
    pub(super) fail: Vec<u32>,
    /// Output record of each state (by index).
    emit: Vec<Emit>,
    /// Pattern ids: `outputs[emit.out.0..emit.out.1]` end at a state.
    outputs: Vec<Output>,
}

/// What a state reports: its own terms, then those of `dict`.
#[derive(Clone, Copy, Default)]
struct Emit {
    /// Nearest state along the failure chain that ends a term (0: none), with its flag.
    dict: u32,
    /// This state's own terms: `outputs[out.0..out.1]`.
    out: (u32, u32),
}

/// A term that ends at a state, with what every match of it needs.
#[derive(Clone, Copy)]
struct Output {
    pattern: u32,
    info: PatternInfo,
}

impl Automaton {
    /// Top bit of a state id: the state has something to report (see [`Automaton`]).
    pub(super) const EMITS: u32 = 1 << 31;

    /// Builds the automaton over `seqs`: each a symbol sequence and its pattern id.
    pub(super) fn build(
        mut seqs: Vec<(Vec<u32>, u32)>,
        info: &[PatternInfo],
        alphabet: usize,
    ) -> Result<Self, MatcherError> {
        // The trie, built from the sequences in sorted order: the previous sequence's path is
        // the only one a new sequence can share.
        seqs.sort_unstable();
        let mut trie: Vec<(u32, u32, u32)> = Vec::new(); // (parent, symbol, child)
        let mut ends: Vec<(u32, u32)> = Vec::new(); // (state, pattern)
                                                    // The states along the previous sequence, from the root, which it never loses.
        let mut path: Vec<u32> = vec![0];
        let mut states = 1usize;
        let mut prev: &[u32] = &[];
        for (seq, pattern) in &seqs {
            let shared = seq.iter().zip(prev).take_while(|(a, b)| a == b).count();
            path.truncate(shared + 1);
            for &sym in &seq[shared..] {
                let child = states as u32;
                states += 1;
                trie.push((*path.last().unwrap_or(&0), sym, child));
                path.push(child);
            }
            ends.push((*path.last().unwrap_or(&0), *pattern));
            prev = seq;
        }
        if states >= Self::EMITS as usize {
            return Err(MatcherError::TooLarge(states));
        }
        drop(seqs);

        // Outputs, grouped by state.
        ends.sort_unstable();
        let mut emit = vec![Emit::default(); states];
        let mut outputs = Vec::with_capacity(ends.len());
        for (i, &(state, pattern)) in ends.iter().enumerate() {
            let e = &mut emit[state as usize];
            if i == 0 || ends[i - 1].0 != state {
                e.out = (outputs.len() as u32, outputs.len() as u32);
            }
            outputs.push(Output {
                pattern,
                info: info[pattern as usize],
            });
            e.out.1 += 1;
        }
        drop(ends);

        // Children of each state, for the breadth-first pass below (counting sort by parent).
        let mut first = vec![0u32; states + 1];
        for &(parent, _, _) in &trie {
            first[parent as usize + 1] += 1;
        }
        for i in 1..first.len() {
            first[i] += first[i - 1];
        }
        let mut children = vec![(0u32, 0u32); trie.len()];
        let mut fill = first.clone();
        for &(parent, sym, child) in &trie {
            children[fill[parent as usize] as usize] = (sym, child);
            fill[parent as usize] += 1;
        }
        drop(fill);
        drop(trie);

        // Failure and dictionary links, breadth first; then every id gets its EMITS flag.
        let mut fail = vec![0u32; states];
        let mut order: Vec<u32> = Vec::with_capacity(states);
        order.push(0);
        let mut head = 0;
        let mut automaton = Automaton {
            root: vec![0; alphabet],
            edges: EdgeTable::new(children.len(), states, alphabet),
            fail: Vec::new(),
            emit,
            outputs,
        };
        // Transitions are inserted unflagged first, so that `next` works during the pass.
        while head < order.len() {
            let u = order[head];
            head += 1;
            for &(sym, v) in &children[first[u as usize] as usize..first[u as usize + 1] as usize] {
                let f = if u == 0 {
                    0
                } else {
                    automaton.next_unflagged(&fail, fail[u as usize], sym)
                };
                fail[v as usize] = f;
                let fe = automaton.emit[f as usize];
                automaton.emit[v as usize].dict = if fe.out.0 < fe.out.1 { f } else { fe.dict };
                if u == 0 {
                    automaton.root[sym as usize] = v;
                } else {
                    automaton.edges.insert(u, sym, v);
                }
                order.push(v);
            }
        }
        drop(children);
        let emits = |e: &Emit| e.out.0 < e.out.1 || e.dict != 0;
        let flags: Vec<u32> = automaton
            .emit
            .iter()
            .map(|e| if emits(e) { Self::EMITS } else { 0 })
            .collect();
        let flag = |s: u32| s | flags[s as usize];
        for s in automaton.root.iter_mut() {
            *s = flag(*s);
        }
        automaton.edges.map_next(flag);
        for e in automaton.emit.iter_mut() {
            e.dict = flag(e.dict);
        }
        automaton.fail = fail.into_iter().map(flag).collect();
        Ok(automaton)
    }

    /// [`next`](Self::next) while the automaton is being built: ids are not flagged yet and
    /// the failure links are in `fail`.
    fn next_unflagged(&self, fail: &[u32], mut state: u32, sym: u32) -> u32 {
        loop {
            if state == 0 {
                return self.root[sym as usize];
            }
            if let Some(next) = self.edges.get(state, sym) {
                return next;
            }
            state = fail[state as usize];
        }
    }

    /// The state after `state` reads `sym`, following failure links. Ids carry their flag.
    #[inline]
    fn next(&self, mut state: u32, sym: u32) -> u32 {
        loop {
            let index = state & !Self::EMITS;
            if index == 0 {
                return self.root[sym as usize];
            }
            if let Some(next) = self.edges.get(index, sym) {
                return next;
            }
            state = self.fail[index as usize];
        }
    }

    /// Calls `found(end, pattern, info)` for every term occurrence in `syms`, `end` being the
    /// index just past its last symbol: in order of `end`, and at one `end` longest first.
    #[inline]
    pub(super) fn scan(&self, syms: &[u32], mut found: impl FnMut(usize, u32, PatternInfo)) {
        let mut state = 0u32;
        for (i, &sym) in syms.iter().enumerate() {
            if sym == 0 {
                // A character in no term: every partial match ends here.
                state = 0;
                continue;
            }
            state = self.next(state, sym);
            let mut out = state;
            while out & Self::EMITS != 0 {
                let e = self.emit[(out & !Self::EMITS) as usize];
                for o in &self.outputs[e.out.0 as usize..e.out.1 as usize] {
                    found(i + 1, o.pattern, o.info);
                }
                out = e.dict;
            }
        }
    }
}

impl Automaton {
    /// Like [`scan`](Self::scan), but the positions where `skip` is true are passed over
    /// without changing the automaton's state, and only matches with a skipped position inside
    /// are reported, as `found(start, end, pattern, info)` in folded indices of `syms`. Only
    /// `syms[range]` is scanned (from the root state), so the matches reported are those that
    /// lie inside it. `consumed` is scratch space.
    pub(super) fn scan_skipping(
        &self,
        syms: &[u32],
        range: std::ops::Range<usize>,
        consumed: &mut Vec<u32>,
        skip: impl Fn(usize) -> bool,
        mut found: impl FnMut(usize, usize, u32, PatternInfo),
    ) {
        consumed.clear();
        let mut state = 0u32;
        let mut last_skip = None;
        for i in range {
            let sym = syms[i];
            if skip(i) {
                last_skip = Some(i);
                continue;
            }
            consumed.push(i as u32);
            if sym == 0 {
                state = 0;
                continue;
            }
            state = self.next(state, sym);
            let Some(last_skip) = last_skip else {
                continue;
            };
            let mut out = state;
            while out & Self::EMITS != 0 {
                let e = self.emit[(out & !Self::EMITS) as usize];
                for o in &self.outputs[e.out.0 as usize..e.out.1 as usize] {
                    let len = o.info.len as usize;
                    let start = consumed[consumed.len() - len] as usize;
                    if start < last_skip {
                        found(start, i + 1, o.pattern, o.info);
                    }
                }
                out = e.dict;
            }
        }
    }
}
