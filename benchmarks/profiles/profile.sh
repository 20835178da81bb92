#!/usr/bin/env bash
# CPU and allocation flame graphs of Moat under wrk, mode (a) and mode (b) of the load benchmark
# (benchmarks/load/moat-a.yaml, moat-b.yaml), with async-profiler attached to the running JVM.
#
#   benchmarks/profiles/profile.sh                 # ~2.5 minutes; writes benchmarks/profiles/*.html
#   SECONDS_PER_PROFILE=30 OUT=/tmp/prof benchmarks/profiles/profile.sh
#
# async-profiler comes from Maven Central (tools.profiler:async-profiler, the jar ships the native
# library); it is fetched into ~/.m2 when missing. It is loaded with `jcmd PID JVMTI.agent_load`
# after the warm-up, so the profiles show the steady state, not start-up and C2 compilation.
# CPU: event=cpu (perf_events cpu-clock; itimer when perf_events is not allowed), 1 ms interval
# Allocation: event=alloc (TLAB-driven sampling, every 512 KiB allocated by default)
# Outputs per mode m in {a,b}: m-cpu.html, m-alloc.html (flame graphs) and m-cpu.txt,
# m-alloc.txt (the top self frames with their shares: async-profiler's flat view), m-cpu-shares.txt,
# m-alloc-shares.txt (inclusive shares of the pieces named in categories.py) and summary.txt (CPU and
# bytes per request).
#   MODES=a KINDS= MEASURE_SECONDS=20 benchmarks/profiles/profile.sh   # only CPU us per request
# The measured run (MEASURE_SECONDS > 0) also reports, per thread with more than 1 % of the CPU,
# /proc/PID/task/*/schedstat over the run: CPU and run-queue wait per request, runs per request and
# the average run and wait (a long run of one thread on the shared server core is a stall of the
# others), and the detection counters (dropped events, shed cross-key searches) over the run.
#   AP_OPTS=threads MODES=b COLLAPSED_DIR=/tmp/p benchmarks/profiles/profile.sh  # a frame per thread:
#   python3 benchmarks/profiles/threads.py /tmp/p/b-cpu.collapsed moat-detector   # one thread's pieces
# Ports 18090-18094 (PORT_BASE moves them; refuses to start if one is listening); every process it starts is stopped
# on exit by PID.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
load="$repo/benchmarks/load"
AP_VERSION="${AP_VERSION:-4.2}"
SECONDS_PER_PROFILE="${SECONDS_PER_PROFILE:-20}"
WARMUP_SECONDS="${WARMUP_SECONDS:-20}"
CONNECTIONS="${CONNECTIONS:-64}"
SERVER_CPU="${SERVER_CPU:-0}"
LOAD_CPU="${LOAD_CPU:-1}"
MODES="${MODES:-a b}"
KINDS="${KINDS-cpu alloc}"                   # "" (set and empty) to only measure
MEASURE_SECONDS="${MEASURE_SECONDS:-0}"      # >0: an unprofiled run first, reporting CPU us/request
CPU_EVENT="${CPU_EVENT:-cpu}"
AP_OPTS="${AP_OPTS:-}"                      # extra async-profiler start options, e.g. "threads" (a frame per thread)
MOAT_JAVA_OPTS="${MOAT_JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseParallelGC -Dmoat.access.level=OFF}"
OUT="${OUT:-$here}"
PORT_BASE="${PORT_BASE:-18090}"              # another base (e.g. 18190) runs beside a profile already running
P_UP=$PORT_BASE; P_A=$((PORT_BASE + 1)); P_A_ADMIN=$((PORT_BASE + 2)); P_B=$((PORT_BASE + 3)); P_B_ADMIN=$((PORT_BASE + 4))
PATH_PREDICT="/v1/models/digits:predict"
# Six rows, one per instance of the six-row request, as in ../load/run.sh (with one row mode (b)'s
# detectors never ran: the policy stage feeds them only when the answer's rows match the request's).
ROW='[0.0112,0.0034,0.0251,0.8123,0.0017,0.0652,0.0009,0.0143,0.0488,0.0171]'
ANSWER="{\"predictions\":[$ROW,$ROW,$ROW,$ROW,$ROW,$ROW]}"

