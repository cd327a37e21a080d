#!/usr/bin/env bash
# Demo hook for ./demo (run as root): wires two pods through the vpc-ipam CNI plugin against the running ipamd,
# shows their addresses and routes, has them ping each other, then DELs them and removes every namespace.
# The pods' host side lives in a private "node" network namespace, so the machine's own network is untouched.
#   cni-shim/demo-pods.sh SOCKET STATE_DIR
set -euo pipefail
socket=${1:?usage: demo-pods.sh SOCKET STATE_DIR}
state=${2:?usage: demo-pods.sh SOCKET STATE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
plugin=$here/target/cni/vpc-ipam
[ "$(id -u)" = 0 ] || { echo "demo-pods: skipped (needs root for network namespaces)"; exit 0; }
[ -x "$plugin" ] || { echo "demo-pods: build the plugin first (./mvnw -q package -pl cni-shim -am -DskipTests)" >&2; exit 1; }
# ping inside a pod netns: busybox (what the tests use), installed here on a fresh machine like .ci/run does.
if ! command -v busybox >/dev/null; then
  . "$here/../bin/ci-packages.sh"
  ensure_cni_packages || echo "demo-pods: could not install the packages ($CNI_TEST_PACKAGES)" >&2
fi
if command -v busybox >/dev/null; then
  ping=(busybox ping)
elif command -v ping >/dev/null; then
  ping=(ping)
else
  echo "demo-pods: skipped the two demo pods: no busybox or ping here, and busybox-static could not be installed"
  exit 0
fi

tag=$$
node=demo-node-$tag
log=$(mktemp /tmp/vpc-ipam-demo-cni.XXXXXX.log)
conf="{\"cniVersion\":\"1.1.0\",\"name\":\"demo\",\"type\":\"vpc-ipam\",\"ipamdSocket\":\"$socket\",\"stateDir\":\"$state\",\"logFile\":\"$log\"}"
cni() { # cni COMMAND POD NETNS
  CNI_COMMAND=$1 CNI_CONTAINERID=demo-$2-$tag CNI_NETNS=$3 CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni \
    CNI_ARGS="K8S_POD_NAMESPACE=demo;K8S_POD_NAME=$2" nsenter --net=/run/netns/$node "$plugin" <<<"$conf"
}
cleanup() {
  for p in a b; do cni DEL $p "" >/dev/null 2>&1 || true; ip netns del demo-$p-$tag 2>/dev/null || true; done
  ip netns del $node 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT

ip netns add $node
ip -n $node link set lo up
nsenter --net=/run/netns/$node sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
for p in a b; do
  ip netns add demo-$p-$tag
  echo "== CNI ADD pod $p"
  cni ADD $p /run/netns/demo-$p-$tag | tee /tmp/demo-$p-$tag.json
  echo
done
ipa=$(sed -n 's/.*"address":"\([0-9.]*\)\/32".*/\1/p' /tmp/demo-a-$tag.json)
ipb=$(sed -n 's/.*"address":"\([0-9.]*\)\/32".*/\1/p' /tmp/demo-b-$tag.json)
rm -f /tmp/demo-a-$tag.json /tmp/demo-b-$tag.json
echo "== pod a: $(ip -n demo-a-$tag -4 -br addr show eth0)"
ip -n demo-a-$tag route | sed 's/^/   /'
echo "== node side (private netns): routes to the pods"
ip -n $node route | sed 's/^/   /'
echo "== pod a ($ipa) pings pod b ($ipb) through the node"
nsenter --net=/run/netns/demo-a-$tag "${ping[@]}" -c 3 -W 2 "$ipb"
echo "== CNI DEL both pods"
for p in a b; do cni DEL $p "" && echo "   pod $p deleted"; done
echo "== plugin log"
sed 's/^/   /' "$log"
