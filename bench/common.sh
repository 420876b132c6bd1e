# Shared by the bench scripts (sourced): a release build of chartwarden started on a config whose
# `server:` and `storage:` parts point at the test TLS material and a scratch data directory.
#   chartwarden_config WORKDIR          prints the common head of a config (append `auth:`/`repositories:`)
#   start_chartwarden WORKDIR BINARY    starts `serve` on WORKDIR/chartwarden.yaml, sets cw_pid and cw_port
#                                       (at --log-level $CW_LOG_LEVEL, default warning: no access log)
tls=$PWD/keys-test/tls

chartwarden_config() {
    cat <<YAML
server:
  listen: "127.0.0.1:0"
  tls: {certificate: $tls/server.crt, privateKey: $tls/server.key, clientCA: $tls/ca.crt, clientAuth: optional}
storage: {dataDir: $1/data}
YAML
}

start_chartwarden() {
    rm -f "$1/cw.out"   # a restart must not find the previous run's listening line
    "$2" serve --config "$1/chartwarden.yaml" --log-level "${CW_LOG_LEVEL:-warning}" > "$1/cw.out" 2> "$1/cw.err" &
    cw_pid=$!
    # Wait for the listening line the server prints once it serves (a bench script, not a test).
    until grep -qs "listening on https" "$1/cw.out"; do
        kill -0 "$cw_pid" 2>/dev/null || { cat "$1/cw.err"; exit 1; }
        sleep 0.1
    done
    cw_port=$(awk '/listening on https/ {print $6; exit}' "$1/cw.out")
}
