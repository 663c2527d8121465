#!/usr/bin/env bash
# Whole-process comparison on SQLite (the embedded default): restoring the rows an app.db lost, from yesterday's
# copy of the file or from its sqlite3 .dump, against what a user would otherwise type into sqlite3:
#   ATTACH the copy; INSERT OR IGNORE INTO t SELECT * FROM copy.t     (per table, one transaction)
#   the .dump's INSERT lines rewritten to INSERT OR IGNORE, piped into sqlite3 (the script approach)
# Neither checks anything, compares values or reports: they are the floor. selective-restore runs as a user would,
# with prefer-live, -q and a JSON report. Same damage before each timed run (2% of the rows deleted in every table,
# 0.1% edited), variants round-robin, REPEAT times each; wall, CPU (user + system) and peak RSS. Every run's result is
# checked: the live file must hold every row of the copy again (edited rows keep the live values).
#
# Usage: benchmarks/scripts/compare-sqlite.sh [ROWS=500000] [REPEAT=5] [TABLES=4]
# BASELINE_CLI=/path/to/an/older/selective-restore.dll adds its two runs as variants (interleaved with the others):
# a before/after comparison on the same data, under the same load.
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-500000}
repeat=${2:-5}
tables=${3:-4}
command -v sqlite3 >/dev/null || { echo "sqlite3 is needed" >&2; exit 1; }
work=$(mktemp -d /tmp/sr-bench-sqlite.XXXXXX)
trap 'rm -rf "$work"' EXIT

dotnet build src/Selective.Restore.Cli -c Release -v quiet -nologo >/dev/null
cli="dotnet src/Selective.Restore.Cli/bin/Release/net10.0/selective-restore.dll"

for k in $(seq "$tables"); do
  sqlite3 "$work/backup.db" "CREATE TABLE events$k (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, kind TEXT NOT NULL, amount REAL, note TEXT, created TEXT NOT NULL);
    WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < $rows)
    INSERT INTO events$k SELECT n, n % 100000, CASE n % 4 WHEN 0 THEN 'click' WHEN 1 THEN 'view' WHEN 2 THEN 'buy' ELSE 'refund' END,
      (n % 10000) / 100.0, CASE WHEN n % 7 = 0 THEN NULL ELSE 'note ' || hex(randomblob(8)) END, datetime(1735689600 + n, 'unixepoch') FROM g;"
done
sqlite3 "$work/backup.db" .dump > "$work/backup.sql"
# What a correct restore leaves: every row of the copy, except the edited ones, which keep their live values.
expected() { sqlite3 "$1" "$(for k in $(seq "$tables"); do printf "SELECT count(*), sum(id), sum(note = 'edited') FROM events%s UNION ALL " "$k"; done) SELECT 0, 0, 0;" | md5sum; }

damage() {
  cp "$work/backup.db" "$work/live.db"
  local sql="BEGIN;"
  for k in $(seq "$tables"); do sql+="DELETE FROM events$k WHERE id % 50 = 7; UPDATE events$k SET note = 'edited' WHERE id % 1000 = 1;"; done
  sqlite3 "$work/live.db" "$sql COMMIT; VACUUM;"
}
damage; cp "$work/live.db" "$work/undamaged-edits.db"
sqlite3 "$work/undamaged-edits.db" "ATTACH '$work/backup.db' AS b; $(for k in $(seq "$tables"); do echo "INSERT OR IGNORE INTO main.events$k SELECT * FROM b.events$k;"; done)"
want=$(expected "$work/undamaged-edits.db")

attach_sql() { echo "ATTACH '$work/backup.db' AS b; BEGIN;"; for k in $(seq "$tables"); do echo "INSERT OR IGNORE INTO main.events$k SELECT * FROM b.events$k;"; done; echo "COMMIT;"; }
variants=(
  "sqlite3: ATTACH + INSERT OR IGNORE"
  "sqlite3: .dump as INSERT OR IGNORE"
  "selective-restore apply --from app-copy.db"
  "selective-restore apply backup.sql"
)
baseline=${BASELINE_CLI:+dotnet $BASELINE_CLI}
if [ -n "$baseline" ]; then
  variants+=("baseline: apply --from app-copy.db" "baseline: apply backup.sql")
fi
run_variant() {
  case $1 in
    0) attach_sql > "$work/attach.sql"; /usr/bin/time -f "%U %S %M" -a -o "$work/0.res" sqlite3 "$work/live.db" ".read $work/attach.sql" ;;
    1) /usr/bin/time -f "%U %S %M" -a -o "$work/1.res" bash -c "grep -v '^CREATE ' '$work/backup.sql' | sed 's/^INSERT INTO /INSERT OR IGNORE INTO /' | sqlite3 '$work/live.db'" ;;
    2) /usr/bin/time -f "%U %S %M" -a -o "$work/2.res" $cli apply --from "$work/backup.db" --target "$work/live.db" --policy prefer-live -q --json "$work/report.json" >/dev/null ;;
    3) /usr/bin/time -f "%U %S %M" -a -o "$work/3.res" $cli apply "$work/backup.sql" --target "$work/live.db" --policy prefer-live -q --json "$work/report.json" >/dev/null ;;
    4) /usr/bin/time -f "%U %S %M" -a -o "$work/4.res" $baseline apply --from "$work/backup.db" --target "$work/live.db" --policy prefer-live -q --json "$work/report.json" >/dev/null ;;
    5) /usr/bin/time -f "%U %S %M" -a -o "$work/5.res" $baseline apply "$work/backup.sql" --target "$work/live.db" --policy prefer-live -q --json "$work/report.json" >/dev/null ;;
  esac
}

. benchmarks/scripts/lib/measure.sh
n=${#variants[@]}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for i in $(seq "$repeat"); do
  for o in $(seq 0 $((n - 1))); do
    v=$(( (o + i) % n ))
    damage
    echo "round $i: ${variants[$v]}" >&2
    s=$(date +%s.%N); run_variant "$v"; e=$(date +%s.%N)
    echo "$e - $s" | bc >> "$work/$v.times"
    got=$(expected "$work/live.db")
    [ "$got" = "$want" ] || { echo "'${variants[$v]}' left a different result" >&2; exit 1; }
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

echo "| command | median wall (s) over $repeat runs | runs (s) | wall ÷ ATTACH | median CPU (s) | peak RSS (MB) |"
echo "|---|---:|---|---:|---:|---:|"
base=$(median < "$work/0.times")
for v in $(seq 0 $((n - 1))); do
  wall=$(median < "$work/$v.times")
  cpu=$(cpu_of "$work/$v.res")
  all=$(sort -n "$work/$v.times" | awk '{printf "%s%.2f", (NR > 1 ? ", " : ""), $1}')
  rss=$(rss_of "$work/$v.res")
  echo "| ${variants[$v]} | $(printf '%.2f' "$wall") | $all | $(echo "$wall $base" | awk '{printf "%.2f", $1 / $2}') | $(printf '%.2f' "$cpu") | $rss |"
done
echo
echo "$tables tables x $rows rows; app.db $(stat -c %s "$work/backup.db") bytes, .dump $(stat -c %s "$work/backup.sql") bytes; sqlite3 $(sqlite3 --version | cut -d' ' -f1); $(nproc) cores"
