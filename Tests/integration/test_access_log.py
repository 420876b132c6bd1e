"""Access log: one line per request by default, written off the event loops; `--log-format json`
writes one JSON object per line whatever the request carries."""
import json

HOSTILE_PATH = '/stable/charts/a%22b%5C%0Ac%0D%E2%80%A8%22%7D%7B.tgz'
HOSTILE_USER = 'ev"il\\ {"x":1}\nforged line'


def test_json_log_lines_stay_valid_with_a_hostile_path_and_user(server_factory):
    server = server_factory(extra_args=["--log-format", "json"])
    assert server.curl("/stable/index.yaml").status == 200
    assert server.curl(HOSTILE_PATH).status == 404
    assert server.curl("/api/stable/charts", user=HOSTILE_USER + ":pw").status in (401, 403)
    assert server.curl("/private/index.yaml", user=HOSTILE_USER + ":pw").status in (401, 403)
    # SIGTERM ends the server after flushing the writer: the log is complete without waiting.
    assert server.stop() == 0
    lines = server.log().splitlines()
    objects = [json.loads(line) for line in lines]  # every line is exactly one JSON object
    requests = [entry["metadata"] for entry in objects if entry["message"] == "request"]
    paths = [request["path"] for request in requests]
    assert "/stable/index.yaml" in paths
    assert any(path.startswith("/stable/charts/a") and path.endswith(".tgz") for path in paths), paths
    assert len(requests) >= 4, requests
    assert all({"level", "time", "label", "message"} <= entry.keys() for entry in objects)


def test_text_log_is_the_default_and_logs_every_request(server_factory):
    server = server_factory()
    for _ in range(3):
        assert server.curl("/stable/index.yaml").status == 200
    assert server.stop() == 0
    request_lines = [line for line in server.log().splitlines() if line.endswith("] request")]
    assert sum("path=/stable/index.yaml" in line for line in request_lines) == 3, request_lines
    assert all(" info chartwarden: " in line for line in request_lines)


def test_unknown_log_format_is_refused(chartwarden_bin, tmp_path):
    import subprocess
    result = subprocess.run([chartwarden_bin, "serve", "--log-format", "xml"], capture_output=True, text=True)
    assert result.returncode != 0 and "--log-format must be text or json" in result.stderr
