#!/usr/bin/env bash
# Builds kube-apiserver, etcd and kubectl from the Go module proxy (module in ./k8s) and caches the binaries
# outside the repo, keyed by go.mod + go.sum + this script + the Go version, so only a brand-new machine pays
# the cold build (~15-25 min on 2 cores). Prints the cache folder holding the three binaries on stdout.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mod="$here/k8s"

if ! command -v go >/dev/null 2>&1; then
  echo "test/cluster: Go is not installed (need Go >= 1.26 on PATH to build kube-apiserver, etcd and kubectl)" >&2
  exit 3
fi

cache_root="${WATCH_PROXY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/watch-proxy}/k8s"
key="$( (cat "$mod/go.mod" "$mod/go.sum" "$here/build.sh"; go version) | sha256sum | cut -c1-16)"
out="$cache_root/$key"
if [[ -x "$out/kube-apiserver" && -x "$out/etcd" && -x "$out/kubectl" ]]; then
  echo "$out"
  exit 0
fi

mkdir -p "$cache_root"
tmp="$(mktemp -d "$cache_root/.build-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
cd "$mod"
# CGO off and -trimpath mirror upstream's static release build (hack/lib/golang.sh); GOTOOLCHAIN=local makes
# a go-directive mismatch fail at once instead of trying to download another toolchain.
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-trimpath -buildvcs=false -modcacherw" GOGC="${GOGC:-400}"
k="$(go list -m -f '{{.Version}}' k8s.io/kubernetes)"
minor="$(echo "$k" | cut -d. -f2)"
v="k8s.io/component-base/version"
c="k8s.io/client-go/pkg/version"
ld="-s -w -X $v.gitVersion=$k -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean"
ld="$ld -X $v.buildDate=1970-01-01T00:00:00Z -X $c.gitVersion=$k -X $c.gitMajor=1 -X $c.gitMinor=$minor"
echo "test/cluster: building Kubernetes $k binaries into $out (cold build takes ~15-25 min on 2 cores)" >&2
go build -tags=grpcnotrace -ldflags="$ld" -o "$tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver >&2
go build -tags=grpcnotrace -ldflags="-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3 >&2
go build -tags=grpcnotrace -ldflags="$ld" -o "$tmp/kubectl" k8s.io/kubernetes/cmd/kubectl >&2
rm -rf "$out"
chmod 755 "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "$out"
