"""Fault drills share the end-to-end suite's harness instead of copying it: Tests/integration's
conftest (the real server binary, its configuration, curl, the test certificates) and the socket
helpers of its network attack tests are loaded here under their own module names, and their
names re-exported, so `from conftest import ...` works in these tests as it does there."""
import http.client
import importlib.util
import io
import os
import ssl
import subprocess
import sys
import tarfile
import time

INTEGRATION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration")


def _load(name, file_name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(INTEGRATION, file_name))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_harness = _load("integration_harness", "conftest.py")
# test_attacks_network does `from conftest import ...`: meaning the integration harness.
_this = sys.modules.get("conftest")
sys.modules["conftest"] = _harness
try:
    _load("integration_network", "test_attacks_network.py")
finally:
    if _this is not None:
        sys.modules["conftest"] = _this

from integration_harness import *  # noqa: E402,F401,F403  fixtures and helpers
from integration_harness import client_cert, tls_file  # noqa: E402
from integration_network import client_hello, closed_by_peer, resident_bytes, tls_connect, tls_context  # noqa: E402,F401


def wait_for(condition, deadline_seconds, period=0.1, what="condition"):
    """Polls `condition` until it returns a true value, or fails after `deadline_seconds`."""
    end = time.monotonic() + deadline_seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline_seconds} s waiting for {what}")
        time.sleep(period)  # polling period, bounded by the deadline above


def make_chart(name, version, padding=b""):
    """A minimal valid chart; `padding` (a file under files/) makes it as large as needed."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        def add(path, data):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        add(f"{name}/Chart.yaml", f"apiVersion: v2\nname: {name}\nversion: {version}\n".encode())
        if padding:
            add(f"{name}/files/padding.bin", padding)
    return buffer.getvalue()


class Client:
    """One keep-alive HTTPS connection (http.client) with an optional client certificate."""

    def __init__(self, port, cert=None, timeout=60):
        context = ssl.create_default_context(cafile=tls_file("ca.crt"))
        if cert:
            context.load_cert_chain(*client_cert(cert))
        self.connection = http.client.HTTPSConnection("localhost", port, context=context, timeout=timeout)

    def request(self, method, path, body=None, headers=None):
        """(status, body bytes); connection errors propagate."""
        self.connection.request(method, path, body=body, headers=headers or {})
        response = self.connection.getresponse()
        return response.status, response.read()

    def upload(self, chart_bytes, repo="stable"):
        return self.request("POST", f"/api/{repo}/charts", body=chart_bytes,
                            headers={"Content-Type": "application/gzip"})

    def close(self):
        self.connection.close()


SERVER_EXTENSIONS = ["subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1", "extendedKeyUsage=serverAuth",
                     "keyUsage=critical,digitalSignature"]
CA_EXTENSIONS = ["basicConstraints=critical,CA:TRUE,pathlen:0", "keyUsage=critical,keyCertSign,cRLSign"]


def issue_certificate(stem, common_name, issuer=None, extensions=SERVER_EXTENSIONS):
    """`stem`.crt and `stem`.key (P-256), issued by `issuer` (a stem; default the test CA) the way
    keys-test/tls/generate.sh issues them; a server certificate for localhost unless `extensions`
    say otherwise. Returns (certificate, key) paths."""
    stem = str(stem)
    issuer_certificate, issuer_key = (f"{issuer}.crt", f"{issuer}.key") if issuer else (tls_file("ca.crt"),
                                                                                        tls_file("ca.key"))
    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", stem + ".key")
    openssl("req", "-new", "-key", stem + ".key", "-subj", f"/CN={common_name}", "-out", stem + ".csr")
    with open(stem + ".ext", "w") as handle:
        handle.write("\n".join(extensions) + "\n")
    openssl("x509", "-req", "-in", stem + ".csr", "-CA", issuer_certificate, "-CAkey", issuer_key,
            "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-sha256", "-days", "2",
            "-extfile", stem + ".ext", "-out", stem + ".crt")
    os.remove(stem + ".csr")
    os.remove(stem + ".ext")
    os.chmod(stem + ".key", 0o600)
    return stem + ".crt", stem + ".key"
