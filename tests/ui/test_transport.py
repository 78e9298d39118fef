"""ui.transport: every TCP socket of the process, and every connection its listeners accept later, sends
without Nagle's delay; a session's events reach the event loop in batches, in order."""

from __future__ import annotations

import asyncio
import functools
import importlib
import socket
import threading
from types import SimpleNamespace

import pytest
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.runtime import Runtime

from ui import transport


def nodelay(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


@pytest.fixture
def listener(monkeypatch):
    """A listening socket made as Streamlit 1.67 makes its own (protocol 0), and a fresh `send_without_delay`."""
    monkeypatch.setattr(transport, "_done", False)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock


def connect(listener: socket.socket) -> tuple[socket.socket, socket.socket]:
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    return client, accepted


def test_open_connections_and_later_ones_send_without_delay(listener):
    client, before = connect(listener)
    with client, before:
        assert nodelay(before) == 0
        transport.send_without_delay()
        assert nodelay(listener) and nodelay(before)
        later_client, later = connect(listener)
        with later_client, later:
            assert nodelay(later)


def test_it_scans_once_per_process(listener):
    transport.send_without_delay()
    client, accepted = connect(listener)
    with client, accepted:
        accepted.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
        transport.send_without_delay()
        assert nodelay(accepted) == 0


class LoopCalls:
    """An event loop, counting the callbacks handed to it from other threads."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.handed = 0
        original = self.loop.call_soon_threadsafe

        def counted(*args, **kwargs):
            self.handed += 1
            return original(*args, **kwargs)

        self.loop.call_soon_threadsafe = counted

    def run_pending(self) -> None:
        """Run the loop briefly, in a thread of its own: a browser test's loop may be running in this one."""
        runner = threading.Thread(target=self.loop.run_until_complete, args=(asyncio.sleep(0.01),))
        runner.start()
        runner.join()


@pytest.fixture
def loop():
    calls = LoopCalls()
    yield calls
    calls.loop.close()


def test_a_sessions_events_reach_the_loop_in_order_with_one_wake_up(loop):
    session = SimpleNamespace(_event_loop=loop.loop)
    ran = []
    sender = threading.Thread(target=lambda: [transport.call_soon_in_batches(session, functools.partial(ran.append, i))
                                              for i in range(50)])
    sender.start()
    sender.join()
    loop.run_pending()
    assert ran == list(range(50))
    assert loop.handed == 1
    transport.call_soon_in_batches(session, functools.partial(ran.append, 50))  # after the batch ran: a new wake-up
    loop.run_pending()
    assert ran[-1] == 50 and loop.handed == 2


def test_an_event_that_raises_does_not_stop_the_rest(loop, caplog):
    session = SimpleNamespace(_event_loop=loop.loop)
    ran = []
    transport.call_soon_in_batches(session, lambda: 1 / 0)
    transport.call_soon_in_batches(session, lambda: ran.append("after"))
    loop.run_pending()
    assert ran == ["after"] and "ZeroDivisionError" in caplog.text


def test_the_sending_loop_is_woken_once_while_a_wake_up_is_pending(loop):
    need_send_data = asyncio.Event()
    runtime = SimpleNamespace(_get_async_objs=lambda: SimpleNamespace(eventloop=loop.loop,
                                                                      need_send_data=need_send_data))
    transport.wake_once(runtime)
    transport.wake_once(runtime)
    assert loop.handed == 1
    loop.run_pending()
    assert need_send_data.is_set()
    need_send_data.clear()  # the sending loop took the messages
    transport.wake_once(runtime)
    assert loop.handed == 2


def test_sessions_use_them_once_installed(monkeypatch):
    monkeypatch.setattr(AppSession, "_call_soon_on_event_loop", AppSession._call_soon_on_event_loop)
    monkeypatch.setattr(Runtime, "_enqueued_some_message", Runtime._enqueued_some_message)
    transport.wake_in_batches()
    assert AppSession._call_soon_on_event_loop is transport.call_soon_in_batches
    assert Runtime._enqueued_some_message is transport.wake_once


def test_a_reloaded_module_still_hands_events_to_streamlits_own_method(monkeypatch, loop):
    monkeypatch.setattr(AppSession, "_call_soon_on_event_loop", AppSession._call_soon_on_event_loop)
    transport.wake_in_batches()
    reloaded = importlib.reload(transport)  # as Streamlit does after a change to the file
    session = SimpleNamespace(_event_loop=loop.loop)
    ran = []
    reloaded.call_soon_in_batches(session, lambda: ran.append("ran"))
    loop.run_pending()
    assert ran == ["ran"]
