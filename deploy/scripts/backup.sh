#!/usr/bin/env bash
# Back up the pool's database named by DATABASE_URL (the same variable the pool reads).
#
#   DATABASE_URL=postgresql://loka_user:PASS@localhost:5432/loka_stratum backup.sh [BACKUP_DIR]
#   DATABASE_URL=sqlite:////var/lib/loka-stratum/loka-stratum.db backup.sh [BACKUP_DIR]
#
# PostgreSQL: pg_dump, plain SQL, gzipped (`gunzip -c FILE | head` reads it), with DROP ...
#   IF EXISTS statements so restore.sh can load it over an existing database. Consistent
#   while the pool runs (pg_dump reads one snapshot).
# SQLite: sqlite3's `.backup` (the online backup API), also consistent while the pool runs;
#   never a plain file copy, which can catch a half-written page or miss the WAL.
#
# BACKUP_DIR defaults to /backup/loka-stratum/database. The file is written under a temporary
# name, checked, then renamed, so a failed run never leaves a file that looks like a backup.
# Prints the backup's path on the last line; exit 0 only when it is complete.
set -euo pipefail

die() {
    echo "backup.sh: $*" >&2
    exit 1
}

url="${DATABASE_URL:-${LOKA_DATABASE__URL:-}}"
[ -n "$url" ] || die "set DATABASE_URL (postgresql://... or sqlite:///...)"
backup_dir="${1:-/backup/loka-stratum/database}"
stamp="$(date -u +%Y%m%d_%H%M%S)"
mkdir -p "$backup_dir"

scheme="${url%%://*}"
case "$scheme" in
    postgres | postgresql | postgresql+asyncpg)
        command -v pg_dump >/dev/null || die "pg_dump not found (install the PostgreSQL client)"
        libpq_url="postgresql://${url#*://}"
        target="$backup_dir/loka-stratum-$stamp.sql.gz"
        partial="$target.partial"
        trap 'rm -f "$partial"' EXIT
        pg_dump --no-owner --no-privileges --clean --if-exists --dbname="$libpq_url" \
            | gzip -9 >"$partial"
        gunzip -c "$partial" | grep -q '^-- PostgreSQL database dump complete' \
            || die "dump of $scheme database is incomplete"
        ;;
    sqlite | sqlite+aiosqlite)
        command -v sqlite3 >/dev/null || die "sqlite3 not found (apt-get install sqlite3)"
        db_path="${url#*:///}"
        db_path="${db_path%%\?*}"
        [ -f "$db_path" ] || die "no SQLite database at $db_path"
        target="$backup_dir/loka-stratum-$stamp.sqlite3.gz"
        partial="$target.partial"
        copy="$backup_dir/.loka-stratum-$stamp.sqlite3"
        trap 'rm -f "$partial" "$copy"' EXIT
        sqlite3 "$db_path" ".timeout 10000" ".backup '$copy'"
        [ "$(sqlite3 "$copy" 'PRAGMA integrity_check;')" = "ok" ] \
            || die "the copy of $db_path fails PRAGMA integrity_check"
        gzip -9 -c "$copy" >"$partial"
        rm -f "$copy"
        ;;
    *)
        die "unsupported DATABASE_URL scheme '$scheme' (postgresql:// or sqlite:///)"
        ;;
esac

gzip -t "$partial"
mv "$partial" "$target"
trap - EXIT
echo "backup written: $target ($(du -h "$target" | cut -f1))" >&2
echo "$target"
