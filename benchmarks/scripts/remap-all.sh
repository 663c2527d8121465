#!/usr/bin/env bash
# The identity key's worst case for memory: every row of a parent collides (its id now belongs to someone else) and
# is remapped, and every child row follows its parent's new key. Two key maps get one entry per row (dump key -> new
# key, and back), so this shows whether they stay within the diff's memory budget (they spill past it).
#   accounts (id bigserial, email unique) and notes (account_id -> accounts), ROWS rows each; live: every account's
#   email changed, no notes; apply --identity-key public.accounts=email --on-collision remap.
#
# Usage: benchmarks/scripts/remap-all.sh [ROWS=1000000] [REPEAT=2]
# Uses PGHOST/PGPORT/PGUSER if set, otherwise starts a throwaway cluster (scripts/lib/throwaway-pg.sh).
# CLI="dotnet /path/to/selective-restore.dll" picks the build (default: this checkout's Release build).
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-1000000}
repeat=${2:-2}
if [ -z "${PGHOST:-}" ]; then . scripts/lib/throwaway-pg.sh; throwaway_pg_start; fi
db=sr_bench_remap
work=$(mktemp -d /tmp/sr-bench-remap.XXXXXX)
trap 'rm -rf "$work"; dropdb --if-exists "$db" >/dev/null 2>&1 || true' EXIT
if [ -z "${CLI:-}" ]; then
  dotnet build -c Release src/Selective.Restore.Cli >/dev/null
  CLI="dotnet src/Selective.Restore.Cli/bin/Release/net10.0/selective-restore.dll"
fi

dropdb --if-exists "$db" >/dev/null 2>&1; createdb "$db"
psql -q -X -v ON_ERROR_STOP=1 "$db" \
  -c "CREATE TABLE accounts (id bigserial PRIMARY KEY, email text UNIQUE NOT NULL)" \
  -c "CREATE TABLE notes (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts, body text)" \
  -c "INSERT INTO accounts (email) SELECT 'user' || g || '@example.org' FROM generate_series(1, $rows) g" \
  -c "INSERT INTO notes (account_id, body) SELECT g, 'note ' || g FROM generate_series(1, $rows) g"
pg_dump "$db" > "$work/dump.sql"
conn="Host=${PGHOST};Port=${PGPORT:-5432};Username=${PGUSER:-postgres};Database=$db"

echo "| run | wall | client CPU (user+sys) | peak RSS | accounts remapped | notes inserted |"
echo "|---:|---:|---:|---:|---:|---:|"
for run in $(seq 1 "$repeat"); do
  dropdb "$db"; createdb "$db"; psql -q -X -v ON_ERROR_STOP=1 "$db" -f "$work/dump.sql" >/dev/null
  psql -q -X -v ON_ERROR_STOP=1 "$db" -c "DELETE FROM notes" -c "UPDATE accounts SET email = 'other' || id || '@example.net'" -c "VACUUM ANALYZE" >/dev/null
  /usr/bin/time -o "$work/time" -f "%e %U %S %M" $CLI apply "$work/dump.sql" --target "$conn" \
    --identity-key public.accounts=email --on-collision remap --json "$work/report.json" >/dev/null 2>"$work/stderr"
  read -r wall user sys rss < "$work/time"
  counts=$(python3 -c "import json,sys; t={x['table']:x for x in json.load(open(sys.argv[1]))['tables']}; print(t['accounts'].get('remapped'), t['notes']['inserted'])" "$work/report.json")
  read -r remapped inserted <<< "$counts"
  echo "| $run | $wall s | $(python3 -c "print(round($user+$sys,1))") s | $((rss / 1024)) MB | $remapped | $inserted |"
done
