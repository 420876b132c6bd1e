#!/usr/bin/env bash
# A private PostgreSQL cluster for one test run (Debian's `postgresql` server binaries):
#   scripts/postgres.sh start DIR   initdb in DIR (a new temporary directory) as an unprivileged
#                                   user, listen on a free loopback port and on a unix socket in
#                                   DIR, and print the URL (also in DIR/url): a superuser
#                                   `chartwarden` with a random password, scram-sha-256 over TCP.
#   scripts/postgres.sh stop DIR    stop the cluster and remove DIR.
#   scripts/postgres.sh halt DIR [fast|immediate]   stop the server, keeping DIR (fault drills);
#   scripts/postgres.sh resume DIR                   start it again, on the same port and socket.
# As root, the cluster runs as the system user `chartwarden-pg` (created when missing), through
# runuser: PostgreSQL refuses to run as root.
set -euo pipefail
command=${1:?usage: postgres.sh start|stop|halt|resume DIR}
dir=${2:?usage: postgres.sh start|stop DIR}
bin=${CHARTWARDEN_POSTGRES_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$bin/initdb" ] || { echo "postgres.sh: no PostgreSQL server binaries (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u chartwarden-pg -- "$@"; else "$@"; fi
}

run_server() {
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=300" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
}

case "$command" in
start)
  if [ "$(id -u)" = 0 ] && ! id chartwarden-pg >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin chartwarden-pg
  fi
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown chartwarden-pg "$dir"
  chmod 700 "$dir"
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  as_owner bash -c "umask 077; printf '%s\n' '$password' > '$dir/pwfile'"
  as_owner "$bin/initdb" -D "$dir/data" -U chartwarden --pwfile="$dir/pwfile" --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  echo "$port" >"$dir/port"
  run_server
  echo "postgresql://chartwarden:$password@127.0.0.1:$port/postgres" | tee "$dir/url"
  ;;
halt)
  as_owner "$bin/pg_ctl" -D "$dir/data" -m "${3:-fast}" -w stop >/dev/null
  ;;
resume)
  port=$(cat "$dir/port")
  run_server
  ;;
stop)
  [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*)
  echo "usage: postgres.sh start|stop|halt|resume DIR" >&2
  exit 2
  ;;
esac
