# syntax=docker/dockerfile:1
# Build: docker build -t undersigned .
# Run:   docker run -p 3000:3000 -v undersigned-data:/data -e PUBLIC_URL=https://sign.example.org undersigned

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, so source edits do not rebuild them. Cargo reads every target the manifest
# names (library, binary, the `api` tests, the `load` bench) before it builds anything, so each
# gets a stub here; a target added to Cargo.toml needs its stub too.
COPY Cargo.toml Cargo.lock ./
COPY entity/Cargo.toml entity/Cargo.toml
COPY migration/Cargo.toml migration/Cargo.toml
RUN mkdir -p src entity/src migration/src tests/api benches \
 && echo 'fn main() {}' > src/main.rs \
 && echo 'fn main() {}' > benches/load.rs \
 && touch src/lib.rs entity/src/lib.rs migration/src/lib.rs tests/api/main.rs \
 && cargo build --release --locked \
 && rm -rf src entity/src migration/src tests benches
COPY . .
RUN touch src/main.rs src/lib.rs entity/src/lib.rs migration/src/lib.rs \
 && cargo build --release --locked --bin undersigned \
 && cp target/release/undersigned /usr/local/bin/undersigned

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin undersigned \
 && mkdir -p /data && chown undersigned /data
COPY --from=build /usr/local/bin/undersigned /usr/local/bin/undersigned
USER undersigned
WORKDIR /data
VOLUME ["/data"]
ENV DATABASE_URL="sqlite:///data/undersigned.db?mode=rwc" \
    BIND="0.0.0.0:3000" \
    LOG_FORMAT="json"
EXPOSE 3000
# The port answering is the liveness signal (GET /healthz from outside the container).
HEALTHCHECK --interval=30s --timeout=3s CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/3000"]
ENTRYPOINT ["/usr/bin/tini", "--", "undersigned"]
CMD ["serve"]
