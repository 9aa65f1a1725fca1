# One image recipe for every Cloud Run function. `--build-arg FUNCTION=<name>` picks the
# function (a folder under functions/, e.g. `job-status`); the builder stage compiles only that
# binary and the runtime stage is a minimal, shell-less, non-root image holding it.
#
#   docker build --build-arg FUNCTION=job-status -t job-status .
#   docker build --build-arg FUNCTION=post-process --target runtime-audio -t post-process .
#
# The base images are build arguments so the runtime stage can also be built from a locally
# made base where no registry is reachable (scripts/image-check does that), and so that a
# deployment can pin them by digest. BINARY_STAGE names the stage or image the binary is taken
# from: the builder by default; scripts/image-check passes an image holding a prebuilt binary.
# checkov:skip=CKV_DOCKER_7: the base images are build arguments whose defaults carry explicit version tags; checkov cannot resolve ARG defaults and reads them as untagged
# checkov:skip=CKV_DOCKER_2: Cloud Run ignores HEALTHCHECK (it probes /healthz itself), and the shell-less runtime image has nothing to run one with
# The builder and the runtime must share a Debian release (bookworm = debian12): the binary
# links against the builder's glibc and runs on the runtime's.
ARG RUST_IMAGE=docker.io/library/rust:1.95-slim-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot
ARG AUDIO_RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim
ARG BINARY_STAGE=builder

FROM ${RUST_IMAGE} AS builder
ARG FUNCTION
WORKDIR /src
COPY . .
# Package `fn-<name>` builds the binary `<name>` (functions/<name>/Cargo.toml).
RUN test -n "${FUNCTION}" \
    && cargo build --release --locked -p "fn-${FUNCTION}" \
    && mkdir -p /out \
    && cp "target/release/${FUNCTION}" /out/function

FROM ${BINARY_STAGE} AS binary

# The functions that make podcast audio (post-process and maintenance: `--target runtime-audio`,
# see scripts/infra/crates.py --image-target) run ffmpeg to encode MP3 (ADR 0011), so their
# runtime is Debian's slim image of the same release with ffmpeg, and the same numeric
# non-root user. Their speech comes from Cloud Text-to-Speech (FACTORY_SPEECH=google).
FROM ${AUDIO_RUNTIME_IMAGE} AS runtime-audio
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg=7:5.1.* ca-certificates=20230311* \
    && rm -rf /var/lib/apt/lists/*
COPY --from=binary /out/function /function
USER 65532:65532
ENV PORT=8080
EXPOSE 8080
ENTRYPOINT ["/function"]

# Every other function (the default target, last so a plain build picks it). distroless/cc:
# glibc, libgcc, CA certificates and /etc/passwd, and no shell or package manager.
FROM ${RUNTIME_IMAGE} AS runtime
COPY --from=binary /out/function /function
# The distroless `nonroot` user, by number so no user database lookup is needed.
USER 65532:65532
# Cloud Run sets PORT; the binary reads it (8080 when unset).
ENV PORT=8080
EXPOSE 8080
ENTRYPOINT ["/function"]
