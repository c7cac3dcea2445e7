# syntax=docker/dockerfile:1
# The `remise` binary in a small image: `docker build -t remise .`, or `docker compose up`
# (compose.yaml: two hosts over one PostgreSQL behind nginx).
#
# Build stage: Rust (rust-toolchain.toml: stable + the wasm32-unknown-unknown target the
# catalogue plugins are built for, and wasm32-wasip2) and Node.js 20 (host/build.rs builds the console in web/ with
# npm ci + Vite), both taken from official images.
FROM node:20-bookworm AS node

FROM rust:1-bookworm AS build
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
WORKDIR /src
# The toolchain rust-toolchain.toml names, installed once in its own layer.
COPY rust-toolchain.toml ./
RUN rustup toolchain install stable --profile minimal \
        --target wasm32-unknown-unknown --target wasm32-wasip2 \
        --component rustfmt --component clippy \
 && rustup target add wasm32-unknown-unknown wasm32-wasip2 \
 && cargo --version
COPY . .
# The caches keep crates, npm packages and compiled dependencies between builds; the
# binary is copied out of the cached target folder in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/root/.npm \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p remise \
 && install -m 0755 target/release/remise /usr/local/bin/remise

# Runtime: Debian slim, a non-root user, the compiled-plugin cache on a volume.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 remise \
 && useradd --system --uid 10001 --gid remise --home-dir /var/lib/remise \
        --shell /usr/sbin/nologin remise \
 && install -d -m 0700 -o remise -g remise /var/lib/remise /var/lib/remise/cache
COPY --from=build /usr/local/bin/remise /usr/local/bin/remise
USER remise
WORKDIR /var/lib/remise
# Without REMISE_DATABASE_URL the image serves a SQLite file, /var/lib/remise/remise.db.
# REMISE_CACHE_DIR must be private to the service (mode 0700, owned by remise).
ENV REMISE_LISTEN=0.0.0.0:8080 \
    REMISE_CACHE_DIR=/var/lib/remise/cache
VOLUME ["/var/lib/remise/cache"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["remise"]
CMD ["serve"]
