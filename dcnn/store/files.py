"""Files that survive a kill and tell when they are damaged: written to a temporary name, flushed,
fsynced and renamed, each carrying a SHA-256 of its content (JSON) or a magic header and a checksum
(tensors, loaded with ``weights_only``: no pickle that runs code)."""
from __future__ import annotations

import errno
import hashlib
import io
import json
import logging
import os
import uuid
from pathlib import Path
from typing import Any, Optional

import torch

from . import faults

log = logging.getLogger("dcnn")
FORMAT = 1
_MAGIC = b"DCNN-CHECKPOINT-1\n"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StoreError(Exception):
    """A write failed (disk full, read-only build dir): one line; finished runs stay intact."""


def _write_error(path: Path, exc: OSError) -> StoreError:
    reason = {errno.ENOSPC: "no space left on the device", errno.EROFS: "the file system is read-only",
              errno.EACCES: "permission denied", errno.EDQUOT: "disk quota exceeded",
              errno.EFBIG: "the file is larger than this process may write"}.get(exc.errno, str(exc))
    return StoreError(f"cannot write {path}: {reason}; free space or pass a writable --build DIR "
                      f"(every run finished before this is intact)")


def atomic_write(path: Path, data: bytes, *, fsync: bool = True) -> None:
    """Replace ``path`` with ``data`` so that a reader never sees a partial file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            half = len(data) // 2
            f.write(data[:half])
            faults.hit("store.write.partial")   # a kill here leaves only the temporary file
            f.write(data[half:])
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        faults.hit("store.write.before_rename")
        os.replace(tmp, path)
        if fsync:
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    except BaseException as exc:     # a full disk, a Ctrl-C: no temporary file is left behind
        try:
            tmp.unlink()
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _write_error(path, exc) from None
        raise


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dump_json(payload: dict) -> bytes:
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return json.dumps({"format": FORMAT, "sha256": _digest(body.encode()), "payload": body},
                      indent=None).encode() + b"\n"


def load_json(path: Path, quiet: bool = False) -> Optional[dict]:
    """The verified payload, or None (missing, or damaged: then a warning names the file)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        outer = json.loads(raw)
        body = outer["payload"]
        if outer.get("format") != FORMAT or _digest(body.encode()) != outer["sha256"]:
            raise ValueError("checksum mismatch")
        return json.loads(body)
    except (ValueError, KeyError, TypeError) as exc:
        if not quiet:
            log.warning("%s is damaged (%s); redoing it", path, exc)
        return None


def dump_tensors(obj: Any) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    body = buf.getvalue()
    return _MAGIC + _digest(body).encode() + b"\n" + body


def load_tensors(path: Path, map_location: str | torch.device = "cpu") -> Optional[Any]:
    """A checksummed torch file, loaded with ``weights_only=True`` (no code runs); None if missing/damaged."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    head, digest, body = raw[:len(_MAGIC)], raw[len(_MAGIC):len(_MAGIC) + 64], raw[len(_MAGIC) + 65:]
    if head != _MAGIC or _digest(body).encode() != digest:
        log.warning("%s is damaged (checksum mismatch); redoing it", path)
        return None
    try:
        return torch.load(io.BytesIO(body), map_location=map_location, weights_only=True)
    except Exception as exc:  # a file that passes the checksum but not the loader: still redo, never crash
        log.warning("%s cannot be loaded (%s); redoing it", path, exc)
        return None
