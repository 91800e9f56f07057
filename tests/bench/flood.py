#!/usr/bin/python3
"""flood.py - the measuring half of tests/bench/bench-flood (issue 12, point 1).

Starts jxjyd on the PostgreSQL named by PGHOST/PGPORT/PGUSER (database jxjy), logs one
person in, and then, per run, opens N guest sessions from one address (OpenSSH `ssh -s
jxjy-rpc`, whose output nobody reads: a pipe left full) that each send 400 x
`ref.majors {"limit":200}` and then ~1 MiB lines as fast as they are taken.  Meanwhile
the person calls system.ping every 20 ms.  Reports jxjyd's peak RSS and the ping p50/p99
per run; the sessions' flood ends when jxjyd closes them (sessions.stall_timeout) or
after --seconds.  Goal (issue 12): RSS under 256 MiB, p99 under 50 ms, with 50 sessions.

The bench config raises sessions.max_per_source to 1000: its default (50) would refuse
the 51st session from 127.0.0.1, i.e. the person's.
"""

import os
import platform
import subprocess
import sys
import threading
import time

from benchlib import (SSH_OPTS, Rpc, arguments, conninfo, finish, jxjyd_run, jxjyd_serve,
                      percentile, proc_kib, write_config)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from helpers import DEMO_HASH, DEMO_PASSWORD, id_number, request_line  # noqa: E402

PERSON = id_number()


def rss_kib(pid):
    return proc_kib(pid, "VmRSS")


def flood(proc, long_lines):
    pad = "x" * 1_000_000
    try:
        for i in range(400):
            proc.stdin.write(request_line(i + 1, "ref.majors", {"limit": 200}))
        for i in range(long_lines):
            proc.stdin.write(request_line(401 + i, "system.ping", {"pad": pad}))
        proc.stdin.flush()
    except (BrokenPipeError, OSError, ValueError):
        pass


def one_run(port, pid, person, sessions, seconds, long_lines):
    hostile = [subprocess.Popen(["ssh", *SSH_OPTS, "-p", str(port), "-s", "localhost",
                                 "jxjy-rpc"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL) for _ in range(sessions)]
    for p in hostile:
        threading.Thread(target=flood, args=(p, long_lines), daemon=True).start()
    pings, peak = [], rss_kib(pid)
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        t = time.monotonic()
        person.call("system.ping")
        pings.append((time.monotonic() - t) * 1000)
        peak = max(peak, rss_kib(pid))
        time.sleep(0.02)
    for p in hostile:
        p.kill()
        p.wait()
    return peak, pings


def main():
    a = arguments("data", sessions=50, runs=3, seconds=20.0, long_lines=200, stall_timeout=10)

    conf, port = write_config(a.workdir, a.schema, f'''control_socket = "{a.workdir}/jxjyd.sock";
sessions: {{ max_per_source = 1000; stall_timeout = {a.stall_timeout}; }};
security: {{ captcha = "off"; }};
reference: {{ regions = "{a.data}/regions.csv"; units = "{a.data}/units.csv";
	departments = "{a.data}/departments.csv"; majors = "{a.data}/majors.csv";
	titles = "{a.data}/titles.csv"; }};
''')
    jxjyd_run(a.jxjyd, conf, "migrate", "import")
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo(),
                    "-c", "INSERT INTO units (code, name, region) VALUES ('BFU', '压测单位', "
                    "(SELECT code FROM regions ORDER BY code LIMIT 1))",
                    "-c", "INSERT INTO accounts (id_number, state, password_hash, name, "
                    f"unit_code) VALUES ('{PERSON}', 'active', '{DEMO_HASH}', '值守', "
                    "'BFU')"], check=True)
    daemon, err_path = jxjyd_serve(a.jxjyd, conf, a.workdir)
    rows = []
    try:
        person = Rpc(["ssh", *SSH_OPTS, "-p", str(port), "-s", "localhost", "jxjy-rpc"])
        person.call("session.login", {"id_number": PERSON, "password": DEMO_PASSWORD})
        base = rss_kib(daemon.pid)
        for run in range(a.runs):
            peak, pings = one_run(port, daemon.pid, person, a.sessions, a.seconds,
                                  a.long_lines)
            rows.append((run + 1, base / 1024, peak / 1024, len(pings),
                         percentile(pings, 50), percentile(pings, 99), max(pings)))
            print(f"run {run + 1}: peak RSS {peak / 1024:.0f} MiB, {len(pings)} pings, "
                  f"p50 {rows[-1][4]:.1f} ms, p99 {rows[-1][5]:.1f} ms", flush=True)
            time.sleep(a.stall_timeout + 2)
        person.close()
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)
    log = open(err_path).read()
    closed = log.count("of output unread for")
    worst_rss = max(r[2] for r in rows)
    worst_p99 = max(r[5] for r in rows)
    ok = worst_rss < 256 and worst_p99 < 50
    report = [f"# bench-flood: {a.sessions} sessions that never read, from one address",
              "", f"{platform.node()}, {os.cpu_count()} CPUs; {a.runs} runs of "
              f"{a.seconds:.0f} s; sessions.stall_timeout {a.stall_timeout} s; "
              f"{closed} sessions closed for not reading", "",
              "| run | RSS before (MiB) | peak RSS (MiB) | pings | p50 (ms) | p99 (ms) | max (ms) |",
              "|---|---|---|---|---|---|---|"]
    report += [f"| {r[0]} | {r[1]:.0f} | {r[2]:.0f} | {r[3]} | {r[4]:.1f} | {r[5]:.1f} | "
               f"{r[6]:.1f} |" for r in rows]
    report += ["", f"goal: peak RSS < 256 MiB ({worst_rss:.0f}), ping p99 < 50 ms "
               f"({worst_p99:.1f}): {'met' if ok else 'MISSED'}"]
    finish(report, a.out, ok)


if __name__ == "__main__":
    main()
