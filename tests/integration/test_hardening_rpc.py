"""Issue 12, point 12: JSON-RPC ids, against the real daemon over SSH.

JSON-RPC 2.0 allows a string, a number or null as an id; without one a request is a
notification.  Any other id (true, false, an array, an object) makes the request invalid:
the reply is -32600 with id null, and the method does not run -- it used to run silently,
as a notification.  A valid id comes back as it was sent, a fractional one too."""

import json
import re

import pytest

CJK = re.compile(r"[\u4e00-\u9fff]")

BAD_IDS = [True, False, [], {}, [1], {"id": 1}]


def hello(session, lang):
    result = session.result("system.hello", {"client": "pytest 0", "lang": lang})
    assert result["lang"] == lang, result


def read_raw(session, timeout=10):
    """The next reply line, undecoded: to see how a number was written."""
    line = session.lines.get(timeout=timeout)
    assert line is not None, f"connection closed:\n{session.stderr()}"
    return line.decode("utf-8")


@pytest.mark.parametrize("bad_id", BAD_IDS, ids=[json.dumps(i) for i in BAD_IDS])
def test_invalid_id_is_refused_and_the_method_does_not_run(daemon, bad_id):
    with daemon.rpc() as s:
        hello(s, "zh")
        # system.hello would switch the session to English, had it run.
        s.send({"jsonrpc": "2.0", "id": bad_id, "method": "system.hello",
                "params": {"client": "pytest 0", "lang": "en"}})
        reply = s.read(timeout=5)
        assert reply["id"] is None, reply
        assert "result" not in reply, reply
        assert reply["error"]["code"] == -32600, reply
        assert reply["error"]["data"]["reason"] == "invalid_id", reply
        assert CJK.search(reply["error"]["message"]), reply
        # Still Chinese: the method did not run; and the session goes on.
        err = s.call("no.such.method")["error"]
        assert err["data"]["reason"] == "method_not_found"
        assert CJK.search(err["message"]), err
        assert s.close() == 0, s.stderr()


def test_invalid_id_of_a_method_that_would_change_state(daemon):
    """captcha.new with id {}: answered at once and in order, not run as a notification
    (which left the next request's reply as the first line the client saw)."""
    with daemon.rpc() as s:
        hello(s, "en")
        s.send({"jsonrpc": "2.0", "id": {}, "method": "captcha.new"})
        s.send({"jsonrpc": "2.0", "id": 7, "method": "system.ping"})
        first, second = s.read(timeout=5), s.read(timeout=5)
        assert first["id"] is None and first["error"]["code"] == -32600, first
        assert first["error"]["data"]["reason"] == "invalid_id", first
        assert second == {"jsonrpc": "2.0", "id": 7, "result": {"pong": True}}, second
        s.expect_silence(0.5)


# (id as sent, the text the reply must carry)
GOOD_IDS = [
    ('"abc"', '"abc"'),
    ('""', '""'),
    ('"\\u00e9\\n"', None),          # any string; compared as a value
    ("0", "0"),
    ("-1", "-1"),
    ("9007199254740993", "9007199254740993"),    # beyond a double's 53 bits
    ("9223372036854775807", "9223372036854775807"),
    ("-9223372036854775808", "-9223372036854775808"),
    ("1.5", "1.5"),
    ("0.1", "0.1"),
    ("-2.25e-7", None),
    ("1e300", None),
    ("null", "null"),
]


@pytest.mark.parametrize("sent,written", GOOD_IDS, ids=[g[0] for g in GOOD_IDS])
def test_valid_id_is_echoed_as_sent(daemon, sent, written):
    with daemon.rpc() as s:
        hello(s, "en")
        s.send_raw(b'{"jsonrpc":"2.0","id":' + sent.encode() + b',"method":"system.ping"}\n')
        line = read_raw(s)
        reply = json.loads(line)
        assert reply["id"] == json.loads(sent), line
        assert type(reply["id"]) is type(json.loads(sent)), line
        assert reply["result"] == {"pong": True}, line
        if written is not None:
            assert '"id":' + written + "," in line, line


def test_fractional_id_of_an_error_is_echoed(daemon):
    with daemon.rpc() as s:
        hello(s, "en")
        s.send_raw(b'{"jsonrpc":"2.0","id":2.5,"method":"no.such"}\n')
        reply = s.read(timeout=5)
        assert reply["id"] == 2.5 and reply["error"]["code"] == -32601, reply


def test_integer_beyond_64_bits_is_named(daemon):
    """jansson holds 64-bit integers: a longer one is refused, saying so, with id null."""
    with daemon.rpc() as s:
        hello(s, "en")
        s.send_raw(b'{"jsonrpc":"2.0","id":18446744073709551616,"method":"system.ping"}\n')
        reply = s.read(timeout=5)
        assert reply["id"] is None, reply
        assert reply["error"]["code"] == -32700, reply
        assert reply["error"]["data"]["reason"] == "number_too_large", reply
        assert "64 bits" in reply["error"]["message"], reply
        assert s.result("system.ping") == {"pong": True}


def test_notification_still_gets_no_reply(daemon):
    with daemon.rpc() as s:
        hello(s, "en")
        s.send({"jsonrpc": "2.0", "method": "system.ping"})
        s.send({"jsonrpc": "2.0", "method": "system.hello", "params": {"lang": "zh"}})
        s.expect_silence(0.5)
        # The notification ran: the session speaks Chinese now.
        err = s.call("no.such.method")["error"]
        assert CJK.search(err["message"]), err
