#!/usr/bin/env bash
# Two builds of Moat in mode (a) side by side under the same load, for a before/after of CPU per
# request on a machine whose load moves: both JVMs, the nginx upstream they share and their two wrk
# clients run at the same time (servers on core SERVER_CPU, both wrk on core LOAD_CPU), so whatever
# else the machine does falls on both alike. Per measured round and build: process CPU (utime+stime
# from /proc) per request, its user part, the event loop thread's CPU per request
# (/proc/PID/task/TID/stat), the JIT's (jcmd Thread.print -e), and bytes allocated per request.
# The two wrk clients start in turn first (odd rounds B's); a place's own advantage is still worth
# checking by running again with the jars swapped (it was about 0.4 us per request on 2026-11-28).
#
#   MOAT_JAR_A=/tmp/before.jar MOAT_JAR_B=/tmp/after.jar benchmarks/profiles/pair.sh
#   ROUNDS=6 ROUND_SECONDS=15 WARMUP_SECONDS=60 PORT_BASE=18950 ... pair.sh
#   MOAT_JAR_A=x.jar MOAT_JAR_B=x.jar MOAT_JAVA_OPTS_B="... -XX:+UseSerialGC" pair.sh   # JVM options, same build
# Ports PORT_BASE..PORT_BASE+4; every process it starts is stopped on exit by PID.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
load="$repo/benchmarks/load"
ROUNDS="${ROUNDS:-5}"
ROUND_SECONDS="${ROUND_SECONDS:-15}"
WARMUP_SECONDS="${WARMUP_SECONDS:-60}"
CONNECTIONS="${CONNECTIONS:-64}"
SERVER_CPU="${SERVER_CPU:-0}"
LOAD_CPU="${LOAD_CPU:-1}"
MOAT_JAVA_OPTS="${MOAT_JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseParallelGC -Dmoat.access.level=OFF}"
MOAT_JAVA_OPTS_A="${MOAT_JAVA_OPTS_A:-$MOAT_JAVA_OPTS}"   # per place: compares JVM options on one build
MOAT_JAVA_OPTS_B="${MOAT_JAVA_OPTS_B:-$MOAT_JAVA_OPTS}"
PORT_BASE="${PORT_BASE:-18950}"
: "${MOAT_JAR_A:?set MOAT_JAR_A}" "${MOAT_JAR_B:?set MOAT_JAR_B}"
P_UP=$PORT_BASE
PATH_PREDICT="/v1/models/digits:predict"
ROW='[0.0112,0.0034,0.0251,0.8123,0.0017,0.0652,0.0009,0.0143,0.0488,0.0171]'
ANSWER="{\"predictions\":[$ROW,$ROW,$ROW,$ROW,$ROW,$ROW]}"
log() { printf '[pair %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
for p in $(seq "$PORT_BASE" $((PORT_BASE + 4))); do
  ss -ltnH | awk '{print $4}' | grep -Eq "[:.]$p\$" && die "port $p is already listening"
done
tmp="$(mktemp -d /tmp/moat-pair.XXXXXX)"
PIDS=()
cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ $rc -ne 0 ]]; then log "kept $tmp"; else rm -rf "$tmp"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$tmp/up"
cat >"$tmp/up/nginx.conf" <<CONF
worker_processes 1;
pid $tmp/up/nginx.pid;
error_log $tmp/up/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $tmp/up/cb; proxy_temp_path $tmp/up/p; fastcgi_temp_path $tmp/up/f;
  uwsgi_temp_path $tmp/up/u; scgi_temp_path $tmp/up/s;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$P_UP backlog=4096;
    location / { default_type application/json; return 200 '$ANSWER'; }
  }
}
CONF
taskset -c "$SERVER_CPU" nginx -p "$tmp/up/" -e "$tmp/up/error.log" -c "$tmp/up/nginx.conf" -g 'daemon off;' &
PIDS+=($!)

declare -A PID PORT
start_moat() {   # $1 = A|B, $2 = jar, $3 = port, $4 = admin port
  mkdir -p "$tmp/$1"
  local opts=MOAT_JAVA_OPTS_$1
  # shellcheck disable=SC2086
  (cd "$tmp/$1" && MOAT_LOAD_TMP="$tmp/$1" MOAT_LOAD_UPSTREAM="http://127.0.0.1:$P_UP" \
    MOAT_LOAD_PORT="$3" MOAT_LOAD_ADMIN_PORT="$4" \
    exec taskset -c "$SERVER_CPU" java ${!opts} -jar "$2" run --config "$load/moat-a.yaml") \
    >"$tmp/moat-$1.log" 2>&1 &
  PID[$1]=$!
  PORT[$1]=$3
  PIDS+=("${PID[$1]}")
}
start_moat A "$MOAT_JAR_A" $((PORT_BASE + 1)) $((PORT_BASE + 2))
start_moat B "$MOAT_JAR_B" $((PORT_BASE + 3)) $((PORT_BASE + 4))
for s in A B; do
  for i in $(seq 1 120); do
    code="$(curl -s -m 2 -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer moat-load-secret-00' \
      --data '{"instances": [[1, 2]]}' "http://127.0.0.1:${PORT[$s]}$PATH_PREDICT" || true)"
    [[ "$code" == 200 ]] && break
    sleep 0.5
  done
  [[ "$code" == 200 ]] || die "moat $s did not answer 200 (last $code)"
