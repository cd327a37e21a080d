#!/bin/sh
# Installs the vpc-ipam CNI plugin from this directory into a CNI bin dir and writes its conflist.
# The Helm chart's init container runs it with host paths mounted (e.g. --bin-dir /host/opt/cni/bin);
# the AOT cache stays valid when the plugin moves, as long as vpc-ipam.d/ keeps its layout. Without one beside
# it (the container image carries none), it makes the cache on the node: see below.
#
#   install.sh [--bin-dir DIR] [--conf-dir DIR] [--conf-file NAME] [--network NAME]
#              [--socket PATH] [--state-dir DIR] [--log-file PATH] [--mtu N]
#              [--cni-version V] [--chain "portmap bandwidth tuning"] [--veth-prefix P] [--no-conf]
#   install.sh --uninstall [--bin-dir DIR] [--conf-dir DIR] [--conf-file NAME]
#
# Defaults: /opt/cni/bin, /etc/cni/net.d, 05-vpc-ipam.conflist, network vpc-ipam, chain "portmap",
# cniVersion 1.0.0 (the newest Debian's and containerd 1.6's plugins speak; cniVersions also offers
# 1.1.0 to runtimes that negotiate). Every file is written to a temp name and renamed into place, so a
# runtime never executes a half-copied plugin or reads a half-written conflist.
# The runtime (libcni) uses the first config of the conf dir in name order: the default name sorts before
# the AWS VPC CNI's 10-aws.conflist, so a node taken over from aws-node uses vpc-ipam; a warning says when
# another config still sorts first.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin_dir=/opt/cni/bin
conf_dir=/etc/cni/net.d
conf_file=05-vpc-ipam.conflist
network=vpc-ipam
socket=/run/vpc-ipam/ipamd.sock
state_dir=/var/lib/vpc-ipam
log_file=/var/log/vpc-ipam/cni.log
mtu=0
cni_version=1.0.0
chain=portmap
veth_prefix=
write_conf=1
uninstall=0

die() { echo "install.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --bin-dir) bin_dir=$2; shift 2 ;;
    --conf-dir) conf_dir=$2; shift 2 ;;
    --conf-file) conf_file=$2; shift 2 ;;
    --network) network=$2; shift 2 ;;
    --socket) socket=$2; shift 2 ;;
    --state-dir) state_dir=$2; shift 2 ;;
    --log-file) log_file=$2; shift 2 ;;
    --mtu) mtu=$2; shift 2 ;;
    --cni-version) cni_version=$2; shift 2 ;;
    --chain) chain=$2; shift 2 ;;
    --veth-prefix) veth_prefix=$2; shift 2 ;;
    --no-conf) write_conf=0; shift ;;
    --uninstall) uninstall=1; shift ;;
    *) die "unknown option $1" ;;
  esac
done
case $network in ''|*[!A-Za-z0-9_.-]*) die "--network must be letters, digits, '_', '.', '-'" ;; esac
case $mtu in ''|*[!0-9]*) die "--mtu must be a number" ;; esac
case $conf_file in
  *[!A-Za-z0-9_.-]*|.*) die "--conf-file must be a file name of letters, digits, '_', '.', '-': $conf_file" ;;
  *.conflist) ;;
  *) die "--conf-file must end in .conflist: $conf_file" ;;
esac
# aws-node's AWS_VPC_K8S_CNI_VETHPREFIX rules, and the plugin's (1 to 4 lower-case letters or digits)
case $veth_prefix in
  eth|vlan|lo) die "--veth-prefix must not be eth, vlan or lo (names of the host's own interfaces)" ;;
  *[!a-z0-9]*) die "--veth-prefix must be 1 to 4 lower-case letters or digits: $veth_prefix" ;;
  ''|?|??|???|????) ;;
  *) die "--veth-prefix must be 1 to 4 lower-case letters or digits: $veth_prefix" ;;
