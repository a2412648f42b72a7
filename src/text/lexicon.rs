//! Lexicon ("feature library", Art. 10) CSV files (DESIGN §5): header `term,category,action[,note]`,
//! UTF-8, `action` ∈ `reject`, `hold`, `allow`. Lines starting with `#` are comments.
//!
//! Word lists that teams bring ([`parse_word_list`]): one term a line, with the category and
//! action given in the pipeline (`word_lists` of the `prohibited` stage, `docs/matching.md`
//! §1.1), in two formats: [`WordListFormat::Plain`] and [`WordListFormat::SensitiveWord`], the
//! dictionary format of houbb/sensitive-word (`sensitive_word_dict.txt`, and its
//! `sensitive_word_deny.txt` / `sensitive_word_allow.txt`: one word a line).

use crate::config::ConfigError;
use crate::text::matcher::{LexiconEntry, TermAction};

/// Parses one lexicon CSV. `name` is how errors name the file (usually its path).
///
/// # Errors
/// `name:line: reason` for invalid UTF-8, a wrong header, a wrong number of fields, an empty term
/// or category, or an unknown action.
pub fn parse_lexicon(name: &str, bytes: &[u8]) -> Result<Vec<LexiconEntry>, ConfigError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| csv_error(name, &e))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect::<Vec<_>>();
    let want = ["term", "category", "action"];
    if header.len() < 3
        || header.len() > 4
        || header[..3] != want
        || (header.len() == 4 && header[3] != "note")
    {
        return Err(ConfigError::line(
            name,
            1,
            format!(
                "header must be `term,category,action[,note]`, found `{}`",
                header.join(",")
            ),
        ));
    }
    let columns = header.len();
    let mut entries = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(name, &e))?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        // Comment rows (first field starts with `#`). Handled here rather than by the csv
        // reader's comment option, which would shift the reported line numbers.
        if record
            .get(0)
            .is_some_and(|f| f.trim_start().starts_with('#'))
        {
            continue;
        }
        if record.len() != columns && !(columns == 4 && record.len() == 3) {
            return Err(ConfigError::line(
                name,
                line,
                format!("expected {columns} fields, found {}", record.len()),
            ));
        }
        let term = record[0].trim();
        let category = record[1].trim();
        let action = record[2].trim();
        if term.is_empty() {
            return Err(ConfigError::line(name, line, "empty term"));
        }
        if category.is_empty() {
            return Err(ConfigError::line(name, line, "empty category"));
        }
        let action = match action {
            "reject" => TermAction::Reject,
            "hold" => TermAction::Hold,
            "allow" => TermAction::Allow,
            other => {
                return Err(ConfigError::line(
                    name,
                    line,
                    format!("unknown action `{other}`: expected reject, hold or allow"),
                ))
            }
        };
        entries.push(LexiconEntry {
            term: term.to_string(),
            category: category.to_string(),
            action,
            source: format!("{name}:{line}"),
        });
    }
    Ok(entries)
}

/// The format of a word list (`format` in the pipeline's `word_lists`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WordListFormat {
    /// `plain`: one term a line; blank lines and lines starting with `#` are skipped; spaces
    /// around a term are trimmed.
    #[default]
    Plain,
    /// `sensitive-word`: houbb/sensitive-word's dictionary files, one word a line, every
    /// non-blank line a word (its dictionary has words starting with `#`, so there are no
    /// comments). A line `word tag1,tag2` (its `sensitive_word_tags.txt`) keeps the word only:
    /// the category comes from the pipeline.
    SensitiveWord,
}

/// Parses a word list: every term gets `category` and `action`. `name` is how errors and
/// [`LexiconEntry::source`] name the file.
///
/// # Errors
/// `name:line: reason` for invalid UTF-8 on that line, or `name: reason` for a list with no term.
pub fn parse_word_list(
    name: &str,
    bytes: &[u8],
    format: WordListFormat,
    category: &str,
    action: TermAction,
) -> Result<Vec<LexiconEntry>, ConfigError> {
    let mut entries = Vec::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = i as u64 + 1;
        let text =
            std::str::from_utf8(raw).map_err(|_| ConfigError::line(name, line, "invalid UTF-8"))?;
        let text = if line == 1 {
            text.trim_start_matches('\u{feff}')
        } else {
            text
        };
        let text = text.trim();
        let term = match format {
            WordListFormat::Plain if text.starts_with('#') => continue,
            WordListFormat::Plain => text,
            WordListFormat::SensitiveWord => match text.split_once([' ', '\t']) {
                Some((word, tags)) if !tags.trim().is_empty() && !word.is_empty() => word,
                _ => text,
            },
        };
        if term.is_empty() {
            continue;
        }
        entries.push(LexiconEntry {
            term: term.to_string(),
            category: category.to_string(),
            action,
            source: format!("{name}:{line}"),
        });
    }
    if entries.is_empty() {
        return Err(ConfigError::file(name, "word list has no term"));
    }
    Ok(entries)
}

