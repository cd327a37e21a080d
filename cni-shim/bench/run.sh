#!/usr/bin/env bash
# ADD and DEL of one pod in a fresh network namespace: vpc-ipam (our plugin + a real ipamd on the simulated cloud)
# against Debian's Go ptp + host-local, side by side in the same hyperfine runs. Root only (it makes namespaces).
#
#   cni-shim/bench/run.sh [RUNS]        (default 30; needs the build: ./mvnw -q package -pl ipamd,cni-shim -am -DskipTests)
#   BASELINE=/path/to/other/cni/vpc-ipam cni-shim/bench/run.sh [RUNS]   adds another build of our plugin (say,
#                                       main before a change) to both runs, against the same ipamd
#
# Both run inside a private "node" netns (nothing touches the machine's own network), each timed run gets a
# fresh pod netns from --prepare (not timed), and both do the same: veth pair, /32 (ptp: /24) in the pod,
# routes, host route, and give the address back. Ours also asks ipamd over its socket; ptp asks host-local
# (a second Go process) which keeps leases in files. DEL gets the ADD's result as prevResult, as libcni
# passes it from its cache (containerd, CRI-O). Two runs: ADD+DEL cycles, then ADD alone (the DEL of the
# previous run is in --prepare, not timed). The machine's load is printed before and after: on a shared
# machine, compare only figures from the same run. The ADD run also times the JVM floor: an empty program on the
# plugin's runtime with the launcher's flags and its own AOT cache, the least any JVM-per-call plugin can cost; and
# the JVM minimum ADD (bench/MinimalAdd.java), the least such a plugin must do for an ADD, with and without ip.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-30}
die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
plugin=$root/cni-shim/target/cni/vpc-ipam
jar=$root/ipamd/target/ipamd.jar
[ -x "$plugin" ] && [ -f "$jar" ] || die "build first: ./mvnw -q package -pl ipamd,cni-shim -am -DskipTests"
. "$root/bin/ci-packages.sh"
ensure_cni_packages
command -v hyperfine >/dev/null || die "hyperfine is missing and could not be installed (apt-get install hyperfine)"
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
[ -x "$java" ] || die "no JDK 25 at $java (set JAVA_HOME)"
gocni=/usr/lib/cni
baseline=${BASELINE:-}
[ -z "$baseline" ] || [ -x "$baseline" ] || die "BASELINE=$baseline is not an executable plugin"
[ -x "$gocni/ptp" ] && [ -x "$gocni/host-local" ] || die "Go ptp/host-local missing in $gocni (containernetworking-plugins)"

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
# No metrics or introspection listener: the bench must not depend on (or fight over) ports 61678/61679.
IPAMD_METRICS_ADDRESS=off IPAMD_INTROSPECTION_ADDRESS=off \
  "$java" -XX:+UseSerialGC -Xmx128m -jar "$jar" run --provider sim --socket "$w/ipamd.sock" --state-dir "$w/state" \
  >"$w/ipamd.log" 2>&1 &
echo $! >"$w/ipamd.pid"
for _ in $(seq 150); do
  [ -S "$w/ipamd.sock" ] && break
  kill -0 "$(cat "$w/ipamd.pid")" 2>/dev/null || { tail -20 "$w/ipamd.log" >&2; die "ipamd exited before serving (its log above)"; }
  sleep 0.1
done
[ -S "$w/ipamd.sock" ] || { tail -20 "$w/ipamd.log" >&2; die "ipamd did not open $w/ipamd.sock within 15 s"; }

cat >"$w/ours.json" <<JSON
{"cniVersion":"1.0.0","name":"benchnet","type":"vpc-ipam","ipamdSocket":"$w/ipamd.sock","stateDir":"$w/state","logFile":"$w/cni.log"}
JSON
sed 's/"logFile":"[^"]*"/"logFile":"'"${w//\//\\/}"'\/base.log"/' "$w/ours.json" >"$w/base.json"
cat >"$w/ptp.json" <<JSON
{"cniVersion":"1.0.0","name":"benchptp","type":"ptp","ipMasq":false,"mtu":9001,
 "ipam":{"type":"host-local","ranges":[[{"subnet":"10.99.0.0/24"}]],"routes":[{"dst":"0.0.0.0/0"}],"dataDir":"$w/host-local"}}
