"""ui.transport: every TCP socket of the process, and every connection its listeners accept later, sends
without Nagle's delay."""

from __future__ import annotations

import socket

import pytest

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
