#!/usr/bin/env bash
# Moat load benchmark, loopback only. Starts a tiny nginx upstream that answers a fixed classifier
# JSON, nginx as a plain keep-alive reverse proxy to it, and Moat in two modes (a: auth + limits +
# metrics, body streamed; b: the full example policy, every answer parsed), then drives all four
# targets with wrk in interleaved rounds. Prints a markdown table and writes it, with the per-round
# numbers, the command and the machine, to benchmarks/load/results/<date>.md.
#
#   benchmarks/load/run.sh                       # ~3.5 minutes with the defaults below
#   ROUNDS=7 ROUND_SECONDS=10 benchmarks/load/run.sh
#   REDIS=1 benchmarks/load/run.sh               # adds moat-r: mode (a) with its buckets in Redis
#   TRACED=1 benchmarks/load/run.sh              # adds moat-a-traced: moat-a with OTLP tracing on
#   DETECTION_CPU=2 benchmarks/load/run.sh       # 3+ cores: mode b's detection workers on core 2
#
# Ports (fixed; the script refuses to start when any is already listening):
#   18080 upstream (nginx, "direct")   18081 nginx reverse proxy   18086 nginx with a JSON access log
#   18087 haproxy (when installed)
#   18082 moat-a   18083 moat-a admin  18084 moat-b   18085 moat-b admin   (tuned: log off, MOAT_JAVA_OPTS)
#   18088 moat-a-default  18089 admin  18096 moat-b-default  18097 admin  (./moat run as a user gets it:
#         the launcher's default JVM options, the access log on in JSON)
# UPDATE_README=1 also rewrites the table between the perf-table markers in README.md.
#   with REDIS=1: 18098 redis-server   18099 moat-r   18100 moat-r admin
#   with TRACED=1: 18101 moat-a-traced   18102 its admin
# Every process it starts is stopped on exit (by PID); nginx configs and logs live in a temp dir
# that is removed at the end (KEEP_TMP=1 keeps it).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

ROUNDS="${ROUNDS:-5}"                        # interleaved rounds (>= 1; 5+ for a report)
ROUND_SECONDS="${ROUND_SECONDS:-5}"          # measured load per target per round
CONNECTIONS="${CONNECTIONS:-64}"             # wrk connections (one wrk thread)
WARMUP_JVM_SECONDS="${WARMUP_JVM_SECONDS:-30}"   # once per Moat target, before round 1 (10 s left rounds 1-2 cold)
WARMUP_ROUND_JVM_SECONDS="${WARMUP_ROUND_JVM_SECONDS:-2}"     # before each Moat measurement
WARMUP_ROUND_NGINX_SECONDS="${WARMUP_ROUND_NGINX_SECONDS:-1}" # before each nginx/direct one
UNLOADED_SECONDS="${UNLOADED_SECONDS:-2}"    # wrk -c1 -t1 per target per round
SERVER_CPU="${SERVER_CPU:-0}"                # taskset core for all servers
LOAD_CPU="${LOAD_CPU:-1}"                    # taskset core for wrk
DETECTION_CPU="${DETECTION_CPU:-}"           # a third core: mode b's detection workers (moat-detector-*) pinned there
MOAT_JAVA_OPTS="${MOAT_JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseParallelGC -Dmoat.access.level=OFF}"
MOAT_A_EXTRA_JAVA_OPTS="${MOAT_A_EXTRA_JAVA_OPTS:-}"   # e.g. a JFR recording for mode (a) only
MOAT_B_EXTRA_JAVA_OPTS="${MOAT_B_EXTRA_JAVA_OPTS:-}"   # e.g. a JFR recording for mode (b) only
QUIET_WAIT_SECONDS="${QUIET_WAIT_SECONDS:-0}"  # >0: before each measurement wait (at most this long)
QUIET_MAX_OTHER_PCT="${QUIET_MAX_OTHER_PCT:-25}" # until other processes use < this % of a core
TRACED="${TRACED:-0}"                        # 1: also moat-a with tracing on (spans to the upstream nginx)
RESULTS_FILE="${RESULTS_FILE:-$here/results/$(date -u +%Y-%m-%d).md}"
REDIS="${REDIS:-0}"                          # 1: also moat-r (buckets in a local redis-server)

P_UP=18080; P_NGX=18081; P_A=18082; P_A_ADMIN=18083; P_B=18084; P_B_ADMIN=18085
P_NGX_LOG=18086; P_HAP=18087; P_AD=18088; P_AD_ADMIN=18089; P_BD=18096; P_BD_ADMIN=18097
PORTS=($P_UP $P_NGX $P_A $P_A_ADMIN $P_B $P_B_ADMIN $P_NGX_LOG $P_HAP $P_AD $P_AD_ADMIN $P_BD $P_BD_ADMIN)
HAVE_HAPROXY=0; command -v haproxy >/dev/null && HAVE_HAPROXY=1
if [[ -n "${TARGETS_LIST:-}" ]]; then
  read -r -a TARGETS <<<"$TARGETS_LIST"
