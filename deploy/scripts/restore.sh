#!/usr/bin/env bash
# Restore a backup.sh file into the database named by DATABASE_URL, then migrate the schema.
#
#   DATABASE_URL=postgresql://... restore.sh [--force] [--no-migrate] BACKUP_FILE
#
# Stop the pool first (`docker-compose stop loka-stratum`, `systemctl stop loka-stratum`):
# the script refuses while a pool answers at HEALTH_URL (default
# http://127.0.0.1:9090/live) unless --force is given.
#
# PostgreSQL (*.sql.gz): replayed with psql in one transaction, stopping at the first
#   error, so the database is either fully restored or left as it was. Objects in the dump
#   are dropped and recreated; the database itself must exist.
# SQLite (*.sqlite3.gz): loaded with sqlite3's `.restore` into the file named by the URL.
#
# Afterwards `loka-stratum db migrate` brings an older backup's schema to this version's
# (skip with --no-migrate, e.g. when loka-stratum is not installed on this host).
set -euo pipefail

die() {
    echo "restore.sh: $*" >&2
    exit 1
}

force=0
migrate=1
while [ $# -gt 0 ]; do
    case "$1" in
        --force) force=1 ;;
        --no-migrate) migrate=0 ;;
        -*) die "unknown option $1" ;;
        *) break ;;
    esac
    shift
done
[ $# -eq 1 ] || die "usage: restore.sh [--force] [--no-migrate] BACKUP_FILE"
backup="$1"
[ -f "$backup" ] || die "no such backup file: $backup"
gzip -t "$backup" || die "$backup is not a complete gzip file"

url="${DATABASE_URL:-${LOKA_DATABASE__URL:-}}"
[ -n "$url" ] || die "set DATABASE_URL (postgresql://... or sqlite:///...)"
health_url="${HEALTH_URL:-http://127.0.0.1:9090/live}"
if [ "$force" -eq 0 ] && curl -sf --max-time 3 -o /dev/null "$health_url"; then
    die "a pool is running ($health_url answers): stop it first, or pass --force"
fi

scheme="${url%%://*}"
case "$scheme" in
    postgres | postgresql | postgresql+asyncpg)
        case "$backup" in *.sql.gz) ;; *) die "$backup is not a PostgreSQL backup (*.sql.gz)" ;; esac
        command -v psql >/dev/null || die "psql not found (install the PostgreSQL client)"
        gunzip -c "$backup" \
            | psql --quiet --no-psqlrc --set ON_ERROR_STOP=1 --single-transaction \
                --dbname="postgresql://${url#*://}" >/dev/null
        ;;
    sqlite | sqlite+aiosqlite)
        case "$backup" in *.sqlite3.gz) ;; *) die "$backup is not a SQLite backup (*.sqlite3.gz)" ;; esac
        command -v sqlite3 >/dev/null || die "sqlite3 not found (apt-get install sqlite3)"
        db_path="${url#*:///}"
        db_path="${db_path%%\?*}"
        mkdir -p "$(dirname "$db_path")"
        copy="$(mktemp "${TMPDIR:-/tmp}/loka-restore.XXXXXX")"
        trap 'rm -f "$copy"' EXIT
        gunzip -c "$backup" >"$copy"
        sqlite3 "$db_path" ".timeout 10000" ".restore '$copy'"
        ;;
    *)
        die "unsupported DATABASE_URL scheme '$scheme' (postgresql:// or sqlite:///)"
        ;;
esac
echo "restored $backup" >&2

if [ "$migrate" -eq 1 ]; then
    command -v loka-stratum >/dev/null \
        || die "restored, but loka-stratum is not on PATH to migrate: run 'loka-stratum db migrate'"
    DATABASE_URL="$url" loka-stratum db migrate >&2
fi
