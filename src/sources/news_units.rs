//! The news-source list (DESIGN §5): CSV with at least the columns `name,domain` (others ignored),
//! one row per unit or website; `domain` may hold several domains separated by `;`. The shipped
//! list is the CAC 互联网新闻信息稿源单位名单 (see `data/news-sources/README.md`).

use std::collections::HashMap;

use crate::config::ConfigError;

/// A listed unit and the domains known to belong to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The unit's name as listed, e.g. `新华网`.
    pub name: String,
    /// Lower-case registrable domains, e.g. `news.cn`.
    pub domains: Vec<String>,
}

/// The loaded list, indexed by name and by domain.
#[derive(Debug, Clone, Default)]
pub struct NewsSources {
    units: Vec<Unit>,
    by_name: HashMap<String, usize>,
    by_domain: HashMap<String, usize>,
    by_alias: HashMap<String, usize>,
}

/// The column names of a CSV header (trimmed, a leading BOM dropped).
///
/// # Errors
/// `file:1: reason` when the header names a column twice (`name,domain,name`: which one counts
/// would be a guess).
fn header_names<'h>(
    file: &str,
    headers: &'h csv::StringRecord,
) -> Result<Vec<&'h str>, ConfigError> {
    let names: Vec<&str> = headers
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}'))
        .collect();
    for (i, h) in names.iter().enumerate() {
        if !h.is_empty() && names[..i].contains(h) {
            return Err(ConfigError::line(
                file,
                1,
                format!("the header names the column `{h}` twice"),
            ));
        }
    }
    Ok(names)
}

