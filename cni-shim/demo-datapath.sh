#!/usr/bin/env bash
# Demo hook for ./demo (run as root): the node data path on the real kernel. Builds a small VPC out of network
# namespaces (a fabric that delivers each address to the interface holding it and drops foreign sources, a VPC
# host in a second subnet, an internet gateway that only forwards the node's primary address, an "internet" host
# 203.0.113.10), runs a second ipamd on the simulated cloud inside a private node namespace with the cloud plugging
# each interface it attaches into the fabric, wires pods through the CNI plugin until one lands on the second
# interface, and shows that pod reaching the VPC host as itself and the internet host through SNAT. Everything
# lives in namespaces made here and is deleted at the end; the machine's own network is untouched.
#   cni-shim/demo-datapath.sh IPAMD_JAR
set -euo pipefail
jar=${1:?usage: demo-datapath.sh IPAMD_JAR}
here=$(cd "$(dirname "$0")" && pwd)
plugin=$here/target/cni/vpc-ipam
[ "$(id -u)" = 0 ] || { echo "demo-datapath: skipped (needs root for network namespaces)"; exit 0; }
# On a fresh machine (before .ci/run installed anything) install what it needs, as demo-pods.sh does; if that
# is not possible, skip this part with a message: ./demo's first run must not fail for a missing tool.
if ! command -v busybox >/dev/null || ! command -v iptables >/dev/null || ! command -v nsenter >/dev/null; then
  . "$here/../bin/ci-packages.sh"
  ensure_cni_packages || echo "demo-datapath: could not install the packages ($CNI_TEST_PACKAGES)" >&2
fi
for t in busybox iptables nsenter; do
  command -v $t >/dev/null || {
    echo "demo-datapath: skipped the data-path demo: $t is missing and could not be installed (bin/ci-packages.sh)"
    exit 0
  }
done
[ -x "$plugin" ] || { echo "demo-datapath: build the plugin first" >&2; exit 1; }

tag=$$
node=dp-node-$tag fab=dp-fab-$tag vpch=dp-vpch-$tag igw=dp-igw-$tag inet=dp-inet-$tag
state=$(mktemp -d /tmp/vpc-ipam-demo-dp.XXXXXX)
sock=$state/ipamd.sock
pods=()
ipamd_pid=
cleanup() {
  set +e
  for p in "${pods[@]}"; do cni DEL "$p" "" >/dev/null 2>&1 || true; ip netns del "dp-$p-$tag" 2>/dev/null || true; done
  [ -n "$ipamd_pid" ] && { kill "$ipamd_pid" 2>/dev/null; wait "$ipamd_pid" 2>/dev/null || true; }
  for ns in $node $vpch $inet $igw $fab; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$state"
}
trap cleanup EXIT
conf="{\"cniVersion\":\"1.0.0\",\"name\":\"demo\",\"type\":\"vpc-ipam\",\"ipamdSocket\":\"$sock\",\"stateDir\":\"$state\",\"logFile\":\"$state/cni.log\"}"
cni() { # cni COMMAND POD NETNS
  CNI_COMMAND=$1 CNI_CONTAINERID=dp-$2-$tag CNI_NETNS=$3 CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni \
    CNI_ARGS="K8S_POD_NAMESPACE=demo;K8S_POD_NAME=$2" nsenter --net=/run/netns/$node "$plugin" <<<"$conf"
}
inns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

echo "== a VPC in network namespaces: fabric, VPC host 10.0.16.10, internet gateway, internet host 203.0.113.10"
for ns in $node $fab $vpch $igw $inet; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
inns $node sysctl -qw net.ipv4.ip_forward=1
inns $fab sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
inns $igw sysctl -qw net.ipv4.ip_forward=1
ip -n $fab link add vhost type veth peer name eth0 netns $vpch
ip -n $fab addr add 10.0.16.1/20 dev vhost; ip -n $fab link set vhost up
ip -n $vpch addr add 10.0.16.10/20 dev eth0; ip -n $vpch link set eth0 up; ip -n $vpch route add default via 10.0.16.1
ip -n $fab link add vigw type veth peer name vpc0 netns $igw
ip -n $fab addr add 192.0.2.1/30 dev vigw; ip -n $fab link set vigw up; ip -n $fab route add default via 192.0.2.2
ip -n $igw addr add 192.0.2.2/30 dev vpc0; ip -n $igw link set vpc0 up; ip -n $igw route add 10.0.0.0/16 via 192.0.2.1
ip -n $igw link add inet0 type veth peer name eth0 netns $inet
ip -n $igw addr add 203.0.113.1/24 dev inet0; ip -n $igw link set inet0 up
ip -n $inet addr add 203.0.113.10/24 dev eth0; ip -n $inet link set eth0 up; ip -n $inet route add default via 203.0.113.1

