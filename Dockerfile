# syntax=docker/dockerfile:1
#
# pqready's container image, for the in-cluster Job and CronJob in deploy/.
#
#   docker build -t pqready:latest .
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/OWNER/pqready:VERSION --push .
#
# NOT BUILT IN THIS REPOSITORY'S CI: the development and CI machines have no
# container engine, so this file has never been built there. It is kept
# simple and conventional on purpose; scripts/validate-deploy only checks it
# as text (non-root user, entrypoint, default arguments).
#
# Build stage: a static musl binary. aws-lc-sys (under rustls/aws-lc-rs)
# compiles its C with the cc crate and ships pre-generated bindings for
# x86_64- and aarch64-unknown-linux-musl, so a C compiler for musl
# (musl-tools) is all it needs: no cmake, Go, Perl or clang/bindgen.
# The binary is built for the platform the image is built for (under
# emulation when buildx builds the other architecture).
ARG RUST_VERSION=1.95
FROM docker.io/library/rust:${RUST_VERSION}-bookworm AS build
ARG TARGETARCH
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/*
RUN case "${TARGETARCH:-amd64}" in \
      amd64) echo x86_64-unknown-linux-musl ;; \
      arm64) echo aarch64-unknown-linux-musl ;; \
      *) echo "unsupported TARGETARCH ${TARGETARCH}" >&2; exit 1 ;; \
    esac > /rust-target \
 && rustup target add "$(cat /rust-target)"
# The C parts (aws-lc) are compiled by musl-gcc, and linked statically.
ENV CC_x86_64_unknown_linux_musl=musl-gcc \
    CC_aarch64_unknown_linux_musl=musl-gcc \
    CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="-C target-feature=+crt-static" \
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="-C target-feature=+crt-static"
WORKDIR /src
# The whole tree (less .dockerignore): Cargo.toml names the benches/ targets,
# which must exist even though only the binary is built.
COPY . .
RUN target="$(cat /rust-target)" \
 && cargo build --release --locked --target "$target" --bin pqready \
 && install -D -m 0755 "target/$target/release/pqready" /out/pqready \
 && /out/pqready --version

# Final stage: no shell, no package manager, nonroot (65532) by default.
# distroless/static carries CA certificates and /etc/passwd, nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/pqready /pqready
USER 65532:65532
ENTRYPOINT ["/pqready"]
CMD ["cluster", "--in-cluster", "-o", "json"]
