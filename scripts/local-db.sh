#!/usr/bin/env bash
# The project-local PostgreSQL: install what is missing, create and start a
# cluster owned by an ordinary user, create the database and migrate it.
#
#   scripts/local-db.sh setup     install + start + migrate (idempotent, quick the second time)
#   scripts/local-db.sh url       setup, then print exactly one line: the postgres:// URL
#   scripts/local-db.sh migrate   install or upgrade pggit in the database (src/install: graphile-migrate, own ledger)
#   scripts/local-db.sh stop      stop the local cluster
#   scripts/local-db.sh status    say where the cluster lives and whether it runs
#
# With PGGIT_DATABASE_URL or DATABASE_URL set, that server is used instead: no
# package install and no cluster, only the migration.
#
# With PGGIT_PG_ROOT set, the cluster runs from a private, relocated copy of
# Debian's PostgreSQL under that folder (made on first use), and the runtime is
# built and installed there: two checkouts that change plv8/ never replace each
# other's plv8_compat in the system's PostgreSQL.
#
# Everything but the URL goes to stderr.
set -euo pipefail

cmd="${1:-setup}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_MAJOR="${PGGIT_PG_MAJOR:-15}"
DB_NAME="${PGGIT_DB_NAME:-pggit}"
SERVER_USER="${PGGIT_SERVER_USER:-postgres}"

log() { printf 'pggit-db: %s\n' "$*" >&2; }
die() { printf 'pggit-db: error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $* (install it yourself, or run as root)"
  fi
}

external_url="${PGGIT_DATABASE_URL:-${DATABASE_URL:-}}"

