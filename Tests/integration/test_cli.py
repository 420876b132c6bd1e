"""The offline commands run on the core alone: no TLS material, no htpasswd file, no socket."""
import json
import subprocess

import yaml

from conftest import PGP_KEYS, TOP, base_config, packaged, pgp_file


def offline_config(tmp_path):
    """A valid configuration whose TLS files and htpasswd file do not exist."""
    config = base_config(tmp_path / "data")
    missing = tmp_path / "missing"
    config["server"]["tls"] = {"certificate": str(missing / "server.crt"), "privateKey": str(missing / "server.key"),
                               "clientCA": str(missing / "ca.crt"), "clientAuth": "optional"}
    config["auth"]["htpasswd"] = str(missing / "htpasswd")
    path = tmp_path / "chartwarden.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def run(binary, *args):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=60, cwd=TOP)


def test_keys_work_without_the_tls_files(chartwarden_bin, tmp_path):
    config = offline_config(tmp_path)
    fingerprint = PGP_KEYS["untrusted-signer"]["fingerprint"]
    imported = run(chartwarden_bin, "keys", "import", pgp_file("untrusted-signer.pub.asc"), "--repo", "stable",
                   "--config", config)
    assert imported.returncode == 0 and fingerprint in imported.stdout, imported
    listed = json.loads(run(chartwarden_bin, "keys", "list", "--config", config).stdout)
    assert [s["repositories"] for s in listed["signers"] if s["fingerprint"] == fingerprint] == [["stable"]]
    distrusted = run(chartwarden_bin, "keys", "distrust", fingerprint, "--repo", "stable", "--config", config)
    assert distrusted.returncode == 0, distrusted


def test_scan_works_without_the_tls_files(chartwarden_bin, tmp_path):
    result = run(chartwarden_bin, "scan", packaged("redis-lite-0.8.1.tgz"), "--repo", "stable",
                 "--config", offline_config(tmp_path))
    assert result.returncode == 0, result


def test_serve_still_needs_the_tls_files(chartwarden_bin, tmp_path):
    # The same configuration is not servable: the offline commands succeed by not touching TLS.
    result = run(chartwarden_bin, "serve", "--config", offline_config(tmp_path))
    assert result.returncode != 0 and "missing" in result.stderr, result
