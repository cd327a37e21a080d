#!/usr/bin/env bash
# Builds (once per machine) the real Kubernetes binaries the `it` tests run against, offline from Debian bookworm:
#   kube-apiserver + kubelet  from the `kubernetes` SOURCE package (upstream v1.20.2 with vendor/), Debian's Go 1.19;
#   etcd                      unpacked from the `etcd-server` package (dpkg-deb -x, not installed);
#   kubectl                   unpacked from the `kubernetes-client` package.
# The binaries land in $VPC_IPAM_CACHE/k8s-<versions>/bin (default /var/cache/vpc-ipam), keyed on every package
# version that goes into them, so a second run (or another clone on this machine) reuses them in milliseconds;
# they are never committed. The Go build cache (~1.4 GiB) is kept beside them so a rebuild takes seconds.
#
# Run directly (prints the bin dir on stdout), or source and call ensure_k8s_binaries (exports IPAMD_TEST_K8S_BIN).
# Needs root for apt-get the first time (adds a deb-src source if the machine has none).
#
# Two offline fixes the v1.20.2 tree needs under Go 1.19 in GOPATH mode:
#  - pkg/generated/openapi/zz_generated.openapi.go is not in the tarball: generate it with the vendored openapi-gen
#    over every package tagged +k8s:openapi-gen (what upstream's Makefile.generated_files does);
#  - the vendored modern-go/reflect2 1.0.1 faults under Go 1.18+ (`fatal error: fault` on the first custom
#    resource): replace it and json-iterator with Debian's reflect2 1.0.2 and json-iterator 1.1.12.

K8S_CACHE_ROOT="${VPC_IPAM_CACHE:-/var/cache/vpc-ipam}"
K8S_BUILD_DEPS="golang-go golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev dpkg-dev"

k8s_log() { echo "k8s-build: $*" >&2; }

# Candidate version of a binary package (what apt-get download / source would fetch).
k8s_pkg_version() {
  apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}'
}

k8s_ensure_deb_src() {
  if apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Version:'; then return 0; fi
  if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    k8s_log "adding deb-src for bookworm (/etc/apt/sources.list.d/vpc-ipam-deb-src.sources)"
    cat >/etc/apt/sources.list.d/vpc-ipam-deb-src.sources <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
}

