#!/usr/bin/env bash
# The codec against the jackson-jr codec it replaced, on the four ADD steps, in one warmed JVM with ipamd's
# flags from cni-shim/bench/run.sh (Serial GC, 128 MiB heap; the JIT on, as in ipamd). CodecBench.java says how.
#
#   protocol/bench/run.sh [ROUNDS [MS_PER_ROUND]]   (default 15 rounds of 300 ms per case and codec)
#
# Needs the test classes: ./mvnw -B -ntp -o test-compile -pl protocol. On a shared machine use `chrt -f 50` and
# compare only the two columns of one run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
java_home=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
p=$root/protocol/target
[ -d "$p/test-classes" ] || { echo "build first: ./mvnw -B -ntp -o test-compile -pl protocol" >&2; exit 1; }
w=$(mktemp -d /tmp/codec-bench.XXXXXX)
trap 'rm -rf "$w"' EXIT
(cd "$root" && ./mvnw -B -ntp -o -q dependency:build-classpath -pl protocol -Dmdep.includeScope=test \
  -Dmdep.outputFile="$w/cp.txt" >/dev/null)
cp="$p/classes:$p/test-classes:$(cat "$w/cp.txt")"
"$java_home/bin/javac" --release 25 -d "$w/classes" -cp "$cp" "$root/protocol/bench/CodecBench.java"
"$java_home/bin/java" -XX:+UseSerialGC -Xmx128m -cp "$w/classes:$cp" io.vpcipam.protocol.CodecBench "$@"
