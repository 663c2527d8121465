# Sourced by the compare-*.sh scripts (after they cd to the repository root): the helpers every timing table uses.
# A .res file holds one line per run as GNU time writes it with -f "%U %S %M": user s, system s, peak RSS in KB.

# The median of the numbers on stdin, one per line.
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# Runs the command and prints its wall time in seconds.
time_it() { local s e; s=$(date +%s.%N); "$@"; e=$(date +%s.%N); echo "$e - $s" | bc; }

# The median CPU time (user + system, s) of the runs in the .res file FILE; nothing when it is empty or missing.
cpu_of() { [ -s "$1" ] && awk '{print $1 + $2}' "$1" | median; }

# The highest peak RSS (MB) of the runs in the .res file FILE; nothing when it is empty or missing.
rss_of() { [ -s "$1" ] && awk '{print $3}' "$1" | sort -n | tail -1 | awk '{printf "%.0f", $1 / 1024}'; }
