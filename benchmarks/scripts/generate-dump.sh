#!/usr/bin/env bash
# Builds a realistic database with generate_series in a throwaway database and dumps it with the real
# pg_dump (plain format), so the benchmarks read exactly what users feed the tool.
#
#   benchmarks/scripts/generate-dump.sh SIZE_MB OUT [extra pg_dump args...]
#
#   SIZE_MB  approximate size of the dump in MB (10^6 bytes); the real size is printed at the end
#   OUT      the dump file to write (plain SQL)
#   extra    passed to pg_dump, e.g. --inserts or --rows-per-insert=100 for an INSERT-form dump
#
# Connection: the usual libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD...). With neither PGHOST nor
# PGPORT set, a throwaway cluster is started with scripts/lib/throwaway-pg.sh and removed afterwards.
# A database named sr_bench_<pid> is created on the server and dropped again on exit.
#
# Tables (the share of the dump is approximate):
#   public.customers    ~10%  7 columns: int, Unicode names, emails, char(2), timestamptz, numeric, notes
#                             with tabs/newlines/backslashes/emoji, NULLs
#   public.orders       ~30%  8 columns: bigserial (a setval in the dump), int, text, numeric, char(3),
#                             timestamps, NULL-heavy columns
#   public.order_lines  ~25%  6 columns: bigint, smallint, text, int, numeric, NULLs
#   audit.events        ~10%  narrow: bigint, smallint (many short rows: per-row overhead dominates)
#   public.documents    ~25%  wide: 40 columns: long text with escapes, text[], jsonb, bytea, ints,
#                             numerics, timestamps, booleans, mostly-NULL text columns
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 SIZE_MB OUT [pg_dump args...]" >&2
  exit 2
fi
size_mb=$1
out=$2
shift 2
case "$size_mb" in ''|*[!0-9]*) echo "SIZE_MB must be a whole number" >&2; exit 2 ;; esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

if [ -z "${PGHOST:-}" ] && [ -z "${PGPORT:-}" ]; then
  # shellcheck source=../../scripts/lib/throwaway-pg.sh
  . "$repo/scripts/lib/throwaway-pg.sh"
  throwaway_pg_start
fi
export PGUSER=${PGUSER:-postgres}

db="sr_bench_$$"
cleanup() {
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  if declare -F throwaway_pg_stop >/dev/null; then throwaway_pg_stop; fi
}
trap cleanup EXIT

# Bytes per dumped row, measured on PostgreSQL 15 (COPY form); used only to pick row counts.
bytes() { echo $(( size_mb * 1000000 * $1 / 100 / $2 )); }
n_customers=$(bytes 10 110)
n_orders=$(bytes 30 75)
n_lines=$(bytes 25 33)
n_events=$(bytes 10 10)
n_documents=$(bytes 25 1030)
for v in n_customers n_orders n_lines n_events n_documents; do
  [ "${!v}" -ge 1 ] || eval "$v=1"
done

echo "Creating database $db on ${PGHOST:-local}:${PGPORT:-5432}: customers=$n_customers orders=$n_orders" \
  "order_lines=$n_lines events=$n_events documents=$n_documents" >&2
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $db ENCODING 'UTF8' TEMPLATE template0" >/dev/null

start=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 -d "$db" \
  -v n_customers="$n_customers" -v n_orders="$n_orders" -v n_lines="$n_lines" \
  -v n_events="$n_events" -v n_documents="$n_documents" <<'SQL' >/dev/null
SET synchronous_commit = off;
SELECT setseed(0.42);

CREATE SCHEMA audit;

-- Text pieces, some with characters COPY must escape (tab, newline, backslash) and multi-byte UTF-8.
CREATE TEMP TABLE words(i int PRIMARY KEY, w text NOT NULL);
INSERT INTO words VALUES
  (0, 'lorem'), (1, 'ipsum'), (2, 'dolor'), (3, 'sit'), (4, 'amet'), (5, 'Zoë'), (6, 'Ångström'),
  (7, 'naïve café'), (8, '東京'), (9, 'Łódź'), (10, E'tab\there'), (11, E'two\nlines'),
  (12, E'C:\\Temp\\file.txt'), (13, 'emoji 🚀'), (14, 'quote''s'), (15, 'Ελληνικά'), (16, 'Привет'),
  (17, 'consectetur'), (18, 'adipiscing'), (19, 'elit');

