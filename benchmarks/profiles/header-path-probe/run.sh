#!/usr/bin/env bash
# One exchange's header path without sockets (decode the load's request with the server codec,
# HeaderRewriter.toUpstream, encode with the client codec; decode nginx's answer, toClient,
# RateLimitHeaders.write, encode), thread CPU ns and bytes per exchange (ThreadMXBean), for a jar
# built before the sixth pass (VariantOld: String values) and one after (VariantNew: AsciiStrings).
#   benchmarks/profiles/header-path-probe/run.sh /tmp/before.jar /tmp/after.jar [pairs]
# Not part of the build (the two variants compile against different jars); see ../README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
old="$1"; new="$2"; pairs="${3:-3}"
work="$(mktemp -d /tmp/header-probe.XXXXXX)"; trap 'rm -rf "$work"' EXIT
for v in Old New; do
  jar=$old; [[ $v == New ]] && jar=$new
  mkdir -p "$work/$v"; cp "$here/Variant$v.java" "$work/$v/Variant.java"
  javac -nowarn -d "$work/$v" -cp "$jar" "$here/HeaderPathProbe.java" "$work/$v/Variant.java" 2>&1 | grep -v '^Note' || true
done
for _ in $(seq 1 "$pairs"); do
  for v in Old New; do
    jar=$old; [[ $v == New ]] && jar=$new
    echo "$v $(taskset -c 0 java -Xms256m -Xmx256m -XX:+UseParallelGC -Dio.netty.leakDetection.level=disabled \
      -Dops=100000 -Drounds=7 -cp "$work/$v:$jar" HeaderPathProbe | tail -1)"
  done
done
