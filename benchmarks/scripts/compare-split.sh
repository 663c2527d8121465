#!/usr/bin/env bash
# Whole-process comparison on one plain dump, in one run: what a user would otherwise do (cp, a per-table
# awk splitter) against `selective-restore split` and `selective-restore inspect`.
#
#   benchmarks/scripts/compare-split.sh DUMP
#
# Environment:
#   REPS      timed repetitions per command (default 5); the table shows the median wall time, the median
#             CPU time (user + system) and the largest peak RSS seen, all from GNU time
#             (/usr/bin/time -f '%e %U %S %M'). CPU time is the steadier figure on a shared machine.
#   CLI_DLL   the selective-restore.dll to run (default: the repo's Release build, built when missing)
#   WORK      scratch directory for outputs (default: a new directory under /tmp, removed at the end)
#   AWK       the awk to time (default: awk on PATH, which is mawk on Debian)
#   VARIANT   optional environment assignments (e.g. "DOTNET_TieredCompilation=0") for extra rows that run
#             split and inspect again with them, to try runtime settings without rebuilding
#
# The page cache is not dropped (that needs root and a quiet machine): the dump is read once with cat
# beforehand so every command reads it from memory, and `sync` runs (untimed) before each timed run so
# one command's dirty output pages are not written back during the next one. Outputs go to WORK and are
# deleted (untimed) between runs. The commands run round-robin (cp, awk, split, inspect, cp, ...) so a
# burst of load from elsewhere hits all of them alike; the load average is printed before and after.
# Progress goes to stderr, the markdown table to stdout.
set -euo pipefail

