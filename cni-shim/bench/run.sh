#!/usr/bin/env bash
# ADD+DEL of one pod in a fresh network namespace: vpc-ipam (our plugin + a real ipamd on the simulated cloud)
# against Debian's Go ptp + host-local, side by side in one hyperfine run. Root only (it makes namespaces).
#
#   cni-shim/bench/run.sh [RUNS]        (default 30; needs the build: ./mvnw -q install -pl provider-api,protocol,ipamd,cni-shim -DskipTests)
#
# Both run inside a private "node" netns (nothing touches the machine's own network), each timed run gets a
# fresh pod netns from --prepare (not timed), and both do the same: veth pair, /32 (ptp: /24) in the pod,
# routes, host route, and give the address back. Ours also asks ipamd over its socket; ptp asks host-local
# (a second Go process) which keeps leases in files.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-30}
[ "$(id -u)" = 0 ] || { echo "bench needs root (network namespaces)" >&2; exit 1; }
plugin=$root/cni-shim/target/cni/vpc-ipam
jar=$root/ipamd/target/ipamd.jar
[ -x "$plugin" ] && [ -f "$jar" ] || { echo "build first: ./mvnw -q install -pl provider-api,protocol,ipamd,cni-shim -DskipTests" >&2; exit 1; }
. "$root/bin/ci-packages.sh"
ensure_cni_packages
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
gocni=/usr/lib/cni

w=$(mktemp -d /tmp/vpc-ipam-bench.XXXXXX)
node=vib-node-$$
pod=vib-pod-$$
cleanup() {
  [ -f "$w/ipamd.pid" ] && kill "$(cat "$w/ipamd.pid")" 2>/dev/null || true
  ip netns del "$pod" 2>/dev/null || true
  ip netns del "$node" 2>/dev/null || true
  rm -rf "$w"
}
trap cleanup EXIT

ip netns add "$node"
ip -n "$node" link set lo up
"$java" -Xmx128m -jar "$jar" run --provider sim --socket "$w/ipamd.sock" --state-dir "$w/state" >"$w/ipamd.log" 2>&1 &
echo $! >"$w/ipamd.pid"
for _ in $(seq 100); do [ -S "$w/ipamd.sock" ] && break; sleep 0.1; done

cat >"$w/ours.json" <<JSON
{"cniVersion":"1.0.0","name":"benchnet","type":"vpc-ipam","ipamdSocket":"$w/ipamd.sock","stateDir":"$w/state","logFile":"$w/cni.log"}
JSON
cat >"$w/ptp.json" <<JSON
{"cniVersion":"1.0.0","name":"benchptp","type":"ptp","ipMasq":false,"mtu":9001,
 "ipam":{"type":"host-local","ranges":[[{"subnet":"10.99.0.0/24"}]],"routes":[{"dst":"0.0.0.0/0"}],"dataDir":"$w/host-local"}}
JSON
# One ADD+DEL as a runtime does it: the plugin executed with the CNI env and the config on stdin.
cat >"$w/cycle.sh" <<SH
#!/bin/sh
# usage: cycle.sh PLUGIN CONF
export CNI_CONTAINERID=bench CNI_IFNAME=eth0 CNI_PATH=$gocni CNI_NETNS=/run/netns/$pod
CNI_COMMAND=ADD nsenter --net=/run/netns/$node "\$1" <"\$2" >/dev/null || exit 1
CNI_COMMAND=DEL nsenter --net=/run/netns/$node "\$1" <"\$2" >/dev/null || exit 1
SH
chmod +x "$w/cycle.sh"
prepare="ip netns del $pod 2>/dev/null || true; ip netns add $pod"

# Warm both (page cache, ipamd's first pool fill) outside the measurement.
eval "$prepare"; "$w/cycle.sh" "$plugin" "$w/ours.json"; "$w/cycle.sh" "$gocni/ptp" "$w/ptp.json"
: >"$w/cni.log"

hyperfine -N --style basic --runs "$runs" --warmup 3 --prepare "sh -c '$prepare'" \
  --export-json "$w/hyperfine.json" --export-markdown "$w/hyperfine.md" \
  -n "vpc-ipam (ours) ADD+DEL" "$w/cycle.sh $plugin $w/ours.json" \
  -n "ptp + host-local (Go) ADD+DEL" "$w/cycle.sh $gocni/ptp $w/ptp.json" >"$w/hyperfine.out" 2>&1 \
  || { cat "$w/hyperfine.out"; exit 1; }

echo
cat "$w/hyperfine.md"
python3 - "$w/hyperfine.json" "$w/cni.log" <<'PY'
import json, re, sys, statistics as st
r = json.load(open(sys.argv[1]))["results"]
ours, go = r[0]["mean"], r[1]["mean"]
print(f"\nratio ours / Go = {ours/go:.2f}x  (target <= 2x)")
add, dele = {"main": [], "ipamd": [], "wiring": []}, {"main": [], "ipamd": [], "wiring": []}
for line in open(sys.argv[2]):
    d = add if " added " in line else dele if " deleted " in line else None
    if d is None: continue
    for k, pat in (("main", r"in main ([\d.]+) ms"), ("ipamd", r"ipamd ([\d.]+) ms"), ("wiring", r"wiring ([\d.]+) ms")):
        m = re.search(pat, line)
        if m: d[k].append(float(m.group(1)))
print("where our time goes (median ms, from the plugin's own log; the rest of each call is JVM start-up):")
for name, d in (("ADD", add), ("DEL", dele)):
    if d["main"]:
        print(f"  {name}: main->exit {st.median(d['main']):.1f}, of which ipamd {st.median(d['ipamd']):.1f}, ip batches {st.median(d['wiring']):.1f}")
PY
# A bare JVM start with the same launcher (VERSION does no I/O): the floor under every call.
hyperfine -N --style none --runs 20 --warmup 3 --export-json "$w/version.json" \
  "sh -c 'echo {} | CNI_COMMAND=VERSION $plugin'" >/dev/null 2>&1
python3 -c "import json;print(f'  launcher + JVM start + exit (VERSION): {json.load(open(\"$w/version.json\"))[\"results\"][0][\"mean\"]*1000:.1f} ms per call')"
