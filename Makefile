GO ?= go
BIN := $(CURDIR)/bin

# The Go release that builds, tests and benchmarks everything here (the go
# command fetches it from the module proxy once, ~76 MB). Go 1.27 allocates
# small objects through size-specialized paths, and this receiver's output is
# ~118 small objects per event: 12% fewer instructions per event on the
# userspace path than Go 1.26 (bench/RESULTS.md §15). go.mod still asks only
# for 1.26, for those who build their own distribution with ocb.
# `make GOTOOLCHAIN=local` uses whatever go is on the PATH.
export GOTOOLCHAIN ?= go1.27.3
MDATAGEN := $(BIN)/mdatagen

$(MDATAGEN): tools/go.mod
	$(GO) -C tools build -o $(MDATAGEN) go.opentelemetry.io/collector/cmd/mdatagen

.PHONY: generate
generate: $(MDATAGEN)
	cd receiver/auditkernelreceiver && $(MDATAGEN) metadata.yaml
	cd receiver/auditlogreceiver && $(MDATAGEN) metadata.yaml

# ---------------------------------------------------------------------------
# Everything below: tools, distro build, tests, lint.
# ---------------------------------------------------------------------------

# bash with pipefail so that `go test ... | tee` fails when go test fails.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

BUILDER_VERSION := v0.165.0
GOLANGCI_LINT_VERSION := v2.15.0
NFPM_VERSION := v2.45.2
BUILDER := $(BIN)/builder
GOLANGCI_LINT := $(BIN)/golangci-lint
NFPM := $(BIN)/nfpm

BUILD_DIR := _build
DISTRO := otelcol-auditkernel
OTELCOL := $(BUILD_DIR)/$(DISTRO)
TEST_LOG := $(BUILD_DIR)/test.log
RUN_CONFIG := testdata/run.yaml

# The version stamped into the binary (ocb's dist.version, printed by --version)
# and the package: `make package VERSION=1.2.3`.
VERSION ?= 0.1.0-dev
# ocb reads this copy of builder-config.yaml with dist.version set to VERSION.
BUILDER_CONFIG := $(BUILD_DIR)/builder-config.yaml
# The CPU profile of the receiver's userspace path (BenchmarkUserspacePath on
# the recorded mixed stream, at the shipped GOGC) that the distro is built
# with: 3% fewer instructions per event on top of Go 1.27 (bench/RESULTS.md
# §15). `make pgo-profile` records it again, after changes to the hot path; a
# stale profile only optimizes less.
PGO_PROFILE := pgo/auditkernel.pprof
# Release build: ocb compiles static (CGO_ENABLED=0) with -trimpath and -s -w;
# without VCS stamping the binary depends only on the sources, not on the
# checkout's state, so the same commit gives the same bytes. It is
# profile-guided (-pgo): the compiler inlines the hot calls of PGO_PROFILE.
BUILD_ENV := CGO_ENABLED=0 GOFLAGS='-buildvcs=false -pgo=$(CURDIR)/$(PGO_PROFILE)'
# Every timestamp in the package is the last commit's time.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
DEB_ARCH := $(shell $(GO) env GOARCH)
DEB := $(BUILD_DIR)/$(DISTRO)_$(VERSION)_$(DEB_ARCH).deb

# Inputs of the distro: every Go source of the root module (the receiver), its
# go.mod/go.sum, the ocb manifest and the PGO profile. _build, bin and tools are
# not part of it.
GO_SOURCES := $(shell find . -type f -name '*.go' -not -name '*_test.go' -not -path './_build/*' -not -path './bin/*' -not -path './tools/*' -not -path './.git/*' 2>/dev/null)

.DEFAULT_GOAL := otelcol

# Only install a pinned tool when it is missing (bin/builder may be put there by
# hand or by an earlier run; delete it to force a reinstall).
$(BUILDER):
	GOBIN=$(BIN) $(GO) install go.opentelemetry.io/collector/cmd/builder@$(BUILDER_VERSION)

$(GOLANGCI_LINT):
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

$(NFPM):
	GOBIN=$(BIN) $(GO) install github.com/goreleaser/nfpm/v2/cmd/nfpm@$(NFPM_VERSION)