echo "== ipamd (simulated cloud, t3.medium: 6 addresses per interface) in the node namespace, plugging into the fabric"
IPAMD_SIM_FABRIC_NETNS=$fab IPAMD_SIM_INSTANCE_TYPE=t3.medium WARM_IP_TARGET=8 IP_COOLDOWN_PERIOD=0 \
  IPAMD_METRICS_ADDRESS=127.0.0.1:0 IPAMD_INTROSPECTION_ADDRESS=127.0.0.1:0 \
  nsenter --net=/run/netns/$node java -XX:+UseSerialGC -Xmx64m -jar "$jar" run --provider sim --state-dir "$state" \
  --socket "$sock" >"$state/ipamd.log" 2>&1 &
ipamd_pid=$!
for _ in $(seq 1 150); do
  [ -S "$sock" ] && java -jar "$jar" status --socket "$sock" >/dev/null 2>&1 && break
  kill -0 $ipamd_pid 2>/dev/null || { cat "$state/ipamd.log"; exit 1; }
  sleep 0.2
done
# the node's OS configures its primary interface (address, default route); ipamd does the rest
read -r primary link < <(java -jar "$jar" status --socket "$sock" | awk '$2 == "0" && $4 ~ /^10\./ {print $4, $10}')
ip -n $node addr add "$primary/20" dev "$link"
ip -n $node route add default via 10.0.0.1 dev "$link"
inns $igw iptables -A FORWARD -i vpc0 -s "$primary" -j ACCEPT
inns $igw iptables -A FORWARD -i vpc0 -j DROP
inns $inet iptables -A INPUT -i eth0 -s "$primary"

echo "== wiring pods until one lands on the second interface (device index 1, route table 2)"
second= ip=
for i in 1 2 3 4 5 6 7 8 9 10; do
  ip netns add dp-p$i-$tag; pods+=("p$i")
  out=$(cni ADD p$i /run/netns/dp-p$i-$tag)
  ip=$(sed -n 's/.*"address":"\([0-9.]*\)\/32".*/\1/p' <<<"$out")
  if ip -n $node rule | grep -q "from $ip to .* lookup 2"; then second=p$i; echo "   pod p$i: $ip (interface 2)"; break; fi
  echo "   pod p$i: $ip (primary interface)"
done
[ -n "$second" ] || { echo "no pod reached the second interface"; cat "$state/ipamd.log"; exit 1; }
inns $inet iptables -A INPUT -i eth0 -s "$ip"
java -jar "$jar" status --socket "$sock" | sed -n '1,/^$/p;/^INTERFACE/,/^$/p' | sed 's/^/   /'
echo "== what ipamd set up on the node (proto 117 routes and rules, its iptables chains)"
ip -n $node rule | grep -E "proto 117|lookup 2" | sed 's/^/   /'
ip -n $node route show table 2 | sed 's/^/   /'
inns $node iptables-save -t nat | grep VPC-IPAM | sed 's/^/   /'
echo "== pod $second ($ip) pings the VPC host 10.0.16.10 (its own address, through interface 2)"
nsenter --net=/run/netns/dp-$second-$tag busybox ping -c 2 -W 2 10.0.16.10 | sed 's/^/   /'
echo "== pod $second ($ip) pings the internet host 203.0.113.10 (through the primary interface, SNAT to $primary)"
nsenter --net=/run/netns/dp-$second-$tag busybox ping -c 2 -W 2 203.0.113.10 | sed 's/^/   /'
echo "== packets the internet host received, by source: $primary (the node) and $ip (the pod itself)"
inns $inet iptables-save -c -t filter | sed -n 's|^\[\([0-9]*\):[0-9]*\] -A INPUT -s \([0-9.]*\)/32.*|   from \2: \1 packets|p'
