"""The buffered log of jxjyd serve (log.flush_ms, daemon/core/log.c; issue 19).

Session threads append their lines to a buffer that one writer thread writes out
log.flush_ms after the first: still one line per request, none lost, repeated or cut,
in order; an error line (and everything before it) at once; all of it at a clean stop.
The other tests' daemons write each line at once (flush_ms 0, conftest.py): these start
their own, buffered.

The bound of the buffer (256 KiB, then the appending thread writes it itself) is tested
in tests/unit/test-log-buffer.c, where what is held back can be counted exactly; the RSS
of a sanitized daemon here would not show 256 KiB cleanly.
"""

import re
import signal
import threading
import time
from collections import Counter

# A request's line (rpc.c): its session and method, or the warning of a slow one.
HELLO = re.compile(r"session (\d+): (?:system\.hello role=|slow request: system\.hello took)")
# Every line the log writes: stamp, pid, level (log.c).
LINE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z jxjyd\[\d+\]: "
                  r"(?:error|warning|info|debug): ")


def hellos(text):
    """Counter of session serial -> lines of its system.hello requests."""
    return Counter(m.group(1) for m in HELLO.finditer(text))


def hello_burst(s, n):
    """n system.hello on session s, sent at once, then their n replies read."""
    for i in range(n):
        s.send({"jsonrpc": "2.0", "id": i + 1, "method": "system.hello",
                "params": {"client": "pytest 0"}})
    for i in range(n):
        reply = s.read()
        assert reply.get("id") == i + 1 and "result" in reply, reply


def wait_hellos(d, want, timeout=15):
    """Wait until the log has want hello lines in all; return its text then."""
    deadline = time.monotonic() + timeout
    while True:
        text = d.stderr_text()
        if sum(hellos(text).values()) >= want:
            return text
        assert time.monotonic() < deadline, \
            f"{sum(hellos(text).values())} of {want} request lines in the log:\n{text[-3000:]}"
        time.sleep(0.05)


def assert_well_formed(text):
    assert text.endswith("\n"), text[-200:]
    bad = [line for line in text.splitlines() if not LINE.match(line)]
    assert not bad, f"{len(bad)} lines cut or interleaved, e.g. {bad[:3]}"


def test_lines_arrive_unasked_one_per_request(make_daemon):
    d = make_daemon(config={"log": {"flush_ms": 50}})
    with d.rpc() as s:
        hello_burst(s, 50)
        text = wait_hellos(d, 50)
        time.sleep(0.3)     # six flush periods: no line comes twice
        counts = hellos(d.stderr_text())
        assert list(counts.values()) == [50], counts
        s.close()


def test_concurrent_sessions_lose_repeat_and_cut_nothing(make_daemon):
    d = make_daemon(config={"log": {"flush_ms": 50}})
    sessions = [d.rpc() for _ in range(8)]
    errors = []

    def drive(s):
        try:
            hello_burst(s, 200)
        except AssertionError as e:
            errors.append(e)

    threads = [threading.Thread(target=drive, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    text = wait_hellos(d, 8 * 200, timeout=30)
    for s in sessions:
        s.close()
    d.stop()
    text = d.stderr_text()
    counts = hellos(text)
    assert sorted(counts.values()) == [200] * 8, counts
    assert_well_formed(text)


def test_a_clean_stop_writes_what_is_pending(make_daemon):
    # A second to gather: without the flush at the stop, these lines would be lost.
    d = make_daemon(config={"log": {"flush_ms": 1000}})
    s = d.rpc()
    hello_burst(s, 30)
    d.signal(signal.SIGTERM)
    d.assert_clean_exit(d.wait())
    s.kill()
    text = d.stderr_text()
    assert list(hellos(text).values()) == [30], text[-3000:]
    assert re.search(r"session \d+: ended\n", text), text[-3000:]
    assert text.endswith(": info: stopped\n"), text[-500:]
    assert_well_formed(text)


def test_an_error_line_is_written_at_once_after_the_lines_before_it(make_daemon):
    """A reload of a broken file logs errors: written at once, while a request's line
    before them still waits for its second (flush_ms 1000) and comes first."""
    d = make_daemon(config={"log": {"flush_ms": 1000}})
    with d.rpc() as s:
        hello_burst(s, 1)
        wait_hellos(d, 1)   # the writer has written; the buffer is empty
        for attempt in range(5):
            hello_burst(s, 1)
            # Held back: the test needs a line pending when the error comes.
            if sum(hellos(d.stderr_text()).values()) == attempt + 1:
                break
            wait_hellos(d, attempt + 2)
        else:
            raise AssertionError("a request's line was never held back (flush_ms 1000)")
        d.settings["log"]["flush_ms"] = 5000    # out of range: the reload fails
        d.write_config()
        t0 = time.monotonic()
        d.signal(signal.SIGHUP)
        while "has errors; keeping the running configuration" not in d.stderr_text():
            assert time.monotonic() - t0 < 5, d.stderr_text()[-3000:]
            time.sleep(0.01)
        elapsed = time.monotonic() - t0
        assert elapsed < 0.6, f"the error line came after {elapsed:.2f} s, not at once"
        text = d.stderr_text()
        pending = list(HELLO.finditer(text))[-1]
        error = text.index("error: reload: ")
        assert len(list(HELLO.finditer(text))) == attempt + 2, text[-3000:]
        assert pending.start() < error, text[-3000:]
        assert_well_formed(text)
        s.close()
    d.settings["log"]["flush_ms"] = 1000
    d.write_config()


def test_a_reload_applies_flush_ms(make_daemon):
    """From 1000 to 0 by SIGHUP: the line held back is written with the reload's, and a
    request's line is then in the log before its reply."""
    d = make_daemon(config={"log": {"flush_ms": 1000}})
    with d.rpc() as s:
        hello_burst(s, 1)
        wait_hellos(d, 1)
        hello_burst(s, 1)
        held = sum(hellos(d.stderr_text()).values()) == 1
        d.settings["log"]["flush_ms"] = 0
        d.write_config()
        d.reload()
        text = d.stderr_text()
        assert re.search(r"reload: .* applied: [^\n]*log\.flush_ms", text), text[-2000:]
        assert sum(hellos(text).values()) == 2, text[-2000:]
        if held:    # it was pending: written before the reload's line
            assert list(HELLO.finditer(text))[-1].start() < text.index("reload: "), \
                text[-2000:]
        for n in range(3, 6):
            hello_burst(s, 1)
            assert sum(hellos(d.stderr_text()).values()) == n, d.stderr_text()[-2000:]
        s.close()
