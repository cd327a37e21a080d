#!/bin/sh
# vpc-ipam CNI plugin launcher. Runs the bundled JVM with the AOT cache made at build time.
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
# JVM log lines go to stderr, never stdout: stdout is the CNI result.
case $0 in
  */*) d=${0%/*}/vpc-ipam.d ;;
  *) d=./vpc-ipam.d ;;
esac
l=$d/lib
main=io.vpcipam.cni.Main
aot=-XX:AOTCache=$d/vpc-ipam.aot
# Runtimes call a CNI plugin without arguments; only the build passes these, to train the cache.
if [ "${1:-}" = --aot-train ]; then
  aot=-XX:AOTCacheOutput=$2
  main=io.vpcipam.cni.AotTraining
  shift 2
fi
exec "$d/runtime/bin/java" "$aot" -Xlog:disable -Xlog:all=warning:stderr \
  -XX:+UseSerialGC -Xint -XX:-UsePerfData -Xmx64m -Xss512k \
  -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0 -Djdk.reflect.useNativeAccessorOnly=true \
  -Djava.nio.channels.spi.SelectorProvider=sun.nio.ch.EPollSelectorProvider \
  -cp "$l/cni-shim.jar:$l/protocol.jar:$l/jackson-jr-objects.jar:$l/jackson-core.jar" \
  "$main" "$@"
