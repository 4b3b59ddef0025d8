# lkrpc: the two commands a fresh clone needs are `make demo` and `make test`.
# Everything runs through Go (buf comes from the tools module), so nothing is
# installed globally.

GO        ?= go
BUF       := $(GO) tool -modfile=tools/go.mod buf
FUZZTIME  ?= 10000x
# Generated code that check-generated compares with a fresh generation.
GENERATED := proto example/gen e2e/gen ts/gen

.PHONY: all generate demo test check-generated vet unit race fuzz e2e e2e-install bench ts-install ts-test ts-build web-check

all: demo

## generate: regenerate proto/, example/gen, e2e/gen and ts/gen (TypeScript) from the .proto files.
generate: ts-install
	$(BUF) generate

## demo: the main job — regenerate, then two participants on the in-memory room make typed calls.
demo: generate
	$(GO) run ./example/demo

## test: everything CI runs.
test: check-generated vet userrepo ts-test race fuzz e2e web-check

## check-generated: fail when committed generated code differs from a fresh generation.
check-generated: generate
	@if [ -n "$$(git status --porcelain -- $(GENERATED))" ]; then \
		echo "generated code is stale; run 'make generate' and commit:"; \
		git status --porcelain -- $(GENERATED); git --no-pager diff --stat -- $(GENERATED); exit 1; \
	fi
	@echo "generated code is fresh"

vet:
	$(GO) vet ./...

## userrepo: example/quickstart rebuilt from nothing as a user's own repository, in a temp dir:
## buf and protoc generation equal to the committed code, vet, build, the in-memory program,
## docs/quickstart.md's quotes (needs protoc). The real-server part is e2e/userrepo, in e2e.
.PHONY: userrepo
userrepo:
	./scripts/userrepo.sh

# --- TypeScript (@lkrpc/lkrpc in ts/) ---
## ts-install: npm ci in ts/ (protoc-gen-es for generate, tsc, the SDKs' types) when its lockfile changed.
ts-install: ts/node_modules/.package-lock.json
ts/node_modules/.package-lock.json: ts/package-lock.json
	cd ts && npm ci --no-audit --no-fund

## ts-test: the TypeScript package's unit tests (tsc, then node --test).
ts-test: ts-install
	cd ts && npm test

## ts-build: compile ts/ for the end-to-end JavaScript peers (ts/build).
ts-build: ts-install
	cd ts && npm run build:test

## web-check: the example frontend (example/web) against the Go agent on a local livekit-server, checked in
## headless Chromium with a screenshot (.cache/web/voiceagent.png); needs root for the network namespace.
web-check: e2e-install
	example/web/run.sh
# --- end TypeScript ---

## unit: the fast tests (no server, no race detector).
unit:
	$(GO) test ./...

race:
	$(GO) test -race -count=1 ./...

## fuzz: run every fuzz target briefly (FUZZTIME each: an execution count such as 1000000x).
fuzz:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

## e2e-install: livekit-server (into .cache/bin), Chromium (Debian) and the JS peers (npm ci); idempotent.
e2e-install:
	./e2e/install.sh

## e2e: real livekit-server, browser and Go peers, inside a private network namespace (needs root).
e2e: e2e-install ts-build
	LKRPC_E2E=1 $(GO) test -race -count=1 -timeout 20m ./runtime/link/... ./e2e/...
	@cat .cache/e2e/matrix-timings.md 2>/dev/null || true

## soak: about 10 minutes on a real livekit-server (needs root): mixed sizes, concurrent calls both ways, a peer
## joining and leaving over and over, signal cuts and server restarts; every call ends once, goroutines and heap
## stay flat; prints its figures (SOAK lines). Not part of `make test`. LKRPC_SOAK_DURATION=2m for a short one.
.PHONY: soak
soak: e2e-install
	@mkdir -p .cache
	@LKRPC_E2E=1 LKRPC_SOAK=1 $(GO) test -count=1 -timeout 30m -v -run TestSoak ./e2e/soak/ > .cache/soak.log 2>&1; \
		status=$$?; grep -E 'SOAK|soak_test.go|^(--- |FAIL|ok )' .cache/soak.log; echo "full log: .cache/soak.log"; exit $$status

## bench: issue 5's table — generator vs protoc-gen-psrpc/-go-grpc/-connect-go, and the runtime rows
## through a real livekit-server, a browser and stock Go peers (needs root for the network namespace).
## BENCHFLAGS passes flags to bench/rpc, e.g. BENCHFLAGS="-rows 3,5" or "-scale 0.3".
bench: e2e-install
	$(GO) run ./bench/gen -prepare
	$(GO) run ./bench/rpc $(BENCHFLAGS)
