"""Graceful shutdown and restart: SIGTERM during a large upload finishes it (or fails it cleanly),
the process exits 0, and a restart serves everything that was acknowledged."""
import io
import json
import os
import signal
import socket
import ssl
import tarfile

import yaml

from conftest import packaged, client_cert, tls_file


def big_chart(path, megabytes=12):
    """A valid chart with incompressible files, so the upload is large on the wire."""
    with tarfile.open(path, "w:gz") as archive:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        add("bulky/Chart.yaml", b"apiVersion: v2\nname: bulky\nversion: 1.0.0\n")
        for index in range(megabytes // 3):
            add(f"bulky/files/blob{index}.bin", os.urandom(3 * 1024 * 1024))
    return path


def test_sigterm_during_upload_then_restart(server_factory, tmp_path):
    data = tmp_path / "data"

    def roomy(config):
        config["server"]["maxUploadBytes"] = 64 * 1024 * 1024
        config["server"]["readTimeoutSeconds"] = 30

    server = server_factory(roomy, data_dir=data)
    acknowledged = ["redis-lite-0.8.1.tgz", "webapp-1.2.0.tgz"]
    for name in acknowledged:
        assert server.curl("/api/stable/charts", "--data-binary", "@" + packaged(name), cert="ci-pusher").status == 201

    body = open(big_chart(str(tmp_path / "bulky-1.0.0.tgz")), "rb").read()
    context = ssl.create_default_context(cafile=tls_file("ca.crt"))
    context.load_cert_chain(*client_cert("ci-pusher"))
    connection = context.wrap_socket(socket.create_connection(("127.0.0.1", server.port), timeout=60),
                                     server_hostname="localhost")
    connection.sendall(b"POST /api/stable/charts HTTP/1.1\r\nHost: localhost\r\n"
                       b"Content-Type: application/gzip\r\nContent-Length: %d\r\n\r\n" % len(body))
    half = len(body) // 2
    connection.sendall(body[:half])

    server.process.send_signal(signal.SIGTERM)
    # New connections are refused once shutdown starts; the in-flight upload continues.
    try:
        connection.sendall(body[half:])
        response = b""
        while b"\r\n\r\n" not in response or not response.rstrip().endswith(b"}"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            response += chunk
    except (ConnectionError, ssl.SSLError):
        response = b""
    connection.close()
    assert server.process.wait(timeout=60) == 0, server.log()[-3000:]
    status = int(response.split()[1]) if response else None
    print(f"upload during SIGTERM ended with {status}")
    # Finished (201) or cleanly failed (no acknowledgement); never a 5xx half-state.
    assert status in (201, None), response[:300]

    restarted = server_factory(roomy, data_dir=data)
    index = yaml.safe_load(restarted.curl("/stable/index.yaml").body)
    served = {v["version"] for versions in index["entries"].values() for v in versions}
    names = set(index["entries"])
    assert {"redis-lite", "webapp"} <= names
    for name in acknowledged:
        chart = restarted.curl("/stable/charts/" + name)
        assert chart.status == 200 and chart.body == open(packaged(name), "rb").read()
    if status == 201:
        assert "bulky" in names
        assert restarted.curl("/stable/charts/bulky-1.0.0.tgz").body == body
    else:
        assert "bulky" not in names
    assert "1.0.0" in served or status is None


def test_plaintext_listener_only_on_loopback(server_factory, chartwarden_bin, tmp_path):
    import subprocess
    from conftest import base_config
    config = base_config(tmp_path / "d")
    config["server"]["plaintextListen"] = "0.0.0.0:8080"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = subprocess.run([chartwarden_bin, "serve", "--config", str(path)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0 and "server.plaintextListen" in result.stderr and "loopback" in result.stderr

    def loopback(config):
        config["server"]["plaintextListen"] = "127.0.0.1:0"

    server = server_factory(loopback)
    assert server.curl(f"http://127.0.0.1:{server.ports['http']}/health", ca=False).status == 200


def test_configuration_errors_name_the_key(chartwarden_bin, tmp_path):
    import subprocess
    from conftest import base_config
    cases = [
        (lambda c: c["server"].update(tlss={}), "server.tlss"),
        (lambda c: c["repositories"][0].update(write=["anonymous"]), "repositories[0].write"),
        (lambda c: c["repositories"][0].update(name="Bad_Name"), "repositories[0].name"),
        (lambda c: c["server"]["tls"].update(clientAuth="sometimes"), "server.tls.clientAuth"),
        (lambda c: c["server"].update(maxUploadBytes="lots"), "server.maxUploadBytes"),
    ]
    for mutate, key in cases:
        config = base_config(tmp_path / "d")
        mutate(config)
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(config))
        result = subprocess.run([chartwarden_bin, "serve", "--config", str(path)], capture_output=True,
                                text=True, timeout=60)
        assert result.returncode != 0 and key in result.stderr, (key, result.stderr)
