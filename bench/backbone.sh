#!/usr/bin/env bash
# How fast is the Redis Streams backbone? Prints key=value lines:
#   raw_xadd_per_s          redis-benchmark XADD with an entry of the same size (the server's ceiling)
#   connector_events_per_s  Emitter -> smallrye-redis-streams -> @Incoming -> XACK, one consumer: from the first
#                           send until XPENDING shows the last entry acknowledged; the median of connector_rounds
#                           rounds of connector_events events each
#   naive_events_per_s      XREADGROUP COUNT 1 + XACK per entry on the same client library (naive_events events)
#   latency_p50_ms / latency_p99_ms   produce -> consume at a steady 10,000 events/s, timed from each event's
#                           scheduled send time (start + i / rate), so a stalled sender counts (coordinated omission);
#                           latency_samples events, the first second left out; latency_from_send_* time from the
#                           actual send instead, for comparison
# plus the ratios connector_vs_naive and connector_vs_raw_xadd, measured in the same run because this machine is
# shared and noisy. Targets (issue "Foundation"): connector >= 50,000/s and >= 5x naive; p99 <= 5 ms at 10k/s.
# Options through the environment: BENCH_EVENTS (200000), BENCH_RATE (10000), BENCH_SECONDS (10).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_servers redis

echo "[bench] building and running the connector benchmark (about a minute)..." >&2
run_maven connector -pl mesh-events test -Dtest=BackboneBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
    -Dbench.events="${BENCH_EVENTS:-200000}" -Dbench.rate="${BENCH_RATE:-10000}" \
    -Dbench.seconds="${BENCH_SECONDS:-10}"
java_figures="$(figures)"
entry_bytes="$(sed -n 's/^entry_bytes=//p' <<<"$java_figures")"

echo "[bench] redis-benchmark XADD with a ${entry_bytes}-byte entry..." >&2
address="${MESH_REDIS_URL#redis://}"
address="${address##*@}"
address="${address%%/*}"
host="${address%%:*}"
port="${address##*:}"
payload="$(head -c "$((entry_bytes - 7))" /dev/zero | tr '\0' 'x')"
# redis-benchmark reads no password from the environment; -a shows the local admin password to ps for these seconds.
auth=()
[[ -z ${MESH_REDIS_PASSWORD:-} ]] || auth=(-a "$MESH_REDIS_PASSWORD")
raw="$(redis-benchmark -h "$host" -p "$port" "${auth[@]}" -n 200000 -c 4 -P 64 -q \
    XADD it.bench.raw MAXLEN '~' 100000 '*' payload "$payload" 2>/dev/null |
    tr '\r' '\n' | sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' | tail -n 1)"
REDISCLI_AUTH="${MESH_REDIS_PASSWORD:-}" redis-cli --no-auth-warning -h "$host" -p "$port" DEL it.bench.raw >/dev/null

echo "$java_figures"
raw_int="${raw%.*}"
echo "raw_xadd_per_s=$raw_int"
connector="$(sed -n 's/^connector_events_per_s=//p' <<<"$java_figures")"
awk -v c="$connector" -v r="$raw_int" 'BEGIN { printf "connector_vs_raw_xadd=%.2f\n", c / r }'
