#!/bin/sh
# costctl as one file (docs/binary.md): this launcher, then the release folder as a .tar.gz.
#
# The first start unpacks the folder once into a private per-user, per-version directory,
#   ${COSTCTL_RUNTIME_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/costctl/runtime}/VERSION-HASH
# after checking the payload against the SHA-256 built into this header, and every later start
# just execs the folder's costctl from there (a few milliseconds of /bin/sh, no unpacking). Why not
# PyInstaller's onefile: it unpacks ~380 MB into a new temporary directory at every start (2-3 s,
# 12-16 s on a loaded poller), which a check every minute cannot afford.
#
# Safe when two checks start at the same moment: the unpack holds a lock (flock) on the runtime
# directory and unpacks into a temporary directory beside the target, renamed into place only when
# complete; whoever waited on the lock finds it there. A directory that is incomplete or damaged (its
# marker or executable gone, owned by someone else) is unpacked again and swapped in by rename.
# Answers `COSTCTL UNKNOWN - ...` (exit 3, a monitoring core's "cannot check") when it cannot run.
version='@VERSION@'
sha256='@SHA256@'
skip='@SKIP@'
self=$0

fail() {
  echo "COSTCTL UNKNOWN - costctl launcher: $*"
  exit 3
}

if [ -n "${COSTCTL_RUNTIME_DIR:-}" ]; then
  base=$COSTCTL_RUNTIME_DIR
else
  case "${XDG_CACHE_HOME:-}" in
    /*) base=$XDG_CACHE_HOME/costctl/runtime ;;
    *) case "${HOME:-}" in
         /?*) base=$HOME/.cache/costctl/runtime ;;
         *) fail "no place to unpack: set XDG_CACHE_HOME or HOME to an absolute path, or COSTCTL_RUNTIME_DIR" ;;
       esac ;;
  esac
fi
dir=$base/$version-$(printf '%.16s' "$sha256")

ready() {
  [ -O "$dir" ] && [ -x "$dir/costctl" ] && [ -f "$dir/.costctl-runtime" ] || return 1
  read -r stamp < "$dir/.costctl-runtime" && [ "$stamp" = "$sha256" ]
}

if ready; then
  exec "$dir/costctl" "$@"
fi

unpack() {
  umask 077
  mkdir -p "$base" 2>/dev/null || fail "cannot create $base"
  [ -O "$base" ] || fail "$base belongs to another user"
  chmod 700 "$base" 2>/dev/null || fail "cannot make $base private"
  if command -v flock >/dev/null 2>&1; then
    exec 9>>"$base/.lock" || fail "cannot lock $base"
    flock -w 600 9 || fail "another costctl has been unpacking into $base for 10 minutes"
    if ready; then exec 9>&-; return 0; fi   # the one we waited for did it
  fi
  tmp=$(mktemp -d "$base/.unpack-XXXXXX") || fail "cannot unpack into $base (disk full?)"
  tail -c +"$skip" "$self" > "$tmp/payload" || { rm -rf "$tmp"; fail "cannot unpack into $base (disk full?)"; }
  sum=$(sha256sum "$tmp/payload" | cut -d' ' -f1)
  if [ "$sum" != "$sha256" ]; then
    rm -rf "$tmp"
    fail "$self is damaged (SHA-256 $sum, built as $sha256); download it again"
  fi
  mkdir "$tmp/root" && tar -xzf "$tmp/payload" -C "$tmp/root" --strip-components=1 \
    || { rm -rf "$tmp"; fail "cannot unpack into $base (disk full?)"; }
  rm -f "$tmp/payload"
  echo "$sha256" > "$tmp/root/.costctl-runtime" || { rm -rf "$tmp"; fail "cannot write into $base"; }
  chmod 700 "$tmp/root"
  if [ -e "$dir" ] || [ -L "$dir" ]; then
    # Damaged or foreign: moved aside by rename (a process still running from it keeps its files).
    mv -f -T "$dir" "$tmp/old" 2>/dev/null || { rm -rf "$tmp"; fail "cannot replace $dir"; }
  fi
  if ! mv -T "$tmp/root" "$dir" 2>/dev/null; then
    rm -rf "$tmp"
    ready || fail "cannot install into $dir"
    return 0  # another launcher without flock got there first
  fi
  rm -rf "$tmp"
  exec 9>&- 2>/dev/null
  # Earlier versions' directories stay: a process may still run from one (docs/binary.md says how to prune).
}

unpack
ready || fail "unpacked into $dir but cannot run it"
exec "$dir/costctl" "$@"
