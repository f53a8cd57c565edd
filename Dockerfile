# syntax=docker/dockerfile:1
#
# One image for the five Sluice services (distributed mode). The service is chosen at run
# time by the command — `docker run sluice autodeploy` — or baked in with
# `--build-arg SERVICE=autodeploy` (then no command is needed). See docs/deployment.md.
#
#   docker build -t sluice:0.1.0 .
#   docker run --rm -e DATABASE_URL=... -e KAFKA_BROKERS=... sluice:0.1.0 repo-sync
#
# Stages: deps (all dependencies) → build (TypeScript compiled to CommonJS in dist/ by
# scripts/build-dist.mjs, the same SWC pipeline the tests use, @sluice/* aliases rewritten)
# → prod-deps (runtime dependencies only) → render-tools (the pinned helm and kustomize
# kube-applier renders Helm and Kustomize configs with, built from the Go module proxy as
# infra/render-tools.sh builds them for the tests) → runtime (dist/ + prod node_modules + the two
# binaries, no compiler, no dev dependencies, non-root).

ARG NODE_IMAGE=node:20-bookworm-slim
ARG GO_IMAGE=golang:1.26-bookworm
ARG HELM_VERSION=v4.3.2
ARG KUSTOMIZE_VERSION=v5.8.2

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts stay off: nothing Sluice needs builds natively, and the build does not
# run third-party code it was not asked to.
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM deps AS build
COPY tsconfig.base.json tsconfig.json ./
COPY scripts/build-dist.mjs scripts/build-dashboard.mjs scripts/
COPY apps apps
COPY libs libs
RUN node scripts/build-dist.mjs --out dist

FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${GO_IMAGE} AS render-tools
ARG HELM_VERSION
ARG KUSTOMIZE_VERSION
# Static binaries (no cgo), each with its own release's go.mod and go.sum.
RUN CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOBIN=/out go install "helm.sh/helm/v4/cmd/helm@${HELM_VERSION}" \
 && CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOBIN=/out go install "sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}"

FROM ${NODE_IMAGE} AS runtime
# Optional: bake one service into the image (an empty value means "name it in the command").
ARG SERVICE=""
LABEL org.opencontainers.image.title="sluice" \
      org.opencontainers.image.description="Sluice GitOps continuous deployment: webhook-ingest, repo-sync, autodeploy, kube-applier, commit-status" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production \
    NODE_OPTIONS="--enable-source-maps --max-semi-space-size=8" \
    SLUICE_SERVICE=${SERVICE} \
    SLUICE_HOST=0.0.0.0 \
    SLUICE_PORT=8080 \
    SLUICE_DATA_DIR=/tmp/sluice \
    KUBE_APPLIER_HELM_BIN=/usr/local/bin/helm \
    KUBE_APPLIER_KUSTOMIZE_BIN=/usr/local/bin/kustomize
WORKDIR /app
# Owned by root and not writable by the service user: the code cannot be changed at run time.
COPY --from=prod-deps /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=render-tools /out/helm /out/kustomize /usr/local/bin/
COPY package.json ./
COPY --chmod=0755 deploy/docker/entrypoint.sh /app/bin/entrypoint.sh
COPY --chmod=0644 deploy/docker/healthcheck.js /app/bin/healthcheck.js
# The image's own unprivileged user (node, uid 1000), numeric so that Kubernetes can check
# runAsNonRoot without resolving names.
USER 1000:1000
EXPOSE 8080
# GET /healthz on the service's port (PORT, else SLUICE_PORT); slim images have no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 CMD ["node", "/app/bin/healthcheck.js"]
ENTRYPOINT ["/app/bin/entrypoint.sh"]
