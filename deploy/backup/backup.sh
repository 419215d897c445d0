#!/usr/bin/env bash
# Nightly PostgreSQL backups (docs/reliability.md, "Backups and restore").
#
#   backup.sh [once]    take one dump now, check it, keep it, prune the old ones (default)
#   backup.sh schedule  the compose `backup` service: one dump at start when the newest is over
#                       a day old, then one every night at BACKUP_TIME (UTC), forever
#   backup.sh check     the service's health check: exit 0 when the newest dump is under
#                       BACKUP_MAX_AGE_HOURS old and the last run did not fail
#
# Settings (environment):
#   BACKUP_DATABASE_URL  the database to dump (postgres://user:password@host:port/name); else
#                        DATABASE_URL when it is a postgres:// URL; else libpq's PGHOST, PGPORT,
#                        PGUSER, PGPASSWORD and PGDATABASE
#   BACKUP_DIR           where dumps go (default /backups)
#   BACKUP_RETENTION_DAYS  dumps older than this many days are deleted (default 14)
#   BACKUP_TIME          the nightly time, HH:MM in UTC (default 02:30)
#   BACKUP_MAX_AGE_HOURS for `check` (default 26)
#   PG_BIN               a folder with psql, pg_dump and pg_restore of the server's major version
#                        (e.g. /usr/lib/postgresql/16/bin) when those on PATH are older
#
# Each run writes backup-YYYYmmddTHHMMSSZ.dump (pg_dump's custom format, -Fc) and beside it
# backup-YYYYmmddTHHMMSSZ.manifest: the row count of every table in the public schema and the
# audit log's last row, read in the very snapshot pg_dump dumps (pg_export_snapshot, then
# pg_dump --snapshot), so `make restore-drill` can compare a restore with the source as of the
# dump. Both are written under a temporary name and renamed only once `pg_restore --list`
# has read the dump back.
set -euo pipefail

BACKUP_DIR=${BACKUP_DIR:-/backups}
BACKUP_RETENTION_DAYS=${BACKUP_RETENTION_DAYS:-14}
BACKUP_TIME=${BACKUP_TIME:-02:30}
BACKUP_MAX_AGE_HOURS=${BACKUP_MAX_AGE_HOURS:-26}
FAILURE_MARK="$BACKUP_DIR/LAST_FAILURE"
if [ -n "${PG_BIN:-}" ]; then PATH="$PG_BIN:$PATH"; fi

log() { printf '%s backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

source_url() {
    if [ -n "${BACKUP_DATABASE_URL:-}" ]; then
        printf '%s' "$BACKUP_DATABASE_URL"
    elif [[ "${DATABASE_URL:-}" == postgres://* || "${DATABASE_URL:-}" == postgresql://* ]]; then
        printf '%s' "$DATABASE_URL"
    else
        printf ''  # empty: libpq reads the PG* variables
    fi
}

# Every table of the public schema with its row count, as "rows<TAB>table<TAB>count" lines.
# query_to_xml runs each count inside the calling transaction, so in its snapshot.
COUNT_SQL="SELECT 'rows', c.relname,
  (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I',
   n.nspname, c.relname), false, true, '')))[1]::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
ORDER BY c.relname;"

prune() {
    local minutes=$((BACKUP_RETENTION_DAYS * 24 * 60)) old
    [ "$BACKUP_RETENTION_DAYS" -ge 1 ] || die "BACKUP_RETENTION_DAYS must be 1 or more"
    while IFS= read -r -d '' old; do
        log "retention: deleting $(basename "$old") (over $BACKUP_RETENTION_DAYS days old)"
        rm -f -- "$old" "${old%.dump}.manifest"
    done < <(find "$BACKUP_DIR" -maxdepth 1 -type f -name 'backup-*.dump' -mmin "+$minutes" -print0)
    # Leftovers of a run that died between writing and renaming.
    find "$BACKUP_DIR" -maxdepth 1 -type f -name '.backup-*.tmp' -mmin +1440 -delete
}

