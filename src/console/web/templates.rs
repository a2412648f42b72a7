//! The page templates (`templates/*.html`, minijinja, HTML autoescape on: every value from a
//! record, an account or a form is escaped) and the static script and style, all compiled into
//! the binary.

use std::sync::OnceLock;

use minijinja::{AutoEscape, Environment};

/// The page script (`templates/console.js`): shortcuts, lease countdown and renewal.
pub const CONSOLE_JS: &str = include_str!("templates/console.js");
/// The style sheet (`templates/console.css`).
pub const CONSOLE_CSS: &str = include_str!("templates/console.css");

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("login.html", include_str!("templates/login.html")),
    ("queue.html", include_str!("templates/queue.html")),
    ("item.html", include_str!("templates/item.html")),
    ("empty.html", include_str!("templates/empty.html")),
    ("claims.html", include_str!("templates/claims.html")),
    ("stats.html", include_str!("templates/stats.html")),
    ("report.html", include_str!("templates/report.html")),
    ("users.html", include_str!("templates/users.html")),
    ("user.html", include_str!("templates/user.html")),
];

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // Every template is HTML: escape everything, whatever the name.
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name}: {e}"));
        }
        env
    })
}

/// Renders template `name` with `ctx`. A failure (a bug: the templates are compiled in and the
/// tests render each) is logged and rendered as a short error text.
pub fn render(name: &str, ctx: minijinja::Value) -> axum::response::Html<String> {
    let html = env()
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .unwrap_or_else(|e| {
            tracing::error!(template = name, error = %e, "console template failed");
            format!("template {name} failed")
        });
    axum::response::Html(html)
}