if [ $# -ne 1 ] || [ ! -f "$1" ]; then
  echo "usage: $0 DUMP   (REPS=5 CLI_DLL=... WORK=... AWK=awk)" >&2
  exit 2
fi
dump=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
reps=${REPS:-5}
awk_bin=${AWK:-awk}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
dll=${CLI_DLL:-$repo/src/Selective.Restore.Cli/bin/Release/net10.0/selective-restore.dll}
gnutime=/usr/bin/time
[ -x "$gnutime" ] || { echo "GNU time is needed at $gnutime (apt-get install time)" >&2; exit 1; }

if [ ! -f "$dll" ]; then
  echo "Building the CLI in Release..." >&2
  dotnet build "$repo/src/Selective.Restore.Cli" -c Release -v quiet -nologo >&2
fi

if [ -n "${WORK:-}" ]; then
  work=$WORK
  mkdir -p "$work"
else
  work=$(mktemp -d /tmp/compare-split.XXXXXX)
  trap 'rm -rf "$work"' EXIT
fi

# The awk splitter a user would write: a new file at each COPY, every line up to and including \. into it.
awk_split='/^COPY / { n++; f = sprintf("%s/%04d.sql", out, n); inblock = 1 }
inblock { print > f }
/^\\\.$/ { if (inblock) { close(f); inblock = 0 } }'

size=$(stat -c %s "$dump")
echo "Warming the page cache: cat $dump > /dev/null" >&2
cat "$dump" >/dev/null

# run NAME COMMAND...: one timed run into $work/out (emptied first); appends "wall user sys kilobytes".
run() {
  local name=$1
  shift
  rm -rf "$work/out"
  mkdir -p "$work/out"
  sync
  "$gnutime" -f '%e %U %S %M' -o "$work/time.txt" "$@" >"$work/$name.stdout" 2>"$work/$name.stderr" \
    || { echo "$name failed:" >&2; cat "$work/$name.stderr" >&2; exit 1; }
  tail -n 1 "$work/time.txt" >>"$work/$name.times"
  echo "  $name: $(tail -n 1 "$work/time.txt" | awk '{ printf "%.2f s wall, %.2f s CPU, %.1f MB RSS", $1, $2 + $3, $4 / 1024 }')" >&2
}

# One untimed run of the .NET tool first, so the first timed run does not pay for cold DLL loading.
dotnet "$dll" inspect "$dump" >/dev/null

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
names="cp awk split inspect"
[ -z "${VARIANT:-}" ] || names="$names split_variant inspect_variant"
for name in $names; do : >"$work/$name.times"; done
for i in $(seq 1 "$reps"); do
  echo "Round $i/$reps" >&2
  run cp cp "$dump" "$work/out/"
  run awk "$awk_bin" -v out="$work/out" "$awk_split" "$dump"
  awk_files=$(find "$work/out" -name '*.sql' | wc -l)
  run split dotnet "$dll" split "$dump" --out "$work/out/split"
  split_files=$(find "$work/out/split" -name '[0-9]*.sql' | wc -l)
  run inspect dotnet "$dll" inspect "$dump"
  if [ -n "${VARIANT:-}" ]; then
    # shellcheck disable=SC2086 # VARIANT is a list of NAME=VALUE words
    run split_variant env $VARIANT dotnet "$dll" split "$dump" --out "$work/out/split"
    # shellcheck disable=SC2086
    run inspect_variant env $VARIANT dotnet "$dll" inspect "$dump"
  fi
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

if [ "$awk_files" != "$split_files" ]; then
  echo "warning: awk wrote $awk_files table files but split wrote $split_files" >&2
fi

# "median-wall min-wall max-wall median-cpu max-rss-kB" of a command's runs
stats() {
  awk '{ print $1, $2 + $3, $4 }' "$work/$1.times" | sort -n | awk '
    function median(a, n) { return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    { w[NR] = $1; c[NR] = $2; if ($3 > m) m = $3 }
    END { for (i = 2; i <= NR; i++) for (j = i; j > 1 && c[j - 1] > c[j]; j--) { t = c[j]; c[j] = c[j - 1]; c[j - 1] = t }
          printf "%s %s %s %s %s\n", median(w, NR), w[1], w[NR], median(c, NR), m }'
}
read -r cp_med _ _ cp_cpu _ < <(stats cp)
read -r awk_med _ _ awk_cpu _ < <(stats awk)

echo "Dump: \`$(basename "$dump")\`, $size bytes ($(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1e6 }') MB); $reps runs of each command, round-robin; the file warm in the page cache."
echo "$(nproc) cores; load average before: $load_before, after: $load_after; awk is \`$("$awk_bin" -W version 2>&1 | head -n 1)\`; .NET $(dotnet --list-runtimes | awk '/NETCore.App/ { v = $2 } END { print v }'); $(date -u '+%Y-%m-%d %H:%M UTC')."
echo
echo "| command | median wall (s) | min–max wall (s) | MB/s (wall) | wall ÷ awk | wall ÷ cp | median CPU (s) | CPU ÷ awk | peak RSS (MB) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for name in $names; do
  case $name in
    cp) label="\`cp DUMP dir/\`" ;;
    awk) label="awk per-table splitter" ;;
    split) label="\`selective-restore split DUMP --out DIR\`" ;;
    inspect) label="\`selective-restore inspect DUMP\`" ;;
    split_variant) label="split with \`$VARIANT\`" ;;
    inspect_variant) label="inspect with \`$VARIANT\`" ;;
  esac
  read -r med min max cpu rss < <(stats "$name")
  awk -v l="$label" -v med="$med" -v min="$min" -v max="$max" -v cpu="$cpu" -v rss="$rss" -v size="$size" \
      -v a="$awk_med" -v c="$cp_med" -v ac="$awk_cpu" 'BEGIN {
    mbs = med > 0 ? sprintf("%.0f", size / 1e6 / med) : "n/a"
    va = a > 0 ? sprintf("%.2f", med / a) : "-"
    vc = c > 0 ? sprintf("%.1f", med / c) : "-"
    vac = ac > 0 ? sprintf("%.2f", cpu / ac) : "-"
    printf "| %s | %.2f | %.2f–%.2f | %s | %s | %s | %.2f | %s | %.1f |\n", l, med, min, max, mbs, va, vc, cpu, vac, rss / 1024 }'
done
echo
read -r split_med _ _ split_cpu _ < <(stats split)
awk -v a="$awk_med" -v s="$split_med" -v ac="$awk_cpu" -v sc="$split_cpu" 'BEGIN {
  printf "split speed-up over the awk splitter: %.2f× by median wall time, %.2f× by median CPU time (goal: ≥ 4×)\n", a / s, ac / sc }'
read -r _ _ _ _ inspect_rss < <(stats inspect)
awk -v r="$inspect_rss" 'BEGIN { printf "inspect peak RSS: %.1f MB (goal: ≤ 200 MB)\n", r / 1024 }'
