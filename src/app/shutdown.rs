//! SIGINT/SIGTERM as the shutdown future of [`super::run`], with a watchdog that bounds the
//! shutdown.

use std::future::Future;
use std::io::Write as _;
use std::time::Duration;

/// Watches for SIGINT/SIGTERM in a task of its own and returns a future that resolves on the first
/// one. From then on a watchdog bounds the shutdown: a second signal, or `grace` passing without
/// the worker having stopped (e.g. the broker is down and a transactional call is being retried),
/// ends the process with exit code 1. The signals are watched apart from the worker loop, so they
/// work even while the loop is busy retrying. Nothing is lost that way: whatever was not committed
/// is reviewed again by the partitions' next owner, and an open transaction is aborted by the
/// broker.
///
/// Must be called inside a Tokio runtime. Meant for the binary: it may end the process.
pub fn on_signal_with_watchdog(grace: Duration) -> impl Future<Output = ()> {
    let (tx, mut rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        signal().await;
        tracing::info!(
            grace_ms = grace.as_millis() as u64,
            "Stopping; a second signal forces exit."
        );
        let _ = tx.send(true);
        tokio::select! {
            _ = signal() => {
                let _ = writeln!(std::io::stderr(), "error: second signal; exiting without finishing the shutdown");
            }
            _ = tokio::time::sleep(grace) => {
                let _ = writeln!(std::io::stderr(), "error: shutdown did not finish within {} ms; exiting (uncommitted work is reviewed again after restart)", grace.as_millis());
            }
        }
        std::process::exit(1);
    });
    async move {
        let _ = rx.wait_for(|stop| *stop).await;
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// Resolves on SIGHUP (the terminal went away); never, if it cannot be watched. For the
/// interactive `demo --console` only (`run` reloads its pipeline on SIGHUP instead).
pub async fn hangup() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(_) => std::future::pending::<()>().await,
    }
}
