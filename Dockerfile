# syntax=docker/dockerfile:1
#
# pqready's container image, for the in-cluster Job and CronJob in deploy/.
#
#   docker build -t pqready:latest --build-arg PQREADY_COMMIT=$(git rev-parse --short=12 HEAD) .
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/OWNER/pqready:VERSION --push .
#
# NOT BUILT IN THIS REPOSITORY'S CI: the development and CI machines have no
# container engine, so this file has never been built there. It is kept
# simple and conventional on purpose. scripts/validate-deploy checks it as
# text (non-root user, entrypoint, default arguments, .dockerignore), and
# tests/it/image.rs runs the binary in a read-only chroot made of the final
# stage's Debian packages, with this file's USER, ENTRYPOINT and CMD.
#
# Why glibc + distroless/cc and not a fully static musl binary: aws-lc-sys
# (under rustls/aws-lc-rs) compiles C that includes <linux/random.h>, which
# Debian's musl-gcc cannot see (aws/aws-lc-rs issue 894), so a musl build
# needs include-path workarounds. A glibc build needs only the C compiler the
# rust image already has (aws-lc-sys uses the cc crate and pre-generated
# bindings: no cmake, Go, Perl or clang). distroless/cc-debian12 carries the
# matching glibc (both stages are Debian 12) and libgcc, nothing else.
ARG RUST_VERSION=1.95
FROM docker.io/library/rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
# The whole tree (less .dockerignore): Cargo.toml names the benches/ targets,
# which must exist even though only the binary is built.
COPY . .
# .git is not in the build context (.dockerignore): the commit for
# `pqready --version` comes in as a build argument,
#   docker build --build-arg PQREADY_COMMIT=$(git rev-parse --short=12 HEAD) .
# (empty: the version says "commit unknown").
ARG PQREADY_COMMIT=
ENV PQREADY_COMMIT=${PQREADY_COMMIT}
RUN cargo build --release --locked --bin pqready \
 && install -D -m 0755 target/release/pqready /out/pqready \
 && /out/pqready --version
# pqready's SBOM (CycloneDX, from Cargo.lock: scripts/sbom), shipped beside
# the binary. scripts/sbom installs its pinned cargo-cyclonedx first.
RUN PQREADY_TOOLS_DIR=/tools scripts/sbom /out/pqready.cdx.json

# Final stage: no shell, no package manager, nonroot (65532) by default.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/pqready /pqready
COPY --from=build /out/pqready.cdx.json /pqready.cdx.json
USER 65532:65532
ENTRYPOINT ["/pqready"]
CMD ["cluster", "--in-cluster", "-o", "json"]
