#!/usr/bin/env bash
# A throwaway PostgreSQL cluster in a folder of its own, for tests and for
# trying --db postgres://… by hand:
#
#   scripts/pg-cluster.sh start DIR   # initdb (first time) + start; prints the URL
#   scripts/pg-cluster.sh url DIR     # prints the URL of the running cluster
#   scripts/pg-cluster.sh stop DIR    # stops it (the folder stays; rm -rf it after)
#
# The URL is postgres://postgres@localhost:PORT/profiles?host=DIR: the
# server listens on a free TCP port on 127.0.0.1 and on a unix socket in
# DIR, trusts local connections (-A trust: test clusters only), and has a
# database named profiles. Without initdb on the PATH, Debian's postgresql
# package is installed (as root). initdb refuses to run as root, so as root
# the cluster is made and run as the postgres user (runuser), which owns
# DIR. Data is not fsynced (--no-sync, fsync=off): it survives a crash of
# the server, not of the machine. It takes 300 connections (test servers
# run several nodes of 16 each at once). A test cluster only; PG_DURABLE=1 turns
# fsync back on (for benchmarks of durable writes), and PG_OPTIONS adds
# settings ("-c name=value …").
set -euo pipefail

usage() { echo "usage: $0 start DIR | stop DIR | url DIR" >&2; exit 64; }
(($# == 2)) || usage
command=$1
dir=$2
[[ -n $dir ]] || usage
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data=$dir/data

find_bin() {
  local found
  if found=$(command -v initdb 2>/dev/null); then
    bin=$(dirname "$(readlink -f "$found")")
    return 0
  fi
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -n $found && -x $found/initdb ]]; then
    bin=$found
    return 0
  fi
  return 1
}

if ! find_bin; then
  if [[ $command != start ]]; then echo "pg-cluster: PostgreSQL is not installed" >&2; exit 1; fi
  if [[ $(id -u) != 0 ]]; then
    echo "pg-cluster: initdb not found; install PostgreSQL (Debian: apt-get install postgresql)" >&2
    exit 1
  fi
  echo "pg-cluster: installing Debian's postgresql" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Debian's package would make and start a cluster of its own on 5432.
  mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/profiles-test.conf
  apt-get update >&2
  apt-get install -y --no-install-recommends postgresql >&2
  find_bin || { echo "pg-cluster: initdb still not found after installing postgresql" >&2; exit 1; }
fi

# As root, run PostgreSQL's programs as the postgres user.
as_owner() {
  if [[ $(id -u) == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_file=$dir/port
# Tests need no durability; benchmarks of durable writes do (PG_DURABLE=1:
# fsync and full-page writes on, PostgreSQL's defaults).
if [[ ${PG_DURABLE:-0} == 1 ]]; then server_options=""; else server_options="-c fsync=off -c full_page_writes=off"; fi
# More server settings for this start, e.g. PG_OPTIONS="-c shared_buffers=4GB".
server_options="$server_options ${PG_OPTIONS:-}"

# Closes what the caller left open (a test runner's pipes, sockets): the
# server outlives this script and must not hold them, or whoever reads
# the caller's output waits for an end that never comes. Run in a subshell.
close_inherited_fds() {
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    if ((fd > 2 && fd != 255)); then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}

print_url() {
  echo "postgres://postgres@localhost:$(cat "$port_file")/profiles?host=$dir"
}

# A TCP port nothing listens on now (the kernel picks it; PostgreSQL binds
# it a moment later: start retries on the rare collision).
free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
  else
    shuf -i 20000-60000 -n 1
  fi
}

case $command in
start)
  if [[ $(id -u) == 0 ]]; then
    id postgres >/dev/null 2>&1 || { echo "pg-cluster: no postgres user (is the postgresql package installed?)" >&2; exit 1; }
    chown postgres: "$dir"
  fi
  if [[ -f $data/postmaster.pid ]] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    print_url
    exit 0
  fi
  if [[ ! -f $data/PG_VERSION ]]; then
    # The superuser is named postgres whoever runs it; UTF-8 with a C
    # collation: byte order, as SQLite sorts (the schema also says
    # COLLATE "C" where order matters), and pg_trgm sees non-ASCII letters.
    as_owner "$bin/initdb" -D "$data" --no-sync -A trust -U postgres \
      --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  for attempt in 1 2 3; do
    # A restart keeps its port (and so its URL), when the port is free.
    if ((attempt == 1)) && [[ -s $port_file ]]; then port=$(cat "$port_file"); else port=$(free_port); fi
    echo "$port" >"$port_file"
    if (close_inherited_fds; exec </dev/null >/dev/null
        as_owner "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 30 \
          -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 $server_options" start); then
      break
    fi
    if ((attempt == 3)); then
      echo "pg-cluster: the server did not start; $dir/server.log says:" >&2
      tail -n 20 "$dir/server.log" >&2 || true
      exit 1
    fi
  done
  if [[ -z $(as_owner "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -Atqc \
      "SELECT 1 FROM pg_database WHERE datname = 'profiles'") ]]; then
    as_owner "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -qc "CREATE DATABASE profiles" >/dev/null
  fi
  print_url
  ;;
stop)
  if [[ -f $data/postmaster.pid ]]; then
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  fi
  ;;
url)
  [[ -f $port_file && -f $data/postmaster.pid ]] || { echo "pg-cluster: no cluster running in $dir" >&2; exit 1; }
  print_url
  ;;
*)
  usage
  ;;
esac
