"""Bounded growth under a credential flood (#16): 6,000 distinct user names fail from 600
addresses against a failure table capped at 300 entries (each failure costs a password hash and
an audited row, so the flood is sized to overflow the cap twenty times over, not to take minutes). Memory stays bounded, the table
evicts (and counts it), and a user whose password was being guessed before the flood is still
protected: the guessing addresses stay refused, while the real user, from where they logged in,
still gets in."""
import base64
import http.client
import ssl
import subprocess
import threading

from conftest import tls_file
from test_attacks_network import resident_bytes

USERS_PER_ADDRESS = 10  # the per-address limit: each flooding address spends exactly its allowance
FLOOD_ADDRESSES = 600
MAX_TRACKED = 300
FLOOD_THREADS = 8
MEMORY_BOUND = 20 * 1024 * 1024
PASSWORD = "correct horse battery staple"


def sha_crypt(password):
    """A $5$ (SHA-256 crypt) line: cheap enough for 20,000 failures, and the decoy follows it."""
    return subprocess.run(["openssl", "passwd", "-5", "-salt", "floodtestsalt", password],
                          capture_output=True, text=True, check=True).stdout.strip()


def flood_config(htpasswd):
    def mutate(config):
        config["auth"]["htpasswd"] = htpasswd
        config["auth"]["failureLimit"] = {"perAddress": USERS_PER_ADDRESS, "perUser": 30, "refillSeconds": 3600,
                                          "maxTracked": MAX_TRACKED}
        config["repositories"][2]["read"] += ["user:alice", "user:bob"]
    return mutate


class Client:
    """Keep-alive HTTPS requests with Basic credentials from one loopback source address."""

    def __init__(self, port, source):
        context = ssl.create_default_context(cafile=tls_file("ca.crt"))
        self.connection = http.client.HTTPSConnection("localhost", port, context=context, timeout=60,
                                                      source_address=(source, 0))

    def status(self, user, password):
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.connection.request("GET", "/private/index.yaml", headers={"Authorization": "Basic " + token})
        response = self.connection.getresponse()
        response.read()
        return response.status

    def close(self):
        self.connection.close()


def attempt(port, source, user, password):
    client = Client(port, source)
    try:
        return client.status(user, password)
    finally:
        client.close()


def metric(server, name):
    for line in server.curl("/metrics", cert="admin").body.decode().splitlines():
        if line.startswith(name):
            return float(line.split()[-1])
    return 0.0


def test_a_flood_of_user_names_keeps_memory_bounded_and_the_guessed_user_locked(server_factory, tmp_path):
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text(f"alice:{sha_crypt(PASSWORD)}\nbob:{sha_crypt('bob password')}\n")
    server = server_factory(flood_config(str(htpasswd)))
    port = server.port

    # The real user logs in from where they work; then someone guesses their password from ten
    # addresses, three guesses each (under the per-address limit), until the user bucket is full.
    assert attempt(port, "127.3.0.1", "alice", PASSWORD) == 200
    guessers = [f"127.2.0.{host}" for host in range(1, 11)]
    statuses = [attempt(port, guesser, "alice", f"guess{guess}") for guesser in guessers for guess in range(3)]
    assert statuses == [401] * 30, statuses
    assert attempt(port, guessers[0], "alice", "guess99") == 429
    baseline = resident_bytes(server.process.pid)

    failures = [0] * FLOOD_THREADS

    def flood(number):
        for index in range(number, FLOOD_ADDRESSES, FLOOD_THREADS):
            client = Client(port, f"127.1.{index // 256}.{index % 256}")
            try:
                for user in range(USERS_PER_ADDRESS):
                    failures[number] += client.status(f"flood-{index}-{user}", "wrong") == 401
            finally:
                client.close()

    threads = [threading.Thread(target=flood, args=(number,)) for number in range(FLOOD_THREADS)]
    for thread in threads:
        thread.start()
    peak = 0
    while any(thread.is_alive() for thread in threads):
        peak = max(peak, resident_bytes(server.process.pid) - baseline)
        threads[0].join(0.2)  # sampling period
    for thread in threads:
        thread.join()
    peak = max(peak, resident_bytes(server.process.pid) - baseline)
    evictions = metric(server, 'chartwarden_bounded_table_evictions_total{table="auth_failure_limiter"}')
    print(f"{sum(failures)} failed logins with distinct user names: resident memory +{peak / (1024 * 1024):.1f} MB "
          f"at peak, {evictions:.0f} limiter entries evicted")
    assert sum(failures) == FLOOD_ADDRESSES * USERS_PER_ADDRESS
    assert evictions > 0, "the table never reached its cap: the flood proved nothing"
    assert peak < MEMORY_BOUND, f"resident memory grew by {peak / (1024 * 1024):.1f} MB"

    # The guessed user is still protected: every guessing address is refused, even with the
    # right password, and a fresh address gets one failure before it is refused too.
    for guesser in guessers:
        assert attempt(port, guesser, "alice", f"again-{guesser}") == 429, guesser
    assert attempt(port, guessers[3], "alice", PASSWORD) == 429
    assert attempt(port, "127.2.1.1", "alice", "fresh guess") == 401
    assert attempt(port, "127.2.1.1", "alice", "fresh guess 2") == 429
    # The real user, from where they logged in, still gets in; other users are not affected.
    assert attempt(port, "127.3.0.1", "alice", PASSWORD) == 200
    assert attempt(port, "127.2.0.5", "bob", "bob password") == 200
    assert server.process.poll() is None
