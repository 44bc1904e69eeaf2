GO ?= go
BIN := $(CURDIR)/bin
MDATAGEN := $(BIN)/mdatagen

$(MDATAGEN): tools/go.mod
	$(GO) -C tools build -o $(MDATAGEN) go.opentelemetry.io/collector/cmd/mdatagen

.PHONY: generate
generate: $(MDATAGEN)
	cd receiver/auditkernelreceiver && $(MDATAGEN) metadata.yaml

# ---------------------------------------------------------------------------
# Everything below: tools, distro build, tests, lint.
# ---------------------------------------------------------------------------

# bash with pipefail so that `go test ... | tee` fails when go test fails.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

BUILDER_VERSION := v0.165.0
GOLANGCI_LINT_VERSION := v2.15.0
BUILDER := $(BIN)/builder
GOLANGCI_LINT := $(BIN)/golangci-lint

BUILD_DIR := _build
DISTRO := otelcol-auditkernel
OTELCOL := $(BUILD_DIR)/$(DISTRO)
TEST_LOG := $(BUILD_DIR)/test.log
RUN_CONFIG := testdata/config/run.yaml

# Inputs of the distro: every Go source of the root module (the receiver), its
# go.mod/go.sum and the ocb manifest. _build, bin and tools are not part of it.
GO_SOURCES := $(shell find . -type f -name '*.go' -not -name '*_test.go' -not -path './_build/*' -not -path './bin/*' -not -path './tools/*' -not -path './.git/*' 2>/dev/null)

.DEFAULT_GOAL := otelcol

# Only install a pinned tool when it is missing (bin/builder may be put there by
# hand or by an earlier run; delete it to force a reinstall).
$(BUILDER):
	GOBIN=$(BIN) $(GO) install go.opentelemetry.io/collector/cmd/builder@$(BUILDER_VERSION)

$(GOLANGCI_LINT):
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

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

$(OTELCOL): builder-config.yaml go.mod go.sum $(GO_SOURCES) | $(BUILDER)
	$(BUILDER) --config builder-config.yaml
	@touch $@

# Run the distro against the kernel with testdata/config/run.yaml (needs root).
.PHONY: run
run:
	@if [ "$$(id -u)" -ne 0 ]; then \
		echo "make run: the auditkernel receiver talks to the kernel audit netlink socket and must run as root (try: sudo make run)" >&2; \
		exit 1; \
	fi
	@$(MAKE) --no-print-directory otelcol
	$(OTELCOL) --config $(RUN_CONFIG)

# go vet, go test (log in _build/test.log), distro build, config smoke tests,
# then the kernel-test check (fails when CI=true, warns otherwise).
.PHONY: test
test: deps
	@mkdir -p $(BUILD_DIR)
	$(GO) vet ./...
	$(GO) test -race -count=1 -v ./... 2>&1 | tee $(TEST_LOG)
	@$(MAKE) --no-print-directory otelcol
	./scripts/validate-configs.sh $(OTELCOL)
	./scripts/check-kernel-tests.sh $(TEST_LOG)

# Only the config smoke tests (builds the distro if needed).
.PHONY: validate-configs
validate-configs: $(OTELCOL)
	./scripts/validate-configs.sh $(OTELCOL)

.PHONY: lint
lint: $(GOLANGCI_LINT)
	$(GOLANGCI_LINT) run ./...

.PHONY: clean
clean:
	rm -rf $(BUILD_DIR)

# Also removes the installed tools (bin/).
.PHONY: distclean
distclean: clean
	rm -rf $(BIN)
