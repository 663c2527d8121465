#!/usr/bin/env bash
# Whole-process comparison for issue 15: `apply -j N` (tables in parallel over N connections) against `-j 1`.
# A database of CHAINS foreign-key chains of three tables (root -> child -> grandchild), ROWS rows each; every run
# finds the same damage (2% of the rows deleted in every table, children with their parents; 0.1% edited) and
# restores it with prefer-live. Dumped plain and custom (-Fc); each format times -j 1, 2 and 4, REPEAT times each,
# round-robin (the order rotates from round to round). Wall time of the whole process, client CPU and peak RSS.
#
# Usage: benchmarks/scripts/compare-jobs.sh [ROWS=200000] [REPEAT=3] [CHAINS=4]
# Uses PGHOST/PGPORT/PGUSER if set, otherwise starts a throwaway cluster (scripts/lib/throwaway-pg.sh).
# JOBS="1 2 4" overrides the job counts compared (the first is the baseline of the ratios).
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-200000}
repeat=${2:-3}
chains=${3:-4}
jobs_list=${JOBS:-1 2 4}
if [ -z "${PGHOST:-}" ]; then . scripts/lib/throwaway-pg.sh; throwaway_pg_start; fi
db=sr_bench_jobs
work=$(mktemp -d /tmp/sr-bench-jobs.XXXXXX)
trap 'rm -rf "$work"; dropdb --if-exists "$db" >/dev/null 2>&1 || true' EXIT

dotnet build src/Selective.Restore.Cli -c Release -v quiet -nologo >/dev/null
cli="dotnet src/Selective.Restore.Cli/bin/Release/net10.0/selective-restore.dll"

dropdb --if-exists "$db" >/dev/null 2>&1; createdb "$db"
cols="account_id int NOT NULL, kind text NOT NULL, amount numeric(12,2), note text, created timestamptz NOT NULL"
vals="g % 100000, (ARRAY['click','view','buy','refund'])[1 + g % 4], (g % 10000) / 100.0, CASE WHEN g % 7 = 0 THEN NULL ELSE 'note ' || md5(g::text) END, timestamptz '2025-01-01 00:00+00' + g * interval '1 second'"
for k in $(seq "$chains"); do
  psql -q -v ON_ERROR_STOP=1 "$db" <<SQL
CREATE TABLE root$k (id bigint PRIMARY KEY, $cols);
CREATE TABLE child$k (id bigint PRIMARY KEY, root_id bigint NOT NULL REFERENCES root$k, $cols);
CREATE TABLE grandchild$k (id bigint PRIMARY KEY, child_id bigint NOT NULL REFERENCES child$k, $cols);
INSERT INTO root$k SELECT g, $vals FROM generate_series(1, $rows) g;
INSERT INTO child$k SELECT g, g, $vals FROM generate_series(1, $rows) g;
INSERT INTO grandchild$k SELECT g, g, $vals FROM generate_series(1, $rows) g;
-- Indexed foreign keys, as live schemas have them (deleting parent rows would scan the child table per row).
CREATE INDEX ON child$k (root_id);
CREATE INDEX ON grandchild$k (child_id);
SQL
done
pg_dump "$db" > "$work/jobs.sql"
pg_dump -Fc "$db" > "$work/jobs.dump"

damage() {
  local sql=""
  for k in $(seq "$chains"); do
    sql+="DELETE FROM grandchild$k WHERE id % 50 = 7; DELETE FROM child$k WHERE id % 50 = 7; DELETE FROM root$k WHERE id % 50 = 7;"
    sql+="UPDATE root$k SET note = 'edited' WHERE id % 1000 = 1; UPDATE grandchild$k SET note = 'edited' WHERE id % 1000 = 2;"
  done
  psql -q "$db" -c "$sql" >/dev/null
  psql -q "$db" -c "VACUUM ANALYZE" >/dev/null
}
# Each run also records its CPU (user + system) and peak RSS.
apply_with() { /usr/bin/time -f "%U %S %M" -a -o "$work/$2-$3.res" $cli apply "$1" --target "Host=$PGHOST;Port=$PGPORT;Username=$PGUSER;Database=$db" --policy prefer-live -j "$3" --json "$work/report.json" >/dev/null; }
. benchmarks/scripts/lib/measure.sh
cpu() { cpu_of "$work/$1.res"; }
rss() { rss_of "$work/$1.res"; }

read -r -a jobs <<< "$jobs_list"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for format in plain custom; do
  dump=$work/jobs.sql; [ "$format" = custom ] && dump=$work/jobs.dump
  for j in "${jobs[@]}"; do : > "$work/$format-$j.times"; done
  for i in $(seq "$repeat"); do
    # Rotate the order each round, so that no job count always runs first (or after the same one).
    n=${#jobs[@]}
    for o in $(seq 0 $((n - 1))); do
      j=${jobs[$(( (o + i) % n ))]}
      damage
      echo "$format round $i: -j $j" >&2
      time_it apply_with "$dump" "$format" "$j" >> "$work/$format-$j.times"
      inserted=$(python3 -c "import json; r = json.load(open('$work/report.json')); print(sum(t['inserted'] for t in r['tables']) if r['succeeded'] else 'FAILED')")
      [ "$inserted" = FAILED ] && { echo "the run with -j $j failed" >&2; exit 1; }
      echo "$inserted" > "$work/$format-$j.inserted"
    done
  done
done

echo "| dump | -j | median wall time (s) over $repeat runs | runs (s) | ratio to -j ${jobs[0]} | client CPU (s, median) | peak RSS (MB) | rows inserted |"
echo "|---|---|---|---|---|---|---|---|"
for format in plain custom; do
  base=$(median < "$work/$format-${jobs[0]}.times")
  for j in "${jobs[@]}"; do
    m=$(median < "$work/$format-$j.times")
    all=$(sort -n "$work/$format-$j.times" | awk '{printf "%s%.2f", (NR > 1 ? ", " : ""), $1}')
    echo "| $format | $j | $(printf '%.2f' "$m") | $all | $(echo "scale=2; $m / $base" | bc) | $(cpu "$format-$j") | $(rss "$format-$j") | $(cat "$work/$format-$j.inserted") |"
  done
done
echo
echo "$((chains * 3)) tables ($chains chains root -> child -> grandchild) x $rows rows; plain dump $(stat -c %s "$work/jobs.sql") bytes, custom $(stat -c %s "$work/jobs.dump") bytes; $(nproc) cores; PostgreSQL $(psql -At -c 'SHOW server_version') on the same machine"
