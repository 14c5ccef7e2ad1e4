# The two commands of the README:
#   make demo   installs what the lab needs and reproduces the seed's lab A
#               (keepalived HA for nginx) on local lab machines, end to end
#               (LAB=name to pick the lab's name, EXAMPLE=dir another example)
#   make test   installs what the tests need and runs every test
# Both need root (the lab builds network namespaces) and Go 1.26.

GO ?= go
BIN := bin/clusterctl
EXAMPLE ?= examples/lab-19.x/ha-nginx
LAB ?= ccl
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

.PHONY: build demo test deps unit lint

build:
	$(GO) build -ldflags "-X github.com/clusterctl/clusterctl/internal/cli.Version=$(VERSION)" -o $(BIN) ./cmd/clusterctl

deps:
	./scripts/install-deps.sh

demo: deps build
	./$(BIN) lab run --name $(LAB) $(EXAMPLE)

# Unit tests, then the end-to-end tests on real sshd/keepalived/nginx in
# network-namespace lab machines (CLUSTERCTL_LAB_TESTS=1, root).
test: deps
	CLUSTERCTL_LAB_TESTS=1 $(GO) test -count=1 -timeout 30m ./...

unit:
	$(GO) test ./...

lint:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
