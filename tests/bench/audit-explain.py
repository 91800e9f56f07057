#!/usr/bin/env python3
"""tests/bench/audit-explain.py - the plans of audit.search on a few hundred thousand rows.

    tests/bench/audit-explain.py [BUILD_DIR]

Starts a throwaway PostgreSQL (scripts/pg.sh), loads schema/*.sql and
tests/bench/audit-explain-seed.sql, takes the search statement from daemon/app/rpc-audit.c
as the compiler sees it (the preprocessor of compile_commands.json), and prints EXPLAIN
(ANALYZE, BUFFERS) of it for the filters an authority uses, each with a custom plan as
rpc-audit.c runs it (plan_cache_mode = force_custom_plan).
"""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]


def statement(build):
    """The text of audit_search_stmt after the preprocessor."""
    commands = json.loads((build / "compile_commands.json").read_text())
    entry = next(c for c in commands if c["file"].endswith("app/rpc-audit.c"))
    argv = shlex.split(entry["command"])
    argv = [a for a in argv if a not in ("-c", "-MD", "-MQ", "-MF")]
    out = argv.index("-o")
    del argv[out:out + 2]
    argv = [a for i, a in enumerate(argv) if i == 0 or argv[i - 1] not in ("-MQ", "-MF")]
    argv[-1] = str(TOP / "daemon/app/rpc-audit.c") if not os.path.isabs(argv[-1]) else argv[-1]
    text = subprocess.run(argv + ["-E"], cwd=entry["directory"], capture_output=True,
                          text=True, check=True).stdout
    body = text[text.index("audit_search_stmt = {"):]
    body = body[body.index(".sql"):body.index(".slot")]
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', body)).replace('\\"', '"')


def main():
    build = Path(sys.argv[1] if len(sys.argv) > 1 else TOP / "build-test").resolve()
    sql = statement(build)
    env = dict(os.environ)
    started = subprocess.run([str(TOP / "scripts/pg.sh"), "start", "test"], capture_output=True,
                             text=True, check=True).stdout
    settings = dict(line.split("=", 1) for line in started.split())
    env.update(settings)
    try:
        def psql(text, quiet=False):
            r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At"],
                               input=text, env=env, capture_output=True, text=True)
            if r.returncode != 0:
                raise SystemExit(r.stderr)
            return r.stdout

        for f in sorted((TOP / "schema").glob("*.sql")):
            psql(f"SET client_min_messages = warning;\n{f.read_text()}")
        psql((TOP / "tests/bench/audit-explain-seed.sql").read_text())
        print(psql("SELECT 'rows: account_audit ' || (SELECT count(*) FROM account_audit) ||"
                   " ', declaration_audit ' || (SELECT count(*) FROM declaration_audit) ||"
                   " ', profile_changes ' || (SELECT count(*) FROM profile_changes) ||"
                   " ', base_class_audit ' || (SELECT count(*) FROM base_class_audit) ||"
                   " ', base_audit ' || (SELECT count(*) FROM base_audit)"))
        unit = psql("SELECT code FROM units WHERE region = '410100' ORDER BY code LIMIT 1").strip()
        admin = psql(f"SELECT id FROM accounts WHERE role = 'unit_admin' AND unit_code = '{unit}'"
                     ).strip()
        who = psql("SELECT array_agg(id)::text FROM accounts WHERE name LIKE '王某12%'").strip()
        cursor = psql("SELECT at::text FROM declaration_audit ORDER BY at DESC OFFSET 5000 "
                      "LIMIT 1").strip()
        cases = [
            ("province, no filter", "410000", {}),
            ("one city, no filter", "410100", {}),
            ("one city, a week", "410100", {6: "2025-06-01", 7: "2025-06-07"}),
            ("one city, one unit", "410100", {3: unit}),
            ("one city, declarations rejected", "410100", {2: "declaration", 8: "reject"}),
            ("one city, who: a name prefix (王某12…)", "410100", {5: who}),
            ("one city, who: a unit administrator", "410100", {5: "{" + admin + "}"}),
            ("one city, a later page", "410100",
             {9: cursor, 10: "0", 11: "0", 12: "1", 13: "9223372036854775807",
              14: "9223372036854775807"}),
        ]
        for title, scope, given in cases:
            params = [scope] + [None] * 13 + ["51"]
            for n, v in given.items():
                params[n - 1] = v
            args = ", ".join("NULL" if v is None else "'" + v.replace("'", "''") + "'"
                             for v in params)
            # Once to warm the session's caches, as a pooled connection of jxjyd is.
            out = psql("SET plan_cache_mode = force_custom_plan;\n"
                       f"PREPARE s AS {sql};\n"
                       "\\o /dev/null\n"
                       f"EXECUTE s({args});\n"
                       "\\o\n"
                       f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE s({args});")
            print(f"==== {title}")
            print(out)
    finally:
        subprocess.run([str(TOP / "scripts/pg.sh"), "stop", settings["JXJY_PG_DIR"]], env=env)


if __name__ == "__main__":
    main()
