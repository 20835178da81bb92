#!/usr/bin/env bash
# Moat load benchmark, loopback only. Starts a tiny nginx upstream that answers a fixed classifier
# JSON, nginx as a plain keep-alive reverse proxy to it, and Moat in two modes (a: auth + limits +
# metrics, body streamed; b: the full example policy, every answer parsed), then drives all four
# targets with wrk in interleaved rounds. Prints a markdown table and writes it, with the per-round
# numbers, the command and the machine, to benchmarks/load/results/<date>.md.
#
#   benchmarks/load/run.sh                       # ~3.5 minutes with the defaults below
#   ROUNDS=7 ROUND_SECONDS=10 benchmarks/load/run.sh
#   TRACED=1 benchmarks/load/run.sh               # adds moat-a-traced: moat-a with OTLP tracing on
#
# Ports (fixed; the script refuses to start when any is already listening):
#   18080 upstream (nginx, "direct")   18081 nginx reverse proxy
#   18082 moat-a   18083 moat-a admin  18084 moat-b   18085 moat-b admin
#   18086 moat-a-traced  18087 its admin (TRACED=1 only)
# Every process it starts is stopped on exit (by PID); nginx configs and logs live in a temp dir
# that is removed at the end (KEEP_TMP=1 keeps it).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

ROUNDS="${ROUNDS:-5}"                        # interleaved rounds (>= 1; 5+ for a report)
ROUND_SECONDS="${ROUND_SECONDS:-5}"          # measured load per target per round
CONNECTIONS="${CONNECTIONS:-64}"             # wrk connections (one wrk thread)
WARMUP_JVM_SECONDS="${WARMUP_JVM_SECONDS:-10}"   # once per Moat mode, before round 1
WARMUP_ROUND_JVM_SECONDS="${WARMUP_ROUND_JVM_SECONDS:-2}"     # before each Moat measurement
WARMUP_ROUND_NGINX_SECONDS="${WARMUP_ROUND_NGINX_SECONDS:-1}" # before each nginx/direct one
UNLOADED_SECONDS="${UNLOADED_SECONDS:-2}"    # wrk -c1 -t1 per target per round
SERVER_CPU="${SERVER_CPU:-0}"                # taskset core for all servers
LOAD_CPU="${LOAD_CPU:-1}"                    # taskset core for wrk
MOAT_JAVA_OPTS="${MOAT_JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseParallelGC -Dmoat.access.level=OFF}"
MOAT_A_EXTRA_JAVA_OPTS="${MOAT_A_EXTRA_JAVA_OPTS:-}"   # e.g. a JFR recording for mode (a) only
MOAT_B_EXTRA_JAVA_OPTS="${MOAT_B_EXTRA_JAVA_OPTS:-}"   # e.g. a JFR recording for mode (b) only
QUIET_WAIT_SECONDS="${QUIET_WAIT_SECONDS:-0}"  # >0: before each measurement wait (at most this long)
QUIET_MAX_OTHER_PCT="${QUIET_MAX_OTHER_PCT:-25}" # until other processes use < this % of a core
TRACED="${TRACED:-0}"                        # 1: also moat-a with tracing on (spans to the upstream nginx)
RESULTS_FILE="${RESULTS_FILE:-$here/results/$(date -u +%Y-%m-%d).md}"

P_UP=18080; P_NGX=18081; P_A=18082; P_A_ADMIN=18083; P_B=18084; P_B_ADMIN=18085
PORTS=($P_UP $P_NGX $P_A $P_A_ADMIN $P_B $P_B_ADMIN)
TARGETS=(direct nginx moat-a moat-b)
P_T=18086; P_T_ADMIN=18087
if [[ "$TRACED" == 1 ]]; then PORTS+=($P_T $P_T_ADMIN); TARGETS+=(moat-a-traced); fi
PATH_PREDICT="/v1/models/digits:predict"
# The upstream's fixed answer: one row of 10 class probabilities (sums to 1).
ANSWER='{"predictions":[[0.0112,0.0034,0.0251,0.8123,0.0017,0.0652,0.0009,0.0143,0.0488,0.0171]]}'

