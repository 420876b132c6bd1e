#!/usr/bin/env python3
"""Builds hostile/: one archive for every rejection ChartArchiveReader makes.

Each file is named after the rejection it triggers; EXPECTED maps it to the error code and a
fragment of the message the tests look for. Archives over 1 MiB are rebuilt at test time and not
committed (see .gitignore).
"""
import gzip
import io
import json
import os
import random
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "hostile")
CHART_YAML = b"apiVersion: v2\nname: evil\nversion: 1.0.0\n"


def tgz(members, compress=True):
    """members: list of (TarInfo-like dict, bytes or None)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for spec, data in members:
            info = tarfile.TarInfo(spec["name"])
            info.type = spec.get("type", tarfile.REGTYPE)
            info.linkname = spec.get("linkname", "")
            info.mode = 0o644
            info.mtime = 1700000000
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    raw = buffer.getvalue()
    return gzip.compress(raw, mtime=0) if compress else raw


def streamed_tgz(path, files):
    """Writes a large archive without holding it in memory: files yields (name, chunks)."""
    with gzip.GzipFile(path, "wb", compresslevel=1, mtime=0) as gz, tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, size, chunk_source in files:
            info = tarfile.TarInfo(name)
            info.size = size
            info.mtime = 1700000000
            tar.addfile(info, ChunkReader(size, chunk_source))


class ChunkReader(io.RawIOBase):
    def __init__(self, size, chunk_source):
        self.left, self.source = size, chunk_source

    def read(self, n=-1):
        if self.left <= 0:
            return b""
        n = self.left if n < 0 else min(n, self.left)
        data = self.source(n)
        self.left -= len(data)
        return data


def chart(extra=(), chart_yaml=CHART_YAML, root="evil"):
    return [({"name": f"{root}/Chart.yaml"}, chart_yaml)] + list(extra)


def text_chunks(seed):
    """Text that compresses about 5:1, far from a bomb but large. One random block is made per
    file and repeated; deflate's 32 KiB window cannot see repeats that far apart."""
    rng = random.Random(seed)
    words = [f"word{i:03d}".encode() for i in range(400)]
    block = b"\n".join(b" ".join(rng.choice(words) for _ in range(12)) for _ in range(4000)) + b"\n"
    position = [0]

    def source(n):
        out = bytearray()
        while len(out) < n:
            start = position[0] % len(block)
            piece = block[start:start + n - len(out)]
            out += piece
            position[0] += len(piece)
        return bytes(out)
    return source


EXPECTED = {
    "not-gzip.tgz": ("notGzipTar", "not a gzip-compressed tar"),
    "bzip2.tgz": ("notGzipTar", "not a gzip-compressed tar"),
    "plain-tar.tgz": ("notGzipTar", "without gzip compression"),
    "gzip-not-tar.tgz": ("notGzipTar", "not a gzip-compressed tar"),
    "truncated.tgz": ("corrupt", "truncated or corrupt"),
    "zero-bytes.tgz": ("empty", "empty"),
    "empty-tar.tgz": ("empty", "contains no files"),
    "two-top-level-dirs.tgz": ("multipleTopLevelDirectories", "more than one top-level directory"),
    "top-level-file.tgz": ("multipleTopLevelDirectories", "is a file at the top level"),
    "name-mismatch.tgz": ("topLevelNameMismatch", "does not match the chart name"),
    "absolute-path.tgz": ("unsafePath", "is an absolute path"),
    "dotdot-path.tgz": ("unsafePath", "'..' segment"),
    "symlink.tgz": ("link", "symbolic link"),
    "hardlink.tgz": ("link", "hard link"),
    "char-device.tgz": ("specialFile", "device file"),
    "block-device.tgz": ("specialFile", "device file"),
    "fifo.tgz": ("specialFile", "FIFO"),
    "duplicate-entry.tgz": ("duplicateEntry", "appears more than once"),
    "missing-chart-yaml.tgz": ("missingChartYAML", "has no 'evil/Chart.yaml'"),
    "unreadable-chart-yaml.tgz": ("invalidChartYAML", "not UTF-8"),
    "invalid-yaml.tgz": ("invalidChartYAML", "not valid YAML"),
    "not-a-mapping.tgz": ("invalidChartYAML", "must be a YAML mapping"),
    "missing-name.tgz": ("invalidChartYAML", "required field 'name'"),
    "missing-version.tgz": ("invalidChartYAML", "required field 'version'"),
    "missing-api-version.tgz": ("invalidChartYAML", "required field 'apiVersion'"),
    "api-version-v3.tgz": ("invalidChartYAML", "apiVersion 'v3' is not supported"),
    "invalid-name.tgz": ("invalidChartYAML", "chart name 'evil+chart' is invalid"),
    "invalid-version.tgz": ("invalidChartYAML", "is not a SemVer 2 version"),
    "too-many-entries.tgz": ("tooManyEntries", "more than 5000 entries"),
    "file-too-large.big.tgz": ("fileTooLarge", "is larger than 5242880 bytes"),
    "total-too-large.big.tgz": ("totalTooLarge", "unpacks to more than 52428800 bytes"),
    "decompression-bomb.tgz": ("compressionRatio", "expands more than 100:1"),
}


