"""The guard of the unit suite: a test listed in tests/conftest.py UNIT_TESTS cannot connect."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import SocketBlockedError


def test_a_unit_test_cannot_open_a_connection() -> None:
    with pytest.raises(SocketBlockedError, match=r"tried to connect to \('127\.0\.0\.1', 9\)"):
        socket.create_connection(("127.0.0.1", 9), timeout=1)