else
  TARGETS=(direct nginx nginx-log)
  (( HAVE_HAPROXY )) && TARGETS+=(haproxy)
  TARGETS+=(moat-a moat-a-default moat-b moat-b-default)
fi
has_target() { local t; for t in "${TARGETS[@]}"; do [[ "$t" == "$1" ]] && return 0; done; return 1; }
P_REDIS=18098; P_R=18099; P_R_ADMIN=18100
if [[ "$REDIS" == 1 ]]; then PORTS+=($P_REDIS $P_R $P_R_ADMIN); TARGETS+=(moat-r); fi
P_T=18101; P_T_ADMIN=18102
if [[ "$TRACED" == 1 ]]; then PORTS+=($P_T $P_T_ADMIN); TARGETS+=(moat-a-traced); fi
PATH_PREDICT="/v1/models/digits:predict"
# The upstream's fixed answer: six rows of 10 class probabilities (each sums to 1), one per instance
# of the six-row request, so mode (b)'s detectors see every query (they need one answer row per
# input row; before 2026-11-28 the answer had one row and the detectors never ran).
ROW='[0.0112,0.0034,0.0251,0.8123,0.0017,0.0652,0.0009,0.0143,0.0488,0.0171]'
ANSWER="{\"predictions\":[$ROW,$ROW,$ROW,$ROW,$ROW,$ROW]}"

log() { printf '[load %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- preflight
for tool in nginx wrk taskset ss java curl awk; do
  command -v "$tool" >/dev/null || die "$tool not found (Debian: apt-get install -y nginx wrk curl default-jre-headless)"
done
if [[ "$REDIS" == 1 ]]; then command -v redis-server >/dev/null || die "redis-server not found (Debian: apt-get install -y redis-server)"; fi
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
[[ "$ROUND_SECONDS" =~ ^[1-9][0-9]*$ ]] || die "ROUND_SECONDS must be a positive integer"
ncpu="$(nproc)"
(( ncpu >= 2 )) || die "needs at least 2 cores (servers on core $SERVER_CPU, wrk on core $LOAD_CPU); nproc=$ncpu"
if [[ -n "$DETECTION_CPU" ]]; then
  [[ "$DETECTION_CPU" =~ ^[0-9]+$ ]] || die "DETECTION_CPU must be a core number"
  (( DETECTION_CPU < ncpu )) || die "DETECTION_CPU=$DETECTION_CPU but this machine has $ncpu cores (0..$((ncpu - 1)))"
  [[ "$DETECTION_CPU" != "$SERVER_CPU" && "$DETECTION_CPU" != "$LOAD_CPU" ]] \
    || die "DETECTION_CPU must be a core of its own (servers on $SERVER_CPU, wrk on $LOAD_CPU); a 2-core machine has none to give"
fi
listening="$(ss -ltnH 2>/dev/null | awk '{print $4}')"
for p in "${PORTS[@]}"; do
  if grep -Eq "[:.]$p\$" <<<"$listening"; then die "port $p is already listening (ss -ltn); stop that first"; fi
done

jar="$repo/gateway-core/target/moat.jar"
log "building/checking the gateway jar ($jar)"
"$repo/moat" --help >/dev/null || die "could not build the gateway jar"
"$repo/moat" validate --config "$here/moat-a.yaml" >/dev/null || die "moat-a.yaml does not validate"
"$repo/moat" validate --config "$here/moat-b.yaml" >/dev/null || die "moat-b.yaml does not validate"
"$repo/moat" validate --config "$here/moat-r.yaml" >/dev/null || die "moat-r.yaml does not validate"
"$repo/moat" validate --config "$here/moat-a-traced.yaml" >/dev/null || die "moat-a-traced.yaml does not validate"

tmp="$(mktemp -d /tmp/moat-load.XXXXXX)"
PIDS=()          # every server process we started (nginx masters, java)
cleanup() {
  local rc=$? pid i
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for i in $(seq 1 50); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    (( alive )) || break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ "${KEEP_TMP:-0}" == 1 || $rc -ne 0 ]]; then log "logs kept in $tmp"; else rm -rf "$tmp"; fi
  exit $rc
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------- servers
nginx_common() {   # $1 = dir
  cat <<EOF
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $1/client_body;
  proxy_temp_path $1/proxy;
  fastcgi_temp_path $1/fastcgi;
  uwsgi_temp_path $1/uwsgi;
  scgi_temp_path $1/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 75s;
EOF
}

