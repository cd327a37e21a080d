#!/bin/sh
# Builds the installable plugin into target/cni/ (DESIGN.md's stable entry point), run by Maven at `package`:
#   vpc-ipam            the launcher (the plugin `type`), a POSIX sh script that execs the bundled JVM
#   vpc-ipam.d/runtime  a jlink'ed runtime, java.base and the plugin's start-up SecureRandom provider module
#                       (its java.security trimmed, that provider first: RuntimeSecurity): no JVM needed on the node
#   vpc-ipam.d/lib      the plugin jar and protocol (nothing else)
#   vpc-ipam.d/vpc-ipam.aot  JDK 25 AOT cache from a training run: classes pre-parsed and pre-linked
#   install.sh          copies the above into a CNI bin dir and writes the conflist
# Usage: build-dist.sh TARGET_DIR JAVA_HOME
set -eu
target=$1
jdk=$2
src=$(cd "$(dirname "$0")" && pwd)
dist=$target/cni
d=$dist/vpc-ipam.d

rm -rf "$dist"
mkdir -p "$d/lib"
cp "$target/cni-shim.jar" "$target"/cni-lib/*.jar "$d/lib/"

# The start-up SecureRandom provider as a module of the runtime (module-info.java there says why).
urandom=$src/../main/java/io/vpcipam/cni/urandom
rm -rf "$target/urandom-module"
"$jdk/bin/javac" --release 25 -d "$target/urandom-module" "$src/urandom/module-info.java" \
  "$urandom/UrandomProvider.java" "$urandom/StderrLoggerFinder.java"

# jlink takes seconds: reuse the runtime while the JDK and the provider module are the same.
stamp="$target/jlink-runtime/.jdk-release"
cat "$jdk/release" "$src/urandom/module-info.java" "$urandom/UrandomProvider.java" "$urandom/StderrLoggerFinder.java" \
  >"$target/jlink-runtime.stamp"
if [ ! -f "$stamp" ] || ! cmp -s "$target/jlink-runtime.stamp" "$stamp"; then
  rm -rf "$target/jlink-runtime"
  # jdeps: the plugin and protocol need java.base only; jlink fails loudly if that changes.
  "$jdk/bin/jlink" --module-path "$target/urandom-module" --add-modules java.base,io.vpcipam.urandom \
    --strip-debug --no-header-files --no-man-pages --output "$target/jlink-runtime"
  cp "$target/jlink-runtime.stamp" "$stamp"
fi
cp -a "$target/jlink-runtime" "$d/runtime"
rm -f "$d/runtime/.jdk-release"
# java.security without its comments and with the plugin's /dev/urandom provider first (RuntimeSecurity
# says why: ~18 ms of every plugin start), then checked by the runtime itself.
"$jdk/bin/java" -cp "$target/classes" io.vpcipam.cni.RuntimeSecurity "$d/runtime/conf/security/java.security"
"$d/runtime/bin/java" -cp "$d/lib/cni-shim.jar" io.vpcipam.cni.RuntimeSecurity --check

cp "$src/vpc-ipam.sh" "$dist/vpc-ipam"
cp "$src/install.sh" "$dist/install.sh"
chmod 755 "$dist/vpc-ipam" "$dist/install.sh"

# AOT training with the same JVM flags the launcher uses (the cache is only used with matching flags), on
# the real ADD/CHECK/DEL paths (AotTraining) against a scripted ipamd in a JVM of its own. The real `ip` runs
# only inside a private network namespace (unshare -rn: root or an unprivileged user namespace) with a pod
# netns of its own; where that is not possible the calls run with an ip that only reads.
train=$target/aot-training
rm -rf "$train"
mkdir -p "$train"
log=$target/aot-training.log
"$jdk/bin/java" -cp "$target/classes:$d/lib/protocol.jar" \
  io.vpcipam.cni.ScriptedIpamd "$train/ipamd.sock" >"$target/training-ipamd.log" 2>&1 &
ipamd=$!
trap 'kill $ipamd 2>/dev/null || true' EXIT
i=0
until [ -S "$train/ipamd.sock" ]; do
  kill -0 $ipamd 2>/dev/null || { cat "$target/training-ipamd.log" >&2; echo "training ipamd failed" >&2; exit 1; }
  i=$((i + 1)); [ $i -lt 600 ] || { echo "training ipamd did not start in 60 s" >&2; exit 1; }
  sleep 0.1
done
if command -v unshare >/dev/null && command -v ip >/dev/null && unshare -rn true 2>/dev/null; then
  echo "AOT training: real ip in a private netns" >"$log"
  VPC_IPAM_TRAINING_IN_PRIVATE_NETNS=1 unshare -rn sh -c '
    set -e
    ip link set lo up
    unshare -n sleep 300 & pod=$!
    i=0
    while [ "$(readlink /proc/$pod/ns/net 2>/dev/null)" = "$(readlink /proc/self/ns/net)" ]; do
      i=$((i + 1)); [ $i -lt 200 ] || { echo "no pod netns" >&2; exit 1; }; sleep 0.05
    done
    rc=0
    "$1" --aot-train "$2" "$3" "$4" /proc/$pod/ns/net || rc=$?
    kill $pod
    exit $rc' sh "$dist/vpc-ipam" "$d/vpc-ipam.aot" "$train/calls" "$train/ipamd.sock" >>"$log" 2>&1 || {
      cat "$log" >&2; echo "AOT training failed" >&2; exit 1; }
else
  echo "AOT training: no private netns here (unshare -rn), ip only reads" >"$log"
  "$dist/vpc-ipam" --aot-train "$d/vpc-ipam.aot" "$train/calls" "$train/ipamd.sock" - >>"$log" 2>&1 || {
    cat "$log" >&2; echo "AOT training failed" >&2; exit 1; }
fi
kill $ipamd 2>/dev/null || true
wait $ipamd 2>/dev/null || true
trap - EXIT
rm -rf "$train"
head -1 "$log"
test -s "$d/vpc-ipam.aot"
# The cache must map with the launcher's class path: a mismatch only warns on stderr at every call (and costs
# the whole cache), so a plugin whose VERSION says anything on stderr is not shipped.
version_err=$(CNI_COMMAND=VERSION "$dist/vpc-ipam" </dev/null 2>&1 >/dev/null) || { echo "$version_err" >&2; echo "VERSION failed" >&2; exit 1; }
[ -z "$version_err" ] || { echo "$version_err" >&2; echo "the plugin does not start cleanly on its AOT cache" >&2; exit 1; }
echo "built $dist ($(du -sh "$dist" | cut -f1))"
