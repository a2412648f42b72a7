//! `reprint_source` stage (Art. 6(2)): a platform may reprint news only from the sources the
//! state lists (the CAC 互联网新闻信息稿源单位名单). For events declared `news.is_reprint`:
//!
//! - no source name and no URL → `reprint_source_missing` (reject);
//! - a URL whose host ([`url_host`]: `people.com.cn@evil.example` is host `evil.example`) is not
//!   a listed domain or a subdomain of one, or that is not an `http`/`https` URL with a domain
//!   → `reprint_source_unlicensed` (reject);
//! - no URL and a name that is not listed → `reprint_source_unlicensed` (reject);
//! - a listed URL with a name that does not agree with it
//!   ([`NewsSources::name_and_host_agree`]: the name resolves to a listed unit whose domains
//!   hold the host, subdomains included) → `reprint_source_mismatch` (hold): an unlisted name
//!   (`某自媒体`) on a `news.cn` URL, or `人民网` on a `news.cn` URL. Evidence `news.source.url`.

use std::sync::Arc;

use serde::Deserialize;

use super::{BuildStage, Finding, Stage, StageContext, StageOutput};
use crate::config::ConfigError;
use crate::decision::{reason_codes, Evidence, ReasonCode, StageKind};
use crate::event::PublishEvent;
use crate::sources::news_units::NewsSources;
use crate::sources::url::url_host;

reason_codes! {
    /// A reprint with no source.
    ReprintSourceMissing = "reprint_source_missing", ReprintSource, Reject, "Art. 6(2)";
    /// A reprint whose source is not on the news-source list.
    ReprintSourceUnlicensed = "reprint_source_unlicensed", ReprintSource, Reject, "Art. 6(2)";
    /// Source name and source domain name different units.
    ReprintSourceMismatch = "reprint_source_mismatch", ReprintSource, Hold, "Art. 6(2)";
}

/// `[[stages]] kind = "reprint_source"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReprintSourceConfig {
    /// News-source CSV (`name,domain`, others ignored).
    pub sources: String,
    /// Alias CSV (`alias,name[,domain]`) mapping common names to listed units.
    #[serde(default)]
    pub aliases: Option<String>,
}

/// Validates reprint sources against the news-source list.
#[derive(Debug, Clone)]
pub struct ReprintSource {
    sources: Arc<NewsSources>,
}

impl ReprintSource {
    /// A stage over a loaded list.
    pub fn new(sources: Arc<NewsSources>) -> Self {
        ReprintSource { sources }
    }
}

impl BuildStage for ReprintSource {
    type Config = ReprintSourceConfig;

    fn build(config: ReprintSourceConfig, ctx: &mut StageContext<'_>) -> Result<Self, ConfigError> {
        let sources =
            super::build::read_news_sources(ctx, &config.sources, config.aliases.as_deref())?;
        Ok(ReprintSource::new(sources))
    }
}

fn evidence(field: &str, value: &str) -> Evidence {
    Evidence {
        field: field.into(),
        start: None,
        end: None,
        matched: Some(value.chars().take(512).collect()),
        term: None,
    }
}

impl Stage for ReprintSource {
    fn kind(&self) -> StageKind {
        StageKind::ReprintSource
    }