mkdir -p "$tmp/up" "$tmp/ngx" "$tmp/wrk"
{ nginx_common "$tmp/up"; cat <<EOF
  server {
    listen 127.0.0.1:$P_UP backlog=4096;
    location = /v1/traces {          # OTLP/HTTP sink for moat-a-traced: an empty success
      default_type application/x-protobuf;
      return 200 '';
    }
    location / {
      default_type application/json;
      return 200 '$ANSWER';
    }
  }
}
EOF
} > "$tmp/up/nginx.conf"
{ nginx_common "$tmp/ngx"; cat <<EOF
  upstream model {
    server 127.0.0.1:$P_UP;
    keepalive 64;
    keepalive_requests 100000000;
  }
  server {
    listen 127.0.0.1:$P_NGX backlog=4096;
    client_max_body_size 1m;
    location / {
      proxy_pass http://model;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
} > "$tmp/ngx/nginx.conf"
# nginx-log: the same proxy writing a JSON access line per request (the fields of Moat's JSON line),
# unbuffered like Moat's (one write per line), to a file in the temp dir.
mkdir -p "$tmp/ngxlog"
{ nginx_common "$tmp/ngxlog"; cat <<EOF
  log_format moatjson escape=json '{"time":"\$time_iso8601","request_id":"\$request_id","method":"\$request_method","path":"\$uri","status":\$status,"bytes_in":\$request_length,"bytes_out":\$bytes_sent,"upstream_ms":"\$upstream_response_time","total_ms":"\$request_time"}';
  upstream model {
    server 127.0.0.1:$P_UP;
    keepalive 64;
    keepalive_requests 100000000;
  }
  server {
    listen 127.0.0.1:$P_NGX_LOG backlog=4096;
    client_max_body_size 1m;
    access_log $tmp/ngxlog/access.json moatjson;
    location / {
      proxy_pass http://model;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
} > "$tmp/ngxlog/nginx.conf"
# haproxy: a second reference proxy (one thread, keep-alive to the upstream, no logging).
cat >"$tmp/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  http-reuse always
frontend fe
  bind 127.0.0.1:$P_HAP
  default_backend model
backend model
  server up 127.0.0.1:$P_UP maxconn 64
EOF

start_nginx() {   # $1 = dir; the master's PID is left in $!
  taskset -c "$SERVER_CPU" nginx -p "$1/" -e "$1/error.log" -c "$1/nginx.conf" -g 'daemon off;' \
    >"$1/stdout.log" 2>&1 &
}
start_moat() {    # $1 = config, $2 = log, $3 = extra java opts; the java PID is left in $!
  # shellcheck disable=SC2086
  (cd "$tmp" && MOAT_LOAD_TMP="$tmp" MOAT_LOAD_UPSTREAM="http://127.0.0.1:$P_UP" \
    exec taskset -c "$SERVER_CPU" java $MOAT_JAVA_OPTS $3 -jar "$jar" run --config "$1") >"$2" 2>&1 &
}
start_moat_default() {   # $1 = config, $2 = log, $3 = port, $4 = admin port: ./moat run, its default JVM options, access log on
  (cd "$tmp" && unset MOAT_JAVA_OPTS && MOAT_LOAD_TMP="$tmp" MOAT_LOAD_UPSTREAM="http://127.0.0.1:$P_UP" \
    MOAT_LOAD_PORT="$3" MOAT_LOAD_ADMIN_PORT="$4" MOAT_LOAD_ACCESS_LOG=true \
    exec taskset -c "$SERVER_CPU" "$repo/moat" run --config "$1") >"$2" 2>&1 &
}

log "temp dir $tmp"
nginx -t -p "$tmp/up/" -e "$tmp/up/error.log" -c "$tmp/up/nginx.conf" >/dev/null 2>&1 || die "upstream nginx.conf: $(nginx -t -p "$tmp/up/" -e "$tmp/up/error.log" -c "$tmp/up/nginx.conf" 2>&1)"
nginx -t -p "$tmp/ngx/" -e "$tmp/ngx/error.log" -c "$tmp/ngx/nginx.conf" >/dev/null 2>&1 || die "proxy nginx.conf: $(nginx -t -p "$tmp/ngx/" -e "$tmp/ngx/error.log" -c "$tmp/ngx/nginx.conf" 2>&1)"
start_nginx "$tmp/up"; PID_UP=$!; PIDS+=("$PID_UP")
start_nginx "$tmp/ngx"; PID_NGX=$!; PIDS+=("$PID_NGX")
PID_NGX_LOG=0; PID_HAP=0; PID_A=0; PID_B=0; PID_AD=0; PID_BD=0
if has_target nginx-log; then
  nginx -t -p "$tmp/ngxlog/" -e "$tmp/ngxlog/error.log" -c "$tmp/ngxlog/nginx.conf" >/dev/null 2>&1 || die "nginx-log nginx.conf: $(nginx -t -p "$tmp/ngxlog/" -e "$tmp/ngxlog/error.log" -c "$tmp/ngxlog/nginx.conf" 2>&1)"
  start_nginx "$tmp/ngxlog"; PID_NGX_LOG=$!; PIDS+=("$PID_NGX_LOG")
fi
if has_target haproxy; then
  haproxy -c -q -f "$tmp/haproxy.cfg" || die "haproxy.cfg does not validate"
  taskset -c "$SERVER_CPU" haproxy -db -f "$tmp/haproxy.cfg" >"$tmp/haproxy.log" 2>&1 & PID_HAP=$!; PIDS+=("$PID_HAP")
fi
if has_target moat-a; then start_moat "$here/moat-a.yaml" "$tmp/moat-a.log" "$MOAT_A_EXTRA_JAVA_OPTS"; PID_A=$!; PIDS+=("$PID_A"); fi
if has_target moat-b; then start_moat "$here/moat-b.yaml" "$tmp/moat-b.log" "$MOAT_B_EXTRA_JAVA_OPTS"; PID_B=$!; PIDS+=("$PID_B"); fi
if has_target moat-a-default; then start_moat_default "$here/moat-a.yaml" "$tmp/moat-a-default.log" $P_AD $P_AD_ADMIN; PID_AD=$!; PIDS+=("$PID_AD"); fi
if has_target moat-b-default; then start_moat_default "$here/moat-b.yaml" "$tmp/moat-b-default.log" $P_BD $P_BD_ADMIN; PID_BD=$!; PIDS+=("$PID_BD"); fi
log "started upstream nginx=$PID_UP proxy nginx=$PID_NGX nginx-log=$PID_NGX_LOG haproxy=$PID_HAP moat-a=$PID_A moat-b=$PID_B moat-a-default=$PID_AD moat-b-default=$PID_BD"

PID_REDIS=""; PID_R=""
if [[ "$REDIS" == 1 ]]; then
  mkdir -p "$tmp/redis"
  taskset -c "$SERVER_CPU" redis-server --port $P_REDIS --bind 127.0.0.1 --save "" --appendonly no \
    --dir "$tmp/redis" >"$tmp/redis/redis.log" 2>&1 &
  PID_REDIS=$!; PIDS+=("$PID_REDIS")
  for i in $(seq 1 50); do redis-cli -p $P_REDIS ping >/dev/null 2>&1 && break; sleep 0.1; done
  start_moat "$here/moat-r.yaml" "$tmp/moat-r.log" "$MOAT_A_EXTRA_JAVA_OPTS"; PID_R=$!; PIDS+=("$PID_R")
  log "started redis-server=$PID_REDIS moat-r java=$PID_R"
fi

PID_T=""
if [[ "$TRACED" == 1 ]]; then
  start_moat "$here/moat-a-traced.yaml" "$tmp/moat-a-traced.log" "$MOAT_A_EXTRA_JAVA_OPTS"; PID_T=$!; PIDS+=("$PID_T")
  log "started moat-a-traced java=$PID_T"
fi

port_of() {
  case "$1" in
    direct) echo $P_UP;; nginx) echo $P_NGX;; nginx-log) echo $P_NGX_LOG;; haproxy) echo $P_HAP;;
    moat-a) echo $P_A;; moat-b) echo $P_B;; moat-a-default) echo $P_AD;; moat-b-default) echo $P_BD;; moat-r) echo $P_R;; moat-a-traced) echo $P_T;;
  esac
}
pids_of() {   # the server process(es) whose CPU counts for a target
  case "$1" in
    direct) echo "$PID_UP" $(pgrep -P "$PID_UP" || true);;
    nginx)  echo "$PID_NGX" $(pgrep -P "$PID_NGX" || true);;
    nginx-log) echo "$PID_NGX_LOG" $(pgrep -P "$PID_NGX_LOG" || true);;
    haproxy) echo "$PID_HAP";;
    moat-a-default) echo "$PID_AD";;
    moat-b-default) echo "$PID_BD";;
    moat-a) echo "$PID_A";;
    moat-b) echo "$PID_B";;
    moat-r) echo "$PID_R" "$PID_REDIS";;   # Redis' CPU counts for the Redis mode
    moat-a-traced) echo "$PID_T";;
  esac
}
ticks() {   # utime+stime clock ticks summed over the given PIDs
  local t=0 p v
  for p in "$@"; do
    v="$(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$p/stat" 2>/dev/null || echo 0)"
    t=$((t + v))
  done
  echo "$t"
}
CLK_TCK="$(getconf CLK_TCK)"
machine_busy() {   # busy clock ticks of the whole machine (all cores): user nice system irq softirq steal
  awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat
}
ours() {   # ticks of everything this script runs: all servers (incl. nginx workers) + reaped children (wrk)
  local all=() p
  for p in "${PIDS[@]}"; do all+=("$p"); done
  all+=($(pgrep -P "$PID_UP" || true) $(pgrep -P "$PID_NGX" || true))
  (( PID_NGX_LOG > 0 )) && all+=($(pgrep -P "$PID_NGX_LOG" || true))
  echo $(( $(ticks "${all[@]}") + $(awk '{sub(/^.*\) /, ""); print $14 + $15}' /proc/$$/stat) ))
}

