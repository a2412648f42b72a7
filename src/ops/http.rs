//! The operations endpoints (DESIGN §7): `/metrics` (Prometheus text format), `/healthz` (process
//! up) and `/readyz` (partitions assigned and producer ready), served with axum.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::{extract::State, http::StatusCode, response::IntoResponse, routing::get, Router};

use crate::ops::metrics::Metrics;

/// Readiness flags the worker updates.
#[derive(Debug, Default)]
pub struct Readiness {
    /// At least one partition is assigned.
    pub assigned: AtomicBool,
    /// The producer has connected to a broker.
    pub producer_ready: AtomicBool,
}

impl Readiness {
    /// Whether `/readyz` answers 200.
    pub fn is_ready(&self) -> bool {
        self.assigned.load(Ordering::Relaxed) && self.producer_ready.load(Ordering::Relaxed)
    }
}

#[derive(Clone)]
struct AppState {
    metrics: Metrics,
    ready: Arc<Readiness>,
}

/// The running operations endpoint; stops when [`Server::stop`] is called or it is dropped.
pub struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Server {
    /// Serves `/metrics`, `/healthz` and `/readyz` on `listener` in a task of its own. Must be
    /// called inside a Tokio runtime.
    ///
    /// # Errors
    /// The listener's address cannot be read.
    pub fn start(
        listener: tokio::net::TcpListener,
        metrics: Metrics,
        ready: Arc<Readiness>,
    ) -> std::io::Result<Server> {
        let addr = listener.local_addr()?;
        let app = Router::new()
            .route("/metrics", get(metrics_handler))
            .route("/healthz", get(|| async { "ok\n" }))
            .route("/readyz", get(ready_handler))
            .with_state(AppState { metrics, ready });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(%error, "Metrics server failed.");
            }
        });
        Ok(Server {
            addr,
            stop: Some(stop),
        })
    }

    /// The bound address (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops serving (open connections finish first).
    pub fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn metrics_handler(State(s): State<AppState>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.metrics.encode(),
    )
}

async fn ready_handler(State(s): State<AppState>) -> impl IntoResponse {
    if s.ready.is_ready() {
        (StatusCode::OK, "ready\n")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: waiting for partition assignment and producer\n",
        )
    }
}