impl NewsSources {
    /// Parses a news-source CSV. `name` is how errors name the file.
    ///
    /// # Errors
    /// `name:line: reason` for invalid UTF-8, missing `name`/`domain` columns, an empty name, a
    /// malformed domain, or a domain listed for two different units.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Self, ConfigError> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
        let headers = reader
            .headers()
            .map_err(|e| ConfigError::file(name, e.to_string()))?
            .clone();
        let names = header_names(name, &headers)?;
        let col = |c: &str| names.iter().position(|h| *h == c);
        let (Some(name_col), Some(domain_col)) = (col("name"), col("domain")) else {
            return Err(ConfigError::line(
                name,
                1,
                "header must contain the columns `name` and `domain`",
            ));
        };
        let mut list = NewsSources::default();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                ConfigError::line(
                    name,
                    line,
                    if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                        "invalid UTF-8".to_string()
                    } else {
                        e.to_string()
                    },
                )
            })?;
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            let unit_name = record.get(name_col).unwrap_or("").trim();
            if unit_name.is_empty() {
                return Err(ConfigError::line(name, line, "empty `name`"));
            }
            let idx = match list.by_name.get(unit_name) {
                Some(&i) => i,
                None => {
                    list.units.push(Unit {
                        name: unit_name.to_string(),
                        domains: Vec::new(),
                    });
                    list.by_name
                        .insert(unit_name.to_string(), list.units.len() - 1);
                    list.units.len() - 1
                }
            };
            list.add_domains(name, line, idx, record.get(domain_col).unwrap_or(""))?;
        }
        if list.units.is_empty() {
            // Every news-like event would be held as from an unlisted source.
            return Err(ConfigError::file(
                name,
                "lists no news source (only a header)",
            ));
        }
        Ok(list)
    }

    /// Adds an alias CSV (header `alias,name[,domain]`): each alias resolves to the listed unit
    /// `name`, and the row's domains (`;`-separated) are added to that unit.
    ///
    /// # Errors
    /// `file:line: reason` for a missing column, an empty alias, a target `name` that is not
    /// listed, a malformed domain, or a domain already listed for another unit.
    pub fn add_aliases(&mut self, file: &str, bytes: &[u8]) -> Result<(), ConfigError> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
        let headers = reader
            .headers()
            .map_err(|e| ConfigError::file(file, e.to_string()))?
            .clone();
        let names = header_names(file, &headers)?;
        let col = |c: &str| names.iter().position(|h| *h == c);
        let (Some(alias_col), Some(name_col)) = (col("alias"), col("name")) else {
            return Err(ConfigError::line(
                file,
                1,
                "header must contain the columns `alias` and `name`",
            ));
        };
        let domain_col = col("domain");
        for record in reader.records() {
            let record = record.map_err(|e| {
                ConfigError::line(
                    file,
                    e.position().map(|p| p.line()).unwrap_or(0),
                    e.to_string(),
                )
            })?;
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            let alias = record.get(alias_col).unwrap_or("").trim();
            let target = record.get(name_col).unwrap_or("").trim();
            if alias.is_empty() {
                return Err(ConfigError::line(file, line, "empty `alias`"));
            }
            let Some(&idx) = self.by_name.get(target) else {
                return Err(ConfigError::line(
                    file,
                    line,
                    format!("`{target}` is not a listed unit name"),
                ));
            };
            self.by_alias.insert(alias.to_string(), idx);
            let domains = domain_col.and_then(|c| record.get(c)).unwrap_or("");
            self.add_domains(file, line, idx, domains)?;
        }
        Ok(())
    }

    fn add_domains(
        &mut self,
        file: &str,
        line: u64,
        idx: usize,
        domains: &str,
    ) -> Result<(), ConfigError> {
        for domain in domains.split(';') {
            let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
            if domain.is_empty() {
                continue;
            }
            if !is_domain(&domain) {
                return Err(ConfigError::line(file, line, format!("`{domain}` is not a domain name (expected e.g. news.cn, no scheme or path)")));
            }
            match self.by_domain.get(&domain) {
                Some(&other) if other != idx => {
                    return Err(ConfigError::line(
                        file,
                        line,
                        format!(
                            "domain `{domain}` is already listed for `{}`",
                            self.units[other].name
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    self.by_domain.insert(domain.clone(), idx);
                    self.units[idx].domains.push(domain);
                }
            }
        }
        Ok(())
    }

    /// The unit a name refers to: an alias first (so `新华社` and `新华通讯社` resolve to `新华网`),
    /// else the listed name itself. Surrounding white space is ignored.
    pub fn unit_by_name(&self, name: &str) -> Option<&Unit> {
        let name = name.trim();
        self.by_alias
            .get(name)
            .or_else(|| self.by_name.get(name))
            .map(|&i| &self.units[i])
    }

    /// Every listed name and alias with its unit, for building text matchers
    /// (e.g. attribution detection). Order is unspecified.
    pub fn names_and_aliases(&self) -> impl Iterator<Item = (&str, &Unit)> {
        self.by_name
            .iter()
            .chain(self.by_alias.iter())
            .map(|(n, &i)| (n.as_str(), &self.units[i]))
    }

    /// The unit owning `host`: the host itself or its nearest parent domain is listed
    /// (`www.news.cn` → `news.cn`). `host` must already be lower-case without a trailing dot, as
    /// the `url` crate returns it; `news.cn.example.org` finds nothing because only
    /// suffixes at label boundaries are tried.
    pub fn unit_by_host(&self, host: &str) -> Option<&Unit> {
        let mut h = host;
        loop {
            if let Some(&i) = self.by_domain.get(h) {
                return Some(&self.units[i]);
            }
            match h.find('.') {
                Some(dot) => h = &h[dot + 1..],
                None => return None,
            }
        }
    }

    /// Whether `host` (as [`url_host`](super::url::url_host) returns it) is one of `unit`'s
    /// listed domains or a subdomain of one (`m.news.cn` belongs to the unit listing `news.cn`;
    /// `news.cn.example.org` and `fakenews.cn` do not).
    pub fn host_belongs_to(&self, host: &str, unit: &Unit) -> bool {
        let mut h = host;
        loop {
            if let Some(&i) = self.by_domain.get(h) {
                if self.units[i].name == unit.name {
                    return true;
                }
            }
            match h.find('.') {
                Some(dot) => h = &h[dot + 1..],
                None => return false,
            }
        }
    }

    /// Whether a source name and a source URL's host agree (issue 12: a listed name does not
    /// vouch for any URL, nor a listed URL for any name): `name` resolves to a listed unit
    /// ([`Self::unit_by_name`]) and `host` belongs to that unit ([`Self::host_belongs_to`]).
    /// `Err` is why they disagree, worded for a finding's detail.
    ///
    /// # Errors
    /// A sentence naming the name, the host and the units they resolve to.
    pub fn name_and_host_agree(&self, name: &str, host: &str) -> Result<&Unit, String> {
        let host_unit = self.unit_by_host(host);
        match (self.unit_by_name(name), host_unit) {
            (Some(named), _) if self.host_belongs_to(host, named) => Ok(named),
            (Some(named), Some(other)) => Err(format!(
                "source name `{}` is the listed unit `{}`, but the URL host `{host}` belongs to `{}`",
                name.trim(),
                named.name,
                other.name
            )),
            (Some(named), None) => Err(format!(
                "source name `{}` is the listed unit `{}`, but the URL host `{host}` is not one of \
                 its domains{}",
                name.trim(),
                named.name,
                if named.domains.is_empty() {
                    " (the list gives it none)".to_string()
                } else {
                    format!(" ({})", named.domains.join(", "))
                }
            )),
            (None, Some(other)) => Err(format!(
                "source name `{}` is not a listed unit, but the URL host `{host}` belongs to `{}`",
                name.trim(),
                other.name
            )),
            (None, None) => Err(format!(
                "neither the source name `{}` nor the URL host `{host}` is listed",
                name.trim()
            )),
        }
    }

    /// Number of listed units.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }
}

fn is_domain(d: &str) -> bool {
    d.contains('.')
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "name,website,domain,category\n新华网,新华网,news.cn;xinhuanet.com,central\n人民网,人民网,people.com.cn,central\n某某日报,,,local\n";

    #[test]
    fn finds_units_by_name_and_host() {
        let s = NewsSources::parse("s.csv", CSV.as_bytes()).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(
            s.unit_by_name(" 新华网 ").unwrap().domains,
            vec!["news.cn", "xinhuanet.com"]
        );
        assert_eq!(s.unit_by_host("www.news.cn").unwrap().name, "新华网");
        assert_eq!(s.unit_by_host("news.cn").unwrap().name, "新华网");
        assert_eq!(s.unit_by_host("a.b.people.com.cn").unwrap().name, "人民网");
        for bad in [
            "news.cn.example.org",
            "fakenews.cn",
            "cn",
            "people.com",
            "example.org",
        ] {
            assert!(s.unit_by_host(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn aliases_resolve_to_units_and_add_domains() {
        let mut s = NewsSources::parse("s.csv", CSV.as_bytes()).unwrap();
        s.add_aliases(
            "a.csv",
            "alias,name,domain\n新华社,新华网,xinhua.example.cn\n人民日报,人民网,\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(s.unit_by_name("新华社").unwrap().name, "新华网");
        assert_eq!(
            s.unit_by_host("www.xinhua.example.cn").unwrap().name,
            "新华网"
        );
        assert_eq!(s.unit_by_name("人民日报").unwrap().name, "人民网");
        let err = s
            .add_aliases("a.csv", "alias,name\n某社,不存在的网\n".as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("a.csv:2: `不存在的网` is not a listed"),
            "{err}"
        );
        let err = s
            .add_aliases(
                "a.csv",
                "alias,name,domain\n某社,人民网,news.cn\n".as_bytes(),
            )
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("a.csv:2: domain `news.cn` is already listed"),
            "{err}"
        );
    }

    #[test]
    fn bad_rows_name_the_line() {
        for (csv, want) in [
            ("name,x\na,b\n", "s.csv:1:"),
            ("name,domain\n,news.cn\n", "s.csv:2: empty"),
            ("name,domain\na,https://news.cn/x\n", "s.csv:2:"),
            (
                "name,domain\na,news.cn\nb,news.cn\n",
                "s.csv:3: domain `news.cn` is already listed",
            ),
            (
                "name,domain,name\na,news.cn,b\n",
                "s.csv:1: the header names the column `name` twice",
            ),
            ("name,domain\n", "s.csv: lists no news source"),
        ] {
            let err = NewsSources::parse("s.csv", csv.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(want), "{want} vs {err}");
        }
    }
}
