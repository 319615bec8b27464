#!/usr/bin/env bash
# Installs (from Debian's packages, when missing) and starts PostgreSQL and the two Redis stores on
# loopback (the queue store and the cache store, docs/reliability.md), creates the role and the
# databases, and runs the migrations. Safe to run any number of times.
#   scripts/services.sh            start everything the system needs
#   scripts/services.sh stop       stop the Redis and PostgreSQL this script started
source "$(dirname "$0")/lib/common.sh"

PG_PORT="${PG_PORT:-5432}"
REDIS_PORT="${REDIS_PORT:-6379}"
CACHE_REDIS_PORT="${CACHE_REDIS_PORT:-6380}"
CACHE_REDIS_MAXMEMORY="${CACHE_REDIS_MAXMEMORY:-256mb}"
DB_USER="trading"
DB_PASSWORD="trading"
DATABASES=(trading trading_test)

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

start_postgres() {
  if [ -z "$(pg_bin)" ] || ! command -v pg_ctlcluster >/dev/null; then apt_install postgresql; fi
  local version
  version="$(basename "$(dirname "$(pg_bin)")")"
  if ! pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "$version/main"; then
    log "creating PostgreSQL $version cluster 'main'"
    pg_createcluster "$version" main --port "$PG_PORT" >/dev/null
  fi
  if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
    log "starting PostgreSQL $version on 127.0.0.1:$PG_PORT"
    pg_ctlcluster "$version" main start -- -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c max_connections=200"
  fi
  for _ in $(seq 1 50); do
    runuser -u postgres -- pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break
    sleep 0.2
  done
  psql_admin() { runuser -u postgres -- psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -qtA "$@"; }
  if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'")" != 1 ]; then
    log "creating role $DB_USER"
    psql_admin -c "CREATE ROLE $DB_USER LOGIN PASSWORD '$DB_PASSWORD' CREATEDB"
  fi
  for db in "${DATABASES[@]}"; do
    if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname='$db'")" != 1 ]; then
      log "creating database $db"
      psql_admin -c "CREATE DATABASE $db OWNER $DB_USER"
    fi
  done
}

# start_one_redis NAME PORT ARGS…: a redis-server on loopback, its files in $RUN_DIR/NAME.
start_one_redis() {
  local name="$1" port="$2"; shift 2
  if redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then return 0; fi
  mkdir -p "$RUN_DIR/$name"
  log "starting $name on 127.0.0.1:$port"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --dir "$RUN_DIR/$name" \
    --pidfile "$RUN_DIR/$name/redis.pid" --logfile "$RUN_DIR/$name/redis.log" "$@"
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  log "$name did not start; see $RUN_DIR/$name/redis.log"; return 1
}

start_redis() {
  command -v redis-server >/dev/null || apt_install redis-server
  # The queue store, noeviction: BullMQ keeps queue state in Redis, so it must never evict keys.
  start_one_redis redis "$REDIS_PORT" \
    --appendonly yes --appendfsync everysec --maxmemory 512mb --maxmemory-policy noeviction
  # The cache store: cached answers, rate-limit counts, idempotency records. Bounded and evicting, so no
  # client can fill the queue store; nothing in it needs to survive a restart (no AOF, no snapshots).
  start_one_redis redis-cache "$CACHE_REDIS_PORT" \
    --appendonly no --save '' --maxmemory "$CACHE_REDIS_MAXMEMORY" --maxmemory-policy allkeys-lru
}

stop_all() {
  redis-cli -h 127.0.0.1 -p "$CACHE_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  local version; version="$(basename "$(dirname "$(pg_bin)")")"
  pg_ctlcluster "$version" main stop >/dev/null 2>&1 || true
}

case "${1:-start}" in
  start)
    start_postgres
    start_redis
    ensure_node
    ensure_deps
    (cd "$ROOT" && node core/platform/db/migrate.ts run)
    ;;
  stop) stop_all ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
