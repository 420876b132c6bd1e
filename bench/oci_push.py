#!/usr/bin/env python3
"""Pushes generated Helm charts to an OCI registry (ChartWarden or CNCF Distribution) the way Helm
does — config blob, chart blob (monolithic POST ?digest=), manifest PUT by tag — and prints the
pushes per second. Used by bench/oci-vs-distribution.sh for both servers with the same bytes.

  bench/oci_push.py PORT NAME COUNT TLS_DIR [--cert ci-pusher] [--first-version N]
"""
import argparse
import gzip
import hashlib
import http.client
import io
import json
import ssl
import sys
import tarfile
import time
import urllib.parse


def chart(name, version):
    files = {f"{name}/Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: {version}\n",
             f"{name}/templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bench\n"}
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed, tarfile.open(fileobj=compressed, mode="w") as tar:
        for path, text in files.items():
            info = tarfile.TarInfo(path)
            info.size, info.mtime = len(text), 0
            tar.addfile(info, io.BytesIO(text.encode()))
    return buffer.getvalue(), json.dumps({"apiVersion": "v2", "name": name, "version": version}).encode()


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("name")
    parser.add_argument("count", type=int)
    parser.add_argument("tls")
    parser.add_argument("--cert")
    parser.add_argument("--first-version", type=int, default=1)
    options = parser.parse_args()
    context = ssl.create_default_context(cafile=f"{options.tls}/ca.crt")
    if options.cert:
        context.load_cert_chain(f"{options.tls}/client-{options.cert}.crt", f"{options.tls}/client-{options.cert}.key")
    connection = http.client.HTTPSConnection("localhost", options.port, context=context)
    chart_name = options.name.split("/")[-1]

    def request(method, path, body=b"", headers=None):
        connection.request(method, path, body=body, headers={"Content-Length": str(len(body)), **(headers or {})})
        response = connection.getresponse()
        answer = response.read()
        if response.status >= 300:
            sys.exit(f"{method} {path}: {response.status} {answer[:500]!r}")
        return response

    def push_blob(blob):
        # One POST with the whole blob; a registry that answers 202 instead (Distribution 2.8)
        # gets it in the PUT that closes the session it opened, as Helm's client does then.
        response = request("POST", f"/v2/{options.name}/blobs/uploads/?digest={digest(blob)}", blob,
                           {"Content-Type": "application/octet-stream"})
        if response.status == 202:
            location = urllib.parse.urlsplit(response.getheader("Location"))
            query = (location.query + "&" if location.query else "") + f"digest={digest(blob)}"
            request("PUT", f"{location.path}?{query}", blob, {"Content-Type": "application/octet-stream"})

    start = time.monotonic()
    for index in range(options.count):
        version = f"1.0.{options.first_version + index}"
        archive, config = chart(chart_name, version)
        for blob in (config, archive):
            push_blob(blob)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": digest(config), "size": len(config)},
            "layers": [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "digest": digest(archive),
                        "size": len(archive)}]}).encode()
        request("PUT", f"/v2/{options.name}/manifests/{version}", manifest,
                {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    elapsed = time.monotonic() - start
    print(f"{options.count / elapsed:.1f}")


if __name__ == "__main__":
    main()
