# berth — build, test and demo. Run as root (containers need it).
GO        ?= go
TAGS      := seccomp
BIN       := bin
PKGS      := ./... ./testdata/fuzzcheck
APT_PKGS  := libseccomp-dev pkg-config busybox-static tmux iproute2 curl
export CGO_ENABLED := 1
# Build stamps that berth version and berth info report.
VERSION   ?= $(shell git describe --tags 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null)
BUILDTIME ?= $(shell git log -1 --format=%cI 2>/dev/null)
STAMP     := -X berth/engine.buildVersion=$(VERSION) -X berth/engine.buildCommit=$(COMMIT) -X berth/engine.buildTime=$(BUILDTIME)
# berth-monitor is linked statically (libseccomp.a, libc.a; pure-Go user and
# DNS lookups): it is executed twice per container start, as the monitor and,
# re-executed by runc, as the container's init, and the dynamic loader cost
# each about 4 ms of CPU. cmd/berth's and engine's tests build it the same way.
MONITOR_TAGS    := $(TAGS) netgo osusergo
MONITOR_LDFLAGS := -s -w -linkmode external -extldflags "-static"

.PHONY: all build deps test test-stress test-slow bench conformance run clean fmt vet fuzz

all: build

## deps: install the Debian packages the build and tests need (only when missing)
deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	@$(GO) mod download

## build: bin/berth, bin/berth-monitor (lean, one per container) and bin/berth-init (static)
build: deps
	@mkdir -p $(BIN)
	$(GO) build -tags $(TAGS) -ldflags "$(STAMP)" -o $(BIN)/berth ./cmd/berth
	$(GO) build -tags "$(MONITOR_TAGS)" -ldflags '$(MONITOR_LDFLAGS)' -trimpath -o $(BIN)/berth-monitor ./cmd/berth-monitor
	CGO_ENABLED=0 $(GO) build -ldflags "-s -w" -trimpath -o $(BIN)/berth-init ./cmd/berth-init

## test: every package's tests, as root, against real containers in temporary roots
test: build
	$(GO) vet -tags $(TAGS) $(PKGS)
	BERTH_BIN=$(CURDIR)/$(BIN) $(GO) test -tags $(TAGS) -count=1 -timeout 30m -p 2 $(PKGS)
	BERTH_BIN=$(CURDIR)/$(BIN) FUZZTIME=2s bash testdata/fuzz.sh

## test-stress: the long forms (60 s concurrency, 100 kills, 1,000 leak cycles), then the
## race detector over the engine side and the UI, then 60 s of each fuzz target
RACE_PKGS := ./engine/... ./images/... ./netmgr/... ./volumes/... ./stats/... ./views/... ./tui/...
test-stress: build
	BERTH_BIN=$(CURDIR)/$(BIN) BERTH_STRESS_SECONDS=60 $(GO) test -tags $(TAGS) -count=1 -timeout 90m -p 1 $(PKGS)
	BERTH_BIN=$(CURDIR)/$(BIN) $(GO) test -tags $(TAGS) -race -count=1 -timeout 60m -p 1 $(RACE_PKGS)
	BERTH_BIN=$(CURDIR)/$(BIN) FUZZTIME=60s bash testdata/fuzz.sh

## fuzz: every fuzz target for FUZZTIME each (default 2s; crashers fail it)
FUZZTIME ?= 2s
fuzz: build
	BERTH_BIN=$(CURDIR)/$(BIN) FUZZTIME=$(FUZZTIME) bash testdata/fuzz.sh

## test-slow: tests that bootstrap debian:bookworm with debootstrap (minutes)
test-slow: build
	BERTH_BIN=$(CURDIR)/$(BIN) BERTH_SLOW=1 $(GO) test -tags $(TAGS) -count=1 -timeout 60m -p 1 -run 'Slow|Debian' $(PKGS)

## bench: benchmarks (figures, not pass/fail)
bench: build
	BERTH_BIN=$(CURDIR)/$(BIN) $(GO) test -tags $(TAGS) -run '^$$' -bench . -benchtime 20x -timeout 30m ./engine/ ./engine/logfile/ ./stats/
	bash bench/run-rm.sh
	bash bench/save-load.sh
	bash bench/stats.sh
	bash bench/proxy.sh
	bash bench/streams.sh
	bash bench/build.sh

## conformance: real Docker clients (docker CLI, docker-py) against berth serve on a private
## socket, one PASS/FAIL line per call and a count (not part of make test)
conformance: build
	bash bench/conformance.sh

## run: the demo — busybox image, three demo containers, then berth
run: build
	@bash testdata/demo.sh $(BIN)/berth

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet -tags $(TAGS) $(PKGS)

clean:
	rm -rf $(BIN)
