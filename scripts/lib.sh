# scripts/lib.sh - shell functions shared by scripts/demo, scripts/test and scripts/pg.sh.
#
# Source it; it defines functions and a few variables, and starts nothing by itself.
#   jxjy_need_packages PKG...   install the missing Debian packages (or say which and stop)
#   jxjy_pg_start [test|demo]   start a throwaway PostgreSQL; exports PGHOST PGPORT PGUSER
#                               PGDATABASE JXJY_PG_DIR
#   jxjy_pg_stop                stop it and remove its directory
#   jxjy_free_port [PREFERRED]  print a TCP port nobody listens on
#   jxjy_cleanup_push CMD       run CMD (a string) at exit, last pushed first
#   jxjy_traps                  install the EXIT/INT/TERM/HUP traps that run the cleanups
# Everything works as root (PostgreSQL then runs as the postgres user, since it refuses
# root) and as an ordinary user.

JXJY_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Every package the project needs to build, test and run its demo on Debian 12.  haproxy
# and systemd (systemd-analyze) serve the operations tests: two daemons behind a balancer,
# and the service unit checked; installing systemd in a container starts nothing.  The
# certificate's PDF needs cairo, pango, libqrencode and the Noto CJK font; its tests read
# it back with poppler-utils (pdftotext, pdftoppm) and zbar-tools (zbarimg).
# python3-pytest-xdist runs the suite on several workers at once (scripts/test).
JXJY_PACKAGES="meson ninja-build pkg-config gcc libc6-dev libssh-dev libpq-dev libncurses-dev
libconfig-dev libjansson-dev libsodium-dev libpwquality-dev cracklib-runtime postgresql
tmux gettext openssh-client jq python3 python3-pytest python3-pytest-xdist
python3-cryptography procps util-linux
haproxy systemd
libcairo2-dev libpango1.0-dev libqrencode-dev zlib1g-dev fonts-noto-cjk
poppler-utils zbar-tools"
# The fuzzing harnesses (tests/fuzz/build): Debian 12's clang is 14, and libFuzzer's
# runtime is in libclang-rt-14-dev, which clang only recommends; llvm brings
# llvm-symbolizer for the stack trace of a finding.
JXJY_FUZZ_PACKAGES="clang libclang-rt-14-dev llvm"
JXJY_PACKAGES="$JXJY_PACKAGES $JXJY_FUZZ_PACKAGES"

jxjy_say()
{
	printf '%s: %s\n' "${JXJY_PROG:-jxjy}" "$*" >&2
}

jxjy_die()
{
	jxjy_say "$*"
	exit 1
}

# Install whichever of the named Debian packages is missing: apt-get as root, sudo when
# it works without a password prompt problem, otherwise name the packages and stop.
jxjy_need_packages()
{
	local missing=() pkg status sudo=

	if ! command -v dpkg-query >/dev/null 2>&1; then
		jxjy_say "not a Debian system: make sure these are installed: $*"
		return 0
	fi
	for pkg in "$@"; do
		status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)
		case "$status" in
		*"install ok installed"*) ;;
		*) missing+=("$pkg") ;;
		esac
	done
	[ ${#missing[@]} -eq 0 ] && return 0

	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1 && { [ -t 0 ] || sudo -n true 2>/dev/null; }; then
			sudo=sudo
		else
			jxjy_say "missing packages: ${missing[*]}"
			jxjy_die "install them as root: apt-get install ${missing[*]}"
		fi
	fi
	jxjy_say "installing missing packages: ${missing[*]}"
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 ||
	    jxjy_die "apt-get update failed"
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -q -y --no-install-recommends \
	    "${missing[@]}" >&2 || jxjy_die "apt-get install ${missing[*]} failed"
}

# The newest PostgreSQL's binaries (Debian keeps them out of PATH).
jxjy_pg_bindir()
{
	local dir

	dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; then
		dir=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
		[ -x "$dir/initdb" ] || jxjy_die "no PostgreSQL found (install postgresql)"
	fi
	echo "$dir"
}

# Run a PostgreSQL program as the cluster's owner: the postgres user when we are root.
# From / so that the postgres user is not refused our working directory.
jxjy_pg_as_owner()
{
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && "$@")
	fi
}