backup_once() {
    mkdir -p "$BACKUP_DIR"
    local url stamp final manifest tmp_dump tmp_manifest snapshot line audit order
    url=$(source_url)
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
    while [ -e "$BACKUP_DIR/backup-$stamp.dump" ]; do  # two runs in one second
        sleep 1
        stamp=$(date -u +%Y%m%dT%H%M%SZ)
    done
    final="$BACKUP_DIR/backup-$stamp.dump"
    manifest="$BACKUP_DIR/backup-$stamp.manifest"
    tmp_dump="$BACKUP_DIR/.backup-$stamp.dump.tmp"
    tmp_manifest="$BACKUP_DIR/.backup-$stamp.manifest.tmp"

    # One psql session holds a REPEATABLE READ transaction open for the whole dump: the counts
    # are read in it, and pg_dump joins its snapshot.
    local psql_args=(-X -q -A -t -F $'\t' -v ON_ERROR_STOP=1)
    if [ -n "$url" ]; then psql_args+=("$url"); fi
    coproc SNAP { psql "${psql_args[@]}" 2>&1; }
    local snap_in=${SNAP[1]} snap_out=${SNAP[0]} snap_pid=$SNAP_PID
    # shellcheck disable=SC2317  # called by the trap
    cleanup() {
        rm -f -- "$tmp_dump" "$tmp_manifest"
        kill "$snap_pid" 2>/dev/null || true
    }
    trap cleanup EXIT

    # ask SQL: send it, then read the answer up to a marker line.
    ask() {
        printf '%s\n\\echo __done__\n' "$1" >&"$snap_in" || die "the PostgreSQL session closed"
        while IFS= read -r -t 1800 line <&"$snap_out"; do
            [ "$line" = "__done__" ] && return 0
            case "$line" in
                ERROR:* | FATAL:* | psql:*) die "psql: $line" ;;
            esac
            printf '%s\n' "$line"
        done
        die "no answer from PostgreSQL (is the source database reachable?)"
    }

    ask "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;" >/dev/null
    snapshot=$(ask "SELECT pg_export_snapshot();")
    [ -n "$snapshot" ] || die "could not export a snapshot"
    {
        printf 'file\tbackup-%s.dump\n' "$stamp"
        ask "SELECT 'taken_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"');"
        ask "SELECT 'database', current_database();"
        ask "SELECT 'server_version', current_setting('server_version_num');"
        audit=$(ask "SELECT to_regclass('public.audit_auditevent') IS NOT NULL;")
        if [ "$audit" = "t" ]; then
            # The chain's order: chain_position where the log has one (rows chained at
            # commit), else id.
            order=$(ask "SELECT CASE WHEN EXISTS (SELECT 1 FROM information_schema.columns
                WHERE table_schema = 'public' AND table_name = 'audit_auditevent'
                AND column_name = 'chain_position') THEN 'chain_position' ELSE 'id' END;")
            printf 'audit_order\t%s\n' "$order"
            ask "SELECT 'audit_rows', count(*) FROM audit_auditevent;"
            ask "SELECT 'audit_last', $order, row_hash, id FROM audit_auditevent
                WHERE $order IS NOT NULL ORDER BY $order DESC LIMIT 1;"
        fi
        ask "$COUNT_SQL"
    } >"$tmp_manifest"

    log "dumping $(sed -n 's/^database\t//p' "$tmp_manifest") (snapshot $snapshot)"
    local dump_args=(--format=custom --snapshot="$snapshot" --file="$tmp_dump")
    if [ -n "$url" ]; then dump_args+=("--dbname=$url"); fi
    pg_dump "${dump_args[@]}"
    ask "COMMIT;" >/dev/null
    printf '\\q\n' >&"$snap_in"
    wait "$snap_pid" 2>/dev/null || true

    # Keep only a dump pg_restore can read back.
    pg_restore --list "$tmp_dump" >/dev/null || die "pg_restore --list cannot read the dump"
    printf 'size_bytes\t%s\n' "$(stat -c %s "$tmp_dump")" >>"$tmp_manifest"
    sync -- "$tmp_dump" "$tmp_manifest" 2>/dev/null || true
    mv -- "$tmp_manifest" "$manifest"
    mv -- "$tmp_dump" "$final"
    trap - EXIT
    log "kept $(basename "$final") ($(stat -c %s "$final") bytes)"
    prune
    printf '%s\n' "$final"
}

newest_dump() {
    find "$BACKUP_DIR" -maxdepth 1 -type f -name 'backup-*.dump' -printf '%f\n' 2>/dev/null \
        | sort | tail -n 1
}

run_recording_failure() {
    # A failed run leaves LAST_FAILURE (the health check turns unhealthy); a good one clears it.
    if bash "$0" once; then
        rm -f -- "$FAILURE_MARK"
    else
        log "backup failed; next attempt at the next scheduled time"
        date -u +%Y-%m-%dT%H:%M:%SZ >"$FAILURE_MARK"
    fi
}

seconds_until_next() {
    local now next
    now=$(date -u +%s)
    next=$(date -u -d "today $BACKUP_TIME" +%s) || die "BACKUP_TIME must be HH:MM (UTC)"
    if [ "$next" -le "$now" ]; then next=$(date -u -d "tomorrow $BACKUP_TIME" +%s); fi
    echo $((next - now))
}

schedule() {
    mkdir -p "$BACKUP_DIR"
    log "nightly at $BACKUP_TIME UTC into $BACKUP_DIR, keeping $BACKUP_RETENTION_DAYS days"
    if [ -z "$(find "$BACKUP_DIR" -maxdepth 1 -name 'backup-*.dump' -mmin -1440 -print -quit)" ]; then
        run_recording_failure
    fi
    while true; do
        local wait_for
        wait_for=$(seconds_until_next)
        log "next dump in ${wait_for}s"
        sleep "$wait_for" &
        SLEEPER=$!
        wait "$SLEEPER"  # in the background, so `docker stop` (SIGTERM) ends it at once
        run_recording_failure
    done
}

check() {
    local newest
    [ ! -e "$FAILURE_MARK" ] || { echo "last backup failed at $(cat "$FAILURE_MARK")"; exit 1; }
    newest=$(newest_dump)
    [ -n "$newest" ] || { echo "no dump yet in $BACKUP_DIR"; exit 1; }
    if [ -z "$(find "$BACKUP_DIR/$newest" -mmin "-$((BACKUP_MAX_AGE_HOURS * 60))")" ]; then
        echo "newest dump $newest is over $BACKUP_MAX_AGE_HOURS hours old"
        exit 1
    fi
    echo "newest dump $newest"
}

SLEEPER=
trap '[ -z "$SLEEPER" ] || kill "$SLEEPER" 2>/dev/null; exit 143' TERM INT
trap '' PIPE  # a write to a closed psql session fails (and is reported) instead of killing us
case "${1:-once}" in
    once) backup_once ;;
    schedule) schedule ;;
    check) check ;;
    *) die "usage: $0 [once|schedule|check]" ;;
esac