done
wrk_run() {   # $1 = port, $2 = seconds, $3 = output file
  timeout $(( $2 + 30 )) taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$2s" --timeout 10s \
    -s "$load/load.lua" "http://127.0.0.1:$1$PATH_PREDICT" | grep '^MOAT_LOAD' >"$3" || true
}
both() {   # $1 = seconds, $2 = tag, $3 = 1: start B's wrk first (alternated per round: the first started gains a little)
  local a b
  if [[ "${3:-0}" == 1 ]]; then
    wrk_run "${PORT[B]}" "$1" "$tmp/wrk-B-$2" & b=$!
    wrk_run "${PORT[A]}" "$1" "$tmp/wrk-A-$2" & a=$!
  else
    wrk_run "${PORT[A]}" "$1" "$tmp/wrk-A-$2" & a=$!
    wrk_run "${PORT[B]}" "$1" "$tmp/wrk-B-$2" & b=$!
  fi
  wait $a $b
}
ticks() { awk '{sub(/^.*\) /, ""); print $12 + $13, $12}' "$1"; }
loop_tid() {   # the busiest event-loop thread (the boss and admin loops share the name's prefix)
  local t best="" most=-1 n
  for t in $(grep -l '^multiThreadIoEv' /proc/"$1"/task/*/comm 2>/dev/null | xargs -r -n1 dirname); do
    n="$(awk '{sub(/^.*\) /, ""); print $12 + $13}' "$t/stat")"
    if (( n > most )); then most=$n; best="$(basename "$t")"; fi
  done
  echo "$best"
}
jit_ms() { jcmd "$1" Thread.print -e 2>/dev/null | grep -E '^"C[12] Compiler' | grep -o 'cpu=[0-9.]*ms' | tr -d 'cpums=' | awk '{s += $1} END {printf "%.0f", s}'; }
allocated() {
  jcmd "$1" Thread.print -e 2>/dev/null | grep -o 'allocated=[0-9.]*[BKMG]\?' | awk -F= '
    { v = $2; u = substr(v, length(v)); n = v + 0
      if (u == "K") n *= 1024; else if (u == "M") n *= 1048576; else if (u == "G") n *= 1073741824
      s += n }
    END { printf "%.0f", s }'
}
log "warm-up ${WARMUP_SECONDS}s, both at once"
both "$WARMUP_SECONDS" warm
hz="$(getconf CLK_TCK)"
for r in $(seq 1 "$ROUNDS"); do
  declare -A T0 U0 L0 J0 A0 TID
  for s in A B; do
    TID[$s]="$(loop_tid "${PID[$s]}")"
    read -r T0[$s] U0[$s] <<<"$(ticks /proc/"${PID[$s]}"/stat)"
    read -r L0[$s] _ <<<"$(ticks /proc/"${PID[$s]}"/task/"${TID[$s]}"/stat)"
    J0[$s]="$(jit_ms "${PID[$s]}")"; A0[$s]="$(allocated "${PID[$s]}")"
  done
  both "$ROUND_SECONDS" "r$r" $((r % 2))
  for s in A B; do
    read -r t1 u1 <<<"$(ticks /proc/"${PID[$s]}"/stat)"
    read -r l1 _ <<<"$(ticks /proc/"${PID[$s]}"/task/"${TID[$s]}"/stat)"
    j1="$(jit_ms "${PID[$s]}")"; a1="$(allocated "${PID[$s]}")"
    n="$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' "$tmp/wrk-$s-r$r")"
    jar=MOAT_JAR_$s
    awk -v s="$s" -v jar="$(basename "${!jar}")" -v r="$r" -v n="$n" -v hz="$hz" -v t=$((t1 - T0[$s])) -v u=$((u1 - U0[$s])) \
      -v l=$((l1 - L0[$s])) -v j=$((j1 - J0[$s])) -v a=$((a1 - A0[$s])) -v load="$(cut -d' ' -f1-3 /proc/loadavg)" \
      'BEGIN { printf "round=%d build=%s jar=%s requests=%d cpu_us_per_req=%.2f user_us_per_req=%.2f eventloop_us_per_req=%.2f jit_us_per_req=%.2f bytes_per_req=%.0f load=%s\n",
               r, s, jar, n, t / hz * 1e6 / n, u / hz * 1e6 / n, l / hz * 1e6 / n, j * 1000 / n, a / n, load }'
  done
done
