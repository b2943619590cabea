#!/usr/bin/env bash
# Builds Helm v4 from the Go module proxy (module in ./helm, kept apart from ./k8s so its Kubernetes library
# versions never move the apiserver build) and caches it outside the repo beside the Kubernetes binaries,
# keyed by go.mod + go.sum + this script + the Go version. Prints the folder whose bin/helm is the binary.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mod="$here/helm"

if ! command -v go >/dev/null 2>&1; then
  echo "test/cluster: Go is not installed (need Go >= 1.26 on PATH to build helm)" >&2
  exit 3
fi

cache_root="${WATCH_PROXY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/watch-proxy}/k8s"
key="$( (cat "$mod/go.mod" "$mod/go.sum" "$here/build-helm.sh"; go version) | sha256sum | cut -c1-16)"
out="$cache_root/helm-$key"
if [[ -x "$out/bin/helm" ]]; then
  echo "$out"
  exit 0
fi

mkdir -p "$cache_root"
tmp="$(mktemp -d "$cache_root/.build-helm-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
cd "$mod"
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-trimpath -buildvcs=false -modcacherw" GOGC="${GOGC:-400}"
v="$(go list -m -f '{{.Version}}' helm.sh/helm/v4)"
echo "test/cluster: building helm $v into $out (cold build takes a few minutes on 2 cores)" >&2
mkdir -p "$tmp/bin"
go build -ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$v -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
  -o "$tmp/bin/helm" helm.sh/helm/v4/cmd/helm >&2
rm -rf "$out"
chmod 755 "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "$out"
