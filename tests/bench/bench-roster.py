#!/usr/bin/python3
"""bench-roster.py - the measuring half of tests/bench/bench-roster.

Starts jxjyd on the PostgreSQL named by PGHOST/PGPORT/PGUSER (database jxjy) with the
shipped learning forms, a training base (RSTB) and its administrator (base_admins, an
Ed25519 key made here), seeds --rows registered staff (bench-roster-seed.sql), and writes
a roster file of --rows rows in GB18030, as Chinese Excel saves it: 身份证号,姓名,学时, of
which --unregistered percent are valid ID numbers of nobody registered (kept unclaimed)
and every tenth row has hours of its own.  Then, --rounds times, each from the same state
(bench-roster-reset.sql: no class but a new draft, the totals as the seed made them):

  jxjyd, as a base does it over SSH: `ssh -i KEY ADMIN@host roster CLASS < roster.csv`
     (read, decoded, checked and stored; exit 0 only when no row is bad), then
     class.report through `ssh -i KEY ADMIN@host -s jxjy-rpc` (the records, their audit
     rows and totals); each timed as the whole ssh command, connection included;
  the reference: `psql -f bench-roster-reference.sql < roster.csv`: the same file COPY'd
     into a staging table (PostgreSQL decoding GB18030) and one INSERT ... SELECT per
     table, in one transaction;

and, before each, jxjyd with a --small-row roster (memory only).  jxjyd's RSS is sampled
every 50 ms during its runs; --pingers other sessions call system.ping every 20 ms, their
round trips taken while jxjyd processes the full roster.  Both sides' results are
compared (roster rows, claimed, records, audit rows, totals).  Targets: rows/s jxjyd /
reference >= 0.5 (medians of the rounds), memory flat (the full roster's RSS growth over
the baseline less than 5 times the small one's, each counted at least 1 MiB), ping p99
<= 20 ms.  --statement-timeout MS sets database.statement_timeout (default: the
daemon's, 5,000 ms), to see how long a report takes that the default would cancel.
Writes a Markdown report (--out) and prints it; exits 1 when a target is
missed or a step fails.
"""

import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time

import benchlib
from benchlib import SSH_OPTS, arguments, jxjyd_run, jxjyd_serve, percentile, write_config

# The other sessions and the RSS sampler are bench-certificates.py's (they would belong
# in benchlib.py, which is not this benchmark's to change).
_spec = importlib.util.spec_from_file_location(
    "bench_certificates", os.path.join(os.path.dirname(__file__), "bench-certificates.py"))
_cert = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cert)
Pinger, RssSampler, psql, shipped = _cert.Pinger, _cert.RssSampler, _cert.psql, _cert.shipped

TARGET_RATIO = 0.5
TARGET_PING_P99 = 20.0      # ms
FLAT_FACTOR = 5             # the full roster's RSS growth < 5 × the small one's
FLAT_FLOOR = 1024           # KiB: growths below are counted as this (allocator noise)
RSS_EVERY = 0.050           # s
FORM = "training"           # the class's learning form, shipped in etc/jxjyd.conf
HASH = ("$argon2id$v=19$m=19456,t=2,p=1$VQF/+IOqUjLdy0eXd1RXEw$"
        "HABqZBNo6Sa0Ph83FxgbQ2QOf8BTNzcPLsdBWNsg2v8")
WARM_ROWS = 100


def say(*a):
    print(*a, flush=True)


