#!/usr/bin/env bash
# Needs: the database $DB with public.events loaded from $WORK/events.sql (compare-apply.sh builds both).
# A/B: server-side diff (OLD_CLI) vs engine diff (NEW_CLI) vs the manual path, DB.events (5M rows), same damage before each run.
set -euo pipefail
repeat=${1:-2}
: "${PGHOST:?set PGHOST, PGPORT and PGUSER to the server holding DB}"; export PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
db=${DB:-sr_ab2}; work=${WORK:-/tmp/sr-ab}
old=${OLD_CLI:?set OLD_CLI to the dotnet command of a build before the engine diff}
new=${NEW_CLI:-"dotnet src/Selective.Restore.Cli/bin/Release/net10.0/selective-restore.dll"}
damage() { psql -q "$db" -c "DELETE FROM events WHERE id % 100 = 0" -c "UPDATE events SET note = 'edited' WHERE id % 1000 = 1" -c "VACUUM ANALYZE events" >/dev/null; }
manual() {
  { echo "BEGIN;"; echo "CREATE TEMP TABLE scratch (LIKE events);"
    sed -n '/^COPY public.events /,/^\\\.$/p' "$work/events.sql" | sed '1s/^COPY public.events /COPY scratch /'
    echo "INSERT INTO events SELECT s.* FROM scratch s WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = s.id);"; echo "COMMIT;"
  } | psql -q -v ON_ERROR_STOP=1 "$db"
}
run() { /usr/bin/time -f "$2 %e s wall, %U user %S sys, %M KB" $1 apply "$work/events.sql" --target "Host=$PGHOST;Port=$PGPORT;Username=$PGUSER;Database=$db" --policy prefer-live --json "$work/report-$2.json" >/dev/null; }
for i in $(seq $repeat); do
  damage; s=$(date +%s.%N); manual; e=$(date +%s.%N); echo "manual $(echo "$e - $s" | bc) s"
  damage; run "$new" engine
  damage; run "$old" server
done
