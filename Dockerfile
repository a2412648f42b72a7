# Multi-stage build of the synth-review worker.
#
# Build stage: the Rust toolchain must be at least the highest `rust-version` among the locked
# dependencies (tests/observability.rs checks this against Cargo.lock), and rdkafka-sys compiles
# librdkafka from source, which needs make, a C/C++ compiler, cmake, pkg-config and zlib headers.
FROM rust:1.89-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends cmake make g++ pkg-config zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so that a source change does not download them again.
COPY Cargo.toml Cargo.lock ./
RUN cargo fetch --locked
COPY . .
RUN cargo build --release --locked --bin synth-review

# Runtime stage: the binary plus the pipelines and data files they name (relative paths).
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends zlib1g ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 synth
WORKDIR /app
COPY --from=build /src/target/release/synth-review /usr/local/bin/synth-review
COPY pipelines /app/pipelines
COPY data /app/data
USER synth
EXPOSE 9464
ENV RUST_LOG=info
# SIGTERM drains in-flight acknowledgements (drain_timeout_ms) before the worker leaves the group;
# SIGHUP reloads the pipeline and its data files.
STOPSIGNAL SIGTERM
ENTRYPOINT ["synth-review"]
CMD ["run", "--pipeline", "/app/pipelines/default.toml", "--listen", "0.0.0.0:9464"]
