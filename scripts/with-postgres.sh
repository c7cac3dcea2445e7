#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL (Debian's postgresql package): a new cluster
# in a temporary directory, on a loopback port, stopped and deleted when the command ends.
# The command sees:
#   REMISE_TEST_POSTGRES       an admin URL; the tests create one database per test in it
#   REMISE_TEST_POSTGRES_CTL   a script taking stop, start or restart, for the fault tests
# Usage: scripts/with-postgres.sh cargo test --release --workspace --tests
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "with-postgres: PostgreSQL is not installed (apt-get install postgresql)" >&2
    exit 1
fi
# A free port unless told (so several runs can go side by side).
port=${REMISE_TEST_POSTGRES_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
dir=$(mktemp -d /tmp/remise-postgres.XXXXXX)
# initdb and postgres refuse to run as root: run them as the package's postgres user.
as=()
if [ "$(id -u)" = 0 ]; then
    as=(runuser -u postgres --)
    chown postgres: "$dir"
fi

cat > "$dir/ctl" <<CTL
#!/usr/bin/env bash
# stop | start | restart the test cluster.
set -euo pipefail
case "\$1" in
    stop) ${as[*]} "$bin/pg_ctl" -D "$dir/data" -m fast -w stop ;;
    start) ${as[*]} "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w start ;;
    restart) ${as[*]} "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -m fast -w restart ;;
    *) echo "usage: \$0 stop|start|restart" >&2; exit 2 ;;
esac
CTL
chmod 755 "$dir/ctl"

stop() {
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap stop EXIT

"${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-instructions >/dev/null
cat >> "$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 500
shared_buffers = 256MB
CONF
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w start >/dev/null

export REMISE_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
export REMISE_TEST_POSTGRES_CTL="$dir/ctl"
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
"$@"
