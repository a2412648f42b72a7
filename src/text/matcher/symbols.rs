//! Folded character → symbol id: the alphabet the automata run over.

/// Folded character → symbol id, for every character of every term (1, 2, …); 0 for all other
/// characters. Two levels (a page per 256 code points) keep it small and fast.
pub(super) struct SymbolMap {
    /// Page index per 256 code points; page 0 is all zeros.
    pages: Vec<u16>,
    /// `data[page * 256 + (cp & 0xFF)]`.
    data: Vec<u32>,
    len: usize,
}

impl Default for SymbolMap {
    fn default() -> Self {
        SymbolMap {
            pages: vec![0; (char::MAX as usize >> 8) + 1],
            data: vec![0; 256],
            len: 0,
        }
    }
}

impl SymbolMap {
    #[inline]
    pub(super) fn get(&self, c: char) -> u32 {
        let cp = c as usize;
        let page = self.pages[cp >> 8] as usize;
        self.data[page << 8 | (cp & 0xFF)]
    }

    pub(super) fn intern(&mut self, c: char) {
        let cp = c as usize;
        if self.pages[cp >> 8] == 0 {
            // At most 0x1100 pages (all of Unicode), so the index fits in u16.
            self.pages[cp >> 8] = (self.data.len() >> 8) as u16;
            self.data.resize(self.data.len() + 256, 0);
        }
        let slot = (self.pages[cp >> 8] as usize) << 8 | (cp & 0xFF);
        if self.data[slot] == 0 {
            self.len += 1;
            self.data[slot] = self.len as u32;
        }
    }

    /// Number of symbols (the greatest id).
    pub(super) fn len(&self) -> usize {
        self.len
    }
}
