#!/usr/bin/env python3
"""Inserts COUNT generated active chart versions straight into a stopped ChartWarden's SQLite
store, in one transaction (benchmark set-up: reaching 100,000 versions through uploads takes
hours). The rows look like uploaded ones: metadata JSON as the server stores it, a digest, a size.
The blobs are not written: the index and cold start never read them.

    populate-store.py DATA_DIR REPOSITORY COUNT [PREFIX]
"""
import hashlib
import json
import sqlite3
import sys


def main():
    data_dir, repository, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    prefix = sys.argv[4] if len(sys.argv) > 4 else "filler"
    charts = 500
    database = sqlite3.connect(f"{data_dir}/chartwarden.sqlite")
    with database:
        database.execute("INSERT OR IGNORE INTO repositories (name, createdAt) VALUES (?, '2026-11-23 00:00:00.000')",
                         (repository,))
        rows = []
        for index in range(count):
            name, version = f"{prefix}-{index % charts:03d}", f"1.{index // charts}.0"
            metadata = {"apiVersion": "v2", "name": name, "version": version, "appVersion": version,
                        "description": f"Generated chart {name} {version} for the index benchmark.",
                        "keywords": ["bench", "generated"]}
            rows.append((repository, name, version, hashlib.sha256(f"{name}-{version}".encode()).hexdigest(), 300,
                         f"2026-11-23 00:{index // 60000 % 60:02d}:{index // 1000 % 60:02d}.{index % 1000:03d}",
                         "cert:ci-pusher", "active", json.dumps(metadata, separators=(",", ":"))))
        database.executemany("INSERT INTO chart_versions (repository, name, version, digest, size, created, uploader, "
                             "status, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    database.close()


if __name__ == "__main__":
    main()
