#!/usr/bin/env bash
# Whole-process comparison for issue 15: what the CLI's progress display costs (a bar on a terminal, plain lines on a
# pipe, nothing with -q), and what .NET runtime settings change for one `apply` (tiered compilation off, dynamic PGO
# off, a ReadyToRun build). A database of TABLES tables of ROWS rows; every run finds the same damage (2% of the rows
# deleted, 0.1% edited) and restores it with prefer-live from a plain dump. Variants run round-robin, REPEAT times
# each, the order rotating from round to round. Wall time of the whole process, CPU (user + system) and peak RSS.
#
# Usage: benchmarks/scripts/compare-runtime.sh [ROWS=500000] [REPEAT=5] [TABLES=4]
# Uses PGHOST/PGPORT/PGUSER if set, otherwise starts a throwaway cluster (scripts/lib/throwaway-pg.sh).
# The terminal is a pseudo-terminal made by script(1) (util-linux), so the bar is drawn exactly as for a user.
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-500000}
repeat=${2:-5}
tables=${3:-4}
if [ -z "${PGHOST:-}" ]; then . scripts/lib/throwaway-pg.sh; throwaway_pg_start; fi
db=sr_bench_runtime
work=$(mktemp -d /tmp/sr-bench-runtime.XXXXXX)
trap 'rm -rf "$work"; dropdb --if-exists "$db" >/dev/null 2>&1 || true' EXIT

dotnet build src/Selective.Restore.Cli -c Release -v quiet -nologo >/dev/null
dotnet publish src/Selective.Restore.Cli -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -v quiet -nologo -o "$work/r2r" >/dev/null
jit="dotnet src/Selective.Restore.Cli/bin/Release/net10.0/selective-restore.dll"
r2r="dotnet $work/r2r/selective-restore.dll"

dropdb --if-exists "$db" >/dev/null 2>&1; createdb "$db"
for k in $(seq "$tables"); do
  psql -q -v ON_ERROR_STOP=1 "$db" <<SQL
CREATE TABLE events$k (id bigint PRIMARY KEY, account_id int NOT NULL, kind text NOT NULL, amount numeric(12,2), note text, created timestamptz NOT NULL);
INSERT INTO events$k SELECT g, g % 100000, (ARRAY['click','view','buy','refund'])[1 + g % 4], (g % 10000) / 100.0,
  CASE WHEN g % 7 = 0 THEN NULL ELSE 'note ' || md5(g::text) END, timestamptz '2025-01-01 00:00+00' + g * interval '1 second'
  FROM generate_series(1, $rows) g;
SQL
done
pg_dump "$db" > "$work/dump.sql"
target="Host=$PGHOST;Port=$PGPORT;Username=$PGUSER;Database=$db"

damage() {
  local sql=""
  for k in $(seq "$tables"); do sql+="DELETE FROM events$k WHERE id % 50 = 7; UPDATE events$k SET note = 'edited' WHERE id % 1000 = 1;"; done
  psql -q "$db" -c "$sql" >/dev/null
  psql -q "$db" -c "VACUUM ANALYZE" >/dev/null
}

# name | environment | how the CLI is started | how its output is taken
variants=(
  "-q (no progress)||jit|quiet"
  "pipe (plain lines)||jit|pipe"
  "terminal (bar)||jit|tty"
  "-q, TieredCompilation=0|DOTNET_TieredCompilation=0|jit|quiet"
  "-q, TieredPGO=0|DOTNET_TieredPGO=0|jit|quiet"
  "-q, ReadyToRun build||r2r|quiet"
)

run_variant() {
  local index=$1 name envs cli output
  IFS='|' read -r name envs cli output <<< "${variants[$index]}"
  [ "$cli" = r2r ] && cli=$r2r || cli=$jit
  local cmd="$cli apply $work/dump.sql --target '$target' --policy prefer-live --json $work/report.json"
  case $output in
    quiet) cmd="$cmd -q > /dev/null" ;;
    pipe) cmd="$cmd 2>&1 | cat > /dev/null" ;;
    tty) cmd="script -qec \"$cmd\" /dev/null > /dev/null" ;;
  esac
  local s e
  s=$(date +%s.%N)
  env $envs /usr/bin/time -f "%U %S %M" -a -o "$work/$index.res" bash -c "$cmd"
  e=$(date +%s.%N)
  echo "$e - $s" | bc >> "$work/$index.times"
  python3 -c "import json, sys; r = json.load(open('$work/report.json')); sys.exit(0 if r['succeeded'] and sum(t['inserted'] for t in r['tables']) > 0 else 1)" \
    || { echo "the run '$name' failed" >&2; exit 1; }
}

. benchmarks/scripts/lib/measure.sh

n=${#variants[@]}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for i in $(seq "$repeat"); do
  for o in $(seq 0 $((n - 1))); do
    v=$(( (o + i) % n ))
    damage
    echo "round $i: ${variants[$v]%%|*}" >&2
    run_variant "$v"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

echo "| variant | median wall (s) over $repeat runs | runs (s) | wall ÷ -q | median CPU (s) | CPU ÷ -q | peak RSS (MB) |"
echo "|---|---:|---|---:|---:|---:|---:|"
base_wall=$(median < "$work/0.times")
base_cpu=$(cpu_of "$work/0.res")
for v in $(seq 0 $((n - 1))); do
  wall=$(median < "$work/$v.times")
  cpu=$(cpu_of "$work/$v.res")
  all=$(sort -n "$work/$v.times" | awk '{printf "%s%.2f", (NR > 1 ? ", " : ""), $1}')
  rss=$(rss_of "$work/$v.res")
  echo "| ${variants[$v]%%|*} | $(printf '%.2f' "$wall") | $all | $(echo "$wall $base_wall" | awk '{printf "%.2f", $1 / $2}') | $(printf '%.2f' "$cpu") | $(echo "$cpu $base_cpu" | awk '{printf "%.2f", $1 / $2}') | $rss |"
done
echo
echo "$tables tables x $rows rows; plain dump $(stat -c %s "$work/dump.sql") bytes; $(nproc) cores; PostgreSQL $(psql -At -c 'SHOW server_version') on the same machine"
