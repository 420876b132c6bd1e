"""The audit log records who acted exactly as their certificate names them, whatever the name holds."""
from conftest import packaged

QUOTED = 'x","actor":"admin'


def allow_quoted(config):
    for repository in config["repositories"]:
        if repository["name"] == "stable":
            repository["write"].append("cert:" + QUOTED)
            repository["delete"].append("cert:" + QUOTED)


def push(server, name, cert, api="/api/stable/charts"):
    response = server.curl(api, "--data-binary", "@" + packaged(name), cert=cert)
    assert response.status == 201, response


def test_a_certificate_cn_shaped_like_json_cannot_forge_audit_fields(server_factory):
    server = server_factory(allow_quoted)
    push(server, "redis-lite-0.8.1.tgz", cert="quoted")
    # The control: the same chart by an ordinary name, into the root repository.
    push(server, "redis-lite-0.8.1.tgz", cert="ci-pusher", api="/api/charts")
    deleted = server.curl("/api/stable/charts/redis-lite/0.8.1", "-X", "DELETE", cert="quoted")
    assert deleted.status == 200, deleted

    answer = server.curl("/api/admin/audit?repo=stable", cert="admin")
    assert answer.status == 200, answer
    assert b'"actor":"admin"' not in answer.body
    events = answer.json()["events"]
    (upload,) = [e for e in events if e["action"] == "upload"]
    (delete,) = [e for e in events if e["action"] == "delete"]
    (control,) = server.curl("/api/admin/audit?repo=_&action=upload", cert="admin").json()["events"]
    assert upload["actor"] == delete["actor"] == "cert:" + QUOTED
    assert control["actor"] == "cert:ci-pusher"
    # Nothing else moved: the same fields and values as the same upload by an ordinary name.
    unchanged = lambda event: {k: v for k, v in event.items() if k not in ("id", "at", "actor", "repository")}
    assert unchanged(upload) == unchanged(control)
    assert (upload["repository"], delete["repository"], delete["outcome"], delete["subject"]) == \
        ("stable", "stable", "deleted", "redis-lite-0.8.1")
    assert all(event["actor"] != "admin" for event in events)
