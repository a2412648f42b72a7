//! The automaton's transition table: one open-addressing hash table for every state but the
//! root.

use super::automaton::Automaton;

/// Open-addressing hash table from `(state, symbol)` to the next state, with linear probing and
/// a load factor of at most 1/2.
///
/// When states and symbols fit in 21 bits each (up to ~2 M trie states: jieba's whole
/// dictionary needs 0.5 M), a slot is one `u64` holding state, symbol and next state, which
/// halves the table and keeps a 50k-term lexicon's transitions in a core's L2 cache. Larger
/// automata use 16-byte slots.
pub(super) enum EdgeTable {
    /// `state << 43 | symbol << 22 | next` (next: 21-bit index and the `EMITS` flag).
    Packed {
        slots: Vec<u64>,
        mask: usize,
    },
    Wide {
        slots: Vec<Slot>,
        mask: usize,
    },
}

#[derive(Clone, Copy)]
pub(super) struct Slot {
    /// `state << 32 | symbol`, or [`EdgeTable::EMPTY`].
    key: u64,
    next: u32,
}

impl EdgeTable {
    const EMPTY: u64 = u64::MAX;
    /// Largest state index or symbol of the packed form (all ones is left for `EMPTY`).
    const PACKED_MAX: u32 = (1 << 21) - 2;

    pub(super) fn new(edges: usize, states: usize, alphabet: usize) -> Self {
        let size = (edges * 2).next_power_of_two().max(2);
        let max = Self::PACKED_MAX as usize;
        if states <= max && alphabet <= max {
            EdgeTable::Packed {
                slots: vec![Self::EMPTY; size],
                mask: size - 1,
            }
        } else {
            EdgeTable::Wide {
                slots: vec![
                    Slot {
                        key: Self::EMPTY,
                        next: 0
                    };
                    size
                ],
                mask: size - 1,
            }
        }
    }

    #[inline]
    fn hash(state: u32, sym: u32, mask: usize) -> usize {
        let key = (state as u64) << 32 | sym as u64;
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & mask
    }

    /// Packs `next` (21-bit index plus the `EMITS` flag) into 22 bits.
    #[inline]
    fn pack_next(next: u32) -> u64 {
        u64::from(next & !Automaton::EMITS) | u64::from(next >> 31) << 21
    }

    #[inline]
    fn unpack_next(slot: u64) -> u32 {
        (slot & 0x1F_FFFF) as u32 | ((slot >> 21 & 1) as u32) << 31
    }

    pub(super) fn insert(&mut self, state: u32, sym: u32, next: u32) {
        match self {
            EdgeTable::Packed { slots, mask } => {
                let mut i = Self::hash(state, sym, *mask);
                while slots[i] != Self::EMPTY {
                    i = (i + 1) & *mask;
                }
                slots[i] = u64::from(state) << 43 | u64::from(sym) << 22 | Self::pack_next(next);
            }
            EdgeTable::Wide { slots, mask } => {
                let mut i = Self::hash(state, sym, *mask);
                while slots[i].key != Self::EMPTY {
                    i = (i + 1) & *mask;
                }
                slots[i] = Slot {
                    key: (state as u64) << 32 | sym as u64,
                    next,
                };
            }
        }
    }

    /// Replaces every stored next state `n` with `f(n)`.
    pub(super) fn map_next(&mut self, f: impl Fn(u32) -> u32) {
        match self {
            EdgeTable::Packed { slots, .. } => {
                for slot in slots.iter_mut().filter(|s| **s != Self::EMPTY) {
                    let next = f(Self::unpack_next(*slot));
                    *slot = *slot & !0x3F_FFFF | Self::pack_next(next);
                }
            }
            EdgeTable::Wide { slots, .. } => {
                for slot in slots.iter_mut().filter(|s| s.key != Self::EMPTY) {
                    slot.next = f(slot.next);
                }
            }
        }
    }

    #[inline]
    pub(super) fn get(&self, state: u32, sym: u32) -> Option<u32> {
        match self {
            EdgeTable::Packed { slots, mask } => {
                let key = u64::from(state) << 43 | u64::from(sym) << 22;
                let mut i = Self::hash(state, sym, *mask);
                loop {
                    let slot = slots[i];
                    if slot & !0x3F_FFFF == key {
                        return Some(Self::unpack_next(slot));
                    }
                    if slot == Self::EMPTY {
                        return None;
                    }
                    i = (i + 1) & *mask;
                }
            }
            EdgeTable::Wide { slots, mask } => {
                let key = (state as u64) << 32 | sym as u64;
                let mut i = Self::hash(state, sym, *mask);
                loop {
                    let slot = slots[i];
                    if slot.key == key {
                        return Some(slot.next);
                    }
                    if slot.key == Self::EMPTY {
                        return None;
                    }
                    i = (i + 1) & *mask;
                }
            }
        }
    }
}
