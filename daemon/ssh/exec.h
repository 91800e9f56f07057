/*
 * exec.h - `ssh -p 2222 host COMMAND`: a few read-only commands that print
 * plain text or CSV, for administrators' everyday tasks without JSON; a
 * person's own certificate as a PDF; a certificate's check for anyone.
 */
#ifndef JXJYD_EXEC_H
#define JXJYD_EXEC_H

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

#endif
