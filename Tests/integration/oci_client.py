"""A small OCI distribution client over http.client, for the OCI end-to-end and conformance
tests: exact control over every request (chunks, ranges, digests), which Helm and oras hide."""
import hashlib
import http.client
import json
import ssl

from conftest import client_cert, tls_file

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.cncf.helm.config.v1+json"
CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
PROV = "application/vnd.cncf.helm.chart.provenance.v1.prov"


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def error_codes(self):
        return [entry["code"] for entry in self.json()["errors"]]

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class OCIClient:
    def __init__(self, server, cert=None, user=None):
        self.port = server.port
        self.context = ssl.create_default_context(cafile=tls_file("ca.crt"))
        if cert:
            self.context.load_cert_chain(*client_cert(cert))
        self.auth = None
        if user:
            import base64
            self.auth = "Basic " + base64.b64encode(user.encode()).decode()

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPSConnection("localhost", self.port, context=self.context, timeout=60)
        headers = dict(headers or {})
        if self.auth:
            headers["Authorization"] = self.auth
        if body is not None and "Content-Length" not in headers:
            headers["Content-Length"] = str(len(body))
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
        connection.close()
        return answer

    # --- blobs ---

    def push_blob(self, name, data):
        """Monolithic upload: one POST with ?digest=."""
        return self.request("POST", f"/v2/{name}/blobs/uploads/?digest={digest_of(data)}", body=data,
                            headers={"Content-Type": "application/octet-stream"})

    def push_blob_chunked(self, name, data, chunk=7):
        started = self.request("POST", f"/v2/{name}/blobs/uploads/")
        assert started.status == 202, started
        location = started.headers["location"]
        for offset in range(0, len(data), chunk):
            part = data[offset:offset + chunk]
            answer = self.request("PATCH", location, body=part, headers={
                "Content-Type": "application/octet-stream",
                "Content-Range": f"{offset}-{offset + len(part) - 1}"})
            assert answer.status == 202, answer
            assert answer.headers["range"] == f"0-{offset + len(part) - 1}"
            location = answer.headers["location"]
        return self.request("PUT", f"{location}?digest={digest_of(data)}")

    # --- manifests ---

    @staticmethod
    def manifest(chart, prov=None, config=None, **overrides):
        config = config if config is not None else b"{}"
        layers = [{"mediaType": CHART, "digest": digest_of(chart), "size": len(chart)}]
        if prov is not None:
            layers.append({"mediaType": PROV, "digest": digest_of(prov), "size": len(prov)})
        document = {"schemaVersion": 2, "mediaType": MANIFEST,
                    "config": {"mediaType": CONFIG, "digest": digest_of(config), "size": len(config)},
                    "layers": layers,
                    "annotations": {"org.opencontainers.image.created": "2026-01-01T00:00:00Z"}}
        document.update(overrides)
        return json.dumps(document).encode()

    def push_manifest(self, name, reference, manifest, content_type=MANIFEST):
        return self.request("PUT", f"/v2/{name}/manifests/{reference}", body=manifest,
                            headers={"Content-Type": content_type})

    def push_chart(self, name, tag, chart, prov=None, config=None, created="2026-01-01T00:00:00Z"):
        """Uploads the layers and the config, then PUTs a Helm manifest under `tag`."""
        config = config if config is not None else config_of(chart)
        for blob in [config, chart] + ([prov] if prov is not None else []):
            answer = self.push_blob(name, blob)
            assert answer.status == 201, answer
        manifest = self.manifest(chart, prov, config, annotations={"org.opencontainers.image.created": created})
        return self.push_manifest(name, tag, manifest), manifest


def config_of(chart_bytes):
    """Helm's config blob: Chart.yaml as JSON."""
    import io
    import tarfile

    import yaml
    with tarfile.open(fileobj=io.BytesIO(chart_bytes)) as archive:
        member = next(m for m in archive.getmembers() if m.name.count("/") == 1 and m.name.endswith("/Chart.yaml"))
        return json.dumps(yaml.safe_load(archive.extractfile(member).read())).encode()
