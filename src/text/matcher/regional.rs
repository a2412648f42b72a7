//! Regional phrase variants of lexicon terms: a term written with a mainland phrase
//! (`网络赌场`) also matches the Taiwan or Hong Kong phrase for it (`網路賭場`, folded `网路赌场`).
//! Character-level variants are the normalizer's business (`data/normalize/variants.tsv`);
//! phrases differ in whole words (`网络`/`网路`, `软件`/`软体`, `视频`/`影片`), so they are added as
//! extra patterns at build time, reporting the lexicon's own term.
//!
//! Sources: OpenCC's `TWPhrasesRev.txt` (Apache-2.0; `data/normalize/opencc-TWPhrasesRev.txt`,
//! copied verbatim from the `ferrous-opencc` 0.4.0 crate) and `data/normalize/phrases.tsv`
//! (curated, each row naming its source).

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::text::normalize::Normalizer;

/// OpenCC's Taiwan phrases: `regional<TAB>mainland [mainland…]`, `#` comments.
const OPENCC_TW_PHRASES: &str = include_str!("../../../data/normalize/opencc-TWPhrasesRev.txt");

/// Curated rows: `regional<TAB>mainland<TAB># source`.
const CURATED: &str = include_str!("../../../data/normalize/phrases.tsv");

/// At most this many variants per term (a term naming several listed phrases).
const MAX_VARIANTS: usize = 8;

/// Folded (mainland, regional) phrase pairs and an automaton over the mainland sides.
pub(super) struct RegionalPhrases {
    pairs: Vec<(String, String)>,
    mainland: Option<AhoCorasick>,
}

impl RegionalPhrases {
    /// The pairs of both sources, folded with `normalizer`; pairs whose sides fold alike, or
    /// whose mainland side is a single character (a character variant, not a phrase), are left
    /// out.
    pub(super) fn new(normalizer: &Normalizer) -> Self {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for line in OPENCC_TW_PHRASES.lines().chain(CURATED.lines()) {
            let line = line.split("\t#").next().unwrap_or("");
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let Some((regional, mainland)) = line.split_once('\t') else {
                continue;
            };
            let regional = normalizer.fold_text(regional.trim()).text;
            for mainland in mainland.split(' ').filter(|m| !m.is_empty()) {
                let mainland = normalizer.fold_text(mainland).text;
                if mainland.chars().count() >= 2 && !regional.is_empty() && mainland != regional {
                    pairs.push((mainland, regional.clone()));
                }
            }
        }
        pairs.sort();
        pairs.dedup();
        let mainland = (!pairs.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .build(pairs.iter().map(|(m, _)| m))
                .expect("a few hundred short phrases fit the automaton")
        });
        RegionalPhrases { pairs, mainland }
    }

    /// The regional variants of folded term `term`: each listed mainland phrase in it replaced
    /// by its regional phrase, one at a time and then together with the variants found so far,
    /// at most [`MAX_VARIANTS`], without `term` itself.
    pub(super) fn variants(&self, term: &str) -> Vec<String> {
        let Some(ac) = &self.mainland else {
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        let mut queue: Vec<String> = vec![term.to_string()];
        while let Some(current) = queue.pop() {
            for m in ac.find_overlapping_iter(&current) {
                let (_, regional) = &self.pairs[m.pattern().as_usize()];
                let variant = format!("{}{regional}{}", &current[..m.start()], &current[m.end()..]);
                if variant != term && !out.contains(&variant) {
                    if out.len() == MAX_VARIANTS {
                        return out;
                    }
                    out.push(variant.clone());
                    queue.push(variant);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mainland_phrases_get_their_regional_forms() {
        let r = RegionalPhrases::new(&Normalizer::shared());
        assert!(r.variants("网络赌场").contains(&"网路赌场".to_string()));
        assert!(r.variants("出售枪支").contains(&"出售枪枝".to_string()));
        assert!(r.variants("改号软件").contains(&"改号软体".to_string()));
        assert!(r.variants("无码视频").contains(&"无码影片".to_string()));
        // No listed phrase: nothing.
        assert!(r.variants("冰毒").is_empty());
        // Two phrases: each alone and both.
        let v = r.variants("网络视频");
        for want in ["网路视频", "网络影片", "网路影片"] {
            assert!(v.contains(&want.to_string()), "{want}: {v:?}");
        }
    }
}
