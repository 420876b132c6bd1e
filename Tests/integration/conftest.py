"""Shared pieces for the end-to-end tests: the built binary, the real Helm client, a file server."""
import functools
import http.server
import os
import time
import subprocess
import sys
import threading
import urllib.parse
import uuid

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
    """Serves a directory on loopback, over plain HTTP or (tls=True) HTTPS with the test server
    certificate; yields a function that starts it and returns its URL."""
    servers = []

    def start(directory, tls=False):
        handler = functools.partial(QuietHandler, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        if tls:
            import ssl
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls_file("server.crt"), tls_file("server.key"))
            server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


# --- A real ChartWarden server process -------------------------------------------------------

import signal  # noqa: E402
import tempfile  # noqa: E402

import yaml  # noqa: E402

TLS_DIR = os.path.join(TOP, "keys-test", "tls")
PACKAGED = os.path.join(FIXTURES, "packaged")


def tls_file(name):
    return os.path.join(TLS_DIR, name)


def client_cert(name):
    """(certificate, key) of a test client: ci-pusher, admin, reader or intruder."""
    return tls_file(f"client-{name}.crt"), tls_file(f"client-{name}.key")


def base_config(data_dir, client_auth="optional"):
    return {
        "server": {
            "listen": "127.0.0.1:0",
            "tls": {"certificate": tls_file("server.crt"), "privateKey": tls_file("server.key"),
                    "clientCA": tls_file("ca.crt"), "clientAuth": client_auth},
            "maxUploadBytes": 2 * 1024 * 1024,
            "readTimeoutSeconds": 3,
        },
        "storage": {"dataDir": str(data_dir)},
        "auth": {"groups": {"ci": ["cert:ci-pusher"], "admins": ["cert:admin"]}, "admins": ["group:admins"]},
        "repositories": [
            {"name": "stable", "read": ["anonymous"], "write": ["group:ci"], "delete": ["group:admins"]},
            {"name": "", "read": ["anonymous"], "write": ["group:ci"], "delete": ["group:admins"],
             "allowOverwrite": True},
            {"name": "private", "read": ["cert:reader", "group:ci"], "write": ["group:ci"]},
        ],
    }


class CurlResult:
    def __init__(self, status, headers, body, stderr):
        self.status, self.headers, self.body, self.stderr = status, headers, body, stderr

    def json(self):
        import json
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} {self.body[:200]!r} {self.stderr.strip()}>"


class RunningServer:
    """`chartwarden serve` in a subprocess; the port is read from its 'listening' line."""

    def __init__(self, binary, workdir, config, extra_args=()):
        self.binary, self.workdir, self.config = binary, str(workdir), config
        self.extra_args = list(extra_args)
        self.process = None
        self.ports = {}

    def start(self):
        path = os.path.join(self.workdir, "chartwarden.yaml")
        with open(path, "w") as handle:
            yaml.safe_dump(self.config, handle)
        self.stderr = open(os.path.join(self.workdir, "server.log"), "ab")
        self.process = subprocess.Popen([self.binary, "serve", "--config", path, *self.extra_args], stdout=subprocess.PIPE,
                                        stderr=self.stderr, cwd=TOP)
        expected = 1 + bool(self.config["server"].get("plaintextListen")) + bool(self.config["server"].get("adminListen"))
        while len(self.ports) < expected:
            line = self.process.stdout.readline().decode()
            if not line:
                raise AssertionError(f"server exited ({self.process.wait()}): {self.log()[-2000:]}")
            if "listening on" in line:
                words = line.split()
                self.ports[words[3]] = int(words[5])
        return self

    def log(self):
        with open(os.path.join(self.workdir, "server.log"), errors="replace") as handle:
            return handle.read()

    @property
    def port(self):
        return self.ports["https"]

    @property
    def url(self):
        return f"https://localhost:{self.port}"

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError("server did not stop after SIGTERM")
        return self.process.returncode

    def wait_for_orphan_sweep(self, deadline_seconds=30):
        """The start-up sweep of unreferenced blobs runs in the background once the server serves:
        waits until `chartwarden_blob_orphan_sweeps_total` counts it (polled, bounded)."""
        end = time.monotonic() + deadline_seconds
        while True:
            answer = self.curl("/metrics", cert="admin")
            body = answer.body.decode()
            if any(line.startswith("chartwarden_blob_orphan_sweeps_total") and float(line.split()[-1]) >= 1
                   for line in body.splitlines()):
                return
            if time.monotonic() > end:
                raise AssertionError(f"the orphan sweep did not finish within {deadline_seconds} s "
                                     f"(/metrics: {answer.status}, {body[:300]!r})")
            time.sleep(0.1)  # polling period, bounded by the deadline above

    @property
    def admin_url(self):
        return f"https://localhost:{self.ports['admin']}"

    def curl(self, path, *args, cert=None, ca=True, timeout=60, user=None, interface=None):
        with tempfile.TemporaryDirectory() as scratch:
            body_file, header_file = os.path.join(scratch, "body"), os.path.join(scratch, "headers")
            command = ["curl", "-sS", "-o", body_file, "-D", header_file, "-w", "%{http_code}",
                       "--max-time", str(timeout)]
            if ca:
                command += ["--cacert", tls_file("ca.crt")]
            if cert:
                certificate, key = client_cert(cert)
                command += ["--cert", certificate, "--key", key]
            if user:
                command += ["-u", user]
            if interface:
                command += ["--interface", interface]
            url = path if path.startswith("http") else self.url + path
            result = subprocess.run(command + list(args) + [url], capture_output=True, text=True, timeout=timeout + 10)
            status = int(result.stdout.strip() or 0)
            headers = {}
            if os.path.exists(header_file):
                for line in open(header_file, errors="replace").read().splitlines():
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
            body = open(body_file, "rb").read() if os.path.exists(body_file) else b""
            return CurlResult(status, headers, body, result.stderr)