log() { printf '[profile %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
for tool in nginx wrk taskset java jcmd curl unzip mvn; do command -v "$tool" >/dev/null || die "$tool not found"; done
for p in $P_UP $P_A $P_A_ADMIN $P_B $P_B_ADMIN; do
  ss -ltnH | awk '{print $4}' | grep -Eq "[:.]$p\$" && die "port $p is already listening"
done

apjar="$HOME/.m2/repository/tools/profiler/async-profiler/$AP_VERSION/async-profiler-$AP_VERSION.jar"
[[ -f "$apjar" ]] || mvn -B -q dependency:get -Dartifact="tools.profiler:async-profiler:$AP_VERSION" >&2
[[ -f "$apjar" ]] || die "could not fetch tools.profiler:async-profiler:$AP_VERSION"
jar="${MOAT_JAR:-$repo/gateway-core/target/moat.jar}"   # MOAT_JAR: another build, for before/after
[[ -f "$jar" ]] || die "build the gateway first: mvn -B -q -o -pl gateway-core -am package -DskipTests"

tmp="$(mktemp -d /tmp/moat-profile.XXXXXX)"
PIDS=()
cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ "${KEEP_TMP:-0}" == 1 || $rc -ne 0 ]]; then log "kept $tmp"; else rm -rf "$tmp"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
(cd "$tmp" && unzip -q "$apjar" 'linux-x64/*')
lib="$tmp/linux-x64/libasyncProfiler.so"

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

