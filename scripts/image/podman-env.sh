#!/usr/bin/env bash
# Source this before calling podman on these VMs. Writes a containers.conf under the cache folder (nothing under
# /etc) and points CONTAINERS_CONF at it, fixing the three ways `podman run` fails here (see docs/operations.md,
# "Image"): podman asks for RLIMIT_NOFILE 1048576 above the hard limit without CAP_SYS_RESOURCE, the same for
# RLIMIT_NPROC, and crun refuses cgroups in hybrid mode (runc with cgroupfs works). `podman build` reads it too.
_wp_podman_env() {
  local cache nofile conf
  cache="${WATCH_PROXY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/watch-proxy}/podman"
  mkdir -p "$cache"
  nofile="$(ulimit -Hn)"
  [[ "$nofile" == unlimited ]] && nofile=1048576
  conf="$cache/containers.conf"
  cat > "$conf.tmp" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
  mv "$conf.tmp" "$conf"
  export CONTAINERS_CONF="$conf"
}
_wp_podman_env
unset -f _wp_podman_env
