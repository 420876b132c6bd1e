#!/usr/bin/env python3
"""Pushes N generated chart versions into a running ChartWarden over one keep-alive TLS
connection (benchmark set-up, not a benchmark itself)."""
import http.client
import io
import ssl
import sys
import tarfile


def chart_bytes(name, version):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        def add(path, text):
            data = text.encode()
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        add("Chart.yaml", f"apiVersion: v2\nname: {name}\nversion: {version}\n"
                          f"description: Generated chart {name} {version} for the index benchmark.\n"
                          f"appVersion: \"{version}\"\nkeywords: [bench, generated]\n")
        add("values.yaml", "replicaCount: 1\n")
    return buffer.getvalue()


def main():
    port, repo, count, tls_dir = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    context = ssl.create_default_context(cafile=f"{tls_dir}/ca.crt")
    context.load_cert_chain(f"{tls_dir}/client-ci-pusher.crt", f"{tls_dir}/client-ci-pusher.key")
    connection = http.client.HTTPSConnection("localhost", port, context=context)
    charts = 100
    for index in range(count):
        name = f"bench-chart-{index % charts:03d}"
        version = f"1.{index // charts}.0"
        connection.request("POST", f"/api/{repo}/charts", body=chart_bytes(name, version),
                           headers={"Content-Type": "application/gzip"})
        response = connection.getresponse()
        response.read()
        if response.status != 201:
            sys.exit(f"upload {name} {version}: {response.status}")


if __name__ == "__main__":
    main()
