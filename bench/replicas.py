#!/usr/bin/env python3
"""Drivers of bench/replicas.sh (one keep-alive TLS connection per replica):
  replicas.py lag TLS_DIR COUNT PORT_A PORT_B    replication lag: a 201 on A, then B's index.yaml
                                                  polled until it lists the version; prints p50/p99 (ms)
  replicas.py uploads TLS_DIR COUNT PORT...       COUNT uploads spread over the replicas, one thread
                                                  each; prints uploads/s
"""
import http.client
import re
import ssl
import sys
import threading
import time

from populate import chart_bytes


def connect(port, tls_dir):
    context = ssl.create_default_context(cafile=f"{tls_dir}/ca.crt")
    context.load_cert_chain(f"{tls_dir}/client-ci-pusher.crt", f"{tls_dir}/client-ci-pusher.key")
    return http.client.HTTPSConnection("localhost", port, context=context)


def upload(connection, name, version):
    connection.request("POST", "/api/bench/charts", body=chart_bytes(name, version),
                       headers={"Content-Type": "application/gzip"})
    response = connection.getresponse()
    response.read()
    if response.status != 201:
        sys.exit(f"upload {name} {version}: {response.status}")


def get_index(connection):
    connection.request("GET", "/bench/index.yaml")
    response = connection.getresponse()
    return response.read()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def lag(tls_dir, count, port_a, port_b):
    writer, reader = connect(port_a, tls_dir), connect(port_b, tls_dir)
    lags = []
    for index in range(count):
        version = f"9.{index}.0"
        upload(writer, "lag-probe", version)
        acknowledged = time.monotonic()
        # The entry's own `version:` line (versions are quoted; `appVersion:` lines do not match).
        needle = re.compile(rb'(?m)^\s+version: "?' + re.escape(version.encode()) + rb'"?$')
        while not needle.search(get_index(reader)):
            if time.monotonic() - acknowledged > 30:
                sys.exit(f"{version} did not reach the other replica within 30 s")
        lags.append((time.monotonic() - acknowledged) * 1000)
    print(f"lag_p50_ms={percentile(lags, 0.50):.1f} lag_p99_ms={percentile(lags, 0.99):.1f} "
          f"lag_max_ms={max(lags):.1f} samples={len(lags)}")


def uploads(tls_dir, count, ports):
    per_replica = count // len(ports)

    def run(offset, port):
        connection = connect(port, tls_dir)
        for index in range(per_replica):
            upload(connection, f"throughput-{offset}", f"1.{index}.0")

    threads = [threading.Thread(target=run, args=(offset, port)) for offset, port in enumerate(ports)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    print(f"uploads_per_s={per_replica * len(ports) / elapsed:.1f}")


if __name__ == "__main__":
    command, tls_dir, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ports = [int(port) for port in sys.argv[4:]]
    if command == "lag":
        lag(tls_dir, count, ports[0], ports[1])
    else:
        uploads(tls_dir, count, ports)