# The storage backend of the servers the fixtures start: SQLite and files (the default), or
# PostgreSQL with CHARTWARDEN_TEST_BACKEND=postgres and CHARTWARDEN_TEST_POSTGRES_URL naming a
# server (scripts/test.sh runs the core files a second time that way, on a private cluster).
POSTGRES_SERVER_URL = os.environ.get("CHARTWARDEN_TEST_POSTGRES_URL") or None
POSTGRES_URL = POSTGRES_SERVER_URL if os.environ.get("CHARTWARDEN_TEST_BACKEND") == "postgres" else None


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: reads or breaks the SQLite file or blob files themselves")


def pytest_collection_modifyitems(config, items):
    if POSTGRES_URL:
        skip = pytest.mark.skip(reason="SQLite backend only (reads or breaks its files)")
        for item in items:
            if "sqlite_only" in item.keywords:
                item.add_marker(skip)


class PostgresDatabases:
    """One fresh database per data directory of a test (a server restarted on the same data
    directory finds its data again), dropped at the end of the test. The password goes through
    `storage.postgres.passwordFile`, as a deployment would pass it."""

    def __init__(self, server_url, scratch):
        self.parsed = urllib.parse.urlsplit(server_url)
        self.scratch = scratch
        self.names = {}

    def psql(self, sql):
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", urllib.parse.urlunsplit(self.parsed), "-c", sql],
                       check=True, capture_output=True, timeout=60)

    def storage_for(self, data_dir):
        key = os.path.abspath(str(data_dir))
        if key not in self.names:
            self.names[key] = f"cw_e2e_{os.getpid()}_{uuid.uuid4().hex[:12]}"
            self.psql(f"CREATE DATABASE {self.names[key]}")
        password_file = os.path.join(self.scratch, "postgres-password")
        with open(password_file, "w") as handle:
            handle.write(urllib.parse.unquote(self.parsed.password or "") + "\n")
        netloc = f"{self.parsed.username}@{self.parsed.hostname}:{self.parsed.port}"
        url = urllib.parse.urlunsplit((self.parsed.scheme, netloc, "/" + self.names[key], "", ""))
        return {"url": url, "passwordFile": password_file}

    def drop_all(self):
        for name in self.names.values():
            self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def postgres_server(tmp_path):
    """Databases on the test's PostgreSQL server, for tests of the PostgreSQL backend itself
    (skipped, saying so, when CHARTWARDEN_TEST_POSTGRES_URL is not set)."""
    if not POSTGRES_SERVER_URL:
        pytest.skip("no PostgreSQL (set CHARTWARDEN_TEST_POSTGRES_URL; scripts/test.sh starts one)")
    databases = PostgresDatabases(POSTGRES_SERVER_URL, str(tmp_path))
    yield databases
    databases.drop_all()


@pytest.fixture
def postgres_databases(request):
    """The per-test databases when the suite runs on PostgreSQL, else None."""
    return request.getfixturevalue("postgres_server") if POSTGRES_URL else None


def with_backend(config, databases):
    """`config` with `storage.postgres` added when the suite runs on PostgreSQL."""
    storage = config.setdefault("storage", {})
    if "postgres" in storage and storage["postgres"] is None:
        del storage["postgres"]  # a test that wants the embedded store whatever the backend
    elif databases is not None and "postgres" not in storage:
        storage["postgres"] = databases.storage_for(storage["dataDir"])
    return config


@pytest.fixture
def server_factory(chartwarden_bin, tmp_path, postgres_databases):
    """Starts servers with a config derived from base_config; stops them after the test."""
    servers = []

    def start(mutate=None, data_dir=None, client_auth="optional", extra_args=()):
        workdir = tmp_path / f"server{len(servers)}"
        workdir.mkdir()
        config = base_config(data_dir or (tmp_path / "data"), client_auth=client_auth)
        if mutate:
            mutate(config)
        with_backend(config, postgres_databases)
        server = RunningServer(chartwarden_bin, workdir, config, extra_args).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop(sig=signal.SIGKILL) if server.process.poll() is None else None


@pytest.fixture
def server(server_factory):
    return server_factory()