# The Go toolchain in use (GOTOOLCHAIN), fetched if missing.
.PHONY: toolchain
toolchain:
	$(GO) version

.PHONY: tools
tools: $(MDATAGEN) $(BUILDER)

# System packages the tests need (auditctl from Debian's auditd, gcc for -race).
.PHONY: deps
deps:
	./scripts/install-deps.sh

# Build the collector distribution with ocb. ocb resolves `path: ./` of the local
# receiver against the current directory, so it must run from the repo root.
.PHONY: otelcol
otelcol: $(OTELCOL)

$(OTELCOL): $(BUILDER_CONFIG) go.mod go.sum $(GO_SOURCES) $(PGO_PROFILE) | $(BUILDER)
	$(BUILD_ENV) $(BUILDER) --config $(BUILDER_CONFIG)
	@touch $@

# Rewritten only when its content changes (a new VERSION), so that the distro is
# rebuilt exactly then.
$(BUILDER_CONFIG): builder-config.yaml FORCE
	@mkdir -p $(BUILD_DIR)
	@sed 's/^  version: .*/  version: $(VERSION)/' builder-config.yaml >$@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

.PHONY: FORCE
FORCE:

# The .deb (binary, systemd unit, default config, service user), then a check
# of its contents (scripts/check-package.sh). .ci/run builds it.
.PHONY: package
package: $(OTELCOL) | $(NFPM)
	rm -f $(DEB)
	VERSION=$(VERSION) DEB_ARCH=$(DEB_ARCH) SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) \
		$(NFPM) package --config packaging/nfpm.yaml --packager deb --target $(DEB)
	./scripts/check-package.sh $(DEB) $(OTELCOL) $(VERSION)
	sha256sum $(DEB) $(OTELCOL)

# Run the distro against the kernel with testdata/run.yaml (needs root).
.PHONY: run
run:
	@if [ "$$(id -u)" -ne 0 ]; then \
		echo "make run: the auditkernel receiver talks to the kernel audit netlink socket and must run as root (try: sudo make run)" >&2; \
		exit 1; \
	fi
	@$(MAKE) --no-print-directory otelcol
	$(OTELCOL) --config $(RUN_CONFIG)

# Run the distro on this host's auditd log with testdata/run-auditlog.yaml (read
# access to /var/log/audit is enough; AUDITLOG_INCLUDE=glob reads other files).
.PHONY: run-auditlog
run-auditlog:
	@if ! ls $${AUDITLOG_INCLUDE:-/var/log/audit/audit.log*} >/dev/null 2>&1; then \
		echo "make run-auditlog: no $${AUDITLOG_INCLUDE:-/var/log/audit/audit.log*} (is auditd installed and running, and is it readable?); waiting for it to appear" >&2; \
	fi
	@$(MAKE) --no-print-directory otelcol
	$(OTELCOL) --config testdata/run-auditlog.yaml

# go vet (also for darwin, freebsd and windows), the check that `make generate`
# leaves no diff, golangci-lint, distro build, go test (log in _build/test.log; the e2e tests run the
# distro named by OTELCOL_AUDITKERNEL), config smoke tests, the check that no
# kernel or distro test was skipped (fails when CI=true, warns otherwise), then
# a few seconds of each fuzz target.
.PHONY: test
test: deps
	@mkdir -p $(BUILD_DIR)
	$(GO) vet ./...
	@$(MAKE) --no-print-directory cross-check
	./scripts/check-generate.sh
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory otelcol
	OTELCOL_AUDITKERNEL=$(CURDIR)/$(OTELCOL) $(GO) test -race -count=1 -v ./... 2>&1 | tee $(TEST_LOG)
	@$(MAKE) --no-print-directory bench-smoke
	./scripts/validate-configs.sh $(OTELCOL)
	./scripts/check-kernel-tests.sh $(TEST_LOG)
	@$(MAKE) --no-print-directory fuzz-smoke

