/*
 * exec.h - `ssh -p 2222 host COMMAND`: a few read-only commands that print
 * plain text or CSV, for administrators' everyday tasks without JSON; a
 * person's own certificate as a PDF; a certificate's check for anyone.
 */
#ifndef JXJYD_EXEC_H
#define JXJYD_EXEC_H

#include <stdbool.h>
#include <stddef.h>

struct session;

/*
 * Where a command whose output grows with the unit (`certificates`: a PDF
 * of every person) sends it as it is made, so that the daemon does not
 * hold it whole: write gets arg and the next bytes, and returns 0 once
 * the reader has taken enough of what came before, or -1 when the reader
 * is gone or stalled (the command then stops).
 */
struct exec_stream {
	int	(*write)(void *arg, const char *data, size_t len);
	void	*arg;
	/* The standard error (a command's complaint about its arguments), or NULL: out. */
	int	(*write_err)(void *arg, const char *data, size_t len);
};

/*
 * Run command for s (already authenticated at SSH level; s->role tells
 * whether an SSH key logged an account in).  Writes what it prints to
 * *out, *len bytes (caller frees; a PDF may hold NUL bytes), and returns
 * the exit status: 0 ok, 1 refused or failed (with the reason and the
 * list of commands in *out).  A command that streams sends its output
 * through stream (NULL: into *out too) before *out, which then holds only
 * what it says at the end, if anything.
 */
int	exec_run(struct session *s, const char *command, const struct exec_stream *stream,
	    char **out, size_t *len);

/*
 * Whether command reads its standard input (`roster CLASS < FILE.csv`):
 * the caller collects it first (at most bases.roster_max_bytes; input_over
 * when more came) and runs it with exec_run_input.
 */
bool	exec_reads_input(const char *command);
int	exec_run_input(struct session *s, const char *command,
	    const struct exec_stream *stream, const char *input, size_t input_len,
	    bool input_over, char **out, size_t *len);

#endif
