# shellcheck shell=bash
# Throw-away PostgreSQL cluster for tests and benchmarks. Sourced by scripts/test and scripts/with-postgres.
#
#   pg_start   initdb a fresh cluster in a mktemp dir, start it on 127.0.0.1:<free port> with trust auth
#              and durability switched off, create database "jingzhun", export JINGZHUN_DATABASE_URL.
#   pg_stop    stop the cluster and delete its directory (idempotent; safe to call from an EXIT trap).
#
# initdb refuses to run as root, so as root the server runs as the "postgres" system user (created by the
# Debian package) or, failing that, as a "jingzhun-pg" system user created here. Nothing outside the temp
# dir is touched: no system cluster, no /var/run/postgresql socket.

PG_TMP=""        # temp dir holding data/, sock/ and server.log
PG_BIN=""        # directory with initdb, pg_ctl, createdb
PG_OS_USER=""    # OS user the server runs as ("" = current user)
PG_PORT=""
PG_DB_USER="jingzhun"   # bootstrap superuser name (initdb -U), so createdb etc. need no role setup

# Newest server installation: /usr/lib/postgresql/<ver>/bin on Debian, else initdb on PATH.
# (Written with if-statements, not `test && x`, so it behaves the same with and without `set -e`.)
pg_find_bin() {
    local d best=""
    while read -r d; do
        if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then best="$d"; fi
    done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V)
    if [[ -z "$best" ]] && command -v initdb >/dev/null 2>&1; then
        best="$(dirname "$(command -v initdb)")"
    fi
    if [[ -z "$best" ]]; then return 1; fi
    echo "$best"
}

# Run a PostgreSQL binary as the cluster owner, from inside the temp dir (the owner may not be able to
# read the caller's cwd, and initdb/pg_ctl complain about that).
_pg_as_owner() {
    if [[ -n "$PG_OS_USER" ]]; then
        (cd "$PG_TMP" && runuser -u "$PG_OS_USER" -- "$@")
    else
        (cd "$PG_TMP" && "$@")
    fi
}

_pg_free_port() {
    # Ask the kernel for a free port. Another process could grab it before the server binds; pg_start
    # retries with a new port if the start fails.
    python3 - <<'PY'
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
PY
}

pg_start() {
    PG_BIN="$(pg_find_bin)" || { echo "pg_start: no PostgreSQL server binaries (initdb) found" >&2; return 1; }

    PG_OS_USER=""
    if [[ "$(id -u)" == 0 ]]; then
        if id -u postgres >/dev/null 2>&1; then
            PG_OS_USER=postgres
        else
            if ! id -u jingzhun-pg >/dev/null 2>&1; then
                useradd --system --no-create-home --shell /usr/sbin/nologin jingzhun-pg || return 1
            fi
            PG_OS_USER=jingzhun-pg
        fi
    fi

    # /tmp rather than $TMPDIR: the unix socket path must stay short (<108 bytes) and the server user
    # must be able to reach the directory (a TMPDIR under /root would not be).
    PG_TMP="$(mktemp -d /tmp/jingzhun-pg.XXXXXX)"
    mkdir -p "$PG_TMP/sock"
    if [[ -n "$PG_OS_USER" ]]; then
        chown -R "$PG_OS_USER:" "$PG_TMP" || { echo "pg_start: cannot chown $PG_TMP" >&2; return 1; }
    fi

    # C collation with UTF-8 encoding works on every machine regardless of installed locales.
    if ! _pg_as_owner "$PG_BIN/initdb" -D "$PG_TMP/data" -U "$PG_DB_USER" --auth=trust \
            --encoding=UTF8 --no-locale --no-sync >"$PG_TMP/initdb.log" 2>&1; then
        echo "pg_start: initdb failed:" >&2
        cat "$PG_TMP/initdb.log" >&2
        return 1
    fi

    local attempt
    for attempt in 1 2 3; do
        PG_PORT="$(_pg_free_port)"
        # fsync/synchronous_commit/full_page_writes off: a crash only loses a throw-away cluster.
        if _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
                -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_TMP/sock \
                    -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
                    -c max_connections=50 ${JINGZHUN_PG_OPTIONS:-}" \
                start >/dev/null; then
            break
        fi
        echo "pg_start: server did not start on port $PG_PORT (attempt $attempt):" >&2
        tail -n 20 "$PG_TMP/server.log" >&2 || true
        if [[ "$attempt" == 3 ]]; then return 1; fi
    done

    if ! _pg_as_owner "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_DB_USER" jingzhun; then
        echo "pg_start: createdb failed" >&2
        return 1
    fi
    export JINGZHUN_DATABASE_URL="postgres://$PG_DB_USER@127.0.0.1:$PG_PORT/jingzhun"
    echo "==> PostgreSQL $("$PG_BIN/pg_ctl" --version | awk '{print $3}') running on 127.0.0.1:$PG_PORT (data in $PG_TMP)"
}

pg_stop() {
    [[ -n "$PG_TMP" ]] || return 0
    if [[ -f "$PG_TMP/data/postmaster.pid" ]]; then
        # "fast" rolls back open transactions and disconnects clients (a hung test run must not block us).
        _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
            || _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m immediate -w -t 30 stop >/dev/null 2>&1 \
            || echo "pg_stop: could not stop the server in $PG_TMP" >&2
    fi
    rm -rf "$PG_TMP"
    PG_TMP=""
    unset JINGZHUN_DATABASE_URL
}