# The Go benchmarks, run briefly over a two-event stream only to prove they
# work (their figures mean nothing; use `make bench` for those).
.PHONY: bench-smoke
bench-smoke:
	$(GO) test -short -run '^$$' -bench . -benchtime=100x ./receiver/... ./internal/enrich/

# The profile of PGO_PROFILE: 20 s of the userspace path's benchmark, built
# without a profile, with the GOGC that the systemd unit sets.
.PHONY: pgo-profile
pgo-profile:
	@mkdir -p $(BUILD_DIR) $(dir $(PGO_PROFILE))
	$(GO) test -c -o $(BUILD_DIR)/pgo.test ./receiver/auditkernelreceiver
	cd receiver/auditkernelreceiver && GOGC=400 $(CURDIR)/$(BUILD_DIR)/pgo.test -test.run '^$$' \
		-test.bench 'UserspacePath/enrich=on$$' -test.benchtime 20s -test.cpuprofile $(CURDIR)/$(PGO_PROFILE)

# The Go benchmarks with enough iterations for stable figures.
.PHONY: bench
bench:
	$(GO) test -run '^$$' -bench . -benchtime=3s -count=1 ./receiver/... ./internal/enrich/

# Instructions per event of one stage benchmark under valgrind (callgrind), with
# the toolchain and profile of the distribution: deterministic with GOGC=off,
# where wall time is not. BENCH, GOGC, ITERATIONS, PGO and BY_OWNER=1 as in the
# script.
.PHONY: bench-instructions
bench-instructions:
	bench/instructions.sh

# The end-to-end load benchmark against the real kernel (root; minutes; see
# bench/RESULTS.md). Not part of `make test`.
.PHONY: bench-e2e
bench-e2e: $(OTELCOL)
	bench/run.sh

# Only the config smoke tests (builds the distro if needed).
.PHONY: validate-configs
validate-configs: $(OTELCOL)
	./scripts/validate-configs.sh $(OTELCOL)

# Every fuzz target for FUZZTIME each (crashers land in testdata/fuzz/ of the package).
FUZZTIME ?= 10m
.PHONY: fuzz
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

# A few seconds per fuzz target, part of `make test`.
.PHONY: fuzz-smoke
fuzz-smoke:
	./scripts/fuzz.sh 5s

.PHONY: lint
lint: $(GOLANGCI_LINT)
	$(GOLANGCI_LINT) run ./...

# go build and go vet of every package for every OS a distribution can be
# built for: the receivers' factories and configs build everywhere, and
# Start says what the platform lacks. (Linux is `go vet` in `make test`.)
CROSS_GOOS := darwin freebsd windows
.PHONY: cross-check
cross-check:
	@for goos in $(CROSS_GOOS); do \
		echo "GOOS=$$goos go build ./... && go vet ./..."; \
		GOOS=$$goos $(GO) build ./... && GOOS=$$goos $(GO) vet ./... || exit 1; \
	done

# The distribution for another platform: `make otelcol-cross TARGET=darwin/arm64`
# or `TARGET=windows/amd64`. ocb generates the sources in _build, then go
# builds them for that platform into _build/otelcol-auditkernel-<os>-<arch>
# (the auditkernel receiver only runs on Linux; elsewhere Start says so).
TARGET ?= darwin/arm64
TARGET_GOOS = $(word 1,$(subst /, ,$(TARGET)))
TARGET_GOARCH = $(word 2,$(subst /, ,$(TARGET)))
.PHONY: otelcol-cross
otelcol-cross: $(BUILDER_CONFIG) | $(BUILDER)
	$(BUILD_ENV) $(BUILDER) --config $(BUILDER_CONFIG) --skip-compilation
	cd $(BUILD_DIR) && $(BUILD_ENV) GOOS=$(TARGET_GOOS) GOARCH=$(TARGET_GOARCH) $(GO) build -trimpath -ldflags="-s -w" \
		-o $(DISTRO)-$(TARGET_GOOS)-$(TARGET_GOARCH)$(if $(filter windows,$(TARGET_GOOS)),.exe) .

.PHONY: clean
clean:
	rm -rf $(BUILD_DIR)

# Also removes the installed tools (bin/).
.PHONY: distclean
distclean: clean
	rm -rf $(BIN)