start_moat() {   # $1 = mode, $2 = port, $3 = admin port
  # shellcheck disable=SC2086
  (cd "$tmp" && MOAT_LOAD_TMP="$tmp" MOAT_LOAD_UPSTREAM="http://127.0.0.1:$P_UP" \
    MOAT_LOAD_PORT="$2" MOAT_LOAD_ADMIN_PORT="$3" \
    exec taskset -c "$SERVER_CPU" java $MOAT_JAVA_OPTS -jar "$jar" run --config "$load/moat-$1.yaml") \
    >"$tmp/moat-$1.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
}
wrk_run() {   # $1 = port, $2 = seconds
  timeout $(( $2 + 30 )) taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$2s" --timeout 10s --latency \
    -s "$load/load.lua" "http://127.0.0.1:$1$PATH_PREDICT" | grep '^MOAT_LOAD' || true
}
ticks() { awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$1/stat"; }
uticks() { awk '{sub(/^.*\) /, ""); print $12}' "/proc/$1/stat"; }   # user time only
allocated() {   # bytes allocated so far by the JVM's live threads (jcmd Thread.print -e, rounded per thread)
  jcmd "$1" Thread.print -e 2>/dev/null | grep -o 'allocated=[0-9.]*[BKMG]\?' | awk -F= '
    { v = $2; u = substr(v, length(v)); n = v + 0
      if (u == "K") n *= 1024; else if (u == "M") n *= 1048576; else if (u == "G") n *= 1073741824
      s += n }
    END { printf "%.0f", s }'
}
thread_cpu() {   # $1 = pid: "gc_ms jit_ms other_ms" of the live threads (jcmd Thread.print -e)
  jcmd "$1" Thread.print -e 2>/dev/null | grep -E '^"' | awk '
    { name = $0; sub(/^"/, "", name); sub(/".*/, "", name)
      if (!match($0, /cpu=[0-9.]+ms/)) next
      ms = substr($0, RSTART + 4, RLENGTH - 6) + 0
      if (name ~ /GC|G1|VM Thread|ParGC|Parallel/) gc += ms
      else if (name ~ /Compiler/) jit += ms
      else other += ms }
    END { printf "%.0f %.0f %.0f", gc, jit, other }'
}
sched_snapshot() {   # $1 = pid: "name run_ns wait_ns slices" per live thread (/proc/PID/task/*/schedstat)
  local t
  for t in /proc/"$1"/task/*; do
    [[ -r "$t/schedstat" ]] || continue
    printf '%s %s %s\n' "$(basename "$t")" "$(tr ' ' '_' <"$t/comm" 2>/dev/null)" "$(cat "$t/schedstat" 2>/dev/null)"
  done
}
sched_report() {   # $1 $2 = snapshots before/after, $3 = requests: per thread with >1% of the run time
  # run = CPU time, wait = time runnable but waiting for a CPU (the run queue), per request; slice = run per switch-in
  awk -v n="$3" 'NR == FNR { r0[$1] = $3; w0[$1] = $4; s0[$1] = $5; next }
    ($1 in r0) { r = $3 - r0[$1]; w = $4 - w0[$1]; s = $5 - s0[$1]; name[$1] = $2; run[$1] = r; wt[$1] = w; sl[$1] = s; tot += r }
    END { for (t in run) if (run[t] > tot / 100)
            printf "sched %s run_us_per_req=%.1f wait_us_per_req=%.1f slices_per_req=%.2f us_per_slice=%.0f wait_us_per_slice=%.0f\n",
              name[t], run[t] / n / 1000, wt[t] / n / 1000, sl[t] / n, (sl[t] ? run[t] / sl[t] / 1000 : 0), (sl[t] ? wt[t] / sl[t] / 1000 : 0) }' \
    "$1" "$2" | sort -t= -k2 -g -r
}
detection_counts() {   # $1 = admin port: "dropped shed sampled_out" (the detection counters on /metrics)
  curl -s -m 5 "http://127.0.0.1:$1/metrics" | awk '
    /^moat_detection_dropped_total/ { d = $2 } /^moat_detection_cross_key_shed_total/ { s = $2 }
    /^moat_detection_cross_key_sampled_out_total/ { o = $2 } END { printf "%.0f %.0f %.0f", d, s, o }'
}
agent() {   # $1 = pid, $2 = agent arguments
  # jcmd would read key=value pairs as its own options: the agent's arguments go in one quoted string
  jcmd "$1" JVMTI.agent_load "$lib" "\"$2\"" >"$tmp/jcmd.out" 2>&1 && grep -q 'return code: 0' "$tmp/jcmd.out" \
    || die "jcmd agent_load $2 failed: $(cat "$tmp/jcmd.out")"
}

mkdir -p "$OUT"
rm -f "$OUT/summary.txt"
for m in $MODES; do
  case "$m" in a) port=$P_A admin=$P_A_ADMIN;; b) port=$P_B admin=$P_B_ADMIN;; *) die "mode $m";; esac
  start_moat "$m" "$port" "$admin"
  for i in $(seq 1 120); do
    code="$(curl -s -m 2 -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer moat-load-secret-00' \
      --data '{"instances": [[1, 2]]}' "http://127.0.0.1:$port$PATH_PREDICT" || true)"
    [[ "$code" == 200 ]] && break
    sleep 0.5
  done
  [[ "$code" == 200 ]] || die "moat-$m did not answer 200 (last $code); see $tmp/moat-$m.log"
  log "moat-$m (pid $pid) warm-up ${WARMUP_SECONDS}s: $(wrk_run "$port" "$WARMUP_SECONDS")"
  if (( MEASURE_SECONDS > 0 )); then   # unprofiled: CPU time of the java process per request
    read -r g0 j0 o0 <<<"$(thread_cpu "$pid")"
    a0="$(allocated "$pid")"; t0="$(ticks "$pid")"; u0="$(uticks "$pid")"; sched_snapshot "$pid" >"$tmp/sched0"
    read -r dd0 ds0 do0 <<<"$(detection_counts "$admin")"
    line="$(wrk_run "$port" "$MEASURE_SECONDS")"
    t1="$(ticks "$pid")"; u1="$(uticks "$pid")"; sched_snapshot "$pid" >"$tmp/sched1"; a1="$(allocated "$pid")"
    read -r dd1 ds1 do1 <<<"$(detection_counts "$admin")"
    read -r g1 j1 o1 <<<"$(thread_cpu "$pid")"
    n="$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$line")"
    cpu="$(awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN{printf "%.1f", d / hz * 1e6 / n}')"
    ucpu="$(awk -v d=$((u1 - u0)) -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN{printf "%.1f", d / hz * 1e6 / n}')"
    bpr="$(awk -v a="$a0" -v b="$a1" -v n="$n" 'BEGIN{printf "%.0f", (b - a) / n}')"
    threads="$(awk -v n="$n" -v g=$((g1 - g0)) -v j=$((j1 - j0)) -v o=$((o1 - o0)) \
      'BEGIN{printf "gc_us_per_req=%.2f jit_us_per_req=%.2f other_threads_us_per_req=%.1f", g * 1000 / n, j * 1000 / n, o * 1000 / n}')"
    log "moat-$m measure ${MEASURE_SECONDS}s: $line cpu_us_per_req=$cpu user_us_per_req=$ucpu bytes_per_req=$bpr $threads load: $(cut -d' ' -f1-3 /proc/loadavg)"
    log "moat-$m detection in the measured run: dropped=$((dd1 - dd0)) cross_key_shed=$((ds1 - ds0)) cross_key_sampled_out_rows=$((do1 - do0)) of $n requests"
    sched_report "$tmp/sched0" "$tmp/sched1" "$n" | sed "s/^/$m /" | tee -a "$OUT/summary.txt" >&2
    echo "$m measure $bpr bytes allocated per request (jcmd Thread.print -e, all threads); $threads" >>"$OUT/summary.txt"
    echo "$m measure $cpu us CPU per request (/proc, unprofiled; $n requests, $(sed -n 's/.* rps=\([0-9.]*\).*/\1/p' <<<"$line") req/s; $(date -u +%H:%M) UTC, load $(cut -d' ' -f1-3 /proc/loadavg))" >>"$OUT/summary.txt"
  fi
  for kind in $KINDS; do
    case "$kind" in cpu) ev="event=$CPU_EVENT,interval=1ms";; alloc) ev="event=alloc";; esac
    agent "$pid" "start,$ev${AP_OPTS:+,$AP_OPTS}"
    line="$(wrk_run "$port" "$SECONDS_PER_PROFILE")"
    log "moat-$m $kind ${SECONDS_PER_PROFILE}s: $line load: $(cut -d' ' -f1-3 /proc/loadavg)"
    agent "$pid" "stop,file=$OUT/$m-$kind.html,title=moat-$m-$kind-wrk-c$CONNECTIONS"
    agent "$pid" "dump,flat=40,traces=0,file=$OUT/$m-$kind.txt"
    agent "$pid" "dump,collapsed,total,file=$tmp/$m-$kind.collapsed"
    # requests in the profiled run: the alloc profile's bytes divided by them is bytes/request
    n="$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$line")"
    per="$(awk -v n="$n" '{s += $NF} END {printf "%.0f", s / n}' "$tmp/$m-$kind.collapsed")"
    case "$kind" in cpu) unit="ns of sampled CPU per request";; alloc) unit="bytes allocated per request (sampled estimate)";; esac
    log "moat-$m $kind: $per $unit"
    echo "$m $kind $per $unit ($n requests; $(date -u +%H:%M) UTC, load $(cut -d' ' -f1-3 /proc/loadavg))" >>"$OUT/summary.txt"
    python3 "$here/categories.py" "$tmp/$m-$kind.collapsed" >"$OUT/$m-$kind-shares.txt" || true
    [[ -z "${COLLAPSED_DIR:-}" ]] || cp "$tmp/$m-$kind.collapsed" "$COLLAPSED_DIR/"
  done
  kill -TERM "$pid" 2>/dev/null || true
done
[[ -z "$KINDS" ]] || log "wrote $(ls "$OUT"/*.html | tr '\n' ' ')"
