#!/usr/bin/python3
"""bench-certificates.py - the measuring half of tests/bench/bench-certificates.

Starts jxjyd on the PostgreSQL named by PGHOST/PGPORT/PGUSER (database jxjy) with the
shipped learning forms and requirements, seeds a unit of --staff people (and an SSH key
each, made here), and measures while --pingers other sessions call system.ping every
20 ms:

  1. certificates/s: `ssh ID@host certificate YEAR` for every person, --parallel at a time,
     each PDF read whole by this script (and checked to be one);
  2. pages/s of the unit at once: `ssh ADMIN@host certificates YEAR-1 > unit.pdf` (a year
     not issued in 1, so every certificate is new), its pages counted with pdfinfo and its
     payloads (one a person) with render-certificate --payload;
  3. the reference: one person's certificate of 1 (its very facts and payload, read back
     from the PDF) rendered --staff times into one PDF by tests/unit/render-certificate
     alone: what drawing the pages costs without the database, the signature and SSH.

jxjyd's RSS is sampled every 100 ms during 1 and 2 (start, peak, end; after an untimed
first certificate per parallel client has loaded the fonts); the pings' p50 and
p99 are taken over 1 and 2 (target p99 <= 20 ms).  Writes a Markdown report (--out) and
prints it.  Exits 1 when the target is missed or a step fails.
"""

import base64
import concurrent.futures
import hashlib
import json
import os
import platform
import re
import select
import subprocess
import sys
import threading
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from benchlib import SSH_OPTS, arguments, jxjyd_run, jxjyd_serve, percentile, write_config

TARGET_PING_P99 = 20.0      # ms
PING_EVERY = 0.020          # s
RSS_EVERY = 0.100           # s
HASH = ("$argon2id$v=19$m=19456,t=2,p=1$VQF/+IOqUjLdy0eXd1RXEw$"
        "HABqZBNo6Sa0Ph83FxgbQ2QOf8BTNzcPLsdBWNsg2v8")
ADMIN = "410105198001010993"    # no seeded person has sequence 099


def say(*a):
    print(*a, flush=True)


def shipped(forms_conf):
    """The learning_forms and requirements blocks of etc/jxjyd.conf, as text."""
    text, keep = [], False
    for line in open(forms_conf, encoding="utf-8"):
        if re.match(r"^(learning_forms|requirements) = \(", line):
            keep = True
        if keep:
            text.append(line)
        if keep and line.startswith(");"):
            keep = False
    return "".join(text)


def psql(args, sql=None, *extra):
    r = subprocess.run([args.psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                        "-d", "jxjy", *extra], input=sql, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"psql failed: {r.stderr}")
    return r.stdout.strip()


def make_keys(args, people):
    """An Ed25519 key for each (account id, ID number): the private key in a file for ssh
    -i, the public key in account_keys as keys.add would store it."""
    keydir = os.path.join(args.workdir, "keys")
    os.makedirs(keydir, mode=0o700)
    rows, files = [], {}
    for aid, idn in people:
        key = Ed25519PrivateKey.generate()
        path = os.path.join(keydir, idn)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.OpenSSH,
                                       serialization.NoEncryption()))
        os.close(fd)
        raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
        blob = (len(b"ssh-ed25519").to_bytes(4, "big") + b"ssh-ed25519" +
                len(raw).to_bytes(4, "big") + raw)
        fp = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
        rows.append(f"{aid}\tssh-ed25519\t{base64.b64encode(blob).decode()}\t{fp}\tbench")
        files[idn] = path
    psql(args, "\n".join(rows) + "\n", "-c",
         "COPY account_keys (account_id, key_type, key_base64, fingerprint, comment)"
         " FROM STDIN")
    return files


def ssh(port, idn, key, command):
    """The load: OpenSSH's client at nice 10.  It stands for people's computers elsewhere;
    here it shares the 2 cores with jxjyd and the pinging sessions, whose latency is the
    figure, so it runs below them."""
    return ["nice", "-n", "10", "ssh", *SSH_OPTS, "-i", key, "-p", str(port),
            f"{idn}@127.0.0.1", command]


