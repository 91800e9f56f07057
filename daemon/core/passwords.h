/*
 * passwords.h - Argon2id password hashes, and the rules a new password obeys.
 *
 * Hashing and verifying cost 19 MiB and tens of milliseconds each
 * (libsodium crypto_pwhash_str, OWASP parameters: 19 MiB, t = 2), so at
 * most security.hash_threads of them run at once; the rest wait their
 * turn and a login storm cannot starve the other sessions' requests.
 */
#ifndef JXJYD_PASSWORDS_H
#define JXJYD_PASSWORDS_H

#include <stdbool.h>

/* Set how many hashes may run at once (start and SIGHUP). */
void	passwords_init(int concurrency);

/* The encoded Argon2id hash of password; caller frees. NULL only on failure (logged). */
char	*password_hash(const char *password);

/*
 * True when password matches encoded.  With encoded NULL (no such account,
 * or a key-only one) a dummy hash is verified so that the answer takes the
 * same time either way, and false is returned.
 */
bool	password_verify(const char *encoded, const char *password);

/* Wipe (sodium_memzero) and free a password, a hash or a code; NULL is fine. */
void	password_free(char *secret);

/*
 * NULL when password may be used; otherwise the reason word:
 * "password_length" (8..128 characters, counted in code points, never
 * truncated), "password_weak" (libpwquality with cracklib's dictionary, no
 * composition rules), "password_contains_id", "password_contains_phone".
 * id_number and phone may be NULL.
 */
const char *password_check(const char *password, const char *id_number, const char *phone);

#endif
