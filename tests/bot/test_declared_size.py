"""The connection's early refusal of a declared body larger than any route takes
(bot.cli.declares_too_large): only a complete head with a too large Content-Length is refused;
anything else goes on to aiohttp and the routes."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cli import MAX_BODY, declares_too_large

HEAD = b"POST /api/messages HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"


@pytest.mark.parametrize(("first", "refused"), [
    (HEAD + b"Content-Length: %d\r\n\r\n" % (MAX_BODY + 1), True),
    (HEAD + b"content-length:%d\r\n\r\n{" % (10 ** 12), True),
    (HEAD + b"CONTENT-LENGTH: 99999999 \r\n\r\n", True),
    (HEAD + b"Content-Length: %d\r\n\r\n" % MAX_BODY, False),  # exactly the limit: allowed
    (HEAD + b"Content-Length: 120\r\n\r\n{}", False),
    (HEAD + b"Content-Length: %d\r\n" % (MAX_BODY + 1), False),  # head not complete yet
    (HEAD + b"Transfer-Encoding: chunked\r\n\r\n", False),  # the endpoint answers 411
    (HEAD + b"Content-Length: -5\r\n\r\n", False),  # aiohttp's parser refuses these
    (HEAD + b"Content-Length: 1e9\r\n\r\n", False),
    (HEAD + b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n", True),  # beyond int()'s digits
    (HEAD + b"Content-Length: " + b"0" * 5000 + b"120\r\n\r\n", False),  # leading zeros
    (HEAD + b"Content-Length: " + b"0" * 30 + b"262145\r\n\r\n", True),
    (b"GET /healthz HTTP/1.1\r\nHost: bot\r\n\r\n", False),
    (b"", False),
    (b"X-Padding: " + b"a" * 9000 + b"\r\nContent-Length: 99999999\r\n\r\n", False),
])
def test_only_a_complete_head_declaring_too_much_is_refused(first, refused):
    assert declares_too_large(first) is refused


@given(st.binary(max_size=2000))
def test_any_bytes_are_judged_without_an_error(data):
    assert declares_too_large(data) in (True, False)


@given(st.text("0123456789", min_size=1, max_size=6000))
def test_any_run_of_digits_is_judged_as_its_number(digits):
    first = HEAD + b"Content-Length: " + digits.encode() + b"\r\n\r\n"
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)  # the oracle reads any number of digits
    try:
        declared = int(digits)
    finally:
        sys.set_int_max_str_digits(limit)
    assert declares_too_large(first) is (declared > MAX_BODY)


@given(st.integers(min_value=0, max_value=10 ** 15))
def test_the_declared_length_alone_decides(length):
    first = HEAD + b"Content-Length: %d\r\n\r\n" % length
    assert declares_too_large(first) is (length > MAX_BODY)
