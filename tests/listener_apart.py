"""A daemon whose listening connection (LISTEN jxjy_sessions) can be kept out of the
database while its pool works on: what the tests of "what the listener missed" use
(test_failover.py, e2e/test_listener_e2e.py)."""

from conftest import Daemon
from helpers import wait_listening, wait_until


class ListenerApart:
    """A daemon whose listener connects as a role of its own, so that the listener alone can
    be kept out (keep_out) and let in again (let_in) while its pool works on."""

    def __init__(self, postgres, db, tmp_path, role, extra_config=""):
        self.postgres, self.db, self.role = postgres, db, role
        postgres.psql(db, f'CREATE ROLE "{role}" LOGIN; GRANT SELECT ON accounts TO "{role}"')
        self.d = Daemon(tmp_path / "d", postgres, db, {"database": {
            "listen_conninfo": postgres.conninfo(db).replace(f"user={postgres.user}",
                                                             f"user={role}")}}, extra_config)

    def keep_out(self):
        self.postgres.psql(self.db, f'ALTER ROLE "{self.role}" NOLOGIN')
        self.postgres.psql(self.db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    f"WHERE usename = '{self.role}'")
        wait_until("the listener kept out",
                   lambda: "is not permitted to log in" in self.d.stderr_text(), timeout=30)

    def let_in(self):
        self.postgres.psql(self.db, f'ALTER ROLE "{self.role}" LOGIN')
        wait_listening(self.d, 2, timeout=30)

    def remove(self):
        if self.d.running():
            self.d.stop()
        self.postgres.psql("postgres", f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)',
                           check=False)
        self.postgres.psql("postgres", f'DROP ROLE IF EXISTS "{self.role}"', check=False)
