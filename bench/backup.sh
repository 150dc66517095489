#!/usr/bin/env bash
# How fast does a backup stream to S3, next to pg_dump alone, on a dump that is mostly bytes to upload? Prints
# key=value lines, each the median over runs=BENCH_RUNS (1) runs:
#   runs, database_mb, dump_mb, pg_dump_seconds, backup_to_s3_seconds, backup_total_seconds, pg_dump_mb_per_s,
#   backup_to_s3_mb_per_s, ratio, rows_counted, backup_without_row_counts_mb_per_s, ratio_without_row_counts
# Throughput is dump_mb, the size of the object S3 holds (HeadObject), over the elapsed time, for both paths: the
# database's size would mostly measure pg_dump's compression (pgbench's 606 MB dump to 10.7 MB). The database,
# created once and kept as mesh_bench_backup, is pgbench's tables (BENCH_SCALE 40) plus BENCH_RANDOM_MB (600) MB of
# random bytes, which do not compress, so the dump is about 610 MB; under 500 MB the run fails and says so. pg_dump
# -Fc to /dev/null against the backup-service's backup as a production release makes it (rows counted in the dump's
# snapshot for the full verification, 16 MiB parts): pg_dump streamed into a multipart upload to the local moto
# server, with its SHA-256, in the same run. backup_total_seconds adds the metadata rewrite, the copy to the replica
# bucket and the manifest. Target (issue "Migration and backup services"): ratio >= 0.8.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_servers all

echo "[bench] building and running the backup benchmark (several minutes the first time: pgbench -i and" \
    "${BENCH_RANDOM_MB:-600} MB of random rows)..." >&2
install_for backup-service
run_maven backup -pl backup-service test -Dtest=BackupBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
    -Dbench.scale="${BENCH_SCALE:-40}" -Dbench.random-mb="${BENCH_RANDOM_MB:-600}" -Dbench.runs="${BENCH_RUNS:-1}"
grep -E '^\[bench\]' "$BENCH_LOG" >&2 || true
figures