# Print a TCP port that nothing listens on: PREFERRED when free, else one the kernel picks.
jxjy_free_port()
{
	local preferred=${1:-0}

	python3 - "$preferred" <<'EOF'
import socket, sys
def free(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("0.0.0.0", port))
        return s.getsockname()[1]
    except OSError:
        return None
    finally:
        s.close()
want = int(sys.argv[1])
print((want and free(want)) or free(0))
EOF
}

# Start a throwaway PostgreSQL in a private directory, reachable only through a Unix
# socket in that directory.  Mode "test" turns durability off (fsync), which is fine for
# data thrown away at the end and makes the suite much faster; "demo" keeps it.
# Exports PGHOST (the socket directory), PGPORT, PGUSER, PGDATABASE=jxjy, JXJY_PG_DIR.
jxjy_pg_start()
{
	local mode=${1:-test} bindir dir port

	bindir=$(jxjy_pg_bindir) || return 1
	if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
		jxjy_die "running as root, but there is no postgres user to run PostgreSQL as"
	fi
	# /tmp, not $TMPDIR: a socket path must stay under 108 bytes.
	dir=$(mktemp -d /tmp/jxjy-pg.XXXXXX) || jxjy_die "mktemp failed"
	JXJY_PG_DIR=$dir
	export JXJY_PG_DIR
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$dir"
	fi
	chmod 0700 "$dir"
	# Any port works on a private socket directory; a distinct one keeps log lines and
	# lock file names apart from the system's cluster.
	port=$(( 20000 + ($$ + RANDOM) % 30000 ))

	if ! jxjy_pg_as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust \
	    --encoding=UTF8 --locale=C.UTF-8 --no-instructions >"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		jxjy_die "initdb failed"
	fi
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$dir'"
		echo "port = $port"
		echo "max_connections = 200"
		echo "log_min_messages = warning"
		echo "log_min_error_statement = panic"
		if [ "$mode" = test ]; then
			echo "fsync = off"
			echo "synchronous_commit = off"
			echo "full_page_writes = off"
		fi
	} | jxjy_pg_as_owner tee -a "$dir/data/postgresql.conf" >/dev/null

	# setsid: a Ctrl-C on the terminal reaches us, not the postmaster, so the cleanup
	# stops things in order.
	if ! jxjy_pg_as_owner setsid -w "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" \
	    -w -t 60 start >/dev/null; then
		cat "$dir/postgres.log" >&2
		jxjy_die "PostgreSQL did not start"
	fi
	export PGHOST=$dir PGPORT=$port PGUSER=postgres PGDATABASE=jxjy
	jxjy_pg_watch "${JXJY_PG_OWNER:-$$}" "$dir"
	if ! "$bindir/createdb" jxjy; then
		jxjy_die "createdb jxjy failed"
	fi
}

# A PostgreSQL outlives whoever started it (pg_ctl detaches it), so a run killed without
# a chance to clean up (SIGKILL, a lost terminal) would leave it behind.  A small watcher,
# in its own session and holding none of our file descriptors, stops it when the owner
# process is gone.  jxjy_pg_stop ends the watcher on the ordinary path.
jxjy_pg_watch()
{
	local owner=$1 dir=$2

	setsid bash -c '
		. "$1"
		while kill -0 "$2" 2>/dev/null && [ -d "$3" ]; do
			sleep 1
		done
		JXJY_PG_DIR=$3 JXJY_PG_WATCHER=$$ jxjy_pg_stop' \
	    jxjy-pg-watch "$JXJY_TOP/scripts/lib.sh" "$owner" "$dir" \
	    </dev/null >/dev/null 2>&1 &
	echo $! >"$dir/watcher.pid"
}

