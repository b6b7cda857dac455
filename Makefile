# OCOP Connect. `make run` serves the marketplace with zero configuration;
# `make test` runs every suite the machine can (PostgreSQL ones when
# OCOP_TEST_DATABASE_URL is set); .ci/run starts the services and runs it
# with OCOP_TEST_STRICT=1 so that nothing is skipped.

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/ocopconnect/ocopconnect/internal/app.Version=$(VERSION)
BIN       := bin/ocopconnect
# Two cores here: more parallel test binaries only fight over them.
TESTFLAGS ?= -count=1 -p 2 -timeout 30m
BENCHTIME ?= 3s

.PHONY: all run demo build test test-short bench bench-search lint fmt vet docs tidy clean image up down

all: lint test build

## run: serve the API on 127.0.0.1:8080 with everything under ./data
run:
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/ocopconnect serve

## demo: load the demo marketplace (accounts printed), then serve it on 127.0.0.1:8080
demo: build
	$(BIN) seed demo
	$(BIN) serve

## build: static binary in bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/ocopconnect

## test: every test suite (PostgreSQL too when OCOP_TEST_DATABASE_URL is set)
test:
	$(GO) test $(TESTFLAGS) ./...

## bench: benchmarks, then throughput ratios against baselines of the same run
bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) ./... | $(GO) run ./tools/benchratio

## bench-search: the search benchmarks alone (100,000 listings; OCOP_BENCH_SEARCH_DOCS=n for another size), with their targets
bench-search:
	$(GO) test -run '^$$' -bench 'Search' -benchtime $(BENCHTIME) ./internal/search/... ./internal/httpapi/ | $(GO) run ./tools/benchratio

## lint: formatting and vet
lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

## docs: regenerate docs/configuration.md from the Config struct
docs:
	$(GO) run ./tools/configdoc > docs/configuration.md

tidy:
	$(GO) mod tidy

clean:
	rm -rf bin

## image: container image ocopconnect:$(VERSION) (needs a Docker engine; CI has none)
IMAGE ?= ocopconnect
image:
	docker build -f deploy/Dockerfile --build-arg VERSION=$(VERSION) -t $(IMAGE):$(VERSION) -t $(IMAGE):dev .

## up: production-like stack on this machine (deploy/compose.yaml); down stops it
up: deploy/.env
	docker compose -f deploy/compose.yaml --env-file deploy/.env up -d --build

down:
	docker compose -f deploy/compose.yaml --env-file deploy/.env down

# A random signing key the first time; deploy/.env is not committed.
deploy/.env:
	@umask 077; printf 'OCOP_JWT_KEY=%s\n' "$$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')" > $@
	@echo "wrote $@ with a random OCOP_JWT_KEY"

