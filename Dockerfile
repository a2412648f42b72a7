# Multi-stage build of the synth-review worker.
FROM rust:1.85-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 synth
WORKDIR /app
COPY --from=build /src/target/release/synth-review /usr/local/bin/synth-review
COPY pipelines /app/pipelines
COPY data /app/data
USER synth
EXPOSE 9464
ENTRYPOINT ["synth-review"]
