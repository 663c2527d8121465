#!/usr/bin/env bash
# Issue 4: reading one table out of a multi-table pg_dump custom archive, whole process, same run:
#   pg_restore --data-only -t TABLE -f OUT ARCHIVE          (what a user types today)
#   selective-restore split ARCHIVE --table S.TABLE --out D  (the same table as a psql-loadable file)
#   selective-restore inspect ARCHIVE --table S.TABLE         (read, validate and count the rows)
# for each table given, round-robin, REPS repetitions, median wall time and peak RSS (GNU time).
#
#   benchmarks/scripts/compare-archive.sh ARCHIVE schema.table [schema.table ...]
# Environment: REPS (default 5), CLI_DLL (default: the repo's Release build), WORK (scratch directory).
set -euo pipefail
if [ $# -lt 2 ] || [ ! -f "$1" ]; then
  echo "usage: $0 ARCHIVE schema.table [schema.table ...]" >&2
  exit 2
fi
archive=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
reps=${REPS:-5}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
dll=${CLI_DLL:-$repo/src/Selective.Restore.Cli/bin/Release/net10.0/selective-restore.dll}
gnutime=/usr/bin/time
[ -x "$gnutime" ] || { echo "GNU time is needed at $gnutime" >&2; exit 1; }
if [ ! -f "$dll" ]; then dotnet build "$repo/src/Selective.Restore.Cli" -c Release -v quiet -nologo >&2; fi
work=${WORK:-$(mktemp -d /tmp/sr-archive.XXXXXX)}
mkdir -p "$work"
cat "$archive" > /dev/null   # into the page cache for every command alike

. "$here/lib/measure.sh"
run() { # name command...
  local name=$1; shift
  sync
  "$gnutime" -f '%e %M' -o "$work/$name.t" "$@" > /dev/null 2> "$work/$name.err" || { cat "$work/$name.err" >&2; exit 1; }
  cat "$work/$name.t" >> "$work/$name.times"
  rm -rf "$work/out" "$work/split"
}

echo "| table | command | median wall (s) | peak RSS (MB) | ratio to pg_restore |"
echo "|---|---|---:|---:|---:|"
for qualified in "$@"; do
  schema=${qualified%%.*}; table=${qualified#*.}
  rm -f "$work"/*.times
  for i in $(seq "$reps"); do
    echo "  $qualified run $i/$reps" >&2
    run pg_restore pg_restore --data-only -n "$schema" -t "$table" -f "$work/out" "$archive"
    run split dotnet "$dll" split "$archive" --table "$qualified" --out "$work/split"
    run inspect dotnet "$dll" inspect "$archive" --table "$qualified"
  done
  base=$(cut -d' ' -f1 "$work/pg_restore.times" | median)
  for name in pg_restore split inspect; do
    wall=$(cut -d' ' -f1 "$work/$name.times" | median)
    rss=$(cut -d' ' -f2 "$work/$name.times" | sort -n | tail -1)
    echo "| $qualified | $name | $wall | $(echo "scale=1; $rss / 1024" | bc) | $(echo "scale=2; $wall / $base" | bc) |"
  done
done
echo
echo "archive: $(stat -c %s "$archive") bytes; $reps runs each; $(nproc) cores; $(pg_restore --version)"
[ -z "${WORK:-}" ] && rm -rf "$work"
