#!/usr/bin/env python3
"""Packages the content-policy fixtures in policy-src/ into policy/ with the real Helm library.

Subcharts are vendored innermost first. Helm's `package` unpacks vendored archives into
directories, so innocent-parent 1.0.1 (packaged by Helm) nests charts/log-shipper/charts/node-access/;
innocent-parent 1.0.0 is packed here with tarfile, the way `helm dependency update` leaves a chart
directory, so it carries charts/log-shipper-0.2.0.tgz, which carries charts/node-access-0.1.0.tgz.
EXPECTED (written to policy/expected.json) is what the default policy must say about each package:
the violations, by file, kind and rule, or none.
"""
import gzip
import io
import json
import os
import shutil
import tarfile
import tempfile

from package import helm

HERE = os.path.dirname(os.path.abspath(__file__))

# (chart, version, vendored subcharts); order matters: subcharts first.
CHARTS = [
    ("node-access", "0.1.0", []),
    ("log-shipper", "0.2.0", ["node-access-0.1.0.tgz"]),
    ("innocent-parent", "1.0.1", ["log-shipper-0.2.0.tgz"]),
    ("cluster-admin-grab", "1.0.0", []),
    ("quiet-helper", "1.0.0", []),
    ("shape-shifter", "0.4.0", []),
    ("widget-operator", "1.0.0", []),
    ("widget-operator-legacy", "1.0.0", []),
    ("metrics-exporter", "5.18.0", []),
    ("ingress-gateway", "4.10.1", []),
]
# Only the charts uploaded in tests; node-access and log-shipper exist to be vendored.
NESTED = "charts/log-shipper-0.2.0.tgz!/charts/node-access-0.1.0.tgz!/templates/clusterrolebinding.yaml"
EXPECTED = {
    "cluster-admin-grab-1.0.0.tgz": [
        ["templates/rbac.yaml", "ClusterRole", "deny-kind"],
        ["templates/rbac.yaml", "ClusterRoleBinding", "deny-kind"],
    ],
    "quiet-helper-1.0.0.tgz": [
        ["templates/extras.yaml", "ClusterRole", "deny-kind"],
        ["templates/extras.yaml", "ClusterRoleBinding", "deny-kind"],
    ],
    "shape-shifter-0.4.0.tgz": [
        ["templates/_helpers.tpl", "ClusterRoleBinding", "deny-kind"],
        # The include at the top of binding.yaml renders the helper's ClusterRoleBinding there too.
        ["templates/binding.yaml", "ClusterRoleBinding", "deny-kind"],
        ["templates/binding.yaml", "{{ … }}", "dynamic-kind"],
        ["templates/flow.yaml", "ClusterRole", "deny-kind"],
    ],
    "innocent-parent-1.0.0.tgz": [[NESTED, "ClusterRoleBinding", "deny-kind"]],
    "innocent-parent-1.0.1.tgz": [["charts/log-shipper/charts/node-access/templates/clusterrolebinding.yaml",
                                   "ClusterRoleBinding", "deny-kind"]],
    "widget-operator-1.0.0.tgz": [],
    "widget-operator-legacy-1.0.0.tgz": [["templates/crd.yaml", "CustomResourceDefinition", "crd-outside-crds"]],
    "metrics-exporter-5.18.0.tgz": [
        ["templates/clusterrolebinding.yaml", "ClusterRoleBinding", "deny-kind"],
        ["templates/role.yaml", "ClusterRole", "deny-kind"],
    ],
    "ingress-gateway-4.10.1.tgz": [
        ["templates/admission-webhooks/validating-webhook.yaml", "ValidatingWebhookConfiguration", "deny-kind"],
        ["templates/clusterrole.yaml", "ClusterRole", "deny-kind"],
        ["templates/clusterrolebinding.yaml", "ClusterRoleBinding", "deny-kind"],
    ],
}


def packed(chart, version, vendored):
    """A chart archive made without Helm: its source files plus `vendored` archives, verbatim."""
    source = os.path.join(HERE, "policy-src", chart)
    members = []
    for directory, _, names in sorted(os.walk(source)):
        for name in sorted(names):
            path = os.path.join(directory, name)
            members.append((f"{chart}/{os.path.relpath(path, source)}", open(path, "rb").read()))
    for name, data in vendored:
        members.append((f"{chart}/charts/{name}", data))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in members:
            if name.endswith("/Chart.yaml"):
                data = data.replace(b"version: 1.0.1", f"version: {version}".encode())
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 1700000000
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue(), mtime=0)


def main():
    out = os.path.join(HERE, "policy")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    with tempfile.TemporaryDirectory() as work:
        home = os.path.join(work, "helm-home")
        for chart, version, vendored in CHARTS:
            source = os.path.join(work, "src", chart)
            shutil.copytree(os.path.join(HERE, "policy-src", chart), source)
            for archive in vendored:
                os.makedirs(os.path.join(source, "charts"), exist_ok=True)
                shutil.copy(os.path.join(out, archive), os.path.join(source, "charts"))
            path = helm(home, "package", source, out)
            print(os.path.relpath(path, HERE))
    node_access = packed("node-access", "0.1.0", [])
    log_shipper = packed("log-shipper", "0.2.0", [("node-access-0.1.0.tgz", node_access)])
    with open(os.path.join(out, "innocent-parent-1.0.0.tgz"), "wb") as handle:
        handle.write(packed("innocent-parent", "1.0.0", [("log-shipper-0.2.0.tgz", log_shipper)]))
    for vendored_only in ("node-access-0.1.0.tgz", "log-shipper-0.2.0.tgz"):
        os.remove(os.path.join(out, vendored_only))
    with open(os.path.join(out, "expected.json"), "w") as handle:
        json.dump(EXPECTED, handle, indent=2, sort_keys=True)
        handle.write("\n")


if __name__ == "__main__":
    main()
