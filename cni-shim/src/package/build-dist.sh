#!/bin/sh
# Builds the installable plugin into target/cni/ (DESIGN.md's stable entry point), run by Maven at `package`:
#   vpc-ipam            the launcher (the plugin `type`), a POSIX sh script that execs the bundled JVM
#   vpc-ipam.d/runtime  a jlink'ed java.base-only runtime: no JVM needs to be on the node
#   vpc-ipam.d/lib      the plugin jar, protocol and jackson-jr (nothing else)
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

# jlink takes seconds: reuse the runtime while the JDK is the same one.
stamp="$target/jlink-runtime/.jdk-release"
if [ ! -f "$stamp" ] || ! cmp -s "$jdk/release" "$stamp"; then
  rm -rf "$target/jlink-runtime"
  # jdeps: the plugin, protocol and jackson-jr need java.base only; jlink fails loudly if that changes.
  "$jdk/bin/jlink" --add-modules java.base --strip-debug --no-header-files --no-man-pages \
    --output "$target/jlink-runtime"
  cp "$jdk/release" "$stamp"
fi
cp -a "$target/jlink-runtime" "$d/runtime"
rm -f "$d/runtime/.jdk-release"

cp "$src/vpc-ipam.sh" "$dist/vpc-ipam"
cp "$src/install.sh" "$dist/install.sh"
chmod 755 "$dist/vpc-ipam" "$dist/install.sh"

# AOT training with the same JVM flags the launcher uses (the cache is only used with matching flags).
train=$target/aot-training
rm -rf "$train"
"$dist/vpc-ipam" --aot-train "$d/vpc-ipam.aot" "$train" >"$target/aot-training.log" 2>&1 || {
    cat "$target/aot-training.log" >&2; echo "AOT training failed" >&2; exit 1; }
rm -rf "$train"
test -s "$d/vpc-ipam.aot"
echo "built $dist ($(du -sh "$dist" | cut -f1))"