k8s_ensure_build_deps() {
  local missing="" p
  for p in $K8S_BUILD_DEPS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  k8s_log "installing$missing"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# The cache key: every input's version. Characters that are awkward in paths become '_'.
k8s_cache_dir() {
  local key
  key="kubernetes-$(k8s_pkg_version kubernetes-client)_etcd-$(k8s_pkg_version etcd-server)"
  key="${key}_go-$(k8s_pkg_version golang-go)_reflect2-$(k8s_pkg_version golang-github-modern-go-reflect2-dev)"
  key="${key}_jsoniter-$(k8s_pkg_version golang-github-json-iterator-go-dev)"
  echo "$K8S_CACHE_ROOT/k8s-$(echo "$key" | tr ':~+' '___')"
}

k8s_build() {
  local dir="$1" kver ever cver work src gopath t0
  t0=$(date +%s)
  kver=$(apt-cache showsrc kubernetes | awk '/^Version:/ {print $2}' | sort -V | tail -1)
  ever=$(k8s_pkg_version etcd-server)
  cver=$(k8s_pkg_version kubernetes-client)
  work="$dir/work"
  rm -rf "$work" && mkdir -p "$work/dl" "$dir/bin.tmp"

  k8s_log "fetching kubernetes source $kver, etcd-server $ever, kubernetes-client $cver"
  (cd "$work/dl" && apt-get -o APT::Sandbox::User=root source -qq --download-only "kubernetes=$kver" >/dev/null \
     && apt-get -o APT::Sandbox::User=root download -qq "etcd-server=$ever" "kubernetes-client=$cver" >/dev/null) || return 1
  for deb in "$work"/dl/*.deb; do dpkg-deb -x "$deb" "$work/debs"; done
  cp "$work/debs/usr/bin/etcd" "$work/debs/usr/bin/kubectl" "$dir/bin.tmp/"

  src="$work/src"
  dpkg-source -x "$work"/dl/kubernetes_*.dsc "$src" >/dev/null || return 1
  gopath="$work/gopath"
  mkdir -p "$gopath/src/k8s.io"
  ln -s "$src" "$gopath/src/k8s.io/kubernetes"

  # Fix 2: Debian's reflect2 1.0.2 and json-iterator 1.1.12 instead of the vendored 1.0.1 / 1.1.10.
  local pkg
  for pkg in github.com/modern-go/reflect2 github.com/json-iterator/go; do
    rm -rf "$src/vendor/$pkg"
    cp -rL "/usr/share/gocode/src/$pkg" "$src/vendor/$pkg"
    find "$src/vendor/$pkg" -name '*_test.go' -delete
  done

  export GOPATH="$gopath" GO111MODULE=off CGO_ENABLED=0 GOFLAGS= GOCACHE="$dir/gocache" GOTOOLCHAIN=local
  local pkgdir="$gopath/src/k8s.io/kubernetes"

  # Fix 1: generate the OpenAPI definitions the API server serves (upstream Makefile.generated_files, KUBE target).
  k8s_log "generating pkg/generated/openapi"
  (cd "$pkgdir" && go build -o "$work/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen) || return 1
  local dirs
  dirs=$(cd "$pkgdir" && {
      find pkg cmd plugin third_party test -name '*.go' -type f 2>/dev/null
      find -L vendor/k8s.io -name '*.go' -type f
    } | grep -v -e '^vendor/k8s.io/code-generator/' -e '^vendor/k8s.io/sample-apiserver/' \
      | xargs grep -l '^// *+k8s:' | xargs grep -l '+k8s:openapi-gen=' | xargs -n1 dirname | LC_ALL=C sort -u \
      | sed 's|^|k8s.io/kubernetes/|' | paste -sd, -)
  (cd "$pkgdir" && "$work/openapi-gen" --logtostderr -i "$dirs" -p k8s.io/kubernetes/pkg/generated/openapi \
      -O zz_generated.openapi -h hack/boilerplate/boilerplate.generatego.txt -r "$work/openapi-violations.txt" \
      >"$work/openapi-gen.log" 2>&1) || { tail -20 "$work/openapi-gen.log" >&2; return 1; }

  local v=k8s.io/kubernetes/vendor/k8s.io ldflags
  ldflags="-s -w -X $v/component-base/version.gitVersion=v1.20.2 -X $v/component-base/version.gitMajor=1"
  ldflags="$ldflags -X $v/component-base/version.gitMinor=20 -X $v/component-base/version.gitTreeState=clean"
  ldflags="$ldflags -X $v/client-go/pkg/version.gitVersion=v1.20.2 -X $v/client-go/pkg/version.gitMajor=1"
  ldflags="$ldflags -X $v/client-go/pkg/version.gitMinor=20"
  local cmd
  for cmd in kube-apiserver kubelet; do
    k8s_log "building $cmd ($(($(date +%s) - t0)) s so far)"
    (cd "$pkgdir" && go build -ldflags "$ldflags" -o "$dir/bin.tmp/$cmd" "k8s.io/kubernetes/cmd/$cmd") || return 1
  done
  rm -rf "$dir/bin" && mv "$dir/bin.tmp" "$dir/bin"
  rm -rf "$work"
  k8s_log "built in $(($(date +%s) - t0)) s: $dir/bin"
}

# True when every binary the tests run is in $1/bin (a cache from before the kubelet was built is not).
k8s_complete() {
  local b
  for b in kube-apiserver kubelet etcd kubectl; do [ -x "$1/bin/$b" ] || return 1; done
}

# Exports IPAMD_TEST_K8S_BIN=<dir with etcd kube-apiserver kubelet kubectl>, building them if missing.
ensure_k8s_binaries() {
  local dir
  command -v apt-cache >/dev/null || { k8s_log "not a Debian machine: cannot build the test cluster"; return 1; }
  if [ "$(id -u)" != 0 ]; then k8s_log "needs root (apt-get, $K8S_CACHE_ROOT)"; return 1; fi
  k8s_ensure_deb_src || return 1
  dir=$(k8s_cache_dir)
  if ! k8s_complete "$dir"; then
    k8s_ensure_build_deps || return 1
    mkdir -p "$dir"
    ( exec 9>"$dir/.lock"; flock 9
      k8s_complete "$dir" || k8s_build "$dir" ) || { k8s_log "build failed"; return 1; }
  fi
  export IPAMD_TEST_K8S_BIN="$dir/bin"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  ensure_k8s_binaries
  echo "$IPAMD_TEST_K8S_BIN"
fi
