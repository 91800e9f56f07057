#!/usr/bin/env bash
# scripts/pg.sh - start or stop a throwaway PostgreSQL from outside a shell script
# (the pytest harness uses it when scripts/test did not start one).
#   scripts/pg.sh start [test|demo]   start one; print its settings as KEY=VALUE lines
#                                     (PGHOST PGPORT PGUSER PGDATABASE JXJY_PG_DIR)
#   scripts/pg.sh stop DIR            stop the one whose directory is DIR and remove DIR
set -eu
JXJY_PROG=pg.sh
. "$(dirname "$0")/lib.sh"

case "${1:-}" in
start)
	# The cluster belongs to our caller: it stops when the caller's process is gone.
	JXJY_PG_OWNER=$PPID jxjy_pg_start "${2:-test}" >&2
	printf 'PGHOST=%s\nPGPORT=%s\nPGUSER=%s\nPGDATABASE=%s\nJXJY_PG_DIR=%s\n' \
	    "$PGHOST" "$PGPORT" "$PGUSER" "$PGDATABASE" "$JXJY_PG_DIR"
	;;
stop)
	[ $# -eq 2 ] || jxjy_die "usage: pg.sh stop DIR"
	JXJY_PG_DIR=$2
	jxjy_pg_stop
	;;
*)
	echo "usage: pg.sh start [test|demo] | pg.sh stop DIR" >&2
	exit 1
	;;
esac
