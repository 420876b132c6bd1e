#!/usr/bin/env python3
"""Uploads N generated chart versions over one keep-alive TLS connection and prints the upload
latency (p50/p99, ms) of every block of 1,000 versions, then the last/first p50 ratio.

    upload-latency.py PORT REPO COUNT TLS_DIR [BLOCK] [FIRST_VERSION_NUMBER]
"""
import http.client
import os
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from populate import chart_bytes  # noqa: E402


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main():
    port, repo, count, tls_dir = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    block = int(sys.argv[5]) if len(sys.argv) > 5 else 1000
    offset = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    context = ssl.create_default_context(cafile=f"{tls_dir}/ca.crt")
    context.load_cert_chain(f"{tls_dir}/client-ci-pusher.crt", f"{tls_dir}/client-ci-pusher.key")
    connection = http.client.HTTPSConnection("localhost", port, context=context)
    charts = 500
    timings, first, blocks = [], None, 0
    print(f"{'versions':>9} {'p50_ms':>8} {'p99_ms':>8}")
    for index in range(offset, offset + count):
        body = chart_bytes(f"bench-chart-{index % charts:03d}", f"1.{index // charts}.0")
        start = time.perf_counter()
        connection.request("POST", f"/api/{repo}/charts", body=body, headers={"Content-Type": "application/gzip"})
        response = connection.getresponse()
        response.read()
        timings.append((time.perf_counter() - start) * 1000)
        if response.status != 201:
            sys.exit(f"upload {index}: {response.status}")
        if len(timings) == block:
            p50, p99 = percentile(timings, 0.5), percentile(timings, 0.99)
            first = first or p50
            blocks += 1
            print(f"{index + 1 - offset:>9} {p50:>8.2f} {p99:>8.2f}", flush=True)
            last = (p50, p99)
            timings = []
    if blocks > 1:
        print(f"last/first block p50: {last[0] / first:.2f}x   last block p99: {last[1]:.2f} ms")


if __name__ == "__main__":
    main()
