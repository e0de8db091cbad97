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