class Pinger(threading.Thread):
    """One other session: `ssh -s jxjy-rpc` as a guest, system.ping every PING_EVERY s;
    the round trips taken while measuring is set."""

    def __init__(self, port, measuring):
        super().__init__(daemon=True)
        self.proc = subprocess.Popen(["ssh", *SSH_OPTS, "-p", str(port), "127.0.0.1", "-s",
                                      "jxjy-rpc"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.measuring, self.times, self.failed, self.stop = measuring, [], None, False

    def call(self, i):
        t0 = time.perf_counter()
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": i,
                                          "method": "system.ping"}).encode() + b"\n")
        self.proc.stdin.flush()
        while True:
            r, _, _ = select.select([self.proc.stdout], [], [], 10)
            if not r:
                raise RuntimeError("no reply to system.ping in 10 s")
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the session ended")
            reply = json.loads(line)
            if reply.get("id") == i:    # not a notification
                if "error" in reply:
                    raise RuntimeError(f"system.ping: {reply['error']}")
                return (time.perf_counter() - t0) * 1000

    def run(self):
        i = 0
        try:
            while not self.stop:
                i += 1
                ms = self.call(i)
                if self.measuring.is_set():
                    self.times.append(ms)
                time.sleep(PING_EVERY)
        except Exception as e:      # noqa: BLE001 - reported at the end
            self.failed = str(e)

    def end(self):
        self.stop = True
        self.join(15)
        self.proc.terminate()


class RssSampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.samples, self.stop = pid, [], False

    def rss(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def run(self):
        while not self.stop:
            self.samples.append(self.rss())
            time.sleep(RSS_EVERY)

    def figures(self):
        """(start, peak, end) in MiB."""
        self.stop = True
        self.join(5)
        self.samples.append(self.rss())
        s = self.samples
        return s[0] / 1024, max(s) / 1024, s[-1] / 1024


def pages_of(pdf):
    out = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def payloads_of(args, pdf):
    out = subprocess.run([args.render, "--payload", pdf], capture_output=True, text=True,
                         check=True).stdout
    return [line for line in out.splitlines() if line]


def main():
    args = arguments("render", "seed", "psql", "forms", staff=1000, parallel=2, pingers=4)
    year = int(subprocess.run(["date", "+%Y"], env=dict(os.environ, TZ="Asia/Shanghai"),
                              capture_output=True, text=True).stdout)
    failures = []
    settings = (shipped(args.forms) +
                'sessions: { max = 10000; max_per_source = 10000; idle_timeout = 3600; };\n'
                'security: { captcha = "off"; };\n'
                f'certificates: {{ signing_key = "{args.workdir}/certificate_key";'
                ' verify_host = "jxjy.example.cn"; };\n')
    conf, port = write_config(args.workdir, args.schema, settings)
    jxjyd_run(args.jxjyd, conf, "migrate")
    daemon, log = jxjyd_serve(args.jxjyd, conf, args.workdir)
    pingers = []
    try:
        deadline = time.monotonic() + 30
        while psql(args, None, "-c", "SELECT count(*) FROM learning_forms WHERE active") \
                == "0":
            if time.monotonic() > deadline:
                sys.exit("jxjyd did not sync the learning forms")
            time.sleep(0.1)
        say(f"seeding {args.staff} staff with 20 approved records each...")
        t0 = time.monotonic()
        psql(args, None, "-v", f"staff={args.staff}", "-v", f"year={year}", "-v",
             f"hash={HASH}", "-v", f"admin={ADMIN}", "-f", args.seed)
        psql(args, None, "-c", "VACUUM ANALYZE")
        people = [tuple(line.split("|")) for line in psql(
            args, None, "-c", "SELECT id, id_number FROM accounts WHERE unit_code = 'CERT'"
            " ORDER BY role DESC, id").splitlines()]
        keys = make_keys(args, people)
        staff = [idn for _, idn in people if idn != ADMIN]
        say(f"seeded in {time.monotonic() - t0:.1f} s: {len(staff)} staff and their keys")

        measuring = threading.Event()
        pingers = [Pinger(port, measuring) for _ in range(args.pingers)]
        for p in pingers:
            p.start()
        time.sleep(1)

        # 1. One PDF per person.
        def one(idn):
            r = subprocess.run(ssh(port, idn, keys[idn], f"certificate {year}"),
                               capture_output=True, timeout=120)
            if r.returncode != 0 or not r.stdout.startswith(b"%PDF-"):
                raise RuntimeError(f"certificate of {idn}: status {r.returncode}: "
                                   f"{r.stdout[:200]!r} {r.stderr[:200]!r}")
            return len(r.stdout), r.stdout if idn == staff[0] else None

        # Untimed: the first PDF loads the fonts and their caches (tens of MiB, once).
        for _ in range(args.parallel):
            one(staff[0])
        rss = RssSampler(daemon.pid)
        rss.start()
        measuring.set()
        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.parallel) as pool:
            results = list(pool.map(one, staff))
        single_s = time.perf_counter() - t0
        single_rss = rss.figures()
        single_bytes = sum(n for n, _ in results)
        first_pdf = os.path.join(args.workdir, "first.pdf")
        with open(first_pdf, "wb") as f:
            f.write(results[0][1])
        single_pages = pages_of(first_pdf)
        say(f"1. {len(staff)} certificates one by one ({args.parallel} at a time) in "
            f"{single_s:.1f} s: {len(staff) / single_s:.1f} certificates/s, "
            f"{single_bytes / len(staff) / 1024:.0f} KiB and {single_pages} page(s) each; "
            "RSS start/peak/end %.1f/%.1f/%.1f MiB" % single_rss)

        # 2. The unit at once.
        unit_pdf = os.path.join(args.workdir, "unit.pdf")
        rss = RssSampler(daemon.pid)
        rss.start()
        t0 = time.perf_counter()
        with open(unit_pdf, "wb") as out:
            r = subprocess.run(ssh(port, ADMIN, keys[ADMIN], f"certificates {year - 1}"),
                               stdout=out, stderr=subprocess.PIPE, timeout=3600)
        unit_s = time.perf_counter() - t0
        unit_rss = rss.figures()
        measuring.clear()
        if r.returncode != 0:
            sys.exit(f"certificates {year - 1}: status {r.returncode}: "
                     f"{open(unit_pdf, 'rb').read(300)!r} {r.stderr[:300]!r}")
        unit_pages = pages_of(unit_pdf)
        unit_people = len(payloads_of(args, unit_pdf))
        if unit_people != len(staff):
            failures.append(f"the unit's PDF holds {unit_people} people, not {len(staff)}")
        unit_bytes = os.path.getsize(unit_pdf)
        say(f"2. the unit at once: {unit_people} people, {unit_pages} pages, "
            f"{unit_bytes / 1048576:.1f} MiB in {unit_s:.1f} s: {unit_pages / unit_s:.1f} "
            f"pages/s, {unit_people / unit_s:.1f} people/s; "
            "RSS start/peak/end %.1f/%.1f/%.1f MiB" % unit_rss)

        pings = [t for p in pingers for t in p.times]
        for p in pingers:
            if p.failed:
                failures.append(f"a pinging session failed: {p.failed}")
        p50, p99 = (percentile(pings, 50), percentile(pings, 99)) if pings else (0, 0)
        say(f"   other sessions' system.ping meanwhile: {len(pings)} calls, p50 {p50:.2f} ms,"
            f" p99 {p99:.2f} ms")
        if not pings or p99 > TARGET_PING_P99:
            failures.append(f"system.ping p99 {p99:.2f} ms over {TARGET_PING_P99} ms")

        # 3. The reference: the same certificate drawn alone.
        payload = payloads_of(args, first_pdf)[0]
        facts_path = os.path.join(args.workdir, "facts.json")
        with open(facts_path, "w", encoding="utf-8") as f:
            f.write(payload.rsplit(".", 2)[0])
        ref_pdf = os.path.join(args.workdir, "reference.pdf")
        t0 = time.perf_counter()
        subprocess.run([args.render, "--times", str(len(staff)), facts_path, ref_pdf, payload],
                       check=True, capture_output=True)
        ref_s = time.perf_counter() - t0
        ref_pages = pages_of(ref_pdf)
        say(f"3. reference: render-certificate alone, the first person's certificate "
            f"{len(staff)} times into one PDF: {ref_pages} pages in {ref_s:.1f} s: "
            f"{ref_pages / ref_s:.1f} pages/s")
    finally:
        for p in pingers:
            p.end()
        daemon.terminate()
        daemon.wait(30)

    cores = os.cpu_count()
    report = f"""Measured {time.strftime('%Y-%m-%d', time.gmtime())} on {cores} cores \
({platform.machine()}), jxjyd release build, pool_size 8, log level info; one unit of \
{len(staff)} active staff, 10 approved records each in {year} and {year - 1}; \
{args.pingers} other sessions calling system.ping every 20 ms throughout 1 and 2.

| figure | value |
|---|---|
| 1. one PDF per person (`ssh ID@host certificate {year}`, {args.parallel} at a time) | \
{len(staff) / single_s:.1f} certificates/s ({single_pages} page, \
{single_bytes / len(staff) / 1024:.0f} KiB each) |
| jxjyd RSS during 1: start / peak / end | {single_rss[0]:.1f} / {single_rss[1]:.1f} / \
{single_rss[2]:.1f} MiB |
| 2. the unit at once (`ssh ADMIN@host certificates {year - 1}`) | {unit_pages / unit_s:.1f} \
pages/s, {unit_people / unit_s:.1f} people/s ({unit_pages} pages, \
{unit_bytes / 1048576:.1f} MiB) |
| jxjyd RSS during 2: start / peak / end | {unit_rss[0]:.1f} / {unit_rss[1]:.1f} / \
{unit_rss[2]:.1f} MiB |
| other sessions' system.ping during 1 and 2: p50 / p99 (target p99 ≤ 20 ms) | \
{p50:.2f} / {p99:.2f} ms |
| 3. reference: render-certificate alone, the same certificate {len(staff)} times | \
{ref_pages / ref_s:.1f} pages/s |
"""
    say()
    say(report)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(report)
    for f in failures:
        say(f"FAILED: {f}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
