"""A file checked by ClamAV's daemon (clamd), over its INSTREAM protocol: the bytes go to
the daemon in chunks, it answers ``stream: OK`` or ``stream: <signature> FOUND``.

The protocol is a dozen lines; the Python clients on PyPI (clamd, pyclamd) are unmaintained
since 2014 and 2017, so it is spoken here. ``files_clamd`` names the daemon:
``tcp://127.0.0.1:3310`` or ``unix:///run/clamav/clamd.ctl``.
"""

from __future__ import annotations

import socket
import struct
from pathlib import Path

CHUNK = 64 * 1024
TIMEOUT = 120.0


class Unavailable(Exception):
    """clamd cannot be reached, or did not answer as it should."""


def _connect(address: str) -> socket.socket:
    try:
        if address.startswith("unix://"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(TIMEOUT)
            sock.connect(address[len("unix://") :])
            return sock
        host, _, port = address.removeprefix("tcp://").rpartition(":")
        return socket.create_connection((host or "127.0.0.1", int(port)), timeout=TIMEOUT)
    except (OSError, ValueError) as exc:
        raise Unavailable(f"clamd at {address}: {exc}") from exc


def scan(address: str, path: Path, max_bytes: int) -> str | None:
    """The signature clamd found in the file, or None when clean. Only the first
    ``max_bytes`` are sent (clamd's ``StreamMaxLength`` refuses more)."""
    sock = _connect(address)
    try:
        sock.sendall(b"zINSTREAM\0")
        sent = 0
        with path.open("rb") as fh:
            while sent < max_bytes:
                chunk = fh.read(min(CHUNK, max_bytes - sent))
                if not chunk:
                    break
                sock.sendall(struct.pack(">I", len(chunk)) + chunk)
                sent += len(chunk)
        sock.sendall(struct.pack(">I", 0))
        answer = b""
        while not answer.endswith(b"\0"):
            part = sock.recv(4096)
            if not part:
                break
            answer += part
    except OSError as exc:
        raise Unavailable(f"clamd at {address}: {exc}") from exc
    finally:
        sock.close()
    text = answer.rstrip(b"\0").decode("utf-8", "replace").strip()
    if text.endswith("OK"):
        return None
    if text.endswith("FOUND"):
        return text.removeprefix("stream:").removesuffix("FOUND").strip()
    raise Unavailable(f"clamd answered {text!r}")
