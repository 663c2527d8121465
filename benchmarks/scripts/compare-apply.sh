#!/usr/bin/env bash
# Whole-process comparison for issue 3: restoring the rows missing from one large table.
#   selective-restore apply --policy prefer-live   (stage, classify every row, insert missing, reseed, full report)
# vs the manual path a DBA would type:
#   psql: CREATE TEMP TABLE scratch (LIKE t); the table's COPY block into scratch; INSERT ... WHERE NOT EXISTS
# Same machine, same run, same damage before each timed run (1% rows deleted, 0.1% edited), N repetitions each;
# also `plan` and the live table's COPY TO STDOUT through psql (what the engine diff's live side costs the server).
#
# Usage: benchmarks/scripts/compare-apply.sh [ROWS=5000000] [REPEAT=3]
# Uses PGHOST/PGPORT/PGUSER if set, otherwise starts a throwaway cluster (scripts/lib/throwaway-pg.sh).
# OLD_CLI="dotnet /path/to/an/older/selective-restore.dll" adds that build to each round (an A/B, e.g. the
# server-side diff before issue 12 against the engine diff).
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-5000000}
repeat=${2:-3}
if [ -z "${PGHOST:-}" ]; then . scripts/lib/throwaway-pg.sh; throwaway_pg_start; fi
db=sr_bench_apply
work=$(mktemp -d /tmp/sr-bench-apply.XXXXXX)
trap 'rm -rf "$work"; dropdb --if-exists "$db" >/dev/null 2>&1 || true' EXIT

dotnet build src/Selective.Restore.Cli -c Release -v quiet -nologo >/dev/null
cli="dotnet src/Selective.Restore.Cli/bin/Release/net10.0/selective-restore.dll"

dropdb --if-exists "$db" >/dev/null 2>&1; createdb "$db"
psql -q -v ON_ERROR_STOP=1 "$db" <<SQL
CREATE TABLE events (id bigint PRIMARY KEY, account_id int NOT NULL, kind text NOT NULL, amount numeric(12,2), note text, created timestamptz NOT NULL);
INSERT INTO events SELECT g, g % 100000, (ARRAY['click','view','buy','refund'])[1 + g % 4], (g % 10000) / 100.0,
       CASE WHEN g % 7 = 0 THEN NULL ELSE 'note ' || md5(g::text) END, timestamptz '2025-01-01 00:00+00' + g * interval '1 second'
FROM generate_series(1, $rows) g;
SQL
pg_dump -t events "$db" > "$work/events.sql"
size=$(stat -c %s "$work/events.sql")

# EDITED_EVERY=2 edits every other row (the "half the rows differ" case) instead of one in 1000.
edited_every=${EDITED_EVERY:-1000}
damage() { psql -q "$db" -c "DELETE FROM events WHERE id % 100 = 0" -c "UPDATE events SET note = 'edited' WHERE id % $edited_every = 1" -c "VACUUM ANALYZE events" >/dev/null; }
manual() {
  { echo "BEGIN;"; echo "CREATE TEMP TABLE scratch (LIKE events);"
    sed -n '/^COPY public.events /,/^\\\.$/p' "$work/events.sql" | sed '1s/^COPY public.events /COPY scratch /'
    echo "INSERT INTO events SELECT s.* FROM scratch s WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = s.id);"; echo "COMMIT;"
  } | psql -q -v ON_ERROR_STOP=1 "$db"
}
# Each run of the CLI also records its CPU (user + system) and peak RSS.
apply_with() { /usr/bin/time -f "%U %S %M" -a -o "$work/$2.res" $1 apply "$work/events.sql" --target "Host=$PGHOST;Port=$PGPORT;Username=$PGUSER;Database=$db" --policy prefer-live --json "$work/report.json" >/dev/null; }
plan_with() { /usr/bin/time -f "%U %S %M" -a -o "$work/plan.res" $1 plan "$work/events.sql" --target "Host=$PGHOST;Port=$PGPORT;Username=$PGUSER;Database=$db" >/dev/null; }
ours() { apply_with "$cli" ours; }
old() { apply_with "$OLD_CLI" old; }
plan() { plan_with "$cli"; }
copy_out() { psql -qXc "COPY events TO STDOUT" "$db" > /dev/null; }

. benchmarks/scripts/lib/measure.sh
cpu() { cpu_of "$work/$1.res"; }
rss() { rss_of "$work/$1.res"; }

# The order alternates from round to round (the machine's state must not favour one path).
: > "$work/manual.times"; : > "$work/ours.times"; : > "$work/old.times"; : > "$work/plan.times"; : > "$work/copy.times"
for i in $(seq "$repeat"); do
  if [ $((i % 2)) -eq 1 ]; then
    damage; time_it manual >> "$work/manual.times"
    damage; time_it ours >> "$work/ours.times"
  else
    damage; time_it ours >> "$work/ours.times"
    damage; time_it manual >> "$work/manual.times"
  fi
  damage; time_it plan >> "$work/plan.times"
  time_it copy_out >> "$work/copy.times"
  if [ -n "${OLD_CLI:-}" ]; then damage; time_it old >> "$work/old.times"; fi
done
m=$(median < "$work/manual.times"); o=$(median < "$work/ours.times"); p=$(median < "$work/plan.times"); c=$(median < "$work/copy.times")
inserted=$(python3 -c "import json; print(json.load(open('$work/report.json'))['tables'][0]['inserted'])")
echo "| path | median wall time (s) over $repeat runs | ratio to manual | client CPU (s, median) | peak RSS (MB) |"
echo "|---|---|---|---|---|"
echo "| manual: psql COPY into temp + INSERT ... WHERE NOT EXISTS | $m | 1.00 | | |"
echo "| selective-restore apply --policy prefer-live (full report) | $o | $(echo "scale=2; $o / $m" | bc) | $(cpu ours) | $(rss ours) |"
echo "| selective-restore plan | $p | $(echo "scale=2; $p / $m" | bc) | $(cpu plan) | $(rss plan) |"
echo "| psql -c 'COPY events TO STDOUT' > /dev/null (apply / this: $(echo "scale=2; $o / $c" | bc)) | $c | $(echo "scale=2; $c / $m" | bc) | | |"
if [ -n "${OLD_CLI:-}" ]; then
  x=$(median < "$work/old.times"); echo "| the same apply with OLD_CLI | $x | $(echo "scale=2; $x / $m" | bc) | $(cpu old) | $(rss old) |"
fi
echo
echo "$rows rows (1% deleted, one in $edited_every edited), dump $size bytes; last run inserted $inserted rows; $(nproc) cores; PostgreSQL $(psql -At -c 'SHOW server_version')"
