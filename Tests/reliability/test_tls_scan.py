"""TLS scanned like an auditor would (#16 item 4): sslyze against the running server.

Only TLS 1.2 and 1.3; only AEAD suites with an ephemeral key exchange (forward secrecy); no
client-initiated renegotiation and no insecure renegotiation (sslyze's `supports_secure_renegotiation`
is the RFC 5746 indication that protects a TLS 1.2 handshake, not a renegotiation the server would
do); no compression; the certificate chain served complete (here through an intermediate CA, so a
server that sent only its leaf would fail path validation); and `clientAuth: required` enforced."""
import socket
import ssl
from pathlib import Path

import pytest

from conftest import CA_EXTENSIONS, client_cert, issue_certificate, tls_context, tls_file

sslyze = pytest.importorskip("sslyze", reason="sslyze (PyPI) is not installed: scripts/setup.sh installs it")
# sslyze's bundled platform trust stores hold a root with a non-positive serial; not ours.
pytestmark = pytest.mark.filterwarnings("ignore:Parsed a serial number which wasn't positive")

PROTOCOL_SCANS = {
    "SSL 2.0": sslyze.ScanCommand.SSL_2_0_CIPHER_SUITES,
    "SSL 3.0": sslyze.ScanCommand.SSL_3_0_CIPHER_SUITES,
    "TLS 1.0": sslyze.ScanCommand.TLS_1_0_CIPHER_SUITES,
    "TLS 1.1": sslyze.ScanCommand.TLS_1_1_CIPHER_SUITES,
    "TLS 1.2": sslyze.ScanCommand.TLS_1_2_CIPHER_SUITES,
    "TLS 1.3": sslyze.ScanCommand.TLS_1_3_CIPHER_SUITES,
}
AEAD_MARKERS = ("_GCM_", "_CHACHA20_POLY1305_", "_CCM")


def scan(port, commands, client_auth=None, extra=None):
    """One sslyze scan of 127.0.0.1:`port` (SNI localhost): (connectivity result, scan result)."""
    credentials = None
    if client_auth:
        certificate, key = client_cert(client_auth)
        credentials = sslyze.ClientAuthenticationCredentials(certificate_chain_path=Path(certificate),
                                                             key_path=Path(key))
    request = sslyze.ServerScanRequest(
        server_location=sslyze.ServerNetworkLocation(hostname="localhost", port=port, ip_address="127.0.0.1"),
        network_configuration=sslyze.ServerNetworkConfiguration(tls_server_name_indication="localhost",
                                                                tls_client_auth_credentials=credentials),
        scan_commands=set(commands), scan_commands_extra_arguments=extra or sslyze.ScanCommandsExtraArguments())
    scanner = sslyze.Scanner()
    scanner.queue_scans([request])
    (result,) = list(scanner.get_results())
    assert result.scan_status == sslyze.ServerScanStatusEnum.COMPLETED, result.connectivity_error_trace
    return result.connectivity_result, result.scan_result


def completed(attempt, name):
    assert attempt.status == sslyze.ScanCommandAttemptStatusEnum.COMPLETED, (name, attempt.error_reason,
                                                                              attempt.error_trace)
    return attempt.result


def default_read_timeout(config):
    """sslyze tells optional from required client authentication by sending one byte after the
    handshake and waiting 5 s for an answer: a server that gives up first (the suite's 3 s) looks
    like one that refused the handshake. The scan runs with the default (30 s)."""
    del config["server"]["readTimeoutSeconds"]


@pytest.fixture
def chained_server(server_factory, tmp_path):
    """The server with a leaf issued by an intermediate CA under the test CA; its certificate file
    holds the leaf then the intermediate."""
    intermediate, _ = issue_certificate(tmp_path / "intermediate", "ChartWarden Test Intermediate",
                                        extensions=CA_EXTENSIONS)
    leaf, key = issue_certificate(tmp_path / "leaf", "localhost", issuer=tmp_path / "intermediate")
    chain = tmp_path / "chain.crt"
    chain.write_text(open(leaf).read() + open(intermediate).read())

    def chained(config):
        default_read_timeout(config)
        config["server"]["tls"]["certificate"] = str(chain)
        config["server"]["tls"]["privateKey"] = key
    return server_factory(chained)


