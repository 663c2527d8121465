#!/usr/bin/env bash
# Whole-process cost of issue 5's options on one large table, against the plain apply of the same damage:
#   apply --policy prefer-live                                  (baseline)
#   + --identity-key public.accounts=email                      (collisions, undetermined, relocated checked)
#   + --on-collision remap                                      (new keys for collisions, children follow)
#   + --undo FILE                                               (every written row streamed back into the undo script)
#   + --journal FILE                                            (a checkpoint per table)
# Each timed run starts from the same damaged copy (createdb -T), alternating, N repetitions.
# Damage: 1% of rows deleted, 0.1% edited, 0.01% of IDs recycled by different people (collisions), 0.1% emails NULL.
#
# Usage: benchmarks/scripts/compare-identity.sh [ROWS=1000000] [REPEAT=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-1000000}
repeat=${2:-3}
if [ -z "${PGHOST:-}" ]; then . scripts/lib/throwaway-pg.sh; throwaway_pg_start; fi
tpl=sr_bench_identity_tpl
db=sr_bench_identity
work=$(mktemp -d /tmp/sr-bench-identity.XXXXXX)
trap 'rm -rf "$work"; dropdb --if-exists "$db" >/dev/null 2>&1 || true; dropdb --if-exists "$tpl" >/dev/null 2>&1 || true' EXIT

dotnet build src/Selective.Restore.Cli -c Release -v quiet -nologo >/dev/null
cli="dotnet src/Selective.Restore.Cli/bin/Release/net10.0/selective-restore.dll"

dropdb --if-exists "$tpl" >/dev/null 2>&1; createdb "$tpl"
psql -q -v ON_ERROR_STOP=1 "$tpl" <<SQL
CREATE TABLE accounts (id bigserial PRIMARY KEY, email text UNIQUE, name text NOT NULL, balance numeric(12,2), created timestamptz NOT NULL);
INSERT INTO accounts (email, name, balance, created)
SELECT 'user' || g || '@example.com', 'User ' || g, (g % 10000) / 100.0, timestamptz '2025-01-01 00:00+00' + g * interval '1 minute'
FROM generate_series(1, $rows) g;
SQL
pg_dump -t accounts "$tpl" > "$work/accounts.sql"
size=$(stat -c %s "$work/accounts.sql")
psql -q -v ON_ERROR_STOP=1 "$tpl" <<SQL
DELETE FROM accounts WHERE id % 100 = 0;
UPDATE accounts SET name = 'edited' WHERE id % 1000 = 1;
UPDATE accounts SET email = 'someone-else-' || id || '@example.com', name = 'Someone else' WHERE id % 10000 = 7;
UPDATE accounts SET email = NULL WHERE id % 1000 = 3;
VACUUM ANALYZE accounts;
SQL

. benchmarks/scripts/lib/measure.sh
run() {
  dropdb --if-exists "$db" >/dev/null 2>&1; createdb -T "$tpl" "$db"; rm -rf "$work/undo.sql" "$work/undo.sql.parts" "$work/journal"
  local s e; s=$(date +%s.%N)
  $cli apply "$work/accounts.sql" --target "Host=$PGHOST;Port=$PGPORT;Username=$PGUSER;Database=$db" --policy prefer-live --json "$work/report-$1.json" "${@:2}" >/dev/null
  e=$(date +%s.%N); echo "$e - $s" | bc >> "$work/$1.times"
}

names=(baseline identity remap undo journal)
for n in "${names[@]}"; do : > "$work/$n.times"; done
variant() {
  case $1 in
    baseline) run baseline ;;
    identity) run identity --identity-key public.accounts=email ;;
    remap) run remap --identity-key public.accounts=email --on-collision remap ;;
    undo) run undo --identity-key public.accounts=email --on-collision remap --undo "$work/undo.sql" ;;
    journal) run journal --identity-key public.accounts=email --on-collision remap --undo "$work/undo.sql" --journal "$work/journal" ;;
  esac
}
# The order alternates (forward, backward) so no variant always runs first after a cold template copy.
for i in $(seq "$repeat"); do
  if [ $((i % 2)) -eq 1 ]; then order=("${names[@]}"); else order=(journal undo remap identity baseline); fi
  for n in "${order[@]}"; do variant "$n"; done
done
for n in "${names[@]}"; do echo "$n: $(tr "\n" " " < "$work/$n.times")" >&2; done
base=$(median < "$work/baseline.times")
echo "| options | median wall time (s) over $repeat runs | ratio to baseline |"
echo "|---|---|---|"
for n in "${names[@]}"; do
  t=$(median < "$work/$n.times")
  echo "| $n | $t | $(echo "scale=2; $t / $base" | bc) |"
done
echo
python3 - "$work" <<'PY'
import json, sys
r = json.load(open(sys.argv[1] + "/report-journal.json"))["tables"][0]
print(f"last run: {r['missing']} missing, {r['conflicting']} conflicting, {r['collisions']} collisions ({r['remapped']} remapped), "
      f"{r['undetermined']} undetermined, {r['inserted']} inserted")
PY
echo "$rows rows, dump $size bytes, undo script $(stat -c %s "$work/undo.sql" 2>/dev/null || echo 0) bytes; $(nproc) cores; PostgreSQL $(psql -At -c 'SHOW server_version')"
