#!/bin/sh
# Builds the vpc-ipam container image as an OCI image-layout tarball, with no Docker daemon and no base image to pull.
# Run by Maven at `package` (the image module); the output is what `ctr images import`, `skopeo copy oci-archive:`
# and `podman load` read:
#   image/target/vpc-ipam-image.tar     OCI layout (oci-layout, index.json, blobs/sha256/*), ref <repository>:<tag>
#   image/target/image-digest           sha256 of the manifest: the same inputs give the same digest
#   image/target/image-layers.txt       what each layer holds and its size
# The repository and tag are the chart's: image.repository in values.yaml and appVersion in Chart.yaml.
#
# Layers, least often changed first (a rebuild or a pull only moves what changed):
#   1 debian   the packages in debian-packages.lock unpacked with dpkg-deb -x (libc, ca-certificates, tzdata, iproute2,
#              iptables, nftables, dash as /bin/sh, busybox-static for the other tools), what maintainer scripts would
#              have made (iptables alternatives, the CA bundle, busybox applet links), /etc/passwd (root, nonroot 65532)
#   2 java     /opt/java: a jlink'ed Java 25 runtime with the modules ipamd and its providers use
#   3 deps     third-party jars of ipamd and the providers, and the CNI plugin's own runtime (vpc-ipam.d/runtime)
#   4 app      ipamd.jar, the provider jars, the plugin's launcher, install.sh and jars
#
# Reproducible: every file has the same mtime (the build's outputTimestamp), owner 0:0, tar entries sorted, gzip -n;
# the config's created time is that timestamp too. Our jars are reproducible through project.build.outputTimestamp.
# The same sources, lock and JDK give the same digest on any machine (ImageReproducibleIT builds it again with an
# empty cache in another directory). The plugin's AOT cache is not in the image for that reason: two JDK training
# runs never give the same bytes, so install.sh trains it on the node (the chart's install-cni step).
#
# Cached outside the repository in $VPC_IPAM_CACHE (default ~/.cache/vpc-ipam): the .debs (checked against the lock),
# the jlink'ed runtime, compressed layers by their diff_id. A clean machine needs apt-get (as root, or any user for
# `apt-get download`) and a reachable Debian mirror with the pinned versions.
#
# Usage: build-image.sh TARGET_DIR JAVA_HOME REPO_ROOT OUTPUT_TIMESTAMP
#        build-image.sh --lock      re-pin debian-packages.lock to apt's current candidates
set -eu
umask 022
export LC_ALL=C
here=$(cd "$(dirname "$0")/.." && pwd)
lock=$here/debian-packages.lock
cache=${VPC_IPAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vpc-ipam}/image
mkdir -p "$cache/debs" "$cache/layers"
apt_opts="-q -o APT::Sandbox::User=$(id -un)"

