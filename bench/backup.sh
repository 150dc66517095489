#!/usr/bin/env bash
# How fast does a backup stream to S3, next to pg_dump alone? Prints key=value lines:
#   database_mb, dump_mb, pg_dump_seconds, backup_to_s3_seconds, pg_dump_mb_per_s, backup_to_s3_mb_per_s, ratio
# on a pgbench database (BENCH_SCALE 40, about 600 MB, created once and kept as mesh_bench_backup): pg_dump -Fc to
# /dev/null against the backup-service's pg_dump streamed into a multipart upload to the local moto server, with
# its SHA-256, in the same run. Target (issue "Migration and backup services"): ratio >= 0.8.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_servers all

echo "[bench] building and running the backup benchmark (a few minutes the first time: pgbench -i)..." >&2
install_for backup-service
run_maven backup -pl backup-service test -Dtest=BackupBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
    -Dbench.scale="${BENCH_SCALE:-40}"
grep -E '^\[bench\]' "$BENCH_LOG" >&2 || true
figures
