"""Content hashes: verify shipped weight files and key the feature cache."""

from __future__ import annotations

import hashlib
import os

import numpy as np


def file_sha256(path: str | os.PathLike) -> str:
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def arrays_sha256(*arrays: np.ndarray, extra: str = "") -> str:
    """Return the hex sha256 of arrays' shapes, dtypes and bytes (plus an ``extra`` string)."""
    digest = hashlib.sha256(extra.encode())
    for a in arrays:
        a = np.ascontiguousarray(a)
        digest.update(f"{a.shape}{a.dtype}".encode())
        digest.update(a.tobytes())
    return digest.hexdigest()
