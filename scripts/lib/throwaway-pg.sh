#!/usr/bin/env bash
# Sourced by scripts/test and scripts/demo: starts a throwaway PostgreSQL cluster on 127.0.0.1 and a free
# port (installing the server with apt-get when it is missing), exports SELECTIVE_RESTORE_PG and PG* for
# the client tools, and stops and deletes the cluster on exit. Never touches an existing cluster.
#
# The port: SELECTIVE_RESTORE_PG_PORT when set (an error naming it if the server cannot bind it); otherwise one the
# OS reports free (bind to port 0), and when the server still cannot bind it (something took it in between, such as
# the local port of an outgoing connection) another one, up to 10 times.

pg_bin_dir() {
  local ctl
  ctl=$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1)
  [ -n "$ctl" ] && dirname "$ctl"
}

# A port nothing is bound to right now, chosen by the OS. Racy by nature (it is free only until someone else takes
# it), so the caller retries when the server then fails to bind it. Without python3: a random port below the range
# Linux hands out to outgoing connections (32768 and up).
throwaway_pg_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((20000 + RANDOM % 12000))
}

throwaway_pg_start() {
  local bin
  bin=$(pg_bin_dir)
  if [ -z "$bin" ]; then
    echo "PostgreSQL server not found; installing it with apt-get" >&2
    if [ "$(id -u)" -ne 0 ]; then echo "need root to apt-get install postgresql" >&2; return 1; fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 && \
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 || return 1
    bin=$(pg_bin_dir)
  fi
  export PATH="$bin:$PATH"

  THROWAWAY_PG_DIR=$(mktemp -d /tmp/selective-restore-pg.XXXXXX)
  local run=()
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$THROWAWAY_PG_DIR"
    run=(su postgres -s /bin/bash -c)
  else
    run=(bash -c)
  fi
  "${run[@]}" "'$bin/initdb' -D '$THROWAWAY_PG_DIR/data' -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >'$THROWAWAY_PG_DIR/initdb.log' 2>&1" \
    || { cat "$THROWAWAY_PG_DIR/initdb.log" >&2; throwaway_pg_remove; return 1; }

  local port attempt
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    port=${SELECTIVE_RESTORE_PG_PORT:-$(throwaway_pg_free_port)}
    rm -f "$THROWAWAY_PG_DIR/server.log" "$THROWAWAY_PG_DIR/pg_ctl.log"
    if "${run[@]}" "'$bin/pg_ctl' -D '$THROWAWAY_PG_DIR/data' -l '$THROWAWAY_PG_DIR/server.log' -w -t 60 \
        -o \"-p $port -k '$THROWAWAY_PG_DIR' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100\" start >'$THROWAWAY_PG_DIR/pg_ctl.log' 2>&1"; then
      break
    fi
    if [ -z "${SELECTIVE_RESTORE_PG_PORT:-}" ] && [ "$attempt" -lt 10 ] \
        && grep -q "could not bind\|could not create any TCP/IP sockets\|Address already in use" "$THROWAWAY_PG_DIR/server.log" 2>/dev/null; then
      echo "port $port was taken before PostgreSQL could bind it; trying another" >&2
      continue
    fi
    cat "$THROWAWAY_PG_DIR/pg_ctl.log" "$THROWAWAY_PG_DIR/server.log" >&2
    if [ -n "${SELECTIVE_RESTORE_PG_PORT:-}" ]; then
      echo "could not start PostgreSQL on SELECTIVE_RESTORE_PG_PORT=$port" >&2
    fi
    throwaway_pg_remove
    return 1
  done
  THROWAWAY_PG_RUN="${run[*]}"
  THROWAWAY_PG_BIN="$bin"
  export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres
  export SELECTIVE_RESTORE_PG="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
  trap throwaway_pg_stop EXIT
  echo "Started throwaway PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
}

throwaway_pg_remove() {
  rm -rf "$THROWAWAY_PG_DIR"
  THROWAWAY_PG_DIR=
}

throwaway_pg_stop() {
  [ -n "${THROWAWAY_PG_DIR:-}" ] || return 0
  if [ "$(id -u)" -eq 0 ]; then
    su postgres -s /bin/bash -c "'$THROWAWAY_PG_BIN/pg_ctl' -D '$THROWAWAY_PG_DIR/data' -m immediate stop" >/dev/null 2>&1
  else
    "$THROWAWAY_PG_BIN/pg_ctl" -D "$THROWAWAY_PG_DIR/data" -m immediate stop >/dev/null 2>&1
  fi
  throwaway_pg_remove
}
