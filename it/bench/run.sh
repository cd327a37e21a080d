#!/usr/bin/env bash
# Runs one of the benchmarks against the built jars: it/bench/run.sh socket|burst|memory|image|simulate [args...]
# (image: as root, after the image module built image/target/vpc-ipam-image.tar)
# Build first: ./mvnw -q install -DskipTests
set -euo pipefail
cd "$(dirname "$0")/../.."
. bin/jdk25.sh
find_jdk25
./mvnw -q -o test-compile -pl it
cp_file=it/target/bench.classpath
./mvnw -q -o dependency:build-classpath -pl it -Dmdep.outputFile="$PWD/$cp_file" -Dmdep.includeScope=test >/dev/null
which=${1:-socket}; shift || true
case "$which" in
  socket) main=io.vpcipam.it.bench.SocketBench ;;
  burst)  main=io.vpcipam.it.bench.BurstBench ;;
  memory) main=io.vpcipam.it.bench.MemoryBench ;;
  image)  main=io.vpcipam.it.bench.ImageBench ;;
  simulate) main=io.vpcipam.it.bench.SimulateBench ;;
  *) echo "usage: $0 socket|burst|memory|image|simulate [args]" >&2; exit 2 ;;
esac
exec java -Dvpcipam.ipamd.jar="$PWD/ipamd/target/ipamd.jar" -Dvpcipam.chart.dir="$PWD/helm/vpc-ipam" \
  -Dvpcipam.image.tar="$PWD/image/target/vpc-ipam-image.tar" --enable-native-access=ALL-UNNAMED \
  -Dcom.marcnuri.jkube-helm.skipRemoteJar=true -Djava.io.tmpdir="$PWD/it/target" -cp "it/target/test-classes:$(cat "$cp_file")" "$main" "$@"
