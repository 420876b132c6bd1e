#!/usr/bin/env python3
"""The real Helm client (helm-sdkpy's libhelm_sdkpy.so) driven through ctypes, as a CLI.

Go reads its environment once when the library loads, so every call runs in a fresh process whose
HELM_*_HOME variables point into --home. Usage:
  helmclient.py --home DIR package CHART_DIR DEST
  helmclient.py --home DIR lint CHART_DIR
  helmclient.py --home DIR repo-add NAME URL [--ca-file F] [--cert-file F] [--key-file F]
                [--username U --password P] [--insecure]
  helmclient.py --home DIR repo-update [NAME]
  helmclient.py --home DIR show-chart REPO/NAME
  helmclient.py --home DIR locate REPO/NAME VERSION   (finds, downloads and loads one version)
  helmclient.py --home DIR registry-login HOST --username U --password P [--ca-file F]
  helmclient.py --home DIR push CHART.tgz oci://HOST/REPO [--ca-file F] [--cert-file F] [--key-file F]
  helmclient.py --home DIR show-chart oci://HOST/REPO/NAME:VERSION [--ca-file F]
Prints the result (JSON or text) on stdout; on failure prints Helm's error on stderr, exits 1.
"""
import argparse
import ctypes
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def library_path():
    return os.environ.get("HELM_SDKPY_LIB") or subprocess.check_output(
        [os.path.join(HERE, "helm-sdk.sh")], text=True).strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", required=True)
    parser.add_argument("command")
    parser.add_argument("args", nargs="*")
    parser.add_argument("--ca-file")
    parser.add_argument("--cert-file")
    parser.add_argument("--key-file")
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--insecure", action="store_true")
    options = parser.parse_args()

    home = os.path.abspath(options.home)
    wanted = {"HELM_CONFIG_HOME": f"{home}/config", "HELM_CACHE_HOME": f"{home}/cache",
              "HELM_DATA_HOME": f"{home}/data"}
    if any(os.environ.get(k) != v for k, v in wanted.items()):
        for directory in wanted.values():
            os.makedirs(directory, exist_ok=True)
        repositories = f"{home}/config/repositories.yaml"
        if not os.path.exists(repositories):
            open(repositories, "w").close()
        env = dict(os.environ, **wanted, HELM_SDKPY_LIB=library_path(), KUBECONFIG=f"{home}/no-cluster")
        if options.command in ("locate", "show-chart", "registry-login", "push") and options.ca_file:
            # The library's install path downloads without the repository's caFile; Go's TLS
            # then falls back to the system roots, which SSL_CERT_FILE replaces.
            env["SSL_CERT_FILE"] = os.path.abspath(options.ca_file)
        os.execve(sys.executable, [sys.executable] + sys.argv, env)

    lib = ctypes.CDLL(os.environ["HELM_SDKPY_LIB"])
    lib.helm_sdkpy_last_error.restype = ctypes.c_char_p
    handle = ctypes.c_ulonglong()
    if lib.helm_sdkpy_config_create(b"default", None, None, b"{}", ctypes.byref(handle)) != 0:
        fail(lib)

    def with_output(function, *args):
        out = ctypes.c_char_p()
        if getattr(lib, function)(handle, *args, ctypes.byref(out)) != 0:
            fail(lib)
        return (out.value or b"").decode()

    enc = lambda s: s.encode() if s is not None else None
    command, args = options.command, options.args
    if command == "package":
        print(with_output("helm_sdkpy_package", enc(args[0]), enc(args[1])))
    elif command == "lint":
        print(with_output("helm_sdkpy_lint", enc(args[0])))
    elif command == "repo-add":
        opts = {}
        for key in ("ca_file", "cert_file", "key_file"):
            if getattr(options, key):
                opts[key] = os.path.abspath(getattr(options, key))
        if options.insecure:
            opts["insecure_skip_tls_verify"] = True
        if lib.helm_sdkpy_repo_add(handle, enc(args[0]), enc(args[1]), enc(options.username),
                                   enc(options.password), json.dumps(opts).encode()) != 0:
            fail(lib)
    elif command == "repo-update":
        if lib.helm_sdkpy_repo_update(handle, enc(args[0] if args else None)) != 0:
            fail(lib)
    elif command == "repo-list":
        print(with_output("helm_sdkpy_repo_list"))
    elif command == "registry-login":
        opts = {"ca_file": os.path.abspath(options.ca_file)} if options.ca_file else {}
        if lib.helm_sdkpy_registry_login(handle, enc(args[0]), enc(options.username), enc(options.password),
                                         json.dumps(opts).encode()) != 0:
            fail(lib)
    elif command == "push":
        opts = {}
        for key in ("ca_file", "cert_file", "key_file"):
            if getattr(options, key):
                opts[key] = os.path.abspath(getattr(options, key))
        if lib.helm_sdkpy_push(handle, enc(args[0]), enc(args[1]), json.dumps(opts).encode()) != 0:
            fail(lib)
    elif command == "show-chart":
        print(with_output("helm_sdkpy_show_chart", enc(args[0])))
    elif command == "locate":
        # helm_sdkpy_pull crashes inside the library; install with an explicit version runs Helm's
        # own LocateChart (index lookup, download, digest check, load) and only then needs a
        # cluster. Failing at the cluster step therefore proves the version was found and loaded.
        out = ctypes.c_char_p()
        lib.helm_sdkpy_install(handle, b"probe", enc(args[0]), b"{}", enc(args[1]), b"{}", ctypes.byref(out))
        error = (lib.helm_sdkpy_last_error() or b"").decode()
        if "cluster" in error and "unreachable" in error:
            print("located")
        else:
            print(error, file=sys.stderr)
            sys.exit(1)
    else:
        parser.error(f"unknown command {command}")


def fail(lib):
    print((lib.helm_sdkpy_last_error() or b"").decode(), file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
    main()
