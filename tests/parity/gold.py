"""The gold files: what real PyTorch did, one gzip'd JSON-lines file per
family. The first line is a header (PyTorch's version, the family, the
count); each other line is one program: its id, its steps and its
observations. The steps are stored, so replaying needs neither the
generator nor torch."""

import gzip
import json
import os

GOLD_DIR = os.path.join(os.path.dirname(__file__), "gold")


def path(family):
    return os.path.join(GOLD_DIR, f"{family}.jsonl.gz")


def write(family, header, programs):
    os.makedirs(GOLD_DIR, exist_ok=True)
    # mtime=0: the same content gives the same bytes, so re-recording
    # unchanged programs changes nothing in git
    with open(path(family), "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write((json.dumps(header) + "\n").encode())
        for p in programs:
            f.write((json.dumps(p, separators=(",", ":")) + "\n").encode())


def read(family):
    """(header, programs) of a family's gold file."""
    with gzip.open(path(family), "rt") as f:
        header = json.loads(f.readline())
        programs = [json.loads(line) for line in f]
    return header, programs


def families():
    if not os.path.isdir(GOLD_DIR):
        return []
    return sorted(n[: -len(".jsonl.gz")] for n in os.listdir(GOLD_DIR) if n.endswith(".jsonl.gz"))