JSON
# One ADD and one DEL as a runtime does them: the plugin executed with the CNI env and the config on stdin,
# DEL with the ADD's result as prevResult. add.sh keeps the result for a later del.sh.
cat >"$w/add.sh" <<SH
#!/bin/sh
# usage: add.sh PLUGIN CONF
export CNI_CONTAINERID=bench CNI_IFNAME=eth0 CNI_PATH=$gocni CNI_NETNS=/run/netns/$pod
CNI_COMMAND=ADD nsenter --net=/run/netns/$node "\$1" <"\$2" >"\$2.result" || { cat "\$2.result" >&2; exit 1; }
SH
cat >"$w/del.sh" <<SH
#!/bin/sh
# usage: del.sh PLUGIN CONF   (after add.sh; nothing to do when there is no result)
[ -s "\$2.result" ] || exit 0
export CNI_CONTAINERID=bench CNI_IFNAME=eth0 CNI_PATH=$gocni CNI_NETNS=/run/netns/$pod
conf=\$(cat "\$2"); result=\$(cat "\$2.result")
printf '%s,"prevResult":%s}\n' "\${conf%\}*}" "\$result" | CNI_COMMAND=DEL nsenter --net=/run/netns/$node "\$1" >/dev/null \
  || { echo "DEL failed" >&2; exit 1; }
: >"\$2.result"
SH
cat >"$w/cycle.sh" <<SH
#!/bin/sh
# usage: cycle.sh PLUGIN CONF
$w/add.sh "\$1" "\$2" && $w/del.sh "\$1" "\$2"
SH
chmod +x "$w/add.sh" "$w/del.sh" "$w/cycle.sh"
fresh="ip netns del $pod 2>/dev/null || true; ip netns add $pod"

# Warm both (page cache, ipamd's first pool fill) outside the measurement.
eval "$fresh"
for i in 1 2 3; do
  "$w/cycle.sh" "$plugin" "$w/ours.json"; "$w/cycle.sh" "$gocni/ptp" "$w/ptp.json"
  [ -z "$baseline" ] || "$w/cycle.sh" "$baseline" "$w/base.json"
done
: >"$w/cni.log"
cycle_base=() add_base=()
if [ -n "$baseline" ]; then
  cycle_base=(-n "baseline ADD+DEL" "$w/cycle.sh $baseline $w/base.json")
  add_base=(-n "baseline ADD" --prepare "sh -c '$w/del.sh $baseline $w/base.json; $fresh'" "$w/add.sh $baseline $w/base.json")
fi

# The JVM floor: an empty program (prints "{}") on the plugin's own runtime with the launcher's JVM flags and an
# AOT cache of its own, trained here. No per-call work can make a JVM-per-call plugin faster than this; it runs in
# the ADD measurement below, beside Go's ADD, so the floor's ratio to Go comes from the same run.
runtime=${plugin%/*}/vpc-ipam.d/runtime/bin/java
[ -x "$runtime" ] || die "no bundled runtime at $runtime"
flags=$(sed -n '/runtime\/bin\/java"/,/-cp \|-Xbootclasspath/p' "$plugin" \
  | sed -e 's/.*runtime\/bin\/java"//' -e 's/-cp .*//' -e 's/-Xbootclasspath.*//' -e 's/\\$//' \
  | tr '\n' ' ')
case $flags in *-Xint*-XX:ArchiveRelocationMode=0*) ;; *) die "cannot read the JVM flags from the launcher $plugin: '$flags'" ;; esac
mkdir "$w/floor"
printf 'public class Floor { public static void main(String[] a) { System.out.println("{}"); } }\n' >"$w/floor/Floor.java"
# in a jar: an AOT cache takes no class directory
{ "${java%/java}/javac" --release 25 -d "$w/floor/classes" "$w/floor/Floor.java" &&
  "${java%/java}/jar" cf "$w/floor/floor.jar" -C "$w/floor/classes" .; } || die "cannot build the floor program"
# shellcheck disable=SC2086 # the launcher's flags, one word each
{ "$runtime" $flags -XX:AOTMode=record -XX:AOTConfiguration="$w/floor/floor.aotconf" -cp "$w/floor/floor.jar" Floor &&
  "$runtime" $flags -XX:AOTMode=create -XX:AOTConfiguration="$w/floor/floor.aotconf" -XX:AOTCache="$w/floor/floor.aot" \
    -cp "$w/floor/floor.jar" Floor; } >"$w/floor/train.log" 2>&1 || { cat "$w/floor/train.log" >&2; die "cannot train the floor's AOT cache"; }
floor_cmd="$runtime $flags -XX:AOTCache=$w/floor/floor.aot -cp $w/floor/floor.jar Floor"
[ "$($floor_cmd 2>&1)" = "{}" ] || die "the floor program does not run: $floor_cmd"