def build():
    os.makedirs(OUT, exist_ok=True)
    files = {}
    values = ({"name": "evil/values.yaml"}, b"replicas: 1\n")
    files["not-gzip.tgz"] = b"this is a README, not a chart\n" * 10
    files["bzip2.tgz"] = __import__("bz2").compress(tgz(chart(), compress=False))
    files["plain-tar.tgz"] = tgz(chart(), compress=False)
    files["gzip-not-tar.tgz"] = gzip.compress(b"just some gzip-compressed text\n" * 100, mtime=0)
    truncated = tgz(chart([({"name": "evil/big.bin"}, random.Random(1).randbytes(200_000))]))
    files["truncated.tgz"] = truncated[:len(truncated) * 2 // 3]
    files["zero-bytes.tgz"] = b""
    files["empty-tar.tgz"] = tgz([])
    files["two-top-level-dirs.tgz"] = tgz(chart([({"name": "other/values.yaml"}, b"a: 1\n")]))
    files["top-level-file.tgz"] = tgz([({"name": "Chart.yaml"}, CHART_YAML)])
    files["name-mismatch.tgz"] = tgz(chart(root="innocent"))
    files["absolute-path.tgz"] = tgz(chart([({"name": "/etc/cron.d/evil"}, b"* * * * * root sh\n")]))
    files["dotdot-path.tgz"] = tgz(chart([({"name": "evil/../../outside.txt"}, b"x\n")]))
    files["symlink.tgz"] = tgz(chart([({"name": "evil/templates/passwd", "type": tarfile.SYMTYPE,
                                         "linkname": "/etc/passwd"}, None)]))
    files["hardlink.tgz"] = tgz(chart([({"name": "evil/templates/copy.yaml", "type": tarfile.LNKTYPE,
                                         "linkname": "evil/Chart.yaml"}, None)]))
    files["char-device.tgz"] = tgz(chart([({"name": "evil/null", "type": tarfile.CHRTYPE}, None)]))
    files["block-device.tgz"] = tgz(chart([({"name": "evil/disk", "type": tarfile.BLKTYPE}, None)]))
    files["fifo.tgz"] = tgz(chart([({"name": "evil/pipe", "type": tarfile.FIFOTYPE}, None)]))
    files["duplicate-entry.tgz"] = tgz(chart([({"name": "evil/Chart.yaml"},
                                                b"apiVersion: v2\nname: evil\nversion: 9.9.9\n")]))
    files["missing-chart-yaml.tgz"] = tgz([values])
    files["unreadable-chart-yaml.tgz"] = tgz(chart(chart_yaml=b"apiVersion: v2\nname: \xff\xfe\nversion: 1.0.0\n"))
    files["invalid-yaml.tgz"] = tgz(chart(chart_yaml=b"apiVersion: v2\nname: [evil\nversion: 1.0.0\n"))
    files["not-a-mapping.tgz"] = tgz(chart(chart_yaml=b"- apiVersion\n- name\n"))
    files["missing-name.tgz"] = tgz(chart(chart_yaml=b"apiVersion: v2\nversion: 1.0.0\n"))
    files["missing-version.tgz"] = tgz(chart(chart_yaml=b"apiVersion: v2\nname: evil\n"))
    files["missing-api-version.tgz"] = tgz(chart(chart_yaml=b"name: evil\nversion: 1.0.0\n"))
    files["api-version-v3.tgz"] = tgz(chart(chart_yaml=b"apiVersion: v3\nname: evil\nversion: 1.0.0\n"))
    files["invalid-name.tgz"] = tgz(chart(root="evil+chart",
                                          chart_yaml=b"apiVersion: v2\nname: evil+chart\nversion: 1.0.0\n"))
    files["invalid-version.tgz"] = tgz(chart(chart_yaml=b"apiVersion: v2\nname: evil\nversion: v1.2\n"))
    files["too-many-entries.tgz"] = tgz(chart([({"name": f"evil/templates/cm-{i}.yaml"}, b"") for i in range(5001)]))
    # Many 1 MiB files of zeros: each is under the file limit, together they expand ~1000:1.
    files["decompression-bomb.tgz"] = tgz(chart([({"name": f"evil/zeros-{i}.bin"}, bytes(1 << 20)) for i in range(8)]))
    for name, data in files.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    streamed_tgz(os.path.join(OUT, "file-too-large.big.tgz"),
                 [("evil/Chart.yaml", len(CHART_YAML), lambda n: CHART_YAML[:n]),
                  ("evil/files/huge.txt", (5 << 20) + 4096, text_chunks(1))])
    streamed_tgz(os.path.join(OUT, "total-too-large.big.tgz"),
                 [("evil/Chart.yaml", len(CHART_YAML), lambda n: CHART_YAML[:n])]
                 + [(f"evil/files/part-{i}.txt", (5 << 20) - 1024, text_chunks(100 + i)) for i in range(11)])
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({name: {"code": code, "message": message} for name, (code, message) in EXPECTED.items()},
                  f, indent=2, sort_keys=True)
    assert set(EXPECTED) == set(os.listdir(OUT)) - {"expected.json"}, "every archive has an expectation"


if __name__ == "__main__":
    build()
