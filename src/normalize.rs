//! TEMPORARY stub; replaced by the real normalizer.
#![allow(missing_docs)]
pub struct Normalizer;
impl Normalizer {
    pub fn new() -> Self {
        Normalizer
    }
}
impl Default for Normalizer {
    fn default() -> Self {
        Self::new()
    }
}
