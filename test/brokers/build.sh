#!/usr/bin/env bash
# Fetches the brokers the sink tests run against and caches them outside the repo, keyed by the pinned versions
# and the toolchain that runs or builds them, so only a brand-new machine pays the download/build:
#   kafka  Apache Kafka (single-node KRaft) as its Maven Central jars, run on the machine's Java >= 17
#   nats   nats-server built from the Go module proxy (Debian's package is too old for the JetStream we use)
# Usage: build.sh kafka|nats. Prints the cache folder (kafka: a folder of jars in libs/; nats: bin/nats-server).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
kafka_version="4.4.0"
nats_version="v2.15.3"
what="${1:-}"

cache_root="${WATCH_PROXY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/watch-proxy}/brokers"
mkdir -p "$cache_root"

case "$what" in
  kafka)
    for tool in java mvn; do
      if ! command -v "$tool" >/dev/null 2>&1; then
        echo "test/brokers: $tool is not installed (need Java >= 17 and Maven to fetch Kafka $kafka_version)" >&2
        exit 3
      fi
    done
    # Keyed by the classpath's definition (the pom below) and the JVM that runs it.
    key="kafka-$kafka_version-$( (sed -n '/^    cat >"\$tmp\/pom.xml"/,/^POM$/p' "$here/build.sh"; java -version 2>&1) | sha256sum | cut -c1-12)"
    out="$cache_root/$key"
    if [[ -f "$out/libs/kafka_2.13-$kafka_version.jar" ]]; then
      echo "$out"
      exit 0
    fi
    tmp="$(mktemp -d "$cache_root/.build-XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    # A throwaway pom whose only job is to resolve the broker's runtime classpath (the same jars the release
    # tarball ships in libs/) plus the log4j2 backend (with the
    # slf4j 2 API it binds to) that makes the broker's log readable.
    cat >"$tmp/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>watch-proxy.test</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>0</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$kafka_version</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>2.24.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.24.3</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.17</version></dependency>
  </dependencies>
</project>
POM
    echo "test/brokers: fetching Kafka $kafka_version jars from Maven Central into $out" >&2
    mvn -B -q -f "$tmp/pom.xml" -Dmaven.repo.local="$cache_root/.m2" \
      org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp/libs" >&2
    rm -f "$tmp/pom.xml"
    ;;
  nats)
    if ! command -v go >/dev/null 2>&1; then
      echo "test/brokers: Go is not installed (need Go on PATH to build nats-server $nats_version)" >&2
      exit 3
    fi
    key="nats-$nats_version-$(go version | sha256sum | cut -c1-12)"
    out="$cache_root/$key"
    if [[ -x "$out/bin/nats-server" ]]; then
      echo "$out"
      exit 0
    fi
    tmp="$(mktemp -d "$cache_root/.build-XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    echo "test/brokers: building nats-server $nats_version into $out" >&2
    CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-trimpath -buildvcs=false -modcacherw" GOBIN="$tmp/bin" \
      go install -ldflags="-s -w" "github.com/nats-io/nats-server/v2@$nats_version" >&2
    ;;
  *)
    echo "usage: build.sh kafka|nats" >&2
    exit 2
    ;;
esac

rm -rf "$out"
chmod 755 "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "$out"
