#!/usr/bin/env python3
"""Packages the chart sources in src/ into packaged/ with the real Helm library.

Each (chart, version) below becomes one .tgz made by Helm's own `package` action. Dependencies are
vendored the way real charts ship them: the dependency charts are packaged first and copied into
the parent's charts/ directory, so webapp carries nested subchart archives.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
HELM = os.path.join(HERE, "..", "scripts", "helmclient.py")

VERSIONS = {
    "common-lib": ["1.4.0"],
    "redis-lite": ["0.8.1", "0.8.2"],
    "cert-operator": ["2.3.1"],
    "legacy-ingress": ["0.9.7"],
    "batch-jobs": ["3.0.0"],
    "node-agent": ["0.3.0-alpha.1", "0.3.0-alpha.2", "0.3.0-alpha.10"],
    "webapp": ["1.0.0", "1.1.0", "1.1.1+hotfix.3", "1.2.0-rc.1", "1.2.0", "2.0.0-beta.2+build.7"],
}
VENDORED = {"webapp": [("common-lib", "1.4.0"), ("redis-lite", "0.8.2")]}


def helm(home, *args):
    return subprocess.run([sys.executable, HELM, "--home", home, *args], check=True,
                          capture_output=True, text=True).stdout.strip()


def main():
    out = os.path.join(HERE, "packaged")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    with tempfile.TemporaryDirectory() as work:
        home = os.path.join(work, "helm-home")
        for chart, versions in VERSIONS.items():
            for version in versions:
                source = os.path.join(work, "src", version, chart)
                shutil.copytree(os.path.join(HERE, "src", chart), source)
                chart_yaml = os.path.join(source, "Chart.yaml")
                text = open(chart_yaml).read()
                open(chart_yaml, "w").write(re.sub(r"(?m)^version: .*$", f"version: {version}", text, count=1))
                for dependency, dependency_version in VENDORED.get(chart, []):
                    os.makedirs(os.path.join(source, "charts"), exist_ok=True)
                    shutil.copy(os.path.join(out, f"{dependency}-{dependency_version}.tgz"),
                                os.path.join(source, "charts"))
                path = helm(home, "package", source, out)
                print(os.path.relpath(path, HERE))


if __name__ == "__main__":
    main()
