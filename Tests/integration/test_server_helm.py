"""The real Helm library (Go's TLS stack) against a running ChartWarden over HTTPS."""
import yaml

from conftest import client_cert, packaged, tls_file


def push(server, name, cert="ci-pusher", repo="stable"):
    response = server.curl(f"/api/{repo}/charts", "--data-binary", "@" + packaged(name), cert=cert)
    assert response.status == 201, response


def test_repo_add_update_and_pull_over_https(server, helm):
    push(server, "redis-lite-0.8.1.tgz")
    push(server, "webapp-1.1.0.tgz")
    helm.run("repo-add", "cw", server.url + "/stable", "--ca-file", tls_file("ca.crt"))
    shown = yaml.safe_load(helm.run("show-chart", "cw/redis-lite").stdout)
    assert shown["version"] == "0.8.1"
    # A new upload is seen after `repo update`, and Helm downloads and loads the newest chart.
    push(server, "redis-lite-0.8.2.tgz")
    helm.run("repo-update")
    shown = yaml.safe_load(helm.run("show-chart", "cw/redis-lite").stdout)
    assert (shown["name"], shown["version"]) == ("redis-lite", "0.8.2")
    for version in ["0.8.1", "0.8.2"]:
        result = helm.run("locate", "cw/redis-lite", version, "--ca-file", tls_file("ca.crt"), check=False)
        assert result.returncode == 0, result.stderr
    assert yaml.safe_load(helm.run("show-chart", "cw/webapp").stdout)["version"] == "1.1.0"


def test_root_repository_works_for_helm(server, helm):
    push(server, "batch-jobs-3.0.0.tgz", repo="")
    server.curl("/api/charts", "--data-binary", "@" + packaged("batch-jobs-3.0.0.tgz"), cert="ci-pusher")
    helm.run("repo-add", "root", server.url, "--ca-file", tls_file("ca.crt"))
    assert yaml.safe_load(helm.run("show-chart", "root/batch-jobs").stdout)["version"] == "3.0.0"


def test_without_the_ca_file_helm_fails_verification(server, helm):
    result = helm.run("repo-add", "cw", server.url + "/stable", check=False)
    assert result.returncode != 0
    assert "certificate" in result.stderr.lower() or "x509" in result.stderr.lower(), result.stderr


def test_client_certificate_required(server_factory, helm, tmp_path):
    server = server_factory(client_auth="required")
    push(server, "common-lib-1.4.0.tgz")
    certificate, key = client_cert("reader")
    helm.run("repo-add", "cw", server.url + "/stable", "--ca-file", tls_file("ca.crt"),
             "--cert-file", certificate, "--key-file", key)
    assert yaml.safe_load(helm.run("show-chart", "cw/common-lib").stdout)["version"] == "1.4.0"
    # No certificate: the handshake itself is refused.
    from conftest import HelmClient
    other = HelmClient(tmp_path / "no-cert-home")
    result = other.run("repo-add", "cw", server.url + "/stable", "--ca-file", tls_file("ca.crt"), check=False)
    assert result.returncode != 0
    assert server.curl("/health").status == 0  # curl without a certificate cannot even connect
