"""Shared pieces for the end-to-end tests: the built binary, the real Helm client, a file server."""
import functools
import http.server
import os
import subprocess
import sys
import threading

import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(TOP, "charts-fixtures")
HELM_CLIENT = os.path.join(TOP, "scripts", "helmclient.py")


@pytest.fixture(scope="session")
def chartwarden_bin():
    path = os.environ.get("CHARTWARDEN_BIN") or os.path.join(TOP, ".build", "debug", "chartwarden")
    assert os.path.exists(path), f"build first: {path} is missing (swift build)"
    return path


class HelmClient:
    """The real Helm library in a subprocess per call (Go reads its environment at load)."""

    def __init__(self, home):
        self.home = str(home)

    def run(self, *args, check=True):
        result = subprocess.run([sys.executable, HELM_CLIENT, "--home", self.home, *args],
                                capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"helm {' '.join(args)} failed: {result.stderr.strip()}")
        return result


@pytest.fixture
def helm(tmp_path):
    return HelmClient(tmp_path / "helm-home")


@pytest.fixture
def static_server():
    """Serves a directory over plain HTTP on loopback; yields a function that starts it."""
    servers = []

    def start(directory):
        handler = functools.partial(QuietHandler, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
