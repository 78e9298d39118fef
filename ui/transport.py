"""Replies without Nagle's delay.

Streamlit 1.67 binds its listening socket itself, with protocol 0, and asyncio turns Nagle's algorithm off only on
sockets whose protocol reads IPPROTO_TCP (the cause of uvicorn issue #3149). A rerun ends with small messages, and
the last of them can then wait for the browser's delayed acknowledgement, up to 40 ms on Linux: on the benchmark's
one-slider page about half the key presses took 68–81 ms and the rest 28–51 ms; with TCP_NODELAY, 25–50 ms.
"""

from __future__ import annotations

import contextlib
import gc
import socket

_done = False


def send_without_delay() -> None:
    """Set TCP_NODELAY on every TCP socket of this process, once per process (a scan of ~15 ms on the first page
    view). The listening socket passes it on to the connections it accepts later (Linux, checked in the tests);
    the connections already open, the first visitor's among them, get it directly."""
    global _done
    if _done:
        return
    _done = True
    for candidate in gc.get_objects():
        if (isinstance(candidate, socket.socket) and candidate.type == socket.SOCK_STREAM
                and candidate.family in (socket.AF_INET, socket.AF_INET6)):
            with contextlib.suppress(OSError):  # closed, or not TCP after all
                candidate.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