def test_sslyze_finds_only_tls12_and_13_aead_forward_secret_suites(chained_server):
    commands = set(PROTOCOL_SCANS.values()) | {sslyze.ScanCommand.SESSION_RENEGOTIATION,
                                               sslyze.ScanCommand.TLS_COMPRESSION,
                                               sslyze.ScanCommand.CERTIFICATE_INFO,
                                               sslyze.ScanCommand.TLS_FALLBACK_SCSV,
                                               sslyze.ScanCommand.HEARTBLEED,
                                               sslyze.ScanCommand.OPENSSL_CCS_INJECTION}
    extra = sslyze.ScanCommandsExtraArguments(
        certificate_info=sslyze.CertificateInfoExtraArgument(custom_ca_file=Path(tls_file("ca.crt"))))
    connectivity, results = scan(chained_server.port, commands, extra=extra)
    assert connectivity.highest_tls_version_supported == sslyze.TlsVersionEnum.TLS_1_3

    accepted = {}
    for protocol, command in PROTOCOL_SCANS.items():
        result = completed(getattr(results, command.value), protocol)
        accepted[protocol] = [suite.cipher_suite.name for suite in result.accepted_cipher_suites]
        for suite in result.accepted_cipher_suites:
            name = suite.cipher_suite.name
            assert any(marker in name for marker in AEAD_MARKERS), f"{protocol}: non-AEAD suite {name}"
            if protocol == "TLS 1.2":
                assert name.startswith(("TLS_ECDHE_", "TLS_DHE_")), f"TLS 1.2: no forward secrecy in {name}"
            assert suite.ephemeral_key is not None, f"{protocol}: {name} without an ephemeral key"
    print("sslyze accepted suites:", accepted)
    assert not any(accepted[protocol] for protocol in ("SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1")), accepted
    assert accepted["TLS 1.2"] and accepted["TLS 1.3"], accepted

    renegotiation = completed(results.session_renegotiation, "renegotiation")
    assert not renegotiation.is_vulnerable_to_client_renegotiation_dos
    assert renegotiation.client_renegotiations_success_count == 0
    assert renegotiation.supports_secure_renegotiation  # RFC 5746: no insecure renegotiation
    assert not completed(results.tls_compression, "compression").supports_compression
    assert completed(results.tls_fallback_scsv, "fallback SCSV").supports_fallback_scsv
    assert not completed(results.heartbleed, "heartbleed").is_vulnerable_to_heartbleed
    assert not completed(results.openssl_ccs_injection, "CCS injection").is_vulnerable_to_ccs_injection

    (deployment,) = completed(results.certificate_info, "certificate").certificate_deployments
    assert len(deployment.received_certificate_chain) == 2, "the intermediate is not served"
    assert deployment.received_chain_has_valid_order
    custom = [validation for validation in deployment.path_validation_results
              if validation.trust_store.name == "Supplied CA file"]
    assert custom and custom[0].was_validation_successful, [(v.trust_store.name, v.validation_error)
                                                             for v in deployment.path_validation_results]
    assert len(custom[0].verified_certificate_chain) == 3  # leaf, intermediate, test CA
    assert deployment.received_chain_contains_anchor_certificate is False  # the root stays out of the chain


def handshake_without_certificate_refused(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
            with tls_context().wrap_socket(raw, server_hostname="localhost") as connection:
                # TLS 1.3: the refusal arrives after the client's Finished; make it surface.
                connection.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                return not connection.recv(1024).startswith(b"HTTP/")
    except (ssl.SSLError, ConnectionError, OSError):
        return True


def test_sslyze_sees_client_authentication_required_and_enforced(server_factory):
    required = server_factory(default_read_timeout, client_auth="required")
    connectivity, _ = scan(required.port, {sslyze.ScanCommand.TLS_COMPRESSION})
    assert connectivity.client_auth_requirement == sslyze.ClientAuthRequirementEnum.REQUIRED
    assert handshake_without_certificate_refused(required.port)
    # With a client certificate of the test CA, the same scan goes through.
    connectivity, results = scan(required.port, {sslyze.ScanCommand.TLS_1_3_CIPHER_SUITES}, client_auth="reader")
    assert completed(results.tls_1_3_cipher_suites, "TLS 1.3 with a client certificate").accepted_cipher_suites

    optional = server_factory(default_read_timeout, client_auth="optional")
    connectivity, _ = scan(optional.port, {sslyze.ScanCommand.TLS_COMPRESSION})
    assert connectivity.client_auth_requirement == sslyze.ClientAuthRequirementEnum.OPTIONAL
    assert not handshake_without_certificate_refused(optional.port)
