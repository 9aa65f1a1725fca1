# One image recipe for every Cloud Run function. `--build-arg FUNCTION=<name>` picks the
# function (a folder under functions/, e.g. `job-status`); the builder stage compiles only that
# binary and the runtime stage is a minimal, shell-less, non-root image holding it.
#
#   docker build --build-arg FUNCTION=job-status -t job-status .
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

# distroless/cc: glibc, libgcc, CA certificates and /etc/passwd, and no shell or package manager.
FROM ${RUNTIME_IMAGE} AS runtime
COPY --from=binary /out/function /function
# The distroless `nonroot` user, by number so no user database lookup is needed.
USER 65532:65532
# Cloud Run sets PORT; the binary reads it (8080 when unset).
ENV PORT=8080
EXPOSE 8080
ENTRYPOINT ["/function"]