# The JVM minimum ADD (bench/MinimalAdd.java): the least a JVM-per-call plugin of this design must do for an ADD
# (stdin, one real ADD to ipamd, the two ip processes, print), twice: with both ip processes (given a line that
# only reads), and with none (a plugin whose wiring cost nothing). Same runtime and flags, AOT caches of their own;
# each gives its address back (a DEL of its key, logged apart) before every timed run, as ours does.
ipbin=$(command -v ip) nsenterbin=$(command -v nsenter) || die "ip or nsenter missing"
mkdir "$w/min"
sed 's/"logFile":"[^"]*"/"logFile":"'"${w//\//\\/}"'\/min.log"/' "$w/ours.json" >"$w/min.json"
cat >"$w/min/del.sh" <<SH
#!/bin/sh
CNI_CONTAINERID=minimal CNI_IFNAME=eth0 CNI_PATH=$gocni CNI_NETNS=/run/netns/$pod CNI_COMMAND=DEL \
  nsenter --net=/run/netns/$node $plugin <$w/min.json >/dev/null
SH
cat >"$w/min/add.sh" <<SH
#!/bin/sh
# usage: add.sh AOT_MODE_OPTIONS... -- IP NSENTER   (IP "-": no ip processes)
aot=""; while [ "\$1" != -- ]; do aot="\$aot \$1"; shift; done; shift
# shellcheck disable=SC2086
nsenter --net=/run/netns/$node $runtime $flags \$aot -cp $w/min/min.jar MinimalAdd $w/ipamd.sock benchnet minimal \
  /run/netns/$pod "\$1" "\$2" <$w/ours.json >$w/min/reply || { cat $w/min/reply >&2; exit 1; }
SH
chmod +x "$w/min/del.sh" "$w/min/add.sh"
{ "${java%/java}/javac" --release 25 -d "$w/min/classes" "$root/cni-shim/bench/MinimalAdd.java" &&
  "${java%/java}/jar" cf "$w/min/min.jar" -C "$w/min/classes" .; } || die "cannot build the minimum ADD program"
eval "$fresh"
for v in ip noip; do
  if [ $v = ip ]; then tools="$ipbin $nsenterbin"; else tools="- -"; fi
  # shellcheck disable=SC2086
  { "$w/min/add.sh" -XX:AOTMode=record -XX:AOTConfiguration="$w/min/$v.aotconf" -- $tools && "$w/min/del.sh" &&
    "$runtime" $flags -XX:AOTMode=create -XX:AOTConfiguration="$w/min/$v.aotconf" -XX:AOTCache="$w/min/$v.aot" \
      -cp "$w/min/min.jar" MinimalAdd && "$w/min/add.sh" -XX:AOTCache="$w/min/$v.aot" -- $tools && "$w/min/del.sh"
  } >"$w/min/train-$v.log" 2>&1 || { cat "$w/min/train-$v.log" >&2; die "the minimum ADD program ($v) does not run"; }
done

echo "load before: $(uptime)"
hyperfine -N --style basic --runs "$runs" --warmup 3 --prepare "sh -c '$fresh'" \
  --export-json "$w/cycle.json" --export-markdown "$w/cycle.md" \
  -n "vpc-ipam (ours) ADD+DEL" "$w/cycle.sh $plugin $w/ours.json" \
  -n "ptp + host-local (Go) ADD+DEL" "$w/cycle.sh $gocni/ptp $w/ptp.json" "${cycle_base[@]}" >"$w/hyperfine.out" 2>&1 \
  || { cat "$w/hyperfine.out" >&2; die "the ADD+DEL run failed (hyperfine's output above)"; }
hyperfine -N --style basic --runs "$runs" --warmup 3 \
  --export-json "$w/add.json" --export-markdown "$w/add.md" \
  -n "vpc-ipam (ours) ADD" --prepare "sh -c '$w/del.sh $plugin $w/ours.json; $fresh'" "$w/add.sh $plugin $w/ours.json" \
  -n "ptp + host-local (Go) ADD" --prepare "sh -c '$w/del.sh $gocni/ptp $w/ptp.json; $fresh'" "$w/add.sh $gocni/ptp $w/ptp.json" \
  "${add_base[@]}" \
  -n "JVM floor (empty program, our runtime + flags + its own AOT cache)" --prepare true "$floor_cmd" \
  -n "JVM minimum ADD (stdin, ipamd ADD, 2 ip that only read, print)" --prepare "sh -c '$w/min/del.sh; $fresh'" \
  "$w/min/add.sh -XX:AOTCache=$w/min/ip.aot -- $ipbin $nsenterbin" \
  -n "JVM minimum ADD without ip (stdin, ipamd ADD, print)" --prepare "sh -c '$w/min/del.sh; $fresh'" \
  "$w/min/add.sh -XX:AOTCache=$w/min/noip.aot -- - -" \
  >>"$w/hyperfine.out" 2>&1 \
  || { cat "$w/hyperfine.out" >&2; die "the ADD run failed (hyperfine's output above)"; }