pg_bindir() { echo "${PGGIT_PG_ROOT:-}/usr/lib/postgresql/$PG_MAJOR/bin"; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    apt_updated=1
  fi
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

ensure_packages() {
  local missing=() sys="/usr/lib/postgresql/$PG_MAJOR"
  [ -x "$sys/bin/postgres" ] || missing+=("postgresql-$PG_MAJOR")
  command -v psql >/dev/null 2>&1 || missing+=("postgresql-client-$PG_MAJOR")
  if [ -n "${PGGIT_PG_ROOT:-}" ] && [ ! -f "/usr/include/postgresql/$PG_MAJOR/server/postgres.h" ]; then
    missing+=("postgresql-server-dev-$PG_MAJOR")
  fi
  if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
  if [ -n "${PGGIT_PG_ROOT:-}" ] && [ ! -x "$(pg_bindir)/postgres" ]; then
    # PostgreSQL finds its share and lib folders relative to its binaries, so
    # a copy of the three trees is a complete, private installation.
    log "copying PostgreSQL $PG_MAJOR into $PGGIT_PG_ROOT"
    mkdir -p "$PGGIT_PG_ROOT/usr/lib/postgresql" "$PGGIT_PG_ROOT/usr/share/postgresql" "$PGGIT_PG_ROOT/usr/include"
    cp -a "$sys" "$PGGIT_PG_ROOT/usr/lib/postgresql/"
    cp -a "/usr/share/postgresql/$PG_MAJOR" "$PGGIT_PG_ROOT/usr/share/postgresql/"
    cp -a /usr/include/postgresql "$PGGIT_PG_ROOT/usr/include/"
    chmod 755 "$PGGIT_PG_ROOT"
  fi
  # The PLV8-compatible runtime (skips itself when real PLV8 is installed,
  # and when the installed build is current).
  PG_CONFIG="$(pg_bindir)/pg_config" bash "$root/plv8/install.sh"
}

# --- where the cluster lives -------------------------------------------------
checkout_key() { printf '%s' "$root" | sha1sum | cut -c1-12; }

# The server runs as $SERVER_USER (root may not run PostgreSQL). When we are
# not root, the server runs as ourselves.
server_user() { if [ "$(id -u)" -eq 0 ]; then echo "$SERVER_USER"; else id -un; fi; }

as_server() {
  local u; u="$(server_user)"
  if [ "$(id -un)" = "$u" ]; then "$@"
  else
    # runuser keeps the environment minimal; cd somewhere the user can read
    (cd / && runuser -u "$u" -- "$@")
  fi
}

# Can the server user create and use a folder inside the checkout?
user_can_reach() {
  local dir="$1" u; u="$(server_user)"
  if [ "$(id -un)" = "$u" ]; then return 0; fi
  (cd / && runuser -u "$u" -- test -x "$dir" -a -w "$dir") 2>/dev/null
}

state_dir() {
  if [ -n "${PGGIT_STATE_DIR:-}" ]; then
    mkdir -p "$PGGIT_STATE_DIR"
    if [ "$(id -u)" -eq 0 ]; then chown "$(server_user)" "$PGGIT_STATE_DIR"; fi
    user_can_reach "$PGGIT_STATE_DIR" || die "the server user $(server_user) cannot use PGGIT_STATE_DIR=$PGGIT_STATE_DIR"
    echo "$PGGIT_STATE_DIR"; return
  fi
  local in_repo="$root/.pggit"
  mkdir -p "$in_repo"
  if [ "$(id -u)" -eq 0 ]; then chown "$(server_user)" "$in_repo" 2>/dev/null || true; fi
  if user_can_reach "$in_repo"; then echo "$in_repo"; return; fi
  # The checkout sits where the server's user cannot reach (CI clones under
  # root's home): fall back to the system temp folder, keyed by the checkout.
  local tmp="${TMPDIR:-/tmp}/pggit-$(checkout_key)"
  mkdir -p "$tmp"
  if [ "$(id -u)" -eq 0 ]; then chown "$(server_user)" "$tmp"; fi
  chmod 700 "$tmp"
  echo "$tmp"
}

STATE="$(state_dir)"
DATA="$STATE/cluster"
SOCK="$STATE/run"   # unix sockets and their lock files: a folder of their own
PORT_FILE="$STATE/port"

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

cluster_running() {
  [ -f "$DATA/postmaster.pid" ] || return 1
  # A postmaster killed hard can linger as a zombie that pg_ctl still takes
  # for a running server: look at the process state first.
  local pid; pid="$(head -n 1 "$DATA/postmaster.pid")"
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  [ "$(sed 's/^.*) //' "/proc/$pid/stat" | cut -d' ' -f1)" != "Z" ] || return 1
  as_server "$(pg_bindir)/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

running_port() { sed -n '4p' "$DATA/postmaster.pid"; }

pick_port() {
  # A port derived from the checkout, then the next free one: two checkouts on
  # one machine never fight, and a stranger on our port just moves us along.
  local base=$(( 20000 + 0x$(checkout_key | cut -c1-4) % 20000 )) p
  if [ -f "$PORT_FILE" ]; then base="$(cat "$PORT_FILE")"; fi
  for p in $(seq "$base" $((base + 50))); do
    if ! port_in_use "$p"; then echo "$p"; return; fi
  done
  die "no free port in $base..$((base + 50))"
}

# The PLV8 runtime is preloaded into the postmaster (PostgreSQL's
# shared_preload_libraries): every backend inherits the loaded library, so a
# new connection's first PLV8 call no longer pays for the dynamic linking of
# libnode (about 45 ms of its 50 ms V8 start on plv8_compat). V8 itself still
# starts in each backend at its first PLV8 call. Only plv8_compat, whose
# _PG_init registers its settings and callbacks and nothing else, is preloaded;
# a real PLV8 is left to load on first use. PGGIT_PRELOAD=0 turns it off.
preload_option() {
  local lib; lib="$("$(pg_bindir)/pg_config" --pkglibdir)"
  local ext; ext="$("$(pg_bindir)/pg_config" --sharedir)/extension"
  if [ "${PGGIT_PRELOAD:-1}" != "0" ] && [ -f "$lib/plv8_compat.so" ] && [ ! -f "$ext/plv8.control" ]; then
    echo " -c shared_preload_libraries=plv8_compat"
  fi
}

# A running server is restarted when its preload list is not exactly the one
# this script wants: started without it, with it when it is no longer wanted,
# or by hand with another list (pg_stat_statements for a profile, say, which
# every later test and benchmark would otherwise measure without a word). It
# is also restarted when the runtime it preloaded has since been rebuilt: the
# postmaster still maps the replaced file, and every backend would inherit
# the old build.
running_is_stale() {
  local pid; pid="$(head -n 1 "$DATA/postmaster.pid")"
  local wants has
  wants="$(preload_option | sed -n 's/^ -c shared_preload_libraries=//p')"
  has="$(grep -o '"shared_preload_libraries=[^"]*"' "$DATA/postmaster.opts" 2>/dev/null | tail -n 1 |
    sed 's/^"shared_preload_libraries=//; s/"$//')"
  if [ "$wants" != "$has" ]; then
    log "restarting: the server preloads '${has}', this script wants '${wants}'"
    return 0
  fi
  if [ -n "$has" ] && grep -q 'plv8_compat\.so (deleted)' "/proc/$pid/maps" 2>/dev/null; then
    log "restarting: the server preloaded a plv8_compat that has since been rebuilt"; return 0
  fi
  return 1
}

start_cluster() {
  if [ ! -f "$DATA/PG_VERSION" ]; then
    log "initdb $DATA (as $(server_user))"
    rm -rf "$DATA"
    as_server "$(pg_bindir)/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 \
      --locale=C.UTF-8 >/dev/null 2>&1 ||
      as_server "$(pg_bindir)/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C >&2
  fi
  if cluster_running; then
    running_is_stale || return 0
    as_server "$(pg_bindir)/pg_ctl" -D "$DATA" -m fast -w stop >&2
  fi
  # A server killed hard leaves its pid file, and its socket lock file in our
  # socket folder, both naming a dead (or zombie) postmaster: either would block
  # the start. Nothing else uses this folder, so they can go.
  if [ -f "$DATA/postmaster.pid" ]; then log "removing stale postmaster.pid"; rm -f "$DATA/postmaster.pid"; fi
  rm -rf "$SOCK"
  mkdir -p "$SOCK"
  if [ "$(id -u)" -eq 0 ]; then chown "$(server_user)" "$SOCK"; fi
  local port; port="$(pick_port)"
  echo "$port" >"$PORT_FILE"
  log "starting PostgreSQL $PG_MAJOR on 127.0.0.1:$port (data: $DATA)"
  local try
  for try in 1 2 3 4 5; do
    if as_server "$(pg_bindir)/pg_ctl" -D "$DATA" -l "$STATE/server.log" -w -t 60 start \
      -o "-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$SOCK -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB$(preload_option)" >&2; then
      return
    fi
    # the backends of a server killed hard may still hold its shared memory
    # for a moment; anything else is a real failure
    grep -q "still in use" "$STATE/server.log" 2>/dev/null || break
    log "the previous server's processes are still exiting; retrying ($try)"
    rm -f "$DATA/postmaster.pid"
    sleep 1
  done
  tail -n 30 "$STATE/server.log" >&2
  die "PostgreSQL did not start"
}

local_url() { echo "postgres://postgres@127.0.0.1:$(running_port)/$DB_NAME"; }

ensure_database() {
  local admin="postgres://postgres@127.0.0.1:$(running_port)/postgres"
  local db="postgres://postgres@127.0.0.1:$(running_port)/$DB_NAME"
  # A database made by pggit 0.1 (everything in public, its ledger in
  # graphile_migrate) cannot be upgraded in place: this cluster is the
  # checkout's own, so it is made afresh.
  if [ -n "$(psql "$admin" -XtAc "select 1 from pg_database where datname = '$DB_NAME'")" ] &&
     [ "$(psql "$db" -XtAc "select to_regclass('public.tb_pggit_intent') is not null")" = "t" ]; then
    log "dropping $DB_NAME: it holds the pggit 0.1 layout"
    psql "$admin" -XqAc "drop database \"$DB_NAME\" with (force)" >&2
  fi
  if [ -z "$(psql "$admin" -XtAc "select 1 from pg_database where datname = '$DB_NAME'")" ]; then
    log "createdb $DB_NAME"
    psql "$admin" -XqAc "create database \"$DB_NAME\"" >&2
  fi
}

migrate() {
  local url="$1"
  log "pggit install (graphile-migrate, ledger in schema pggit)"
  (cd "$root" && npx --no-install tsx scripts/install-local.ts "$url" >&2)
}

setup() {
  if [ -n "$external_url" ]; then
    migrate "$external_url"
    return
  fi
  ensure_packages
  start_cluster
  ensure_database
  migrate "$(local_url)"
}

current_url() {
  if [ -n "$external_url" ]; then echo "$external_url"; else local_url; fi
}

case "$cmd" in
  setup) setup ;;
  url) setup; current_url ;;
  migrate)
    if [ -z "$external_url" ]; then start_cluster; ensure_database; fi
    migrate "$(current_url)" ;;
  stop)
    if cluster_running; then as_server "$(pg_bindir)/pg_ctl" -D "$DATA" -m fast stop >&2; else log "not running"; fi ;;
  status)
    if cluster_running; then log "running: $(local_url) (data: $DATA)"; else log "stopped (data: $DATA)"; fi ;;
  *) die "unknown command '$cmd' (setup | url | migrate | stop | status)" ;;
esac