def make_htpasswd(binary, path, users):
    """Writes an htpasswd file with a bcrypt line per user, made by `chartwarden passwd`."""
    lines = []
    for name, password in users.items():
        result = subprocess.run([binary, "passwd", name, "--cost", "10"], input=password + "\n",
                                capture_output=True, text=True, check=True)
        lines.append(result.stdout.strip())
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return str(path)


def packaged(name):
    return os.path.join(PACKAGED, name)


# --- Provenance files signed at run time ---------------------------------------------------------

import hashlib  # noqa: E402
import tarfile  # noqa: E402


@pytest.fixture(scope="session")
def signing_home(tmp_path_factory):
    """A throwaway GnuPG home with one passphrase-less Ed25519 key (test only)."""
    home = tmp_path_factory.mktemp("gnupg")
    os.chmod(home, 0o700)
    subprocess.run(["gpg", "--batch", "--homedir", str(home), "--pinentry-mode", "loopback", "--passphrase", "",
                    "--quick-generate-key", "Ephemeral Test Signer <signer@test.invalid>", "ed25519", "sign", "1d"],
                   check=True, capture_output=True)
    return str(home)


def chart_yaml_of(tgz_path):
    with tarfile.open(tgz_path) as archive:
        member = next(m for m in archive.getmembers() if m.name.count("/") == 1 and m.name.endswith("/Chart.yaml"))
        return archive.extractfile(member).read().decode()


def make_prov(signing_home, tgz_path, file_name=None):
    """Helm's provenance layout (pkg/provenance): Chart.yaml, '...', files: {N-V.tgz: sha256:…},
    clear-signed with SHA-512."""
    digest = hashlib.sha256(open(tgz_path, "rb").read()).hexdigest()
    name = file_name or os.path.basename(tgz_path)
    body = chart_yaml_of(tgz_path).rstrip("\n") + "\n...\nfiles:\n  " + f"{name}: sha256:{digest}\n"
    result = subprocess.run(["gpg", "--batch", "--homedir", signing_home, "--pinentry-mode", "loopback",
                             "--passphrase", "", "--digest-algo", "SHA512", "--clearsign"],
                            input=body.encode(), capture_output=True, check=True)
    return result.stdout


# --- The committed test OpenPGP keys (keys-test/pgp) ------------------------------------------------

import json  # noqa: E402

PGP_DIR = os.path.join(TOP, "keys-test", "pgp")
PGP_KEYS = json.load(open(os.path.join(PGP_DIR, "keys.json")))


def pgp_file(name):
    return os.path.join(PGP_DIR, name)


class PGPSigner:
    """A GnuPG home holding every committed test secret key; signs provs the way Helm lays them out."""

    def __init__(self, home):
        self.home = str(home)
        for name in PGP_KEYS:
            self.gpg("--import", pgp_file(f"{name}.secret.asc"))

    def gpg(self, *args, input=None, time=None):
        command = ["gpg", "--homedir", self.home, "--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", "",
                   "--allow-weak-digest-algos"]
        if time:
            command += ["--faked-system-time", time, "--ignore-time-conflict"]
        return subprocess.run(command + list(args), input=input, capture_output=True, check=True).stdout

    @staticmethod
    def body(tgz_path, file_name=None, digest=None):
        digest = digest or hashlib.sha256(open(tgz_path, "rb").read()).hexdigest()
        name = file_name or os.path.basename(tgz_path)
        return chart_yaml_of(tgz_path).rstrip("\n") + "\n\n...\nfiles:\n  " + f"{name}: sha256:{digest}\n"

    def clearsign(self, text, key, digest="SHA512", time=None):
        return self.gpg("--clearsign", "--digest-algo", digest, "--local-user", PGP_KEYS[key]["fingerprint"],
                        input=text.encode(), time=time)

    def prov(self, tgz_path, key, digest="SHA512", time=None, file_name=None):
        return self.clearsign(self.body(tgz_path, file_name=file_name), key, digest=digest, time=time)


@pytest.fixture(scope="session")
def pgp(tmp_path_factory):
    home = tmp_path_factory.mktemp("pgp-signer")
    os.chmod(home, 0o700)
    return PGPSigner(home)


@pytest.fixture
def replica_factory(chartwarden_bin, tmp_path, postgres_server):
    """Starts `count` servers ("replicas") on one PostgreSQL database, as behind a load balancer:
    each has its own data directory (its GnuPG home) and listener; `mutate` shapes every config
    (it gets the replica's index too). Skipped without PostgreSQL. Returns the list started."""
    started = []

    def start(count, mutate=None):
        servers = []
        for _ in range(count):
            index = len(started)
            workdir = tmp_path / f"replica{index}"
            workdir.mkdir()
            config = base_config(tmp_path / f"replica{index}-data")
            if mutate:
                mutate(config, index)
            config["storage"]["postgres"] = postgres_server.storage_for(tmp_path / "replicas-database")
            server = RunningServer(chartwarden_bin, workdir, config).start()
            started.append(server)
            servers.append(server)
        return servers

    yield start
    for server in started:
        server.stop(sig=signal.SIGKILL) if server.process.poll() is None else None
