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

/*
 * A verification a session did and may need once more (auth.c): a login
 * whose password matched but which the database's failover cut off before
 * it finished is answered service_interrupted, and the person logs in
 * again on the same session.  The memo holds no password and no hash:
 * keyed BLAKE2b digests of both (the key is random, per process), so that
 * the same password against the same stored hash (its salt included: a
 * changed password is another hash) is known right again without a second
 * Argon2id, for PASSWORD_MEMO_SECONDS at most.
 */
#define PASSWORD_MEMO_SECONDS	120

struct password_memo {
	unsigned char	 hash[32];
	unsigned char	 password[32];
	long long	 until;		/* CLOCK_MONOTONIC seconds; 0: empty */
};

/* Remember that password matched encoded. */
void	password_memo_keep(struct password_memo *m, const char *encoded, const char *password);

/* Whether m remembers that password matched encoded (and is not too old). */
bool	password_memo_holds(const struct password_memo *m, const char *encoded,
	    const char *password);

/* Forget (wipe) m. */
void	password_memo_forget(struct password_memo *m);

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
