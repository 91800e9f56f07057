#!/usr/bin/python3
"""bench-base-report.py - the measuring half of tests/bench/bench-base-report.

Starts jxjyd on the PostgreSQL named by PGHOST/PGPORT/PGUSER (database jxjy) with the
shipped learning forms and a base whose administrator logs in by key (base_admins), seeds
--rows registered staff (bench-base-report-seed.sql), writes their roster as a GB18030 CSV file
(身份证号,姓名,学时; every tenth row with hours of its own), and measures while --pingers
other sessions call system.ping every 20 ms:

  1. validation: `ssh ID@host roster CLASS < roster.csv`: the file streamed to jxjyd, read
     line by line, every row checked (ID number, a registered person, the name, no
     duplicate, the hours) and stored; rows/s;
  2. reporting: class.report over `ssh ID@host -s jxjy-rpc`: a record, an audit row and the
     totals per row in one transaction; rows/s;
  3. the reference, plain PostgreSQL in the same run: the same rows COPY'd (UTF-8) into a
     staging table and moved by one INSERT ... SELECT per table -- records (joined to the
     accounts by ID number and name), audit rows, totals -- in one transaction; rows/s.

jxjyd's RSS is sampled every 100 ms during 1 and 2 (start, peak, end); the pings' p50 and
p99 are taken over 1 and 2.  Targets: 1 and 2 together at least half of 3's rows/s; RSS
growing by at most 32 MiB (the roster is streamed, not held whole); ping p99 <= 20 ms.
Writes a Markdown report (--out) and prints it.  Exits 1 when a target is missed or a step
fails.
"""

import importlib.util
import json
import os
import platform
import subprocess
import sys
import threading
import time

from benchlib import (SSH_OPTS, arguments, finish, jxjyd_run, jxjyd_serve, percentile,
                      write_config)

# The pinging sessions, the RSS sampler and the helpers of the certificates' benchmark.
_spec = importlib.util.spec_from_file_location(
    "bench_certificates", os.path.join(os.path.dirname(__file__), "bench-certificates.py"))
_cert = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cert)
Pinger, RssSampler, psql, say, shipped = (_cert.Pinger, _cert.RssSampler, _cert.psql,
                                          _cert.say, _cert.shipped)

TARGET_PING_P99 = 20.0      # ms
TARGET_RATIO = 0.5          # of plain PostgreSQL's rows/s
TARGET_RSS_GROWTH = 32.0    # MiB
BASE = "BNCH"
ADMIN = "410105197001010995"    # a valid ID number no seeded person has (sequence 099)


def keypair(workdir):
    """An ed25519 key for the base's administrator: (private key path, public key line)."""
    path = os.path.join(workdir, "base_admin")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench", "-f", path],
                   check=True)
    return path, open(path + ".pub").read().strip()


def rpc(port, key, *requests):
    """The replies to requests (dicts without jsonrpc and id) in one `-s jxjy-rpc` session."""
    lines = "".join(json.dumps({"jsonrpc": "2.0", "id": i + 1, **r}) + "\n"
                    for i, r in enumerate(requests))
    r = subprocess.run(["ssh", *SSH_OPTS, "-i", key, "-p", str(port), f"{ADMIN}@127.0.0.1",
                        "-s", "jxjy-rpc"], input=lines.encode(), capture_output=True,
                       timeout=3600)
    replies = {}
    for line in r.stdout.decode().splitlines():
        reply = json.loads(line)
        if "id" in reply:
            replies[reply["id"]] = reply
    return [replies.get(i + 1) for i in range(len(requests))]


def reference(args, rows, class_id):
    """Plain PostgreSQL: the rows COPY'd into a staging table, then one INSERT ... SELECT
    per table, in one transaction (psql reading it all from stdin).  Returns seconds."""
    data = "".join(f"{idn},{name},{amount}\n" for idn, name, amount in rows)
    script = f"""BEGIN;
CREATE TEMPORARY TABLE staging (id_number text, name text, amount numeric) ON COMMIT DROP;
COPY staging FROM STDIN (FORMAT csv);
{data}\\.
INSERT INTO declarations (account_id, unit_code, form_id, form_code, year, amount, hours,
    category, fields, state, source, class_id, submitted_at)
SELECT a.id, a.unit_code, c.form_id, c.form_code, c.year, coalesce(s.amount, c.amount),
    round(coalesce(s.amount, c.amount) * (f.definition->>'credit_hours')::numeric, 2),
    f.definition->>'category', c.fields, 'pending', 'base', c.id, now()
FROM staging s JOIN accounts a ON a.id_number = s.id_number AND a.name = s.name,
    base_classes c JOIN learning_forms f ON f.id = c.form_id
WHERE c.id = {class_id};
INSERT INTO declaration_audit (declaration_id, account_id, actor_id, action, from_state,
    to_state)
SELECT id, account_id, NULL, 'report', NULL, state FROM declarations WHERE class_id = {class_id};
INSERT INTO declaration_totals (account_id, year, form_code, category, pending_hours)
SELECT account_id, year, form_code, min(category), sum(hours) FROM declarations
WHERE class_id = {class_id} GROUP BY account_id, year, form_code
ON CONFLICT (account_id, year, form_code) DO UPDATE SET
    pending_hours = declaration_totals.pending_hours + EXCLUDED.pending_hours;
COMMIT;
"""
    t0 = time.perf_counter()
    psql(args, script)
    return time.perf_counter() - t0


