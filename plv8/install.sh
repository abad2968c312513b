#!/usr/bin/env bash
# Build and install plv8_compat (LANGUAGE plv8 on Debian's libnode V8) into
# the local PostgreSQL 15.  Idempotent: a second run with unchanged sources
# only checks a stamp.  Progress goes to stderr; exit status non-zero on
# failure.  Does not start or touch any cluster.
#
#   bash plv8/install.sh            # as root on Debian bookworm
#   PLV8_COMPAT_FORCE=1 bash plv8/install.sh   # rebuild even if the stamp matches
set -euo pipefail

log() { echo "plv8/install.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="$HERE/build"
LIBNODE_ROOT="$BUILD/libnode"
PG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}"
APT_UPDATED=0

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
fi

apt_update_once() {
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    $SUDO apt-get update -qq >&2 || die "apt-get update failed"
    APT_UPDATED=1
  fi
}

apt_install() {
  # install the given packages if any is missing
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ "${#missing[@]}" = 0 ] && return 0
  log "apt-get install ${missing[*]}"
  if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
    apt_update_once
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
      || die "apt-get install ${missing[*]} failed"
  fi
}

# 1. PostgreSQL itself (server + pg_config)
if [ ! -x "$PG_CONFIG" ] || [ ! -x "$(dirname "$PG_CONFIG")/postgres" ]; then
  apt_install postgresql-15
fi
[ -x "$PG_CONFIG" ] || die "pg_config not found at $PG_CONFIG"

SHAREDIR="$("$PG_CONFIG" --sharedir)"
PKGLIBDIR="$("$PG_CONFIG" --pkglibdir)"
EXTDIR="$SHAREDIR/extension"

# 2. A real PLV8 wins: never build ours next to it (two V8 embedders abort).
if [ -f "$EXTDIR/plv8.control" ]; then
  log "real plv8 found ($EXTDIR/plv8.control): skipping plv8_compat"
  exit 0
fi

# 2b. A checkout whose cluster runs from another PostgreSQL (a private copy made
# with PGGIT_PG_ROOT) must not build into this one: the system's plv8_compat
# belongs to the checkouts that use it.  (A caller that loses PGGIT_PG_ROOT
# from its environment would otherwise replace it with this checkout's sources.)
checkout="$(cd "$HERE/.." && pwd)"
for state in "${PGGIT_STATE_DIR:-}" "$checkout/.pggit" \
  "${TMPDIR:-/tmp}/pggit-$(printf '%s' "$checkout" | sha1sum | cut -c1-12)"; do
  [ -n "$state" ] && [ -f "$state/cluster/postmaster.pid" ] || continue
  pid="$(head -n 1 "$state/cluster/postmaster.pid" 2>/dev/null || true)"
  running="$(readlink -f "/proc/$pid/exe" 2>/dev/null || true)"
  target="$(readlink -f "$("$PG_CONFIG" --bindir)/postgres" 2>/dev/null || true)"
  if [ -n "$running" ] && [ -n "$target" ] && [ "$running" != "$target" ]; then
    log "this checkout's cluster runs $running, not $target: leaving the plv8_compat of $(dirname "$(dirname "$target")") alone (set PGGIT_PG_ROOT)"
    exit 0
  fi
done

# 3. Stamp: hash of sources + build files.  Skip when the installed build matches.
STAMP_FILE="$EXTDIR/plv8_compat.stamp"
stamp="$(cd "$HERE" && cat install.sh Makefile plv8_compat.control plv8_compat--1.0.sql src/*.cpp | sha256sum | cut -c1-64)"
if [ -z "${PLV8_COMPAT_FORCE:-}" ] && [ -f "$STAMP_FILE" ] && [ "$(cat "$STAMP_FILE")" = "$stamp" ] \
   && [ -f "$PKGLIBDIR/plv8_compat.so" ] && [ -f "$PKGLIBDIR/libnode.so.108" ] \
   && [ -f "$EXTDIR/plv8_compat.control" ]; then
  log "plv8_compat up to date (stamp ${stamp:0:12})"
  exit 0
fi

# 4. Build dependencies and libnode108's runtime dependencies.
apt_install postgresql-server-dev-15 g++ make
# libnode108 cannot be apt-installed here (nodesource's nodejs conflicts), so we
# extract it; install its shared-library dependencies ourselves.
apt_install libc-ares2 libuv1 libbrotli1 libicu72 libnghttp2-14 libssl3 zlib1g

# 5. libnode108 + libnode-dev extracted into plv8/build/libnode (once).
if [ ! -f "$LIBNODE_ROOT/usr/lib/x86_64-linux-gnu/libnode.so.108" ] || [ ! -f "$LIBNODE_ROOT/usr/include/node/v8.h" ]; then
  mkdir -p "$BUILD/debs"
  (
    cd "$BUILD/debs"
    rm -f ./*.deb
    log "apt-get download libnode108 libnode-dev"
    if ! apt-get download libnode108 libnode-dev >&2 2>/dev/null; then
      apt_update_once
      apt-get download libnode108 libnode-dev >&2 || die "apt-get download libnode108 libnode-dev failed"
    fi
  )
  rm -rf "$LIBNODE_ROOT"
  mkdir -p "$LIBNODE_ROOT"
  for deb in "$BUILD"/debs/libnode108_*.deb "$BUILD"/debs/libnode-dev_*.deb; do
    [ -f "$deb" ] || die "missing $deb"
    dpkg -x "$deb" "$LIBNODE_ROOT"
  done
  [ -f "$LIBNODE_ROOT/usr/include/node/v8.h" ] || die "libnode-dev did not provide v8.h"
fi
LIBNODE_SO="$(readlink -f "$LIBNODE_ROOT/usr/lib/x86_64-linux-gnu/libnode.so.108")"
[ -f "$LIBNODE_SO" ] || die "libnode.so.108 not found in $LIBNODE_ROOT"

# 6. Build (in the checkout; outputs are gitignored).
log "building plv8_compat"
make -C "$HERE" -s PG_CONFIG="$PG_CONFIG" LIBNODE_ROOT="$LIBNODE_ROOT" clean >/dev/null 2>&1 || true
if ! make -C "$HERE" -s PG_CONFIG="$PG_CONFIG" LIBNODE_ROOT="$LIBNODE_ROOT" >"$BUILD/make.log" 2>&1; then
  cat "$BUILD/make.log" >&2
  die "build failed"
fi

# 7. Install: libnode.so.108 beside the module (the module's rpath is pkglibdir).
log "installing into $PKGLIBDIR and $EXTDIR"
$SUDO install -m 0644 "$LIBNODE_SO" "$PKGLIBDIR/libnode.so.108"
if ! make -C "$HERE" -s PG_CONFIG="$PG_CONFIG" LIBNODE_ROOT="$LIBNODE_ROOT" install >"$BUILD/make-install.log" 2>&1; then
  cat "$BUILD/make-install.log" >&2
  die "make install failed"
fi
# sanity: every shared library dependency resolves
if ldd "$PKGLIBDIR/plv8_compat.so" | grep -q "not found"; then
  ldd "$PKGLIBDIR/plv8_compat.so" >&2
  die "unresolved shared libraries for plv8_compat.so"
fi
echo "$stamp" | $SUDO tee "$STAMP_FILE" >/dev/null
$SUDO chmod 0644 "$STAMP_FILE"
log "installed plv8_compat (stamp ${stamp:0:12})"
