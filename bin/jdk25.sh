# Sourced by .ci/run and ./demo: finds a JDK 25 (Temurin under /usr/lib/jvm first) and exports JAVA_HOME.
# The machine's default java may be 17; vpc-ipam needs 25.
find_jdk25() {
  local candidate
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk-arm64 \
                   /usr/lib/jvm/temurin-25* /usr/lib/jvm/java-25-openjdk* /usr/lib/jvm/jdk-25*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
    if "$candidate/bin/java" -version 2>&1 | head -1 | grep -qE '"25(\.|")'; then
      export JAVA_HOME="$candidate"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  echo "error: vpc-ipam needs JDK 25 (Temurin) but none was found under /usr/lib/jvm." >&2
  echo "       Install temurin-25-jdk (https://adoptium.net) or set JAVA_HOME to a JDK 25." >&2
  return 1
}