sample_body='{"instances": [[0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0, 0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0]]}'
probe() {   # $1 = target; prints "<status> <body>"
  curl -s -m 5 -o "$tmp/probe.out" -w '%{http_code}' -H 'Content-Type: application/json' \
    -H 'Authorization: Bearer moat-load-secret-00' --data "$sample_body" \
    "http://127.0.0.1:$(port_of "$1")$PATH_PREDICT" 2>/dev/null || true
  printf ' %s' "$(head -c 300 "$tmp/probe.out" 2>/dev/null || true)"
}
for t in "${TARGETS[@]}"; do
  ok=0
  for i in $(seq 1 120); do   # up to 60 s (JVM start)
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || die "a server exited early (pid $p); see $tmp"; done
    out="$(probe "$t")"
    if [[ "$out" == 200* ]]; then ok=1; break; fi
    sleep 0.5
  done
  (( ok )) || die "$t did not answer 200 within 60 s (last: $out); logs in $tmp"
  log "$t ready: ${out:0:200}"
done
# DETECTION_CPU: move the Moat processes' detection workers (threads named moat-detector-N; the
# policy's detection.workers) to a core of their own, as a many-core host would run them beside the
# event loop. The event loop, GC and everything else stay on SERVER_CPU. CPU per request still
# counts the whole java process (detection included).
DETECTION_PINNED=""
if [[ -n "$DETECTION_CPU" ]]; then
  for p in "$PID_B" "$PID_BD"; do
    (( p > 0 )) || continue
    # both launchers exec java (start_moat, ./moat), so $p is the JVM
    for task in /proc/"$p"/task/*; do
      [[ -r "$task/comm" ]] || continue
      if [[ "$(cat "$task/comm")" == moat-detector* ]]; then
        taskset -p -c "$DETECTION_CPU" "$(basename "$task")" >/dev/null || die "could not pin thread $(basename "$task") to core $DETECTION_CPU"
        DETECTION_PINNED+="$(basename "$task") "
      fi
    done
  done
  [[ -n "$DETECTION_PINNED" ]] || die "DETECTION_CPU set but no moat-detector thread found in the mode b processes"
  log "detection workers pinned to core $DETECTION_CPU: threads $DETECTION_PINNED"
fi
# Does mode (b) really rewrite answers on this build? (It must parse them for that.) Reported.
B_TRANSFORMS="(mode b not run)"
if ! has_target moat-b; then :
elif probe moat-b >/dev/null && cmp -s <(printf %s "$ANSWER") "$tmp/probe.out"; then
  B_TRANSFORMS="no: moat-b returned the upstream answer unchanged (the policy's output transforms are not applied on this build)"
else
  B_TRANSFORMS="yes: $(head -c 200 "$tmp/probe.out")"
fi
log "moat-b rewrites answers: $B_TRANSFORMS"
# Moat must reject an unknown key: proves the auth path is on.
if has_target moat-a; then
  code="$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer nope' --data "$sample_body" "http://127.0.0.1:$P_A$PATH_PREDICT" || true)"
  [[ "$code" == 401 ]] || die "moat-a answered $code (expected 401) to an unknown key"
fi

# ---------------------------------------------------------------- load
run_wrk() {   # $1 = target, $2 = seconds, $3 = connections, $4 = raw output file; prints the MOAT_LOAD line
  local url="http://127.0.0.1:$(port_of "$1")$PATH_PREDICT"
  timeout $(( $2 + 30 )) taskset -c "$LOAD_CPU" wrk -t1 -c"$3" -d"$2s" --timeout 10s --latency \
    -s "$here/load.lua" "$url" >"$4" 2>&1 || true
  grep '^MOAT_LOAD ' "$4" | tail -1 || true
}
other_now() {   # % of one core used over the next second by processes this script did not start
  local m0 o0 m1 o1
  m0="$(machine_busy)"; o0="$(ours)"; sleep 1; m1="$(machine_busy)"; o1="$(ours)"
  echo $(( ((m1 - m0) - (o1 - o0)) * 100 / CLK_TCK ))
}
wait_quiet() {   # bounded: at most QUIET_WAIT_SECONDS
  (( QUIET_WAIT_SECONDS > 0 )) || return 0
  local waited=0 o
  while :; do
    o="$(other_now)"; waited=$((waited + 1))
    (( o < QUIET_MAX_OTHER_PCT )) && return 0
    if (( waited >= QUIET_WAIT_SECONDS )); then log "machine still busy (other CPU ${o}%), measuring anyway"; return 0; fi
    (( waited == 1 )) && log "machine busy (other CPU ${o}% of a core), waiting up to ${QUIET_WAIT_SECONDS}s"
  done
}
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<" $2"; }

if (( WARMUP_JVM_SECONDS > 0 )); then
  for t in "${TARGETS[@]}"; do
    [[ "$t" == moat-* ]] || continue
    log "warm-up $t ${WARMUP_JVM_SECONDS}s"
    run_wrk "$t" "$WARMUP_JVM_SECONDS" "$CONNECTIONS" "$tmp/wrk/warmup-$t.txt" >/dev/null
  done
fi

tsv="$tmp/rounds.tsv"
printf 'round\ttarget\trps\tp50_us\tp99_us\trequests\tcpu_us_per_req\tunloaded_p50_us\terrors\tother_cpu_pct\n' >"$tsv"
ERRORS_SEEN=()
for r in $(seq 1 "$ROUNDS"); do
  for t in "${TARGETS[@]}"; do
    case "$t" in moat-*) w="$WARMUP_ROUND_JVM_SECONDS";; *) w="$WARMUP_ROUND_NGINX_SECONDS";; esac
    wait_quiet
    (( w > 0 )) && run_wrk "$t" "$w" "$CONNECTIONS" "$tmp/wrk/r$r-$t-warmup.txt" >/dev/null
    # shellcheck disable=SC2046
    read -r -a tp <<<"$(pids_of "$t")"
    t0="$(ticks "${tp[@]}")"; m0="$(machine_busy)"; o0="$(ours)"
    line="$(run_wrk "$t" "$ROUND_SECONDS" "$CONNECTIONS" "$tmp/wrk/r$r-$t.txt")"
    t1="$(ticks "${tp[@]}")"; m1="$(machine_busy)"; o1="$(ours)"
    [[ -n "$line" ]] || die "wrk produced no result for $t (round $r): $(tail -5 "$tmp/wrk/r$r-$t.txt")"
    reqs="$(field requests "$line")"; rps="$(field rps "$line")"
    p50="$(field p50_us "$line")"; p99="$(field p99_us "$line")"
    errs=$(( $(field connect "$line") + $(field read "$line") + $(field write "$line") + $(field status "$line") + $(field timeout "$line") ))
    cpu="$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN{ printf "%.1f", (n > 0 ? d / hz * 1e6 / n : 0) }')"
    # CPU used on this machine by anything else during the loaded run (other users, kernel
    # threads, softirq not charged to a process), in % of one core: a noise indicator.
    other="$(awk -v d=$(( (m1 - m0) - (o1 - o0) )) -v hz="$CLK_TCK" -v s="$(field duration_us "$line")" 'BEGIN{ v = d / hz / (s / 1e6) * 100; printf "%.0f", (v < 0 ? 0 : v) }')"
    uline="$(run_wrk "$t" "$UNLOADED_SECONDS" 1 "$tmp/wrk/r$r-$t-unloaded.txt")"
    up50="$(field p50_us "$uline")"
    uerrs=$(( $(field connect "$uline") + $(field read "$uline") + $(field write "$uline") + $(field status "$uline") + $(field timeout "$uline") ))
    errs=$((errs + uerrs))
    if (( errs > 0 )); then
      ERRORS_SEEN+=("round $r $t: $line | unloaded: $uline | $(grep -E 'Non-2xx|Socket errors' "$tmp/wrk/r$r-$t.txt" "$tmp/wrk/r$r-$t-unloaded.txt" | tr '\n' ' ')")
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$t" "$rps" "$p50" "$p99" "$reqs" "$cpu" "$up50" "$errs" "$other" >>"$tsv"
    log "round $r/$ROUNDS $t: ${rps} req/s p50 ${p50}us p99 ${p99}us cpu ${cpu}us/req unloaded p50 ${up50}us errors $errs other-cpu ${other}%"
  done
done
for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || die "a server died during the run (pid $p); logs in $tmp"; done

# What Moat itself counted (outcomes, defence actions, detector alerts, dropped detection events).
moat_counters() {   # $1 = admin port
  curl -s -m 5 "http://127.0.0.1:$1/metrics" 2>/dev/null \
    | grep -E '^moat_(requests_total|actions_total|detector_alerts_total|detection_dropped_total|ratelimit_rejections_total|keys_flagged|redis_)' || true
}
MOAT_A_COUNTERS="$(moat_counters $P_A_ADMIN)"
MOAT_B_COUNTERS="$(moat_counters $P_B_ADMIN)"
MOAT_R_COUNTERS=""
[[ "$REDIS" == 1 ]] && MOAT_R_COUNTERS="$(moat_counters $P_R_ADMIN)"
MOAT_T_COUNTERS=""
[[ "$TRACED" == 1 ]] && MOAT_T_COUNTERS="$(moat_counters $P_T_ADMIN)"

# ---------------------------------------------------------------- report
median() { sort -g | awk '{a[NR]=$1} END{ if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }
col() { awk -F'\t' -v t="$1" -v c="$2" 'NR>1 && $2==t {print $c}' "$tsv"; }
paired() {   # $1 = target, $2 = column, $3 = base target, $4 = op (ratio|diff): per-round values
  awk -F'\t' -v t="$1" -v c="$2" -v b="$3" -v op="$4" '
    NR>1 && $2==t {x[$1]=$c} NR>1 && $2==b {y[$1]=$c}
    END { for (r in x) if (r in y) { if (op == "ratio") { if (y[r] > 0) print x[r]/y[r] } else print x[r]-y[r] } }' "$tsv"
}
table="$tmp/table.md"
{
  echo "| target | req/s (median) | ratio to nginx (median of per-round) | p50 under load | p99 under load | unloaded p50 | added unloaded latency vs direct | CPU µs/request | errors | other CPU on the machine |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for t in "${TARGETS[@]}"; do
    rps="$(col "$t" 3 | median)"; p50="$(col "$t" 4 | median)"; p99="$(col "$t" 5 | median)"
    cpu="$(col "$t" 7 | median)"; up50="$(col "$t" 8 | median)"
    errs="$(col "$t" 9 | awk '{s+=$1} END{print s+0}')"
    other="$(col "$t" 10 | median)"
    ratio="$(paired "$t" 3 nginx ratio | median)"
    added="-"   # without direct among the targets there is nothing to subtract
    if has_target direct; then added="$(paired "$t" 8 direct diff | median | awk '{printf "%+d µs", $1}')"; fi
    awk -v t="$t" -v rps="$rps" -v ratio="$ratio" -v p50="$p50" -v p99="$p99" -v up50="$up50" \
        -v added="$added" -v cpu="$cpu" -v errs="$errs" -v other="$other" 'BEGIN{
      printf "| %s | %.0f | %.2f | %.2f ms | %.2f ms | %d µs | %s | %.1f | %d | %.0f%% |\n",
        t, rps, ratio, p50/1000, p99/1000, up50, added, cpu, errs, other }'
  done
} >"$table"
if [[ "$REDIS" == 1 ]]; then
  {
    echo
    awk -v ratio="$(paired moat-r 3 moat-a ratio | median)" -v added="$(paired moat-r 8 moat-a diff | median)" \
        -v addedload="$(paired moat-r 4 moat-a diff | median)" 'BEGIN{
      printf "Redis mode: moat-r / moat-a throughput %.2f (goal >= 0.8); added unloaded p50 %+d µs, added p50 under load %+d µs (goal <= 150 µs); medians of per-round differences.\n", ratio, added, addedload }'
  } >>"$table"
fi

# The issue-15 goals, each met or missed with its number (medians of the per-round values).
goal_line() {   # $1 = what, $2 = value, $3 = op (ge|le), $4 = bound, $5 = the targets' errors (a run with errors proves nothing)
  awk -v w="$1" -v v="$2" -v op="$3" -v b="$4" -v e="${5:-0}" 'BEGIN{
    if (v == "nan" || v == "") { printf "- %s: not measured\n", w; exit }
    if (e > 0) { printf "- %s: **not valid** (%d errors or non-2xx answers in the run)\n", w, e; exit }
    ok = (op == "ge") ? (v >= b) : (v <= b)
    printf "- %s: **%s** (%.2f; goal %s %.2f)\n", w, ok ? "met" : "missed", v, op == "ge" ? ">=" : "<=", b }'
}
ratio_of() { paired "$1" 3 "$2" ratio | median; }   # median of per-round req/s ratios
errors_of() { local t e=0; for t in "$@"; do e=$((e + $(col "$t" 9 | awk '{s+=$1} END{print s+0}'))); done; echo $e; }
cpu_ratio_of() { paired "$1" 7 "$2" ratio | median; }
p99_ratio_of() { paired "$1" 5 "$2" ratio | median; }
goals="$tmp/goals.md"
{
  if has_target moat-a; then
    goal_line "mode a (log off) throughput vs nginx (log off)" "$(ratio_of moat-a nginx)" ge 1.0 "$(errors_of moat-a nginx)"
    goal_line "mode a (log off) CPU per request vs nginx's" "$(cpu_ratio_of moat-a nginx)" le 1.0 "$(errors_of moat-a nginx)"
    goal_line "mode a (log off) p99 vs nginx's" "$(p99_ratio_of moat-a nginx)" le 1.5 "$(errors_of moat-a nginx)"
  fi
  if has_target moat-a-default && has_target nginx-log; then
    goal_line "mode a default config (JSON access log on, ./moat's JVM options) throughput vs nginx with its JSON access log" "$(ratio_of moat-a-default nginx-log)" ge 1.0 "$(errors_of moat-a-default nginx-log)"
    goal_line "mode a default config CPU per request vs nginx-log's" "$(cpu_ratio_of moat-a-default nginx-log)" le 1.0 "$(errors_of moat-a-default nginx-log)"
  fi
  if has_target moat-b; then
    goal_line "mode b (log off) throughput vs nginx${DETECTION_CPU:+ (detection workers on core $DETECTION_CPU)}" "$(ratio_of moat-b nginx)" ge 0.8 "$(errors_of moat-b nginx)"
    goal_line "mode b (log off) p99 vs nginx's" "$(p99_ratio_of moat-b nginx)" le 2.0 "$(errors_of moat-b nginx)"
  fi
  if has_target moat-b-default && has_target nginx-log; then
    goal_line "mode b default config throughput vs nginx-log" "$(ratio_of moat-b-default nginx-log)" ge 0.8 "$(errors_of moat-b-default nginx-log)"
  fi
} >"$goals"

java_version="$(java -version 2>&1 | sed 's/^/    /')"
cpu_model="$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
[[ -n "$cpu_model" ]] || cpu_model="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
commit="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
dirty="$(git -C "$repo" status --porcelain -- gateway-core config detectors policies 2>/dev/null | head -1)"
mkdir -p "$(dirname "$RESULTS_FILE")"
{
  echo "# Moat load benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Command:"
  echo
  echo "    ROUNDS=$ROUNDS ROUND_SECONDS=$ROUND_SECONDS CONNECTIONS=$CONNECTIONS WARMUP_JVM_SECONDS=$WARMUP_JVM_SECONDS WARMUP_ROUND_JVM_SECONDS=$WARMUP_ROUND_JVM_SECONDS WARMUP_ROUND_NGINX_SECONDS=$WARMUP_ROUND_NGINX_SECONDS UNLOADED_SECONDS=$UNLOADED_SECONDS \\"
  echo "    TRACED=$TRACED MOAT_JAVA_OPTS='$MOAT_JAVA_OPTS' benchmarks/load/run.sh"
  [[ -n "$MOAT_A_EXTRA_JAVA_OPTS" ]] && echo "    (moat-a extra java options: $MOAT_A_EXTRA_JAVA_OPTS)"
  [[ -n "$MOAT_B_EXTRA_JAVA_OPTS" ]] && echo "    (moat-b extra java options: $MOAT_B_EXTRA_JAVA_OPTS)"
  (( QUIET_WAIT_SECONDS > 0 )) && echo "    (with QUIET_WAIT_SECONDS=$QUIET_WAIT_SECONDS QUIET_MAX_OTHER_PCT=$QUIET_MAX_OTHER_PCT)"
  echo
  echo "Mode (b) rewrites answers: $B_TRANSFORMS."
  echo
  echo "Gateway commit $commit${dirty:+ (with uncommitted changes in gateway sources)}; wrk: 1 thread, $CONNECTIONS connections, ~3 KB POST (6x64 floats), 64 rotating keys; servers on core $SERVER_CPU, wrk on core $LOAD_CPU${DETECTION_CPU:+, detection workers of mode b on core $DETECTION_CPU}."
  echo
  cat "$table"
  echo
  echo "Goals (issue 15; ratios are medians of per-round ratios):"
  echo
  cat "$goals"
  echo
  echo "Medians over $ROUNDS interleaved rounds of ${ROUND_SECONDS}s. Ratio: per-round req/s divided by nginx's in the same round. Added unloaded latency: per-round (target p50 - direct p50) with one connection (wrk -t1 -c1, ${UNLOADED_SECONDS}s). CPU: utime+stime of the server process(es) over the loaded run (nginx: master + worker; Moat: the java process) / requests completed; ${CLK_TCK} Hz ticks. Errors: wrk socket errors + non-2xx/3xx responses, summed over rounds (loaded + unloaded runs). Other CPU: median over rounds of the machine's busy CPU during the loaded run not used by the processes this script started, in % of one core (other users of the machine, kernel threads, softirq not charged to a process): high values mean the round was disturbed."
  echo
  echo "Machine: nproc $ncpu, $cpu_model, kernel $(uname -r), $(nginx -v 2>&1 | sed 's/^nginx version: //'), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')"
  echo
  echo "$java_version"
  echo
  if (( ${#ERRORS_SEEN[@]} > 0 )); then
    echo "Errors seen:"
    echo
    for e in "${ERRORS_SEEN[@]}"; do echo "- $e"; done
    echo
  fi
  echo "Moat's own counters at the end of the run (warm-ups and probes included):"
  echo
  echo '```'
  echo "# moat-a"; echo "$MOAT_A_COUNTERS"; echo "# moat-b"; echo "$MOAT_B_COUNTERS"
  [[ "$REDIS" == 1 ]] && { echo "# moat-r"; echo "$MOAT_R_COUNTERS"; }
  [[ "$TRACED" == 1 ]] && { echo "# moat-a-traced"; echo "$MOAT_T_COUNTERS"; }
  echo '```'
  echo
  echo "<details><summary>Per-round numbers</summary>"
  echo
  echo '```'
  column -t -s $'\t' "$tsv" 2>/dev/null || cat "$tsv"
  echo '```'
  echo "</details>"
} >"$RESULTS_FILE"

echo
cat "$table"
echo
cat "$goals"
echo
log "results written to $RESULTS_FILE"
if [[ "${UPDATE_README:-0}" == 1 ]]; then
  readme="$repo/README.md"
  grep -q '<!-- perf-table:start -->' "$readme" || die "README.md has no perf-table markers"
  block="$tmp/readme-block.md"
  {
    echo "<!-- perf-table:start -->"
    echo "Generated by \`UPDATE_README=1 benchmarks/load/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), gateway commit $commit${dirty:+ (uncommitted changes)}, $ROUNDS rounds of ${ROUND_SECONDS}s, load average at the end $(cut -d' ' -f1-3 /proc/loadavg) on $ncpu CPUs (full output: \`benchmarks/load/results/$(basename "$RESULTS_FILE")\`):"
    echo
    cat "$table"
    echo
    cat "$goals"
    echo "<!-- perf-table:end -->"
  } >"$block"
  awk -v f="$block" '
    /<!-- perf-table:start -->/ { while ((getline l < f) > 0) print l; skip = 1; next }
    /<!-- perf-table:end -->/ { skip = 0; next }
    !skip { print }' "$readme" >"$tmp/README.new" && cat "$tmp/README.new" >"$readme"
  log "README.md performance table updated"
fi
if (( ${#ERRORS_SEEN[@]} > 0 )); then
  log "errors seen:"; for e in "${ERRORS_SEEN[@]}"; do log "  $e"; done
  KEEP_TMP=1   # keep the wrk outputs and Moat logs for a look
fi
