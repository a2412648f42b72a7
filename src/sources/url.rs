//! Source URLs as the news-source list is searched by them: the host of an `http`/`https` URL
//! (WHATWG URL Standard, via the `url` crate: userinfo, ports, case and trailing dots are handled
//! by the parser, so `people.com.cn@evil.example` is host `evil.example`), to be looked up with
//! [`NewsSources::unit_by_host`](super::news_units::NewsSources::unit_by_host).

/// Why a source URL gives no host to look up. The messages are the detail texts of the findings
/// that report it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlHostError {
    /// Not a URL at all (`news.cn/x` has no scheme).
    #[error("source URL cannot be parsed: {0}")]
    Unparsable(url::ParseError),
    /// A scheme other than `http` or `https` (`ftp://news.cn/x`).
    #[error("source URL scheme `{0}` is not http or https")]
    Scheme(String),
    /// An IPv4 or IPv6 address: the list has domains only.
    #[error("source URL names an IP address, not a listed domain")]
    IpAddress,
    /// No host at all.
    #[error("source URL has no host")]
    NoHost,
    /// A host with an empty label: more trailing dots than the one DNS allows (`news.cn..`), or
    /// dots in a row. Such a name is not a listed domain and resolves nowhere.
    #[error("source URL host `{0}` has an empty label (only one trailing dot is allowed)")]
    EmptyLabel(String),
}

/// The host of an `http`/`https` URL, lower-case, without the one trailing dot DNS allows
/// (`HTTPS://WWW.NEWS.CN.:443/a` → `www.news.cn`); an internationalized name comes back in its
/// ASCII (punycode) form, as the parser writes it. Surrounding whitespace is ignored.
///
/// # Errors
/// [`UrlHostError`] when `raw` is not an `http`/`https` URL with a domain name.
pub fn url_host(raw: &str) -> Result<String, UrlHostError> {
    let url = url::Url::parse(raw.trim()).map_err(UrlHostError::Unparsable)?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(UrlHostError::Scheme(url.scheme().to_string()));
    }
    match url.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.strip_suffix('.').unwrap_or(d).to_ascii_lowercase();
            if d.is_empty() || d.split('.').any(str::is_empty) {
                return Err(UrlHostError::EmptyLabel(d.chars().take(253).collect()));
            }
            Ok(d)
        }
        Some(_) => Err(UrlHostError::IpAddress),
        None => Err(UrlHostError::NoHost),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_why_there_is_none() {
        let ok = |raw: &str| url_host(raw).unwrap();
        assert_eq!(ok("https://www.news.cn/a.htm"), "www.news.cn");
        assert_eq!(ok(" HTTPS://WWW.NEWS.CN.:443/a "), "www.news.cn");
        assert_eq!(ok("https://people.com.cn@evil.example/x"), "evil.example");
        let err = |raw: &str| url_host(raw).unwrap_err().to_string();
        assert_eq!(
            err("news.cn/x"),
            "source URL cannot be parsed: relative URL without a base"
        );
        assert_eq!(
            err("ftp://news.cn/x"),
            "source URL scheme `ftp` is not http or https"
        );
        assert_eq!(
            err("http://1.2.3.4/x"),
            "source URL names an IP address, not a listed domain"
        );
        assert_eq!(err("http://[::1]/x"), err("http://1.2.3.4/x"));
        assert_eq!(err("http://0x7f.1/x"), err("http://1.2.3.4/x"));
        assert!(err("https://news.cn../x").contains("`news.cn.` has an empty label"));
        assert!(err("https://news.cn.../x").contains("empty label"));
        assert!(err("https://www..news.cn/x").contains("empty label"));
        assert_eq!(ok("https://News.CN./x"), "news.cn");
        assert_eq!(ok("https://user:pw@M.NEWS.CN:8443/x"), "m.news.cn");
        assert_eq!(ok("https://新华网.中国/x"), "xn--xkrr14bows.xn--fiqs8s");
    }
}
