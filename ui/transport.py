"""Replies without Nagle's delay, and without waking the server's event loop once per element.

Nagle's delay. Streamlit 1.67 binds its listening socket itself, with protocol 0, and asyncio turns Nagle's
algorithm off only on sockets whose protocol reads IPPROTO_TCP (the cause of uvicorn issue #3149). A rerun ends with
small messages, and the last of them can then wait for the browser's delayed acknowledgement, up to 40 ms on Linux:
on the benchmark's one-slider page about half the key presses took 68–81 ms and the rest 28–51 ms; with
TCP_NODELAY, 25–50 ms.

Wake-ups. Streamlit 1.67's script thread hands every element of a rerun to the event loop with its own
`call_soon_threadsafe`, a write to the loop's wake-up socket, and each message queued then schedules another to wake
the sending loop. py-spy put a fifth of the script thread's samples of a Demo rerun in those writes. Handed over in
batches (the events the thread sends before the loop gets to the first) and with one wake-up of the sending loop
per flush, server CPU per rerun fell 5–12 % on the Demo, Formula and Training vs inference (same-time A/B runs,
medians of 8 blocks of 25 reruns), order unchanged.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import socket
import threading
from collections.abc import Callable

from streamlit.runtime.app_session import AppSession
from streamlit.runtime.runtime import Runtime

_LOGGER = logging.getLogger(__name__)
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


_PENDING = "_bnlab_pending_events"  # an AppSession's events waiting for the event loop, in order
_WAKING = "_bnlab_waking"  # whether a Runtime's wake-up of its sending loop is on its way
_pending_lock = threading.Lock()


def _streamlits(cls: type, name: str) -> Callable:
    """`cls`'s method `name` as Streamlit defines it, kept on the class the first time: a module reloaded after a
    file change must not take the replacement installed by its first import for the original."""
    kept = f"_bnlab_streamlit{name}"
    if kept not in cls.__dict__:
        setattr(cls, kept, cls.__dict__[name])
    return cls.__dict__[kept]


_call_soon_each = _streamlits(AppSession, "_call_soon_on_event_loop")


def _run_pending(session: AppSession) -> None:
    """On the event loop: run the session's waiting events in order; one that raises is logged, as asyncio would,
    and the rest still run."""
    with _pending_lock:
        events = session.__dict__.pop(_PENDING, [])
    for event in events:
        try:
            event()
        except Exception:
            _LOGGER.exception("A script runner event failed on the event loop")


def call_soon_in_batches(session: AppSession, event: Callable[[], None]) -> None:
    """AppSession._call_soon_on_event_loop that wakes the loop once for all the events sent before it runs them."""
    with _pending_lock:
        pending = session.__dict__.get(_PENDING)
        if pending is not None:
            pending.append(event)
            return
        session.__dict__[_PENDING] = [event]
    _call_soon_each(session, functools.partial(_run_pending, session))


def wake_once(runtime: Runtime) -> None:
    """Runtime._enqueued_some_message without another wake-up while one is on its way or done and not yet served:
    the loop clears the flag before it takes every session's queued messages, so a message queued before that
    leaves with that flush."""
    async_objs = runtime._get_async_objs()
    with _pending_lock:
        if runtime.__dict__.get(_WAKING) or async_objs.need_send_data.is_set():
            return
        runtime.__dict__[_WAKING] = True
    async_objs.eventloop.call_soon_threadsafe(_wake, runtime, async_objs.need_send_data)


def _wake(runtime: Runtime, need_send_data) -> None:
    runtime.__dict__[_WAKING] = False
    need_send_data.set()


def wake_in_batches() -> None:
    """Install call_soon_in_batches and wake_once (from a page view: sessions opened from then on use them)."""
    AppSession._call_soon_on_event_loop = call_soon_in_batches
    Runtime._enqueued_some_message = wake_once
