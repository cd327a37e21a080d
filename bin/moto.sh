# Sourced by .ci/run: starts moto_server (EC2 emulator) on a free loopback port and exports
# IPAMD_TEST_EC2_ENDPOINT. Uses a moto_server on PATH, else one in .venv/ (installed on first use).
start_moto() {
  local moto
  moto=$(command -v moto_server || true)
  if [ -z "$moto" ]; then
    if [ ! -x .venv/bin/moto_server ]; then
      python3 -m venv .venv && .venv/bin/pip install -q 'moto[server]==5.1.*' || {
        echo "error: moto_server is not installed and could not be installed into .venv" >&2; return 1; }
    fi
    moto=.venv/bin/moto_server
  fi
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  mkdir -p target
  "$moto" -H 127.0.0.1 -p "$port" >target/moto.log 2>&1 &
  MOTO_PID=$!
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$port/moto-api/" 2>/dev/null; then
      export IPAMD_TEST_EC2_ENDPOINT="http://127.0.0.1:$port"
      echo "moto_server on $IPAMD_TEST_EC2_ENDPOINT"
      return 0
    fi
    kill -0 "$MOTO_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "error: moto_server did not start; its log:" >&2
  cat target/moto.log >&2
  return 1
}

stop_moto() {
  [ -n "${MOTO_PID:-}" ] && kill "$MOTO_PID" 2>/dev/null || true
}