die() { echo "build-image: $*" >&2; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

# --- the package lock ---------------------------------------------------------------------------------------------
fetch_deb() { # name version -> path of the .deb in the cache (downloaded by apt-get when missing)
  f=$cache/debs/$1_$(echo "$2" | tr ':' '%').deb
  if [ ! -f "$f" ]; then
    t=$(mktemp -d "$cache/debs/.dl.XXXXXX")
    # a clean machine may have no package lists yet: as root, fetch them once and try again
    (cd "$t" && apt-get download $apt_opts "$1=$2" >"$t/log" 2>&1) ||
    { [ "$(id -u)" = 0 ] && apt-get update -qq >>"$t/log" 2>&1 &&
      (cd "$t" && apt-get download $apt_opts "$1=$2" >>"$t/log" 2>&1); } || {
      cat "$t/log" >&2; rm -rf "$t"
      die "apt-get cannot download $1=$2 (pinned in $lock). Run apt-get update; if Debian has replaced that version,
re-pin with: $0 --lock"; }
    mv "$t"/*.deb "$f.tmp" && mv "$f.tmp" "$f"
    rm -rf "$t"
  fi
  echo "$f"
}

if [ "${1:-}" = --lock ]; then
  new=$(mktemp)
  grep '^#' "$lock" > "$new"
  grep -v '^#' "$lock" | while read -r name _ _; do
    v=$(apt-cache policy "$name" | sed -n 's/^ *Candidate: //p')
    [ -n "$v" ] && [ "$v" != "(none)" ] || die "apt knows no candidate for $name (apt-get update?)"
    echo "$name $v $(sha "$(fetch_deb "$name" "$v")")"
  done >> "$new"
  mv "$new" "$lock"
  echo "re-pinned $lock"
  exit 0
fi

[ $# -eq 4 ] || die "usage: $0 TARGET_DIR JAVA_HOME REPO_ROOT OUTPUT_TIMESTAMP"
target=$1; jdk=$2; root=$3
epoch=$(date -u -d "$4" +%s) || die "bad outputTimestamp $4"
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
repository=$(sed -n '/^image:/,/^[^ ]/s/^  repository: *//p' "$root/helm/vpc-ipam/values.yaml" | tr -d '"')
tag=$(sed -n 's/^appVersion: *//p' "$root/helm/vpc-ipam/Chart.yaml" | tr -d '"')
[ -n "$repository" ] && [ -n "$tag" ] || die "cannot read image.repository / appVersion from helm/vpc-ipam"
ipamd=$root/ipamd/target
cni=$root/cni-shim/target/cni
for f in "$ipamd/ipamd.jar" "$ipamd/providers/aws" "$ipamd/providers/azure" "$cni/vpc-ipam" "$cni/install.sh"; do
  [ -e "$f" ] || die "$f is missing: build ipamd, provider-aws, provider-azure and cni-shim first (the reactor does)"
done

work=$target/image-build
rm -rf "$work"
mkdir -p "$work"

# --- layer 1: Debian packages ---------------------------------------------------------------------------------------
base=$work/debian
mkdir -p "$base/var/lib/dpkg/status.d"
grep -v '^#' "$lock" | while read -r name version want; do
  [ "$want" != - ] || die "$name has no pin in $lock: run $0 --lock"
  deb=$(fetch_deb "$name" "$version")
  got=$(sha "$deb")
  [ "$got" = "$want" ] || { rm -f "$deb"; die "$name $version: .deb sha256 $got, the lock says $want"; }
  dpkg-deb -x "$deb" "$base"
  # what scanners (trivy, grype) read in distroless images to know the installed packages
  { dpkg-deb -f "$deb" Package Version Architecture Source Maintainer Description | sed '/^Description/,$d';
    echo "Status: install ok installed"; } > "$base/var/lib/dpkg/status.d/$name"
done
# Maintainer-script work dpkg-deb -x skips:
# the alternatives Debian's postinst picks: the nft backend (iptables-legacy* are there too, under their own names)
for t in iptables ip6tables; do
  for s in "" -save -restore; do ln -sf "$t-nft$s" "$base/usr/sbin/$t$s"; done
done
find "$base/usr/share/ca-certificates" -name '*.crt' | sort | xargs cat > "$work/ca.crt"
mkdir -p "$base/etc/ssl/certs"
mv "$work/ca.crt" "$base/etc/ssl/certs/ca-certificates.crt"
ln -s /usr/share/zoneinfo/Etc/UTC "$base/etc/localtime"
echo "Etc/UTC" > "$base/etc/timezone"
# busybox applets for every tool the packages do not ship (ip, iptables and nft stay the real ones)
"$base/bin/busybox" --list-full | while read -r a; do
  n=${a##*/}
  for b in bin sbin usr/bin usr/sbin; do [ -e "$base/$b/$n" ] || [ -L "$base/$b/$n" ] && continue 2; done
  mkdir -p "$base/${a%/*}"
  ln -s /bin/busybox "$base/$a"
done
[ "$(readlink "$base/bin/sh")" = dash ] || die "/bin/sh is not dash"
# Files whose libraries are not in the image (they would need libselinux, libtirpc + Kerberos, libdb, libatm),
# nothing in vpc-ipam runs them; and what only an interactive system reads (docs but copyright, man, locales).
rm -f "$base/bin/ss" "$base/usr/sbin/arpd" "$base/usr/lib/x86_64-linux-gnu/tc/q_atm.so"
rm -rf "$base/usr/share/man" "$base/usr/share/locale" "$base/usr/share/lintian" "$base/usr/share/bash-completion" \
  "$base/usr/share/initramfs-tools" "$base/usr/share/info" "$base/usr/lib/x86_64-linux-gnu/gconv"
find "$base/usr/share/doc" -type f ! -name copyright -delete
find "$base/usr/share/doc" -depth -type d -empty -delete
cat > "$base/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
cat > "$base/etc/group" <<'EOF'
root:x:0:
nonroot:x:65532:
EOF
echo "hosts: files dns" > "$base/etc/nsswitch.conf"
cat > "$base/etc/os-release" <<'EOF'
PRETTY_NAME="vpc-ipam (Debian GNU/Linux 12 packages)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION_CODENAME=bookworm
ID=debian
EOF
mkdir -p "$base/tmp" "$base/root" "$base/home/nonroot" "$base/var/run"
chmod 1777 "$base/tmp"
chmod 700 "$base/root"

# --- layer 2: the Java runtime for ipamd ----------------------------------------------------------------------------
# jdeps on ipamd and its libraries gives java.base, java.desktop (java.beans for fabric8's and Jackson's models),
# java.net.http, java.sql, jdk.httpserver (the metrics and introspection server), jdk.management, jdk.net; the AWS and
# Azure SDKs add JNDI DNS, XML, JGSS, Unsafe (netty, reactor) and EC crypto. A missing one shows as
# NoClassDefFoundError at start-up: the image test starts ipamd from this runtime.
modules=java.base,java.desktop,java.logging,java.management,java.naming,java.net.http,java.security.jgss,java.sql
modules=$modules,java.xml,jdk.crypto.ec,jdk.httpserver,jdk.management,jdk.naming.dns,jdk.net,jdk.unsupported
jkey=$(cat "$jdk/release" | sha256sum | cut -c1-16)-$(echo "$modules cds" | sha256sum | cut -c1-16)
jre=$cache/jre-$jkey
if [ ! -d "$jre" ]; then
  rm -rf "$jre.tmp"
  # --generate-cds-archive: the runtime's default CDS archive, as a full JDK has (class loading at start-up)
  "$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --generate-cds-archive \
    --output "$jre.tmp"
  mv "$jre.tmp" "$jre"
fi
mkdir -p "$work/java/opt"
cp -a "$jre" "$work/java/opt/java"

# --- layers 3-4: ipamd, the providers and the plugin ----------------------------------------------------------------
deps=$work/deps/opt/vpc-ipam
app=$work/app/opt/vpc-ipam
mkdir -p "$deps/ipamd/lib" "$app/ipamd/lib" "$deps/cni/vpc-ipam.d" "$app/cni/vpc-ipam.d/lib"
own() { case $(basename "$1") in ipamd.jar|provider-*.jar|protocol*.jar|cni-shim*.jar) return 0 ;; esac; return 1; }
cp "$ipamd/ipamd.jar" "$app/ipamd/"
for j in "$ipamd"/lib/*.jar; do if own "$j"; then cp "$j" "$app/ipamd/lib/"; else cp "$j" "$deps/ipamd/lib/"; fi; done
for p in aws azure; do
  mkdir -p "$deps/ipamd/providers/$p" "$app/ipamd/providers/$p"
  for j in "$ipamd/providers/$p"/*.jar; do
    if own "$j"; then cp "$j" "$app/ipamd/providers/$p/"; else cp "$j" "$deps/ipamd/providers/$p/"; fi
  done
done
cp -a "$cni/vpc-ipam.d/runtime" "$deps/cni/vpc-ipam.d/runtime"
cp "$cni/vpc-ipam" "$cni/install.sh" "$app/cni/"
cp "$cni"/vpc-ipam.d/lib/*.jar "$app/cni/vpc-ipam.d/lib/"

# No AOT cache for the plugin: a JDK training run never gives the same bytes twice, so a cache in the image would
# make its digest depend on the machine that built it. The chart's install-cni step makes it on the node
# (install.sh: once per plugin version and node).

# --- the OCI layout -------------------------------------------------------------------------------------------------
oci=$work/oci
mkdir -p "$oci/blobs/sha256"
: > "$work/diff_ids"; : > "$work/layers.json"; : > "$target/image-layers.txt"
layer() { # name dir: a reproducible tar of dir, gzipped (cached by diff_id), added to the blobs
  chmod 755 "$2"
  find "$2" -exec touch -h -d "@$epoch" {} +
  tar --sort=name --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -C "$2" -cf "$work/$1.tar" .
  d=$(sha "$work/$1.tar")
  gz=$cache/layers/$d.tar.gz
  if [ ! -f "$gz" ]; then
    gzip -n -6 -c "$work/$1.tar" > "$gz.$$"
    mv "$gz.$$" "$gz"
  fi
  g=$(sha "$gz")
  cp "$gz" "$oci/blobs/sha256/$g"
  size=$(stat -c %s "$gz")
  printf '%s"sha256:%s"' "$(test -s "$work/diff_ids" && echo ,)" "$d" >> "$work/diff_ids"
  printf '%s{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}' \
    "$(test -s "$work/layers.json" && echo ,)" "$g" "$size" >> "$work/layers.json"
  printf '%-7s %6s MiB compressed  %6s MiB unpacked  sha256:%s\n' "$1" "$(( (size + 524288) / 1048576 ))" \
    "$(( ($(stat -c %s "$work/$1.tar") + 524288) / 1048576 ))" "$g" >> "$target/image-layers.txt"
  rm -f "$work/$1.tar"
}
layer debian "$base"
layer java "$work/java"
layer deps "$work/deps"
layer app "$work/app"

# Default user root: the chart's containers say runAsUser 0 and drop capabilities they do not need (the socket is
# root-only and ipamd checks its peers' uids; the others write root-owned host dirs).
config=$work/config.json
printf '{"created":"%s","architecture":"amd64","os":"linux","config":{"User":"0","Env":["PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","JAVA_HOME=/opt/java","TZ=UTC"],"Entrypoint":["/opt/java/bin/java","-jar","/opt/vpc-ipam/ipamd/ipamd.jar"],"Cmd":["run"],"WorkingDir":"/","Labels":{"org.opencontainers.image.title":"vpc-ipam","org.opencontainers.image.version":"%s","org.opencontainers.image.source":"https://github.com/vpc-ipam/vpc-ipam"}},"rootfs":{"type":"layers","diff_ids":[%s]},"history":[{"created":"%s","created_by":"image/src/build-image.sh"}]}' \
  "$created" "$tag" "$(cat "$work/diff_ids")" "$created" > "$config"
c=$(sha "$config")
cp "$config" "$oci/blobs/sha256/$c"
manifest=$work/manifest.json
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s],"annotations":{"org.opencontainers.image.version":"%s"}}' \
  "$c" "$(stat -c %s "$config")" "$(cat "$work/layers.json")" "$tag" > "$manifest"
m=$(sha "$manifest")
cp "$manifest" "$oci/blobs/sha256/$m"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s:%s","io.containerd.image.name":"%s:%s"},"platform":{"architecture":"amd64","os":"linux"}}]}' \
  "$m" "$(stat -c %s "$manifest")" "$repository" "$tag" "$repository" "$tag" > "$oci/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' > "$oci/oci-layout"
find "$oci" -exec touch -h -d "@$epoch" {} +
tar --sort=name --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -C "$oci" -cf "$target/vpc-ipam-image.tar.tmp" \
  oci-layout index.json blobs
mv "$target/vpc-ipam-image.tar.tmp" "$target/vpc-ipam-image.tar"
echo "sha256:$m" > "$target/image-digest"
echo "$repository:$tag" > "$target/image-name"
rm -rf "$work"
total=$(stat -c %s "$target/vpc-ipam-image.tar")
echo "built $repository:$tag sha256:$m ($(( (total + 524288) / 1048576 )) MiB) in $target/vpc-ipam-image.tar"
cat "$target/image-layers.txt"
