# Switchyard container image: the gateway (entrypoint) and the fake upstream simulator.
#
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) -t switchyard:dev .
#
# Needs BuildKit (the default builder of current Docker releases) for the build cache mount and
# cross-compilation through BUILDPLATFORM/TARGETARCH.

############################ build ############################
FROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm AS build

WORKDIR /src

# Module downloads get their own layer: it is rebuilt only when go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download && go mod verify

COPY . .

ARG VERSION=dev
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/ ./cmd/switchyard ./cmd/fakeupstream

############################ runtime ############################
# Static, no shell, no package manager; the :nonroot variant runs as uid/gid 65532.
FROM gcr.io/distroless/static-debian12:nonroot AS runtime

ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="switchyard" \
      org.opencontainers.image.description="LLM API gateway: one endpoint for OpenAI, Anthropic and Gemini clients over a shared pool of upstream accounts" \
      org.opencontainers.image.source="https://github.com/switchyard-gw/switchyard" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"

COPY --from=build /out/switchyard /out/fakeupstream /usr/local/bin/

USER 65532:65532

# 8045: client API, /healthz, /readyz.  8046: /admin (bearer key) and /metrics.
EXPOSE 8045 8046

ENTRYPOINT ["/usr/local/bin/switchyard"]
