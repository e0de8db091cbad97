# Shared by the bench scripts (source it).

# The port a server logged as "listening on HOST:PORT" in LOG, waiting up
# to SECONDS (default 15; a server under valgrind needs longer). On
# timeout the log goes to stderr and the function fails.
listen_port() { # LOG [SECONDS]
  local p tries=$(( ${2:-15} * 20 ))
  for _ in $(seq 1 "$tries"); do
    p=$(grep -o 'listening on [^ ]*' "$1" 2>/dev/null | head -1 | sed 's/.*://' || true)
    if [ -n "$p" ]; then echo "$p"; return 0; fi
    sleep 0.05
  done
  cat "$1" >&2
  return 1
}

# For the callgrind scripts: installs valgrind when missing, and writes to
# OUT a copy of BIN_DIR's profiles-server (a release build here when
# BIN_DIR is empty) without debug info: valgrind 3.19 gives up on the
# DWARF of some Swift release builds ("Possibly corrupted debuginfo
# file"), and counting instructions needs none (symbols stay).
callgrind_server() { # BIN_DIR OUT
  local bin=$1
  if ! command -v valgrind >/dev/null; then
    apt-get update && apt-get install -y valgrind
  fi
  if [ -z "$bin" ]; then
    swift build -c release --product profiles-server >&2
    bin=$(swift build -c release --show-bin-path)
  fi
  strip --strip-debug -o "$2" "$bin/profiles-server"
}
