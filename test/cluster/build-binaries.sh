#!/usr/bin/env bash
# Builds the test cluster's server binaries (and helm, which the install tests drive) from the Go
# module proxy and caches them outside the work tree, keyed by version. A second run finds them and
# builds nothing.
#
#   test/cluster/build-binaries.sh [all|kubernetes|minio|helm]    build what is missing
#
# The versions are pinned in test/cluster/versions.env (read by the TypeScript tooling too).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

cache=${BOSUN_CACHE:-$HOME/.cache/bosun}
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
log() { printf '[build-binaries] %s\n' "$*" >&2; }

k8s_dir="$cache/bin/kubernetes-v$KUBERNETES_VERSION"
minio_dir="$cache/bin/minio-$MINIO_VERSION"
helm_dir="$cache/bin/helm-$HELM_VERSION"
k8s_tools=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

have_all() {
  local dir=$1; shift
  for b in "$@"; do [ -x "$dir/$b" ] || return 1; done
}

build_kubernetes() {
  if have_all "$k8s_dir" "${k8s_tools[@]}" etcd; then return; fi
  local start=$SECONDS mod="$cache/src/kubernetes-v$KUBERNETES_VERSION"
  local minor=${KUBERNETES_VERSION#*.}; minor=${minor%%.*}
  local patch=${KUBERNETES_VERSION##*.}
  log "building Kubernetes v$KUBERNETES_VERSION and its etcd (cold: about 7 min on 2 cores)"
  rm -rf "$mod" && mkdir -p "$mod" && cd "$mod"
  go mod init local/kubernetes-tools >/dev/null 2>&1

  # The release's go.mod maps every staging module to ./staging; a dependency's replace lines are
  # ignored, so generate ours from that go.mod: each staging module -> its published v0.<minor> tag.
  local upstream
  upstream=$(go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  local go_line godebug_line
  go_line=$(awk '$1 == "go" {print $2; exit}' "$upstream")
  godebug_line=$(awk '$1 == "godebug" {print $2; exit}' "$upstream")
  go mod edit -go="$go_line"
  # godebug only takes effect in the main module: repeat upstream's so TLS/x509 defaults match.
  [ -n "$godebug_line" ] && go mod edit -godebug="$godebug_line"
  for m in $(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" {print $1}' "$upstream" | sort -u); do
    go mod edit -replace="$m=$m@v0.$minor.$patch"
  done
  for c in "${k8s_tools[@]}"; do go get -tool "k8s.io/kubernetes/cmd/$c@v$KUBERNETES_VERSION"; done
  # etcd at exactly the version Kubernetes itself requires (already in the module graph).
  local etcd_version
  etcd_version=$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
  go get -tool "go.etcd.io/etcd/server/v3@$etcd_version"

  # Stamp the version as hack/lib/version.sh does, so `kubectl version` and the node report it.
  local ldflags="-s -w" build_date
  build_date=$(date -u +%FT%TZ)
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=v$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=$build_date"
  done
  mkdir -p "$mod/bin"
  GOBIN="$mod/bin" go install -trimpath -tags=grpcnotrace -ldflags "$ldflags" tool
  mv "$mod/bin/v3" "$mod/bin/etcd" 2>/dev/null || mv "$mod/bin/server" "$mod/bin/etcd"
  echo "$etcd_version" > "$mod/bin/ETCD_VERSION"
  # Publish atomically: a half-built directory never looks complete.
  rm -rf "$k8s_dir.tmp" && mkdir -p "$(dirname "$k8s_dir")" && mv "$mod/bin" "$k8s_dir.tmp"
  rm -rf "$k8s_dir" && mv "$k8s_dir.tmp" "$k8s_dir"
  log "Kubernetes v$KUBERNETES_VERSION + etcd $etcd_version built in $((SECONDS - start)) s"
}

build_minio() {
  if have_all "$minio_dir" minio; then return; fi
  local start=$SECONDS mod="$cache/src/minio-$MINIO_VERSION"
  log "building MinIO $MINIO_VERSION (cold: about 3 min)"
  rm -rf "$mod" && mkdir -p "$mod" && cd "$mod"
  go mod init local/minio-tools >/dev/null 2>&1
  go get -tool "github.com/minio/minio@$MINIO_VERSION"
  mkdir -p "$mod/bin"
  GOBIN="$mod/bin" go install -trimpath -ldflags "-s -w" tool
  rm -rf "$minio_dir.tmp" && mkdir -p "$(dirname "$minio_dir")" && mv "$mod/bin" "$minio_dir.tmp"
  rm -rf "$minio_dir" && mv "$minio_dir.tmp" "$minio_dir"
  log "MinIO built in $((SECONDS - start)) s"
}

build_helm() {
  if have_all "$helm_dir" helm; then return; fi
  local start=$SECONDS mod="$cache/src/helm-$HELM_VERSION"
  log "building helm $HELM_VERSION (cold: about 3 min)"
  rm -rf "$mod" && mkdir -p "$mod" && cd "$mod"
  go mod init local/helm-tools >/dev/null 2>&1
  go get -tool "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  # Stamp what helm's own Makefile stamps: its version, and the Kubernetes version that `helm
  # template` and `helm lint` assume without a cluster (that of its client-go, not 1.20).
  local client_go minor ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  client_go=$(go list -m -f '{{.Version}}' k8s.io/client-go)
  minor=${client_go#v0.}; minor=${minor%%.*}
  for p in pkg/chartutil pkg/lint/rules; do
    ldflags+=" -X helm.sh/helm/v3/$p.k8sVersionMajor=1 -X helm.sh/helm/v3/$p.k8sVersionMinor=$minor"
  done
  mkdir -p "$mod/bin"
  GOBIN="$mod/bin" go install -trimpath -ldflags "$ldflags" tool
  rm -rf "$helm_dir.tmp" && mkdir -p "$(dirname "$helm_dir")" && mv "$mod/bin" "$helm_dir.tmp"
  rm -rf "$helm_dir" && mv "$helm_dir.tmp" "$helm_dir"
  log "helm $HELM_VERSION built in $((SECONDS - start)) s"
}

case "${1:-all}" in
  kubernetes) build_kubernetes ;;
  minio) build_minio ;;
  helm) build_helm ;;
  all) build_kubernetes; build_minio; build_helm ;;
  *) echo "usage: $0 [all|kubernetes|minio|helm]" >&2; exit 2 ;;
esac