def main():
    args = arguments("psql", "forms", rows=10000, pingers=4)
    year = int(subprocess.run(["date", "+%Y"], env=dict(os.environ, TZ="Asia/Shanghai"),
                              capture_output=True, text=True).stdout)
    failures = []
    key, pub = keypair(args.workdir)
    settings = (shipped(args.forms) +
                'sessions: { max = 1000; max_per_source = 1000; idle_timeout = 3600;'
                ' max_line = 67108864; };\n'
                'security: { captcha = "off"; };\n'
                f'certificates: {{ signing_key = "{args.workdir}/certificate_key"; }};\n'
                f'bases: {{ roster_max_rows = {max(args.rows, 1)}; '
                'roster_max_bytes = 67108864; };\n'
                f'base_admins = ( {{ id_number = "{ADMIN}"; name = "名单压测管理员"; '
                f'base = "{BASE}"; keys = [ "{pub}" ]; }} );\n')
    conf, port = write_config(args.workdir, args.schema, settings)
    jxjyd_run(args.jxjyd, conf, "migrate")
    # The base first: jxjyd makes its administrator's account at start.
    psql(args, None, "-c", f"INSERT INTO bases (code, name, region, forms) VALUES "
         f"('{BASE}', '名单压测基地', '410100', '{{training}}')")
    daemon, log = jxjyd_serve(args.jxjyd, conf, args.workdir)
    pingers = []
    try:
        deadline = time.monotonic() + 30
        while psql(args, None, "-c", "SELECT count(*) FROM learning_forms WHERE active"
                   " AND code = 'training'") == "0" or \
                psql(args, None, "-c", f"SELECT count(*) FROM accounts WHERE id_number = "
                     f"'{ADMIN}' AND state = 'active'") == "0":
            if time.monotonic() > deadline:
                sys.exit("jxjyd did not sync the learning forms or the base's administrator")
            time.sleep(0.1)
        say(f"seeding {args.rows} staff (and 20,000 others)...")
        t0 = time.monotonic()
        seed = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "bench-base-report-seed.sql")
        psql(args, None, "-v", f"rows={args.rows}", "-v", f"year={year}", "-v",
             f"base={BASE}", "-v", f"admin={ADMIN}", "-f", seed)
        draft, ref_class = (int(x) for x in psql(
            args, None, "-c", "SELECT id FROM base_classes ORDER BY state, id").splitlines())
        people = [tuple(line.split("|")) for line in psql(
            args, None, "-c", "SELECT id_number, name FROM accounts WHERE unit_code = 'ROST'"
            " ORDER BY id").splitlines()]
        rows = [(idn, name, "8" if i % 10 == 0 else "") for i, (idn, name) in
                enumerate(people)]
        roster = os.path.join(args.workdir, "roster.csv")
        with open(roster, "wb") as f:
            f.write("身份证号,姓名,学时\r\n".encode("gb18030"))
            for idn, name, amount in rows:
                f.write(f"{idn},{name},{amount}\r\n".encode("gb18030"))
        size = os.path.getsize(roster)
        say(f"seeded in {time.monotonic() - t0:.1f} s; the roster: {len(rows)} rows, "
            f"{size / 1024:.0f} KiB of GB18030")

        measuring = threading.Event()
        pingers = [Pinger(port, measuring) for _ in range(args.pingers)]
        for p in pingers:
            p.start()
        time.sleep(1)

        # 1. Upload and validation.
        rss = RssSampler(daemon.pid)
        rss.start()
        measuring.set()
        t0 = time.perf_counter()
        with open(roster, "rb") as f:
            r = subprocess.run(["ssh", *SSH_OPTS, "-i", key, "-p", str(port),
                                f"{ADMIN}@127.0.0.1", f"roster {draft}"], stdin=f,
                               capture_output=True, timeout=3600)
        validate_s = time.perf_counter() - t0
        out = r.stdout.decode("utf-8", "replace")
        if r.returncode != 0:
            sys.exit(f"roster {draft}: status {r.returncode}: {out[:500]} "
                     f"{r.stderr.decode('utf-8', 'replace')[:500]}")
        stored = psql(args, None, "-c", f"SELECT count(*) FILTER (WHERE problem IS NULL), "
                      f"count(*) FILTER (WHERE account_id IS NOT NULL) FROM base_roster "
                      f"WHERE class_id = {draft}")
        if stored != f"{len(rows)}|{len(rows)}":
            failures.append(f"the roster stored (good|claimed) {stored}, not {len(rows)}")
        say(f"1. validation: {len(rows)} rows in {validate_s:.2f} s: "
            f"{len(rows) / validate_s:.0f} rows/s ({out.splitlines()[0] if out else ''})")

        # 2. Reporting.
        version = psql(args, None, "-c", f"SELECT version FROM base_classes WHERE id = {draft}")
        t0 = time.perf_counter()
        reply, = rpc(port, key, {"method": "class.report",
                                 "params": {"id": draft, "version": int(version)}})
        report_s = time.perf_counter() - t0
        measuring.clear()
        rss_figures = rss.figures()
        if reply is None or "error" in reply or reply["result"]["records"] != len(rows):
            sys.exit(f"class.report: {reply}\n{open(log).read()[-3000:]}")
        say(f"2. reporting: {len(rows)} records in {report_s:.2f} s: "
            f"{len(rows) / report_s:.0f} rows/s")
        daemon_rate = len(rows) / (validate_s + report_s)
        say(f"   1 and 2 together: {daemon_rate:.0f} rows/s; jxjyd RSS start/peak/end "
            "%.1f/%.1f/%.1f MiB" % rss_figures)
        if rss_figures[1] - rss_figures[0] > TARGET_RSS_GROWTH:
            failures.append(f"jxjyd's RSS grew by {rss_figures[1] - rss_figures[0]:.1f} MiB")

        pings = [t for p in pingers for t in p.times]
        for p in pingers:
            if p.failed:
                failures.append(f"a pinging session failed: {p.failed}")
        p50, p99 = (percentile(pings, 50), percentile(pings, 99)) if pings else (0, 0)
        say(f"   other sessions' system.ping meanwhile: {len(pings)} calls, p50 {p50:.2f} ms,"
            f" p99 {p99:.2f} ms")
        if not pings or p99 > TARGET_PING_P99:
            failures.append(f"system.ping p99 {p99:.2f} ms over {TARGET_PING_P99} ms")

        # 3. The reference.
        ref_s = reference(args, rows, ref_class)
        made = psql(args, None, "-c", f"SELECT count(*) FROM declarations "
                    f"WHERE class_id = {ref_class}")
        if made != str(len(rows)):
            failures.append(f"the reference made {made} records, not {len(rows)}")
        pg_rate = len(rows) / ref_s
        say(f"3. reference: plain PostgreSQL, COPY and one INSERT ... SELECT per table: "
            f"{len(rows)} rows in {ref_s:.2f} s: {pg_rate:.0f} rows/s")
        ratio = daemon_rate / pg_rate
        say(f"   jxjyd (1 and 2) / plain PostgreSQL: {ratio:.2f} (target >= {TARGET_RATIO})")
        if ratio < TARGET_RATIO:
            failures.append(f"jxjyd reached {ratio:.2f} of plain PostgreSQL's rows/s")
    finally:
        for p in pingers:
            p.end()
        daemon.terminate()
        daemon.wait(30)

    report = f"""Measured {time.strftime('%Y-%m-%d', time.gmtime())} on {os.cpu_count()} \
cores ({platform.machine()}), jxjyd release build, pool_size 8, log level info; a roster \
of {len(rows)} registered people ({size / 1024:.0f} KiB of GB18030, every tenth row with \
hours of its own) among {len(rows) + 20000} accounts; {args.pingers} other sessions \
calling system.ping every 20 ms throughout 1 and 2.

| figure | value |
|---|---|
| 1. validation: `ssh ID@host roster CLASS < roster.csv` | {validate_s:.2f} s, \
{len(rows) / validate_s:.0f} rows/s |
| 2. reporting: `class.report` | {report_s:.2f} s, {len(rows) / report_s:.0f} rows/s |
| 1 and 2 together | {daemon_rate:.0f} rows/s |
| 3. plain PostgreSQL: COPY to a staging table, one INSERT ... SELECT per table | \
{ref_s:.2f} s, {pg_rate:.0f} rows/s |
| jxjyd / plain PostgreSQL (target ≥ {TARGET_RATIO}) | {ratio:.2f} |
| jxjyd RSS during 1 and 2: start / peak / end (target: growth ≤ \
{TARGET_RSS_GROWTH:.0f} MiB) | {rss_figures[0]:.1f} / {rss_figures[1]:.1f} / \
{rss_figures[2]:.1f} MiB |
| other sessions' system.ping during 1 and 2: p50 / p99 (target p99 ≤ 20 ms) | \
{p50:.2f} / {p99:.2f} ms |
"""
    for f in failures:
        report += f"\nFAILED: {f}"
    finish(report.split("\n"), args.out, not failures)


if __name__ == "__main__":
    main()
