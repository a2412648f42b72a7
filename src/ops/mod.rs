//! What SREs see and touch while the worker runs: Prometheus metrics ([`metrics`]), the
//! `/metrics`, `/healthz`, `/readyz` endpoints ([`http`]) and hot reload on SIGHUP ([`reload`]).

pub mod http;
pub mod metrics;
pub mod reload;
