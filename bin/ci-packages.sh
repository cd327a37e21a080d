# Sourced by .ci/run, the cni-shim bench and demo: Debian packages the network tests need, installed once.
# ensure_cni_packages: containerd + runc (ctr run --cni), busybox-static (the test image and ping),
# containernetworking-plugins (Go ptp/host-local for the bench; portmap/bandwidth/tuning for chaining),
# hyperfine (bench), iproute2 and util-linux (ip, nsenter), iptables (the node data path tests). A no-op (one dpkg-query) when all are there.
CNI_TEST_PACKAGES="containerd runc busybox-static containernetworking-plugins hyperfine iproute2 util-linux iptables"

ensure_cni_packages() {
  local missing="" p
  for p in $CNI_TEST_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "ci-packages: missing $missing and not root; the root-only network tests will skip" >&2
    return 0
  fi
  echo "ci-packages: installing $missing" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