log() { printf '[load %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- preflight
for tool in nginx wrk taskset ss java curl awk; do
  command -v "$tool" >/dev/null || die "$tool not found (Debian: apt-get install -y nginx wrk curl default-jre-headless)"
done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
[[ "$ROUND_SECONDS" =~ ^[1-9][0-9]*$ ]] || die "ROUND_SECONDS must be a positive integer"
ncpu="$(nproc)"
(( ncpu >= 2 )) || die "needs at least 2 cores (servers on core $SERVER_CPU, wrk on core $LOAD_CPU); nproc=$ncpu"
listening="$(ss -ltnH 2>/dev/null | awk '{print $4}')"
for p in "${PORTS[@]}"; do
  if grep -Eq "[:.]$p\$" <<<"$listening"; then die "port $p is already listening (ss -ltn); stop that first"; fi
done

jar="$repo/gateway-core/target/moat.jar"
log "building/checking the gateway jar ($jar)"
"$repo/moat" --help >/dev/null || die "could not build the gateway jar"
"$repo/moat" validate --config "$here/moat-a.yaml" >/dev/null || die "moat-a.yaml does not validate"
"$repo/moat" validate --config "$here/moat-b.yaml" >/dev/null || die "moat-b.yaml does not validate"
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

start_nginx() {   # $1 = dir; the master's PID is left in $!
  taskset -c "$SERVER_CPU" nginx -p "$1/" -e "$1/error.log" -c "$1/nginx.conf" -g 'daemon off;' \
    >"$1/stdout.log" 2>&1 &
}
start_moat() {    # $1 = config, $2 = log, $3 = extra java opts; the java PID is left in $!
  # shellcheck disable=SC2086
  (cd "$tmp" && MOAT_LOAD_TMP="$tmp" MOAT_LOAD_UPSTREAM="http://127.0.0.1:$P_UP" \
    exec taskset -c "$SERVER_CPU" java $MOAT_JAVA_OPTS $3 -jar "$jar" run --config "$1") >"$2" 2>&1 &
}

log "temp dir $tmp"
nginx -t -p "$tmp/up/" -e "$tmp/up/error.log" -c "$tmp/up/nginx.conf" >/dev/null 2>&1 || die "upstream nginx.conf: $(nginx -t -p "$tmp/up/" -e "$tmp/up/error.log" -c "$tmp/up/nginx.conf" 2>&1)"
nginx -t -p "$tmp/ngx/" -e "$tmp/ngx/error.log" -c "$tmp/ngx/nginx.conf" >/dev/null 2>&1 || die "proxy nginx.conf: $(nginx -t -p "$tmp/ngx/" -e "$tmp/ngx/error.log" -c "$tmp/ngx/nginx.conf" 2>&1)"
start_nginx "$tmp/up"; PID_UP=$!; PIDS+=("$PID_UP")
start_nginx "$tmp/ngx"; PID_NGX=$!; PIDS+=("$PID_NGX")
start_moat "$here/moat-a.yaml" "$tmp/moat-a.log" "$MOAT_A_EXTRA_JAVA_OPTS"; PID_A=$!; PIDS+=("$PID_A")
start_moat "$here/moat-b.yaml" "$tmp/moat-b.log" "$MOAT_B_EXTRA_JAVA_OPTS"; PID_B=$!; PIDS+=("$PID_B")
PID_T=""
if [[ "$TRACED" == 1 ]]; then
  start_moat "$here/moat-a-traced.yaml" "$tmp/moat-a-traced.log" "$MOAT_A_EXTRA_JAVA_OPTS"; PID_T=$!; PIDS+=("$PID_T")
fi
log "started upstream nginx=$PID_UP proxy nginx=$PID_NGX moat-a java=$PID_A moat-b java=$PID_B${PID_T:+ moat-a-traced java=$PID_T}"

port_of() { case "$1" in direct) echo $P_UP;; nginx) echo $P_NGX;; moat-a) echo $P_A;; moat-b) echo $P_B;; moat-a-traced) echo $P_T;; esac; }
pids_of() {   # the server process(es) whose CPU counts for a target
  case "$1" in
    direct) echo "$PID_UP" $(pgrep -P "$PID_UP" || true);;
    nginx)  echo "$PID_NGX" $(pgrep -P "$PID_NGX" || true);;
    moat-a) echo "$PID_A";;
    moat-b) echo "$PID_B";;
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
# Does mode (b) really rewrite answers on this build? (It must parse them for that.) Reported.
probe moat-b >/dev/null
if cmp -s <(printf %s "$ANSWER") "$tmp/probe.out"; then
  B_TRANSFORMS="no: moat-b returned the upstream answer unchanged (the policy's output transforms are not applied on this build)"
else
  B_TRANSFORMS="yes: $(head -c 200 "$tmp/probe.out")"
fi
log "moat-b rewrites answers: $B_TRANSFORMS"
# Moat must reject an unknown key: proves the auth path is on.
code="$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer nope' --data "$sample_body" "http://127.0.0.1:$P_A$PATH_PREDICT" || true)"
[[ "$code" == 401 ]] || die "moat-a answered $code (expected 401) to an unknown key"

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
    | grep -E '^moat_(requests_total|actions_total|detector_alerts_total|detection_dropped_total|ratelimit_rejections_total|keys_flagged)' || true
}
MOAT_A_COUNTERS="$(moat_counters $P_A_ADMIN)"
MOAT_B_COUNTERS="$(moat_counters $P_B_ADMIN)"
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
    added="$(paired "$t" 8 direct diff | median)"
    awk -v t="$t" -v rps="$rps" -v ratio="$ratio" -v p50="$p50" -v p99="$p99" -v up50="$up50" \
        -v added="$added" -v cpu="$cpu" -v errs="$errs" -v other="$other" 'BEGIN{
      printf "| %s | %.0f | %.2f | %.2f ms | %.2f ms | %d µs | %+d µs | %.1f | %d | %.0f%% |\n",
        t, rps, ratio, p50/1000, p99/1000, up50, added, cpu, errs, other }'
  done
} >"$table"

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
  echo "Gateway commit $commit${dirty:+ (with uncommitted changes in gateway sources)}; wrk: 1 thread, $CONNECTIONS connections, ~3 KB POST (6x64 floats), 64 rotating keys; servers on core $SERVER_CPU, wrk on core $LOAD_CPU."
  echo
  cat "$table"
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
log "results written to $RESULTS_FILE"
if (( ${#ERRORS_SEEN[@]} > 0 )); then
  log "errors seen:"; for e in "${ERRORS_SEEN[@]}"; do log "  $e"; done
  KEEP_TMP=1   # keep the wrk outputs and Moat logs for a look
fi
