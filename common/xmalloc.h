/*
 * xmalloc.h - allocation that cannot fail: on exhaustion the process aborts,
 * which is the only sane reaction for a server that holds no half-done
 * state outside PostgreSQL transactions.
 */
#ifndef JXJY_XMALLOC_H
#define JXJY_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void	*xmalloc(size_t n);
void	*xcalloc(size_t n, size_t size);
void	*xrealloc(void *p, size_t n);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char	*xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
