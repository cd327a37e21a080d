#!/bin/sh
# vpc-ipam CNI plugin launcher. Runs the bundled JVM with the AOT cache beside it (made at build time, or by
# install.sh on the node).
# Flags, each for start-up time of a process that lives ~50 ms: one GC thread (Serial), the
# interpreter only (-Xint: with the hand-written JSON path nothing runs long enough to repay C1's
# compilations; an ADD+DEL cycle took 30% less CPU and 1.4x less time than with C1 on a loaded 2-core
# machine, by perf stat and hyperfine; CHECK and GC parse ip's JSON interpreted), no hsperfdata
# file in /tmp, a small heap, and the JDK's default posix_spawn (through jspawnhelper) for `ip`: FORK
# copies the JVM's page tables, and measured in a fresh JVM with these flags the first ProcessBuilder.start
# took 16-23 ms with FORK against 12-14 ms with posix_spawn, the next ones 4-5 ms against 2-3 ms
# (chrt -f 50, load ~20 on 2 cores). ArchiveRelocationMode=0 maps the AOT cache at its build-time address
# instead of relocating every pointer in it (36-60 ms per start on a loaded 2-core machine, measured
# with -Xlog:aot; JDK 25 relocates by default for address randomisation, which buys little for a
# root process that lives 50 ms and reads only its runtime's input). useNativeAccessorOnly: the JDK's
# Unix-domain socket support creates a SecureRandom through reflection at class init, and the default
# reflection generates method-handle classes (ClassFile API) for that one call in every process.
# The SelectorProvider named (Linux's default, the one the JDK picks anyway): without it the first socket
# asks ServiceLoader, which opens and scans every jar on the class path for a provider file (~4 ms
# interpreted, with the SecureRandom provider of the runtime's java.security: RuntimeSecurity).
# The plugin's jars go on the boot class path (-Xbootclasspath/a), not -cp: the AOT cache loads every class it
# holds at JVM start, and an application-loader class costs Java code run interpreted (its loader's bookkeeping,
# protection domain and package) where a boot one is the VM's own work. Measured with -Xlog:startuptime, the
# JVM's creation took ~40 ms against ~50 with -cp, and VERSION 52.8 ± 5.4 against 61.5 ± 6.4 ms (hyperfine,
# chrt -f 50, 2 cores). Nothing in the plugin asks for its class loader; the JDK's own code on these paths
# (ServiceLoader, the JCA) finds the boot class path through the application loader as before.
# JVM log lines go to stderr, never stdout: stdout is the CNI result.
case $0 in
  */*) d=${0%/*}/vpc-ipam.d ;;
  *) d=./vpc-ipam.d ;;
esac
l=$d/lib
run=exec
jvm() { # the JVM with the plugin's flags; then AOT options, the main class and its arguments
  $run "$d/runtime/bin/java" -Xlog:disable -Xlog:all=warning:stderr \
    -XX:+UseSerialGC -Xint -XX:-UsePerfData -Xmx64m -Xss512k \
    -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0 -Djdk.reflect.useNativeAccessorOnly=true \
    -Djava.nio.channels.spi.SelectorProvider=sun.nio.ch.EPollSelectorProvider \
    -Xbootclasspath/a:"$l/cni-shim.jar:$l/protocol.jar" "$@"
}
# Runtimes call a CNI plugin without arguments; only the build and install.sh pass these, to train the cache:
# --aot-train CACHE AotTraining's arguments. Two steps, not -XX:AOTCacheOutput's one: the training JVM has exited
# before the cache is assembled, so a node's install step needs the memory of one JVM at a time, not two.
if [ "${1:-}" = --aot-train ]; then
  run=
  cache=$2
  shift 2
  jvm -XX:AOTMode=record -XX:AOTConfiguration="$cache.config" io.vpcipam.cni.AotTraining "$@" &&
    jvm -XX:AOTMode=create -XX:AOTConfiguration="$cache.config" -XX:AOTCache="$cache"
  rc=$?
  rm -f "$cache.config"
  exit $rc
fi
# install.sh makes the cache on the node when the package carries none; without it the JVM must not try one (it
# would say so on stderr at every call)
if [ -f "$d/vpc-ipam.aot" ]; then
  jvm -XX:AOTCache="$d/vpc-ipam.aot" io.vpcipam.cni.Main "$@"
fi
jvm -XX:AOTMode=off io.vpcipam.cni.Main "$@"
