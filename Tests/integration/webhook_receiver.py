"""A CloudEvents webhook receiver for the integration tests, on loopback plain HTTP (the only
place ChartWarden allows http://). It checks each delivery the way README's "Webhooks" tells a
receiver to: HMAC-SHA256 of the raw body under the shared secret, compared in constant time with
the `X-ChartWarden-Signature-256` header, before the body is parsed. It can be stopped and
started again on the same port (a receiver that is down refuses connections), or made to accept
connections and never answer."""
import hashlib
import hmac
import http.server
import json
import socket
import threading
import time

SIGNATURE_HEADER = "X-ChartWarden-Signature-256"


class Delivery:
    def __init__(self, headers, body, verified):
        self.headers, self.body, self.verified = headers, body, verified
        self.event = json.loads(body) if verified else None


class Receiver:
    def __init__(self, secret, status=200):
        self.secret = secret.encode()
        self.status = status
        self.deliveries = []
        self.lock = threading.Lock()
        self.port = None
        self.server = None
        self.hanging = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hooks/chartwarden"

    def verify(self, body, header):
        expected = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        return header is not None and hmac.compare_digest(expected.encode(), header.encode())

    def start(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                delivery = Delivery(dict(self.headers), body, receiver.verify(body, self.headers.get(SIGNATURE_HEADER)))
                with receiver.lock:
                    receiver.deliveries.append(delivery)
                self.send_response(receiver.status if delivery.verified else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", self.port or 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        """Down: the port refuses connections until `start` again."""
        self.server.shutdown()
        self.server.server_close()

    def hang(self):
        """Accepts connections and never answers (nor reads): a receiver that is alive but stuck."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        held = []

        def accept():
            while True:
                try:
                    held.append(listener.accept()[0])
                except OSError:
                    return
        threading.Thread(target=accept, daemon=True).start()
        self.hanging = (listener, held)
        return self

    def events(self, type=None):
        """Verified events, in arrival order (duplicates included)."""
        with self.lock:
            events = [d.event for d in self.deliveries if d.verified]
        return [e for e in events if type is None or e["type"] == type]

    def unique(self, type=None):
        """Verified events after dropping repeated ids, as a receiver should."""
        seen, result = set(), []
        for event in self.events(type):
            if event["id"] not in seen:
                seen.add(event["id"])
                result.append(event)
        return result

    def wait_for(self, predicate, timeout, what):
        """Polls `predicate()` until true; fails naming `what` (and what arrived) after `timeout` s."""
        return wait_until(predicate, timeout, what, lambda: f"received {self.events()}")


def wait_until(predicate, timeout, what, context=lambda: ""):
    """Polls `predicate()` every 0.1 s until it returns something true, which it returns; a
    deadline, not a sleep used as synchronisation."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; {context()}")
