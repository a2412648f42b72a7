//! A console store of one test's own ([`TestDb`]): a SQLite file in a temp dir, or a database
//! of its own in the PostgreSQL server `SYNTH_REVIEW_TEST_POSTGRES` names (exported by
//! `scripts/test.sh`). Without that variable the PostgreSQL variants fail under CI (`CI=true`)
//! and are skipped with a notice elsewhere.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs each named `async fn NAME(db: &TestDb)` of the test crate's root twice: on SQLite
/// (`sqlite::NAME`) and on PostgreSQL (`postgres::NAME`, skipped or failed as
/// [`TestDb::postgres`] says), each on a multi-threaded runtime of `THREADS` workers, with a
/// store of its own removed afterwards. `crate::backend_tests!(2; first_test, second_test)`.
#[macro_export]
macro_rules! backend_tests {
    ($threads:literal; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = $threads)]
                async fn $name() {
                    let db = super::TestDb::sqlite().await;
                    super::$name(&db).await;
                    db.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = $threads)]
                async fn $name() {
                    let Some(db) = super::TestDb::postgres(stringify!($name)).await else {
                        return;
                    };
                    super::$name(&db).await;
                    db.finish().await;
                }
            )*
        }
    };
}

use synth_review::console::Store;

/// A store of one test's own, removed again afterwards.
pub struct TestDb {
    /// The open store.
    pub store: Store,
    /// Its URL (to open it again, or to give it to a console process).
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite { _dir: tempfile::TempDir },
    Postgres { admin_url: String, database: String },
}

const PG_ENV: &str = "SYNTH_REVIEW_TEST_POSTGRES";

impl TestDb {
    /// A fresh SQLite store.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("console.db").display()
        );
        let store = Store::open(&url).await.unwrap();
        TestDb {
            store,
            url,
            cleanup: Cleanup::Sqlite { _dir: dir },
        }
    }

    /// A fresh database in the server of `SYNTH_REVIEW_TEST_POSTGRES`; `None` (the test skips)
    /// when it is not set, except under CI, where that fails the test.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let Some(admin_url) = std::env::var(PG_ENV).ok().filter(|v| !v.is_empty()) else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "{PG_ENV} is not set under CI: the PostgreSQL variant of {test} cannot run \
                     (scripts/test.sh starts a server and sets it)"
                );
            }
            eprintln!(
                "NOTICE: postgres::{test} skipped: {PG_ENV} is not set (scripts/test.sh sets it)"
            );
            return None;
        };
        use sqlx::{Connection, Executor};
        static N: AtomicUsize = AtomicUsize::new(0);
        let database = format!(
            "test_{}_{}_{}",
            test,
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("{PG_ENV}={admin_url}: cannot connect: {e}"));
        admin
            .execute(format!("CREATE DATABASE \"{database}\"").as_str())
            .await
            .unwrap();
        admin.close().await.unwrap();
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&format!("/{database}"));
        let url = url.to_string();
        let store = Store::open(&url).await.unwrap();
        Some(TestDb {
            store,
            url,
            cleanup: Cleanup::Postgres {
                admin_url,
                database,
            },
        })
    }

    /// Closes the store and removes its file or database.
    pub async fn finish(self) {
        self.store.close().await;
        if let Cleanup::Postgres {
            admin_url,
            database,
        } = self.cleanup
        {
            use sqlx::{Connection, Executor};
            let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
            admin
                .execute(format!("DROP DATABASE \"{database}\" WITH (FORCE)").as_str())
                .await
                .unwrap();
            admin.close().await.unwrap();
        }
    }
}