esac
case $cni_version in 0.4.0|1.0.0|1.1.0) ;; *) die "--cni-version must be 0.4.0, 1.0.0 or 1.1.0" ;; esac
for p in "$socket" "$state_dir" "$log_file"; do
  case $p in /*) ;; *) die "paths must be absolute: $p" ;; esac
  case $p in *'"'*|*'\'*) die "paths must not contain quotes or backslashes: $p" ;; esac
done

if [ "$uninstall" = 1 ]; then
  rm -rf "$bin_dir/vpc-ipam" "$bin_dir/vpc-ipam.d" "$bin_dir"/.vpc-ipam.[0-9]* "$conf_dir/$conf_file"
  echo "removed vpc-ipam from $bin_dir and $conf_dir/$conf_file"
  exit 0
fi

mkdir -p "$bin_dir"
# Staged next to its destination (same file system: the renames below are atomic), under a name no runtime runs.
stage=$bin_dir/.vpc-ipam.$$
rm -rf "$bin_dir"/.vpc-ipam.[0-9]*      # a stage an install killed half-way left behind
mkdir "$stage"
cp -a "$here/vpc-ipam.d" "$stage/vpc-ipam.d"      # -a keeps the jars' mtimes, which the AOT cache checks
cp -a "$here/vpc-ipam" "$stage/vpc-ipam"

# The AOT cache (classes pre-parsed and pre-linked: each plugin call starts several times faster). The build's
# cni-shim/target/cni/ carries one; the container image does not, because two JDK training runs never give the same
# bytes and the image's digest must not depend on the machine that built it. Then it is made here, once per plugin
# version and node: reused from the last install of the same plugin (same launcher, runtime and jars), else trained
# by the plugin's own training run (a few seconds; it only reads). Whatever its origin, a cache the JVM refuses is
# dropped, and a node without one still works, only slower.
aot=$stage/vpc-ipam.d/vpc-ipam.aot
key=$( (cd "$stage" && cat vpc-ipam vpc-ipam.d/runtime/release vpc-ipam.d/lib/*.jar) | sha256sum | cut -d' ' -f1)
aot_ok() { # the JVM says nothing about a cache it can use
  [ -s "$aot" ] && [ -z "$(echo '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION "$stage/vpc-ipam" 2>&1 >/dev/null)" ]
}
if [ ! -s "$aot" ] && [ -s "$bin_dir/vpc-ipam.d/vpc-ipam.aot" ] &&
   [ "$(cat "$bin_dir/vpc-ipam.d/vpc-ipam.aot.key" 2>/dev/null)" = "$key" ]; then
  cp -a "$bin_dir/vpc-ipam.d/vpc-ipam.aot" "$aot"
fi
if ! aot_ok; then
  rm -f "$aot"
  echo "training the plugin's AOT cache on this node"
  if ! "$stage/vpc-ipam" --aot-train "$aot" "$stage/aot-training" >"$stage/aot-training.log" 2>&1 || ! aot_ok; then
    echo "install.sh: warning: no AOT cache (the plugin works, but starts slower); the training run said:" >&2
    tail -n 20 "$stage/aot-training.log" >&2
    rm -f "$aot"
  fi
fi
[ -s "$aot" ] && echo "$key" > "$aot.key"

rm -rf "$bin_dir/vpc-ipam.d.old"
[ -d "$bin_dir/vpc-ipam.d" ] && mv "$bin_dir/vpc-ipam.d" "$bin_dir/vpc-ipam.d.old"
mv "$stage/vpc-ipam.d" "$bin_dir/vpc-ipam.d"
rm -rf "$bin_dir/vpc-ipam.d.old"
mv -f "$stage/vpc-ipam" "$bin_dir/vpc-ipam"
rm -rf "$stage"
echo "installed vpc-ipam into $bin_dir"

[ "$write_conf" = 1 ] || exit 0
mkdir -p "$conf_dir"
plugins="{\"type\":\"vpc-ipam\",\"ipamdSocket\":\"$socket\",\"stateDir\":\"$state_dir\",\"logFile\":\"$log_file\""
[ "$mtu" != 0 ] && plugins="$plugins,\"mtu\":$mtu"
[ -n "$veth_prefix" ] && plugins="$plugins,\"vethPrefix\":\"$veth_prefix\""
plugins="$plugins}"
for c in $chain; do
  case $c in
    portmap) plugins="$plugins,{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true},\"snat\":true}" ;;
    bandwidth) plugins="$plugins,{\"type\":\"bandwidth\",\"capabilities\":{\"bandwidth\":true}}" ;;
    tuning) plugins="$plugins,{\"type\":\"tuning\",\"sysctl\":{\"net.ipv4.conf.all.rp_filter\":\"0\"}}" ;;
    none) ;;
    *) die "--chain knows portmap, bandwidth, tuning and none, not $c" ;;
  esac
done
versions="\"1.0.0\",\"1.1.0\""
[ "$cni_version" = 0.4.0 ] && versions="\"0.4.0\""
printf '{"cniVersion":"%s","cniVersions":[%s],"name":"%s","plugins":[%s]}\n' \
  "$cni_version" "$versions" "$network" "$plugins" > "$conf_dir/.$conf_file.$$"
mv -f "$conf_dir/.$conf_file.$$" "$conf_dir/$conf_file"
echo "wrote $conf_dir/$conf_file"
first=$(cd "$conf_dir" && ls -1 | grep -E '\.(conf|conflist|json)$' | LC_ALL=C sort | head -n 1)
if [ "$first" != "$conf_file" ]; then
  echo "install.sh: warning: $conf_dir/$first sorts before $conf_file: the runtime uses $first, not vpc-ipam" >&2
fi
