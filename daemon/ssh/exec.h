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
 * Run command for s (already authenticated at SSH level; s->role tells
 * whether an SSH key logged an account in).  Writes what it prints to
 * *out, *len bytes (caller frees; a PDF may hold NUL bytes), and returns
 * the exit status: 0 ok, 1 refused or failed (with the reason and the
 * list of commands in *out).
 */
int	exec_run(struct session *s, const char *command, char **out, size_t *len);

/*
 * Whether command reads its standard input (`roster CLASS < FILE.csv`):
 * the caller collects it first (at most bases.roster_max_bytes; input_over
 * when more came) and runs it with exec_run_input.
 */
bool	exec_reads_input(const char *command);
int	exec_run_input(struct session *s, const char *command, const char *input,
	    size_t input_len, bool input_over, char **out, size_t *len);

#endif