CREATE FUNCTION phrase(seed bigint, n int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT string_agg(w.w, ' ' ORDER BY k)
  FROM generate_series(1, n) AS k
  JOIN words w ON w.i = ((seed * 7919 + k * 104729) % 101 + 101) % 101 % 40
$$;

CREATE TABLE public.customers (
  id integer PRIMARY KEY,
  name text NOT NULL,
  email text,
  country char(2),
  created_at timestamptz NOT NULL,
  balance numeric(12,2),
  notes text
);
INSERT INTO public.customers
SELECT g,
       (ARRAY['Anna','Björn','Zoë','José','François','Søren','Ελένη','Дмитрий','美咲','Olúwaseun'])[1 + g % 10]
         || ' ' || (ARRAY['Smith','Müller','O''Brien','Núñez','Łukasiewicz','van der Berg','李','Иванов'])[1 + (g / 10) % 8],
       CASE WHEN g % 23 = 0 THEN NULL ELSE 'user' || g || '@example.com' END,
       (ARRAY['US','DE','FR','JP','BR','PL','GR','RU'])[1 + g % 8],
       timestamptz '2015-01-01 00:00:00+00' + g * interval '37 seconds',
       CASE WHEN g % 11 = 0 THEN NULL ELSE round((random() * 100000)::numeric, 2) END,
       CASE WHEN g % 3 = 0 THEN NULL ELSE phrase(g, 2 + g % 9) END
FROM generate_series(1, :n_customers) AS g;

CREATE TABLE public.orders (
  id bigserial PRIMARY KEY,
  customer_id integer NOT NULL,
  status text NOT NULL,
  total numeric(10,2) NOT NULL,
  currency char(3) NOT NULL,
  ordered_at timestamp NOT NULL,
  shipped_at timestamp,
  comment text
);
INSERT INTO public.orders (customer_id, status, total, currency, ordered_at, shipped_at, comment)
SELECT 1 + (g * 7) % :n_customers,
       (ARRAY['new','paid','shipped','delivered','cancelled','refunded'])[1 + g % 6],
       round((random() * 5000)::numeric, 2),
       (ARRAY['USD','EUR','JPY','PLN'])[1 + g % 4],
       timestamp '2018-01-01' + g * interval '13 seconds',
       CASE WHEN g % 10 < 3 THEN NULL ELSE timestamp '2018-01-02' + g * interval '13 seconds' END,
       CASE WHEN g % 10 = 0 THEN phrase(g, 3 + g % 5) ELSE NULL END
FROM generate_series(1, :n_orders) AS g;

CREATE TABLE public.order_lines (
  order_id bigint NOT NULL,
  line_no smallint NOT NULL,
  sku text NOT NULL,
  quantity integer NOT NULL,
  unit_price numeric(10,2) NOT NULL,
  discount numeric(5,2),
  PRIMARY KEY (order_id, line_no)
);
INSERT INTO public.order_lines
SELECT 1 + g / 3, 1 + g % 3,
       'SKU-' || lpad(((g * 2654435761) % 100000)::text, 6, '0'),
       1 + g % 9,
       round((random() * 300)::numeric, 2),
       CASE WHEN g % 4 = 0 THEN round((random() * 50)::numeric, 2) ELSE NULL END
FROM generate_series(0, :n_lines - 1) AS g;

CREATE TABLE audit.events (
  id bigint NOT NULL,
  kind smallint NOT NULL
);
INSERT INTO audit.events SELECT g, (g % 17)::smallint FROM generate_series(1, :n_events) AS g;

CREATE TABLE public.documents (
  id integer PRIMARY KEY,
  title text NOT NULL,
  body text,
  tags text[],
  attrs jsonb,
  blob bytea,
  i1 integer, i2 integer, i3 integer, i4 integer, i5 bigint, i6 bigint, i7 smallint, i8 smallint,
  n1 numeric(14,4), n2 numeric(14,4), n3 numeric, n4 double precision, n5 real,
  t1 timestamptz, t2 timestamptz, t3 date, t4 time,
  b1 boolean, b2 boolean, b3 boolean,
  s1 text, s2 text, s3 text, s4 text, s5 text, s6 text, s7 text, s8 text, s9 text, s10 text,
  u1 uuid, ip inet, d1 interval, c1 varchar(40)
);
INSERT INTO public.documents
SELECT g,
       phrase(g, 4),
       CASE WHEN g % 50 = 0 THEN NULL ELSE phrase(g, 40 + g % 120) END,
       ARRAY[phrase(g, 1), phrase(g + 1, 1), 'tag"' || g % 13],
       jsonb_build_object('id', g, 'name', phrase(g, 2), 'path', E'C:\\data\\' || g, 'nested',
                          jsonb_build_object('ok', g % 2 = 0, 'score', g % 1000 / 7.0)),
       CASE WHEN g % 5 = 0 THEN decode(md5(g::text), 'hex') ELSE NULL END,
       g % 1000, g * 3, -g, g % 7, g::bigint * 100003, NULL, (g % 300)::smallint, NULL,
       round((random() * 1e6)::numeric, 4), CASE WHEN g % 2 = 0 THEN NULL ELSE g / 3.0 END, g % 97, random() * 1e3, (random() * 100)::real,
       timestamptz '2020-01-01 00:00:00+00' + g * interval '1 minute', CASE WHEN g % 4 = 0 THEN NULL ELSE now() END,
       date '2000-01-01' + g % 9000, time '00:00' + (g % 86400) * interval '1 second',
       g % 2 = 0, CASE WHEN g % 3 = 0 THEN NULL ELSE g % 3 = 1 END, true,
       phrase(g, 3), phrase(g + 5, 2), CASE WHEN g % 2 = 0 THEN phrase(g, 6) END, NULL, NULL,
       CASE WHEN g % 10 = 0 THEN E'x\ty' END, NULL, NULL, NULL, 'const',
       md5(g::text)::uuid, ('10.' || g % 256 || '.' || (g / 256) % 256 || '.1')::inet,
       g * interval '17 minutes', 'code-' || g
FROM generate_series(1, :n_documents) AS g;

DROP FUNCTION phrase(bigint, int);
SQL
echo "Data generated in $(( $(date +%s) - start ))s; running pg_dump $*" >&2

start=$(date +%s)
pg_dump -d "$db" --no-owner "$@" -f "$out"
bytes_out=$(stat -c %s "$out")
echo "Wrote $out: $bytes_out bytes ($(( bytes_out / 1000000 )) MB) in $(( $(date +%s) - start ))s" >&2
