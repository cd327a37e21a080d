#!/bin/sh
# Installs the vpc-ipam CNI plugin from this directory into a CNI bin dir and writes its conflist.
# The Helm chart's init container runs it with host paths mounted (e.g. --bin-dir /host/opt/cni/bin);
# the AOT cache stays valid when the plugin moves, as long as vpc-ipam.d/ keeps its layout.
#
#   install.sh [--bin-dir DIR] [--conf-dir DIR] [--conf-file NAME] [--network NAME]
#              [--socket PATH] [--state-dir DIR] [--log-file PATH] [--mtu N]
#              [--cni-version V] [--chain "portmap bandwidth tuning"] [--no-conf]
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
case $cni_version in 0.4.0|1.0.0|1.1.0) ;; *) die "--cni-version must be 0.4.0, 1.0.0 or 1.1.0" ;; esac
for p in "$socket" "$state_dir" "$log_file"; do
  case $p in /*) ;; *) die "paths must be absolute: $p" ;; esac
  case $p in *'"'*|*'\'*) die "paths must not contain quotes or backslashes: $p" ;; esac
done

if [ "$uninstall" = 1 ]; then
  rm -rf "$bin_dir/vpc-ipam" "$bin_dir/vpc-ipam.d" "$conf_dir/$conf_file"
  echo "removed vpc-ipam from $bin_dir and $conf_dir/$conf_file"
  exit 0
fi

mkdir -p "$bin_dir"
tmp=$bin_dir/.vpc-ipam.d.$$
rm -rf "$tmp"
cp -a "$here/vpc-ipam.d" "$tmp"      # -a keeps the jars' mtimes, which the AOT cache checks
rm -rf "$bin_dir/vpc-ipam.d.old"
[ -d "$bin_dir/vpc-ipam.d" ] && mv "$bin_dir/vpc-ipam.d" "$bin_dir/vpc-ipam.d.old"
mv "$tmp" "$bin_dir/vpc-ipam.d"
rm -rf "$bin_dir/vpc-ipam.d.old"
cp -a "$here/vpc-ipam" "$bin_dir/.vpc-ipam.$$"
mv -f "$bin_dir/.vpc-ipam.$$" "$bin_dir/vpc-ipam"
echo "installed vpc-ipam into $bin_dir"

[ "$write_conf" = 1 ] || exit 0
mkdir -p "$conf_dir"
plugins="{\"type\":\"vpc-ipam\",\"ipamdSocket\":\"$socket\",\"stateDir\":\"$state_dir\",\"logFile\":\"$log_file\""
[ "$mtu" != 0 ] && plugins="$plugins,\"mtu\":$mtu"
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