fn csv_error(name: &str, e: &csv::Error) -> ConfigError {
    let line = match e.kind() {
        csv::ErrorKind::Utf8 { pos, .. } => pos.as_ref().map(|p| p.line()),
        csv::ErrorKind::UnequalLengths { pos, .. } => pos.as_ref().map(|p| p.line()),
        csv::ErrorKind::Deserialize { pos, .. } => pos.as_ref().map(|p| p.line()),
        _ => None,
    };
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_string(),
        _ => e.to_string(),
    };
    match line {
        Some(l) => ConfigError::line(name, l, message),
        None => ConfigError::file(name, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rows_and_comments() {
        let csv = "term,category,action,note\n# a comment\n赌博网站,gambling,reject,\n打击赌博网站,gambling,allow,news\n百家乐,gambling,hold\n";
        let e = parse_lexicon("l.csv", csv.as_bytes()).unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].term, "赌博网站");
        assert_eq!(e[0].source, "l.csv:3");
        assert!(matches!(e[1].action, TermAction::Allow));
        assert!(matches!(e[2].action, TermAction::Hold));
    }

    #[test]
    fn word_lists() {
        let plain = "\u{feff}# gambling words\n赌博网站\n\n  百家乐  \r\n";
        let e = parse_word_list(
            "w.txt",
            plain.as_bytes(),
            WordListFormat::Plain,
            "gambling",
            TermAction::Hold,
        )
        .unwrap();
        let got: Vec<_> = e
            .iter()
            .map(|e| (e.term.as_str(), e.source.as_str()))
            .collect();
        assert_eq!(got, [("赌博网站", "w.txt:2"), ("百家乐", "w.txt:4")]);
        assert!(e
            .iter()
            .all(|e| e.category == "gambling" && e.action == TermAction::Hold));

        let sw = "#赌\n代开发票 fraud,tax\n出售 枪支\n";
        let e = parse_word_list(
            "dict.txt",
            sw.as_bytes(),
            WordListFormat::SensitiveWord,
            "mixed",
            TermAction::Reject,
        )
        .unwrap();
        let got: Vec<_> = e.iter().map(|e| e.term.as_str()).collect();
        assert_eq!(got, ["#赌", "代开发票", "出售"]);

        let err = parse_word_list(
            "w.txt",
            b"ok\n\xff\n",
            WordListFormat::Plain,
            "c",
            TermAction::Reject,
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("w.txt:2: invalid UTF-8"), "{err}");
        let err = parse_word_list(
            "w.txt",
            b"# only\n\n",
            WordListFormat::Plain,
            "c",
            TermAction::Reject,
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("w.txt: word list has no term"), "{err}");
    }

    #[test]
    fn bad_rows_name_file_and_line() {
        let cases: [(&[u8], &str); 7] = [
            (b"word,cat,act\nx,y,reject\n", "l.csv:1: header"),
            (
                b"term,category,action\nx,y,delete\n",
                "l.csv:2: unknown action `delete`",
            ),
            (
                b"term,category,action\nx,y,reject\n,y,reject\n",
                "l.csv:3: empty term",
            ),
            (
                b"term,category,action\nx,,reject\n",
                "l.csv:2: empty category",
            ),
            (b"term,category,action\nx,y\n", "l.csv:2: expected 3 fields"),
            (
                b"term,category,action\nx,y,reject,z,w\n",
                "l.csv:2: expected 3 fields",
            ),
            (
                b"term,category,action\n\xff\xfe,y,reject\n",
                "l.csv:2: invalid UTF-8",
            ),
        ];
        for (bytes, want) in cases {
            let err = parse_lexicon("l.csv", bytes).unwrap_err().to_string();
            assert!(err.starts_with(want), "{want} vs {err}");
        }
    }
}