# Stop the PostgreSQL started by jxjy_pg_start and remove its directory.  Safe to call
# twice, and when it never started.
jxjy_pg_stop()
{
	local dir=${JXJY_PG_DIR:-} bindir pid i watcher

	[ -n "$dir" ] || return 0
	case "$dir" in /tmp/jxjy-pg.*) ;; *) return 0 ;; esac
	JXJY_PG_DIR=
	watcher=$(cat "$dir/watcher.pid" 2>/dev/null)
	if [ -n "$watcher" ] && [ "$watcher" != "${JXJY_PG_WATCHER:-}" ]; then
		# Its own process group (setsid): its sleep goes with it.
		kill -- "-$watcher" 2>/dev/null || kill "$watcher" 2>/dev/null
	fi
	if [ -f "$dir/data/postmaster.pid" ]; then
		bindir=$(jxjy_pg_bindir)
		pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null)
		jxjy_pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop \
		    >/dev/null 2>&1 ||
		    jxjy_pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop \
		    >/dev/null 2>&1
		# pg_ctl returns when postmaster.pid is gone, a moment before the
		# postmaster itself: wait for it so that nothing is left running.
		for (( i = 0; i < 100; i++ )); do
			[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
	fi
	rm -rf "$dir"
}

# Cleanup actions run at exit in reverse order of registration; each runs once.
JXJY_CLEANUPS=()

jxjy_cleanup_push()
{
	JXJY_CLEANUPS+=("$1")
}

jxjy_cleanup()
{
	local i

	for (( i = ${#JXJY_CLEANUPS[@]} - 1; i >= 0; i-- )); do
		eval "${JXJY_CLEANUPS[$i]}" || true
	done
	JXJY_CLEANUPS=()
}

jxjy_traps()
{
	trap 'jxjy_cleanup' EXIT
	trap 'jxjy_say "interrupted"; jxjy_cleanup; trap - INT; kill -INT $$' INT
	trap 'jxjy_say "terminated"; jxjy_cleanup; trap - TERM; kill -TERM $$' TERM
	trap 'jxjy_cleanup; trap - HUP; kill -HUP $$' HUP
	trap '' PIPE
}

# Stop a process we started: SIGTERM, then SIGKILL after a grace period.  Returns its
# exit status when it was our child.
jxjy_stop_pid()
{
	local pid=$1 grace=${2:-20} i

	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for (( i = 0; i < grace * 10; i++ )); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		jxjy_say "process $pid did not stop after ${grace}s; killing it"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
}

# The Python that has pytest: Debian's, since another python3 may come first in PATH.
jxjy_python()
{
	local py

	for py in /usr/bin/python3 python3; do
		if "$py" -c 'import pytest' >/dev/null 2>&1; then
			command -v "$py"
			return 0
		fi
	done
	return 1
}

# "true" under CI (CI=true: warnings are errors there), else "false": for -Dwerror=, given
# always, so that a build directory set up by a CI run does not keep it for a developer's.
jxjy_werror()
{
	if [ "${CI:-}" = true ]; then
		echo true
	else
		echo false
	fi
}

# Succeed when the build directory $1 is configured with every -Dname=value (and
# --name=value) of $2...
# (as meson introspect reports them; a list option as its comma-separated items).
jxjy_build_options_match()
{
	local dir=$1
	shift

	meson introspect --buildoptions "$dir" 2>/dev/null | python3 -c '
import json, sys
have = {}
for o in json.load(sys.stdin):
    v = o["value"]
    if isinstance(v, bool):
        v = "true" if v else "false"
    elif isinstance(v, list):
        v = ",".join(map(str, v))
    have[o["name"]] = str(v)
for arg in sys.argv[1:]:
    if arg.startswith("-D") or (arg.startswith("--") and "=" in arg):
        name, _, value = arg.lstrip("-").removeprefix("D").partition("=")
        if have.get(name) != value:
            sys.exit(1)
' "$@"
}

# Configure and build the tree in build directory $1 with meson options $2...: set up
# once, and set up again whenever an option differs from the directory's (a reused
# build-test/ must not ignore -Dwerror=true).  Give every option that may vary.
jxjy_build()
{
	local dir=$1
	shift

	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >&2 || jxjy_die "meson setup $dir failed"
	elif ! jxjy_build_options_match "$dir" "$@"; then
		jxjy_say "the options of $dir differ from $*: configuring it again"
		meson setup --reconfigure "$dir" "$@" >&2 ||
		    jxjy_die "meson setup --reconfigure $dir failed"
	fi
	ninja -C "$dir" >&2 || jxjy_die "build failed (ninja -C $dir)"
}
