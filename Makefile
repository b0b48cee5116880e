# Switchyard make targets (see README.md).
GO      ?= go
BIN     ?= bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: build run test tools test-go test-deploy bench lint fuzz docker compose-up clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/...

## run: fake upstream + gateway with the demo pool on the embedded store
run: build
	BIN=$(BIN) ./scripts/run-demo.sh

## test: the whole suite, as CI runs it: installs what it needs first (scripts/test-tools.sh), then runs
## every test with CI set, so that a missing tool fails its test instead of skipping it
test: tools lint test-go test-deploy

## tools: redis-server, helm/kustomize, chromium, the agent CLIs and golangci-lint (idempotent)
tools:
	BIN=$(BIN) ./scripts/test-tools.sh

test-go test-deploy: export PATH := $(abspath $(BIN)):$(PATH)
test: export CI ?= true

test-go:
	$(GO) test -count=1 -timeout 20m ./...

test-deploy:
	cd deploy/validate && $(GO) vet ./... && $(GO) test -count=1 -timeout 10m ./...

bench:
	./scripts/bench.sh

## lint: gofmt, go vet, then golangci-lint (.golangci.yml: staticcheck, depguard layer rules, ...);
## golangci-lint is built into $(BIN) on first use (scripts/lint-tools.sh) and caches its results
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@BIN=$(BIN) ./scripts/lint-tools.sh
	$(BIN)/golangci-lint run ./...

## fuzz: a short run of every fuzz target (seed corpora also run in `make test`)
fuzz:
	./scripts/fuzz.sh 20s

docker:
	docker build --build-arg VERSION=$(VERSION) -t switchyard:$(VERSION) .

compose-up:
	docker compose up --build

clean:
	rm -rf $(BIN)