# A bare JVM start with the same launcher (VERSION does no I/O): the floor under every call.
echo '{}' >"$w/empty.json"
CNI_COMMAND=VERSION hyperfine -N --style none --runs 20 --warmup 3 --export-json "$w/version.json" \
  "sh -c '$plugin <$w/empty.json'" >/dev/null 2>&1 || die "VERSION run failed"
echo "load after:  $(uptime)"

echo
cat "$w/cycle.md"
echo
cat "$w/add.md"
python3 - "$w/cycle.json" "$w/add.json" "$w/version.json" "$w/cni.log" <<'PY'
import json, re, sys, statistics as st
cyc = json.load(open(sys.argv[1]))["results"]
add = json.load(open(sys.argv[2]))["results"]
ver = json.load(open(sys.argv[3]))["results"][0]["mean"] * 1000
print(f"\nADD+DEL ratio ours / Go = {cyc[0]['mean'] / cyc[1]['mean']:.2f}x   ADD ratio ours / Go = "
      f"{add[0]['mean'] / add[1]['mean']:.2f}x   (target <= 3x each)")
print(f"medians (less moved by a loaded machine's outliers): ADD+DEL {cyc[0]['median'] * 1000:.1f} / "
      f"{cyc[1]['median'] * 1000:.1f} ms = {cyc[0]['median'] / cyc[1]['median']:.2f}x, ADD {add[0]['median'] * 1000:.1f} / "
      f"{add[1]['median'] * 1000:.1f} ms = {add[0]['median'] / add[1]['median']:.2f}x"
      + (f"; baseline ADD+DEL {cyc[2]['median'] * 1000:.1f}, ADD {add[2]['median'] * 1000:.1f} ms" if len(cyc) > 2 else ""))
if len(cyc) > 2:
    print(f"baseline / Go: ADD+DEL {cyc[2]['mean'] / cyc[1]['mean']:.2f}x, ADD {add[2]['mean'] / add[1]['mean']:.2f}x")
floor, least, least_noip = add[-3:]
go_add = add[1]['mean']
print(f"JVM floor (an empty program on our runtime, flags and its own AOT cache): {floor['mean'] * 1000:.1f} ± "
      f"{floor['stddev'] * 1000:.1f} ms = {floor['mean'] / go_add:.2f}x Go's whole ADD; our ADD is "
      f"{(add[0]['mean'] - floor['mean']) * 1000:.1f} ms above it")
print(f"JVM minimum ADD (MinimalAdd: stdin, ipamd ADD, 2 ip that only read, print): {least['mean'] * 1000:.1f} ± "
      f"{least['stddev'] * 1000:.1f} ms = {least['mean'] / go_add:.2f}x Go's ADD; our ADD is "
      f"{(add[0]['mean'] - least['mean']) * 1000:.1f} ms above it")
print(f"  without ip (a plugin whose wiring cost nothing): {least_noip['mean'] * 1000:.1f} ± "
      f"{least_noip['stddev'] * 1000:.1f} ms = {least_noip['mean'] / go_add:.2f}x Go's ADD")
steps = {"ADD": {"main": [], "ipamd": [], "wiring": [], "sent": [], "ipstart": []},
         "DEL": {"main": [], "ipamd": [], "wiring": []}}
for line in open(sys.argv[4]):
    d = steps["ADD"] if " added " in line else steps["DEL"] if " deleted " in line else None
    if d is None:
        continue
    for k, pat in (("main", r"in main ([\d.]+) ms"), ("ipamd", r"ipamd ([\d.]+) ms"), ("wiring", r"wiring ([\d.]+) ms"),
                   ("sent", r"sent in ([\d.]+) ms"), ("ipstart", r"starting ip meanwhile ([\d.]+) ms")):
        m = re.search(pat, line)
        if m:
            d.setdefault(k, []).append(float(m.group(1)))
print("where our time goes (median ms, from the plugin's own log; the rest of each call is launcher + JVM start + exit):")
for name, d in steps.items():
    if d["main"]:
        extra = ""
        if d.get("sent") and d.get("ipstart"):
            extra = (f" (in the ipamd window: request sent after {st.median(d['sent']):.1f}, the two ip processes "
                     f"started after {st.median(d['ipstart']):.1f})")
        print(f"  {name}: main->exit {st.median(d['main']):.1f}, of which ipamd {st.median(d['ipamd']):.1f}, "
              f"ip batches {st.median(d['wiring']):.1f}{extra}")
print(f"  launcher + JVM start + exit (VERSION, through sh -c): {ver:.1f} ms per call")
PY