def idnum(first17):
    """The GB 11643 ID number of 17 digits plus its check character."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights)) % 11]


ADMIN = idnum("41010519780506002")      # no seeded person is born in 1978 with seq 002


class RssRun(RssSampler):
    """RssSampler at RSS_EVERY, figures in KiB."""

    def run(self):
        while not self.stop:
            self.samples.append(self.rss())
            time.sleep(RSS_EVERY)

    def figures(self):
        return tuple(round(x * 1024) for x in super().figures())


def write_roster(path, people, n, unregistered):
    """path: a roster of n rows in GB18030 with CRLF line ends, a heading row first;
    every round(100 / unregistered)-th row an ID number nobody has.  Returns (registered
    rows, the sum of the rows' hours at 8 for the class's)."""
    every = max(1, round(100 / unregistered)) if unregistered > 0 else 0
    lines, registered, hours, k = ["身份证号,姓名,学时"], 0, 0.0, 0
    for i in range(n):
        own = "12" if i % 10 == 3 else ""
        if every and i % every == every - 1:
            # Born 1960-01-01 + i days, region 410106: nobody seeded is.
            birth = time.strftime("%Y%m%d", time.gmtime(-315619200 + (i % 3000) * 86400))
            lines.append(f"{idnum(f'410106{birth}{400 + i // 3000:03d}')},未注册{i},{own}")
            continue
        idn, name = people[k]
        k += 1
        registered += 1
        hours += float(own or 8)
        lines.append(f"{idn},{name},{own}")
    with open(path, "wb") as f:
        f.write(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    return registered, hours


def n_rows(roster):
    """The rows of a roster file written by write_roster (its heading row not counted)."""
    with open(roster, "rb") as f:
        return f.read().count(b"\n") - 1


def ssh_base(port, key, command):
    return ["ssh", *SSH_OPTS, "-i", key, "-p", str(port), f"{ADMIN}@127.0.0.1", *command]


class Bench:
    def __init__(self, args):
        self.args = args
        self.year = int(subprocess.run(["date", "+%Y"], capture_output=True, text=True,
                                       env=dict(os.environ, TZ="Asia/Shanghai")).stdout)
        self.failures = []

    def reset(self):
        """The round's starting state (bench-roster-reset.sql); returns the new class id."""
        out = psql(self.args, None, "-v", f"year={self.year}", "-v", f"admin={ADMIN}",
                   "-v", f"form={FORM}", "-f", self.args.reset)
        return int(out.split()[-1])

    def result(self, cls):
        """What a round left: (rows, claimed, linked rows, records, their audit rows,
        the totals' pending hours, the class's state)."""
        return tuple(psql(self.args, None, "-F", "|", "-c", f"""
            SELECT (SELECT count(*) FROM base_roster WHERE class_id = {cls}),
                   (SELECT count(account_id) FROM base_roster WHERE class_id = {cls}),
                   (SELECT count(declaration_id) FROM base_roster WHERE class_id = {cls}),
                   (SELECT count(*) FROM declarations WHERE class_id = {cls}),
                   (SELECT count(*) FROM declaration_audit a JOIN declarations d
                     ON d.id = a.declaration_id WHERE d.class_id = {cls}),
                   (SELECT trim_scale(sum(pending_hours)) FROM declaration_totals),
                   (SELECT state FROM base_classes WHERE id = {cls})""").split("|"))

    def expected(self, n, registered, hours):
        return (str(n), str(registered), str(registered), str(registered), str(registered),
                f"{hours:g}", "reported")

    def check(self, what, got, want):
        if got != want:
            self.failures.append(f"{what}: left (rows, claimed, linked, records, audit, "
                                 f"pending hours, state) = {got}, expected {want}")

    def daemon(self, roster, measuring=None):
        """One jxjyd run on roster; returns (upload s, report s, RSS figures, class)."""
        cls = self.reset()
        rss = RssRun(self.daemon_pid)
        rss.start()
        if measuring is not None:
            measuring.set()
        t0 = time.perf_counter()
        with open(roster, "rb") as f:
            up = subprocess.run(ssh_base(self.port, self.key, [f"roster {cls}"]), stdin=f,
                                capture_output=True, timeout=600)
        t1 = time.perf_counter()
        logged = os.path.getsize(self.log)
        request = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "class.report",
                              "params": {"id": cls, "version": 1}}) + "\n"
        rep = subprocess.run(ssh_base(self.port, self.key, ["-s", "jxjy-rpc"]),
                             input=request.encode(), capture_output=True, timeout=600)
        t2 = time.perf_counter()
        if measuring is not None:
            measuring.clear()
        figures = rss.figures()
        text = up.stdout.decode("utf-8", "replace")
        if up.returncode != 0 or "GB18030" not in text:
            sys.exit(f"roster {cls}: status {up.returncode}: {text[:500]}"
                     f"{up.stderr[:300]!r}")
        reply = json.loads(rep.stdout.decode().splitlines()[-1]) if rep.stdout else {}
        failed = None
        if "result" not in reply:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                f.seek(logged)
                errors = [line.split(": ", 2)[-1].strip() for line in f
                          if " error: " in line]
            failed = (f"class.report of {n_rows(roster)} rows failed after {t2 - t1:.1f} s: "
                      f"{reply.get('error', {}).get('data', rep.stdout[:300])}; jxjyd "
                      f"logged: {' / '.join(errors) or 'nothing'}")
            self.failures.append(failed)
            say(failed)
        return t1 - t0, t2 - t1, figures, cls, text.splitlines()[0], failed

    def reference(self, roster):
        """One reference run on roster; returns (seconds, per-statement ms, class)."""
        cls = self.reset()
        t0 = time.perf_counter()
        with open(roster, "rb") as f:
            r = subprocess.run([self.args.psql, "-X", "-q", "-d", "jxjy", "-v",
                                f"class={cls}", "-v", f"actor={self.admin_id}", "-v",
                                "state=pending", "-f", self.args.reference],
                               stdin=f, capture_output=True, text=True, timeout=600)
        seconds = time.perf_counter() - t0
        if r.returncode != 0:
            sys.exit(f"the reference failed: {r.stderr}")
        ms = [float(line.split()[1]) for line in r.stdout.splitlines()
              if line.startswith("Time: ")]
        return seconds, ms, cls

    def run(self):
        args = self.args
        keyfile = os.path.join(args.workdir, "base_key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench",
                        "-f", keyfile], check=True)
        pub = open(keyfile + ".pub").read().strip()
        self.key = keyfile
        settings = (shipped(args.forms) +
                    'sessions: { max = 1000; max_per_source = 1000; idle_timeout = 3600; };\n'
                    'security: { captcha = "off"; };\n'
                    f'bases: {{ roster_max_rows = {max(20000, args.rows)}; '
                    'roster_max_bytes = 67108864; };\n'
                    'base_reports: { review = "unit"; };\n'
                    f'base_admins = ( {{ id_number = "{ADMIN}"; name = "名单压测管理员"; '
                    f'base = "RSTB"; keys = [ "{pub}" ]; }} );\n')
        conf, self.port = write_config(args.workdir, args.schema, settings)
        if args.statement_timeout >= 0:
            with open(conf, encoding="utf-8") as f:
                text = f.read()
            with open(conf, "w", encoding="utf-8") as f:
                f.write(text.replace("pool_size = 8;", "pool_size = 8; statement_timeout = "
                                     f"{args.statement_timeout};", 1))
        jxjyd_run(args.jxjyd, conf, "migrate")
        psql(args, None, "-c", "INSERT INTO bases (code, name, region, forms) VALUES "
             f"('RSTB', '名单压测培训基地', '410100', '{{{FORM}}}')")
        daemon, self.log = jxjyd_serve(args.jxjyd, conf, args.workdir)
        self.daemon_pid = daemon.pid
        pingers = []
        try:
            deadline = time.monotonic() + 30
            while psql(args, None, "-c", "SELECT count(*) FROM learning_forms WHERE active"
                       " AND code = '" + FORM + "'") == "0" or \
                    psql(args, None, "-c", "SELECT count(*) FROM accounts WHERE role ="
                         f" 'base_admin' AND id_number = '{ADMIN}'") == "0":
                if time.monotonic() > deadline:
                    sys.exit("jxjyd did not sync the learning forms or the base_admins")
                time.sleep(0.1)
            self.admin_id = int(psql(args, None, "-c", "SELECT id FROM accounts WHERE"
                                     f" id_number = '{ADMIN}'"))
            say(f"seeding {args.rows} staff and 20,000 other people...")
            t0 = time.monotonic()
            psql(args, None, "-v", f"staff={args.rows}", "-v", f"year={self.year}",
                 "-v", f"hash={HASH}", "-v", f"form={FORM}", "-f", args.seed)
            psql(args, None, "-c", "VACUUM ANALYZE")
            people = [tuple(line.split("|")) for line in psql(
                args, None, "-c", "SELECT id_number, name FROM accounts"
                " WHERE unit_code LIKE 'RST__' ORDER BY id").splitlines()]
            rosters = {}
            for n in (WARM_ROWS, args.small, args.rows):
                path = os.path.join(args.workdir, f"roster-{n}.csv")
                rosters[n] = (path, *write_roster(path, people, n, args.unregistered))
            self.registered = rosters[args.rows][1]
            say(f"seeded in {time.monotonic() - t0:.1f} s; roster of {args.rows} rows "
                f"({rosters[args.rows][1]} registered), "
                f"{os.path.getsize(rosters[args.rows][0]) / 1024:.0f} KiB in GB18030")

            measuring = threading.Event()
            pingers = [Pinger(self.port, measuring) for _ in range(args.pingers)]
            for p in pingers:
                p.start()
            # Untimed: each side once on a small roster (prepared statements, caches).
            self.daemon(rosters[WARM_ROWS][0])
            self.reference(rosters[WARM_ROWS][0])
            time.sleep(1)
            baseline = benchlib.proc_kib(daemon.pid, "VmRSS")
            say(f"jxjyd RSS after the warm-up: {baseline / 1024:.1f} MiB")

            rounds = []
            for i in range(1, args.rounds + 1):
                small = self.daemon(rosters[args.small][0])
                if not small[5]:
                    self.check(f"round {i}, jxjyd, {args.small} rows", self.result(small[3]),
                               self.expected(args.small, *rosters[args.small][1:]))
                full = self.daemon(rosters[args.rows][0], measuring)
                want = self.expected(args.rows, *rosters[args.rows][1:])
                if not full[5]:
                    self.check(f"round {i}, jxjyd", self.result(full[3]), want)
                ref = self.reference(rosters[args.rows][0])
                self.check(f"round {i}, reference", self.result(ref[2]), want)
                rounds.append((small, full, ref))
                up, rep = full[0], full[1]
                say(f"round {i}: jxjyd {args.rows / (up + rep):.0f} rows/s"
                    f"{' (REPORT FAILED)' if full[5] else ''} (upload "
                    f"{up:.2f} s = {args.rows / up:.0f} rows/s, report {rep:.2f} s = "
                    f"{args.rows / rep:.0f} rows/s; {full[4]}); reference "
                    f"{args.rows / ref[0]:.0f} rows/s ({ref[0]:.2f} s; statements "
                    + ", ".join(f"{m:.0f}" for m in ref[1]) + " ms); RSS "
                    f"{args.small} rows {'/'.join(f'{k / 1024:.1f}' for k in small[2])},"
                    f" {args.rows} rows {'/'.join(f'{k / 1024:.1f}' for k in full[2])} "
                    "MiB (start/peak/end)")
        finally:
            for p in pingers:
                p.end()
            daemon.terminate()
            daemon.wait(30)
        return self.report(baseline, rounds, pingers)

    def report(self, baseline, rounds, pingers):
        args, n = self.args, self.args.rows
        together = [n / (f[0] + f[1]) for _, f, _ in rounds]
        upload = [n / f[0] for _, f, _ in rounds]
        report = [n / f[1] for _, f, _ in rounds]
        reference = [n / r[0] for _, _, r in rounds]
        reported = not any(f[5] for _, f, _ in rounds)
        ratio = statistics.median(together) / statistics.median(reference)
        if reported and ratio < TARGET_RATIO:
            self.failures.append(f"rows/s jxjyd / reference {ratio:.2f} < {TARGET_RATIO}")
        grow_small = rounds[0][0][2][1] - baseline
        grow_full = rounds[0][1][2][1] - baseline
        flat = max(grow_full, FLAT_FLOOR) < FLAT_FACTOR * max(grow_small, FLAT_FLOOR)
        if not flat:
            self.failures.append(f"memory not flat: the peak grew {grow_full} KiB for "
                                 f"{n} rows, {grow_small} KiB for {args.small}")
        pings = [t for p in pingers for t in p.times]
        for p in pingers:
            if p.failed:
                self.failures.append(f"a pinging session failed: {p.failed}")
        p50, p99 = (percentile(pings, 50), percentile(pings, 99)) if pings else (0, 0)
        if not pings or p99 > TARGET_PING_P99:
            self.failures.append(f"system.ping p99 {p99:.2f} ms over {TARGET_PING_P99} ms")

        def fig(values, failed=False):
            return (f"**{statistics.median(values):.0f}** ("
                    + ", ".join(f"{v:.0f}" for v in values) + ") rows/s"
                    + (", the report **failed** (below)" if failed else ""))

        def rss(figures):
            return " / ".join(f"{k / 1024:.1f}" for k in figures)

        statements = [statistics.median(ms) for ms in zip(*(r[1] for _, _, r in rounds))]
        names = ("begin", "staging table", "copy", "class", "records", "roster",
                 "audit", "totals", "class audit", "commit")
        if len(statements) == len(names):
            statements = [f"{w} {m:.0f}" for w, m in zip(names, statements)]
        else:
            statements = [f"{m:.0f}" for m in statements]
        timeout = (f"database.statement_timeout {args.statement_timeout} ms"
                   if args.statement_timeout >= 0 else
                   "database.statement_timeout at its default (5000 ms)")
        load = os.getloadavg()
        text = f"""Measured {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC on \
{os.cpu_count()} cores ({platform.machine()}, load average {load[0]:.2f} at the end), jxjyd \
release build, pool_size 8, {timeout}, log level info, base_reports.review "unit"; a roster of {n} \
rows in GB18030 ({self.registered} registered people, {n - self.registered} ID numbers \
of nobody registered), {args.pingers} other sessions calling system.ping every 20 ms. \
{args.rounds} rounds, each side from the same state; medians in bold, then each round.

| figure | value |
|---|---|
| jxjyd: roster uploaded and checked, then reported (together) | \
{fig(together, not reported)} |
| — `ssh ADMIN@host roster CLASS < roster.csv` alone | {fig(upload)} |
| — class.report over `ssh ADMIN@host -s jxjy-rpc` alone | {fig(report, not reported)} |
| reference: psql, `\\copy` (PostgreSQL decoding GB18030) and one INSERT … SELECT a \
table, one transaction | {fig(reference)} |
| reference, per statement (ms, medians) | {", ".join(statements)} |
| ratio jxjyd / reference, medians (target ≥ {TARGET_RATIO}) | **{ratio:.2f}**\
{"" if reported else " (not met: the report failed)"} |
| jxjyd RSS, {args.small} rows, start / peak / end (MiB), each round | \
{"; ".join(rss(s[2]) for s, _, _ in rounds)} |
| jxjyd RSS, {n} rows, start / peak / end (MiB), each round | \
{"; ".join(rss(f[2]) for _, f, _ in rounds)} |
| jxjyd peak over its RSS after the warm-up ({baseline / 1024:.1f} MiB), round 1: \
{args.small} rows / {n} rows (target: flat) | {grow_small / 1024:.1f} / \
{grow_full / 1024:.1f} MiB |
| other sessions' system.ping while jxjyd processed the roster: p50 / p99, \
{len(pings)} calls (target p99 ≤ {TARGET_PING_P99:.0f} ms) | {p50:.2f} / **{p99:.2f}** ms |
"""
        text += "".join(f"\nMissed: {f}\n" for f in self.failures)
        say()
        say(text)
        if args.out:
            with open(args.out, "w", encoding="utf-8") as f:
                f.write(text)
        return 1 if self.failures else 0


def main():
    args = arguments("seed", "reset", "reference", "psql", "forms", rows=10000, small=1000,
                     unregistered=5, rounds=3, pingers=4, statement_timeout=-1)
    args.small = min(args.small, args.rows)
    sys.exit(Bench(args).run())


if __name__ == "__main__":
    main()