    fn review(&self, event: &PublishEvent, out: &mut StageOutput) {
        let Some(news) = &event.news else { return };
        if news.is_reprint != Some(true) {
            return;
        }
        let (name, url) = news.source_name_and_url();
        let named_unit = name.and_then(|n| self.sources.unit_by_name(n));
        // `named_unit` only decides the name-only case; with a URL the host decides and the
        // name must agree with it.
        match (name, url) {
            (None, None) => out.findings.push(
                Finding::new(ReasonCode::ReprintSourceMissing)
                    .detail("a reprint must name its source (news.source.name / news.source.url)"),
            ),
            (_, Some(url)) => match url_host(url) {
                Err(why) => out.findings.push(
                    Finding::new(ReasonCode::ReprintSourceUnlicensed)
                        .detail(why.to_string())
                        .evidence(evidence("news.source.url", url)),
                ),
                Ok(host) => match self.sources.unit_by_host(&host) {
                    None => out.findings.push(
                        Finding::new(ReasonCode::ReprintSourceUnlicensed)
                            .detail(format!(
                                "`{host}` is not a domain of a listed news source unit"
                            ))
                            .evidence(evidence("news.source.url", url)),
                    ),
                    Some(_) => {
                        if let Some(name) = name {
                            if let Err(why) = self.sources.name_and_host_agree(name, &host) {
                                out.findings.push(
                                    Finding::new(ReasonCode::ReprintSourceMismatch)
                                        .detail(format!(
                                            "{why}: a reprint's source name and URL must name \
                                             the same listed unit"
                                        ))
                                        .evidence(evidence("news.source.url", url)),
                                );
                            }
                        }
                    }
                },
            },
            (Some(name), None) => {
                if named_unit.is_none() {
                    out.findings.push(
                        Finding::new(ReasonCode::ReprintSourceUnlicensed)
                            .detail(format!("`{name}` is not a listed news source unit"))
                            .evidence(evidence("news.source.name", name)),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::test_support::event;
    use serde_json::json;

    const CSV: &str =
        "name,domain\n新华网,news.cn;xinhuanet.com\n人民网,people.com.cn\n某某日报,\n";

    #[test]
    fn table() {
        let stage = ReprintSource::new(Arc::new(
            NewsSources::parse("s.csv", CSV.as_bytes()).unwrap(),
        ));
        let reprint =
            |source: serde_json::Value| json!({"news": {"is_reprint": true, "source": source}});
        let cases: Vec<(&str, serde_json::Value, Option<ReasonCode>)> = vec![
            (
                "not a reprint",
                json!({"news": {"is_reprint": false}}),
                None,
            ),
            ("no news at all", json!({}), None),
            (
                "missing source",
                json!({"news": {"is_reprint": true}}),
                Some(ReasonCode::ReprintSourceMissing),
            ),
            (
                "empty source",
                reprint(json!({"name": " ", "url": ""})),
                Some(ReasonCode::ReprintSourceMissing),
            ),
            (
                "listed domain",
                reprint(json!({"name": "新华网", "url": "https://www.news.cn/a.htm"})),
                None,
            ),
            (
                "listed, upper case, port, trailing dot",
                reprint(json!({"url": "HTTPS://WWW.NEWS.CN.:443/a"})),
                None,
            ),
            (
                "second domain of unit",
                reprint(json!({"name": "新华网", "url": "http://xinhuanet.com/x"})),
                None,
            ),
            (
                "look-alike suffix",
                reprint(json!({"url": "https://xinhuanet.com.example.org/x"})),
                Some(ReasonCode::ReprintSourceUnlicensed),
            ),
            (
                "userinfo trick",
                reprint(json!({"url": "https://people.com.cn@evil.example/x"})),
                Some(ReasonCode::ReprintSourceUnlicensed),
            ),
            (
                "prefix look-alike",
                reprint(json!({"url": "https://fakenews.cn/x"})),
                Some(ReasonCode::ReprintSourceUnlicensed),
            ),
            (
                "not a url",
                reprint(json!({"url": "news.cn/x"})),
                Some(ReasonCode::ReprintSourceUnlicensed),
            ),
            (
                "ftp scheme",
                reprint(json!({"url": "ftp://news.cn/x"})),
                Some(ReasonCode::ReprintSourceUnlicensed),
            ),
            (
                "ip host",
                reprint(json!({"url": "http://1.2.3.4/x"})),
                Some(ReasonCode::ReprintSourceUnlicensed),
            ),
            (
                "listed name only",
                reprint(json!({"name": "某某日报"})),
                None,
            ),
            (
                "unlisted name only",
                reprint(json!({"name": "野鸡新闻"})),
                Some(ReasonCode::ReprintSourceUnlicensed),
            ),
            (
                "name and domain differ",
                reprint(json!({"name": "人民网", "url": "https://www.news.cn/a"})),
                Some(ReasonCode::ReprintSourceMismatch),
            ),
            (
                "unlisted name on a listed domain",
                reprint(json!({"name": "某自媒体", "url": "https://www.news.cn/a"})),
                Some(ReasonCode::ReprintSourceMismatch),
            ),
            (
                "listed name without domains on a listed domain",
                reprint(json!({"name": "某某日报", "url": "https://news.cn/a"})),
                Some(ReasonCode::ReprintSourceMismatch),
            ),
            (
                "name and subdomain agree",
                reprint(json!({"name": " 新华网 ", "url": "https://m.news.cn:443/a"})),
                None,
            ),
            (
                "listed name, unlisted domain",
                reprint(json!({"name": "新华网", "url": "https://evil.example/a"})),
                Some(ReasonCode::ReprintSourceUnlicensed),
            ),
            (
                "two trailing dots",
                reprint(json!({"name": "新华网", "url": "https://news.cn../a"})),
                Some(ReasonCode::ReprintSourceUnlicensed),
            ),
        ];
        for (name, patch, want) in cases {
            let mut out = StageOutput::default();
            stage.review(&event(patch), &mut out);
            let got: Vec<_> = out.findings.iter().map(|f| f.code).collect();
            assert_eq!(got, want.into_iter().collect::<Vec<_>>(), "{name}");
        }
    }
}
