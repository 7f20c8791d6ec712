# The project's commands. `make test` and `make dev` are the two a newcomer needs (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Node.js 24 from the npm registry's `node` package, so every script runs on the same Node;
# Go from the machine for building the test cluster's binaries.
# /usr/sbin and /sbin for ip, iptables and umount, which the test node needs, whatever the caller's PATH.
export PATH := $(CURDIR)/node_modules/.bin:/usr/local/go/bin:$(PATH):/usr/sbin:/sbin
# onnxruntime-node would download CUDA files at install time (.npmrc says the same for plain npm).
export ONNXRUNTIME_NODE_INSTALL := skip

.PHONY: help deps npm system-packages binaries images-local test typecheck lint unit integration cluster-up cluster-down dev dev-down crds bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

npm: node_modules/.package-lock.json ## install the npm packages (Node 24 included)

system-packages: ## install the Debian packages the tests need (PostgreSQL, containerd, umoci, ...)
	@test/cluster/install-system-packages.sh

binaries: ## build Kubernetes, etcd and MinIO from the Go module proxy (cached by version)
	@test/cluster/build-binaries.sh all

images-local: npm system-packages binaries ## build the images without Docker; import them into a running cluster-up node
	@node test/cluster/local-images.ts $$(test -f $${BOSUN_CACHE:-$$HOME/.cache/bosun}/cluster-up && echo --import)

deps: npm system-packages binaries ## everything the tests need

typecheck: npm ## TypeScript, strict
	tsc --noEmit

lint: npm ## Biome lint and format check
	biome check .

unit: npm ## unit tests (pure logic, no servers)
	vitest run --project unit

integration: deps ## integration and end-to-end tests on a real control plane, node, MinIO and PostgreSQL
	vitest run --project integration

test: deps typecheck lint ## install everything and run all tests
	vitest run

crds: npm ## regenerate crds/, config/crd/ and the chart's CRDs from the TypeScript schemas
	node operator/api/generate-crds.ts

bench: deps ## run every benchmark under test/bench/ and print its figures
	@for b in test/bench/*/run.sh; do echo "== $$b"; bash "$$b"; done

cluster-up: deps ## start the test control plane, MinIO and PostgreSQL and leave them running
	@node test/cluster/cli.ts up

cluster-down: ## stop what cluster-up started
	@node test/cluster/cli.ts down

# CLUSTER=local (the default: this machine's own node) or kind (Docker); DRY_RUN=1 prints the commands.
CLUSTER ?= local
DEV_FLAGS = --cluster=$(CLUSTER) $(if $(DRY_RUN),--dry-run)

dev: $(if $(filter kind,$(CLUSTER)),npm,deps) ## the whole platform on this machine, and a model trained, served, retrained on feedback and rolled out
	@node test/dev/cli.ts up $(DEV_FLAGS)

dev-down: ## stop what make dev started; checks that no process, port, mount or iptables chain is left
	@node test/dev/cli.ts down $(DEV_FLAGS)
