/*
 * passwords.c - Argon2id hashes with bounded concurrency, and password rules.
 *
 * Every hash and every verification takes 19 MiB and tens of milliseconds.
 * A counting semaphore (mutex and condition variable, so the bound can
 * change on SIGHUP) lets at most security.hash_threads of them run at
 * once: a burst of logins queues here instead of taking every core and
 * all the memory from the sessions that only want a quick answer.
 *
 * The rules follow NIST SP 800-63B rather than composition rules: a length
 * of 8 to 128 characters, not a dictionary word or a simple pattern
 * (libpwquality with cracklib's dictionary, every credit and class rule
 * off), and not built from the person's own ID number or phone number.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pwquality.h>
#include <sodium.h>

#include "log.h"
#include "passwords.h"
#include "stats.h"
#include "text.h"
#include "xmalloc.h"

/* OWASP's Argon2id parameters: t = 2, m = 19 MiB, one lane. */
#define PASSWORD_OPSLIMIT	2ULL
#define PASSWORD_MEMLIMIT	((size_t)19 * 1024 * 1024)

#define PASSWORD_MIN_CHARS	8
#define PASSWORD_MAX_CHARS	128

/* Bound before passwords_init is called: the config's default. */
#define PASSWORD_DEFAULT_CONCURRENCY	2

static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 freed;
	int		 limit;		/* 0 until passwords_init */
	int		 running;
} hash_slots = { .lock = PTHREAD_MUTEX_INITIALIZER, .freed = PTHREAD_COND_INITIALIZER };

static pthread_once_t passwords_once = PTHREAD_ONCE_INIT;
static char dummy_hash[crypto_pwhash_STRBYTES];
static bool dummy_ready;

/* libpwquality settings, made once; cracklib is not known to be thread-safe. */
static pthread_mutex_t quality_lock = PTHREAD_MUTEX_INITIALIZER;
static pwquality_settings_t *quality;

static void
passwords_setup(void)
{
	unsigned char random_password[32];
	char encoded[sizeof random_password * 2 + 1];

	if (sodium_init() < 0) {
		log_error("passwords: libsodium cannot be initialised");
		return;
	}
	/*
	 * The dummy is a hash of a random password nobody knows, made with the
	 * same parameters as real ones, so verifying against it costs the same.
	 */
	randombytes_buf(random_password, sizeof random_password);
	sodium_bin2hex(encoded, sizeof encoded, random_password, sizeof random_password);
	if (crypto_pwhash_str(dummy_hash, encoded, strlen(encoded), PASSWORD_OPSLIMIT,
	    PASSWORD_MEMLIMIT) != 0)
		log_error("passwords: cannot compute the dummy hash (out of memory?)");
	else
		dummy_ready = true;
	sodium_memzero(encoded, sizeof encoded);
}

void
passwords_init(int concurrency)
{
	pthread_once(&passwords_once, passwords_setup);
	pthread_mutex_lock(&hash_slots.lock);
	hash_slots.limit = concurrency > 0 ? concurrency : 1;
	/* A larger bound lets waiters in at once. */
	pthread_cond_broadcast(&hash_slots.freed);
	pthread_mutex_unlock(&hash_slots.lock);
}

/* Wait for a hashing slot. */
static void
passwords_slot_take(void)
{
	stats_hash_queued();
	pthread_mutex_lock(&hash_slots.lock);
	for (;;) {
		int limit = hash_slots.limit > 0 ? hash_slots.limit : PASSWORD_DEFAULT_CONCURRENCY;

		if (hash_slots.running < limit)
			break;
		pthread_cond_wait(&hash_slots.freed, &hash_slots.lock);
	}
	hash_slots.running++;
	pthread_mutex_unlock(&hash_slots.lock);
	stats_hash_started();
}

static void
passwords_slot_give(void)
{
	pthread_mutex_lock(&hash_slots.lock);
	hash_slots.running--;
	pthread_cond_signal(&hash_slots.freed);
	pthread_mutex_unlock(&hash_slots.lock);
	stats_hash_finished();
}

char *
password_hash(const char *password)
{
	char out[crypto_pwhash_STRBYTES];
	int rc;

	pthread_once(&passwords_once, passwords_setup);
	passwords_slot_take();
	/* The whole string is hashed: nothing is ever truncated. */
	rc = crypto_pwhash_str(out, password, strlen(password), PASSWORD_OPSLIMIT,
	    PASSWORD_MEMLIMIT);
	passwords_slot_give();
	if (rc != 0) {
		log_error("passwords: hashing failed (out of memory?)");
		return NULL;
	}
	return xstrdup(out);
}

bool
password_verify(const char *encoded, const char *password)
{
	bool ok = false;
	int rc;

	pthread_once(&passwords_once, passwords_setup);
	if (encoded == NULL || encoded[0] == '\0') {
		if (!dummy_ready)
			return false;
		encoded = dummy_hash;
	} else {
		ok = true;	/* a real hash: its answer counts */
	}
	passwords_slot_take();
	rc = crypto_pwhash_str_verify(encoded, password, strlen(password));
	passwords_slot_give();
	return ok && rc == 0;
}

/* Case-insensitive (ASCII) substring test. */
static bool
passwords_contains(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);

	if (n == 0)
		return false;
	for (const char *p = haystack; *p != '\0'; p++) {
		if (strncasecmp(p, needle, n) == 0)
			return true;
	}
	return false;
}

/* Settings with every composition rule off; NULL when libpwquality fails. */
static pwquality_settings_t *
passwords_quality_settings(void)
{
	static const int zeroed[] = {
		PWQ_SETTING_DIFF_OK, PWQ_SETTING_DIG_CREDIT, PWQ_SETTING_UP_CREDIT,
		PWQ_SETTING_LOW_CREDIT, PWQ_SETTING_OTH_CREDIT, PWQ_SETTING_MIN_CLASS,
		PWQ_SETTING_MAX_REPEAT, PWQ_SETTING_MAX_CLASS_REPEAT,
		PWQ_SETTING_MAX_SEQUENCE, PWQ_SETTING_GECOS_CHECK,
		PWQ_SETTING_USER_CHECK,
	};
	pwquality_settings_t *s;
	const char *dict = NULL;
	char *path;

	/* The defaults, never /etc/security/pwquality.conf: our rules are our own. */
	s = pwquality_default_settings();
	if (s == NULL)
		return NULL;
	pwquality_set_int_value(s, PWQ_SETTING_MIN_LENGTH, PASSWORD_MIN_CHARS);
	for (size_t i = 0; i < sizeof zeroed / sizeof zeroed[0]; i++)
		pwquality_set_int_value(s, zeroed[i], 0);
	pwquality_set_int_value(s, PWQ_SETTING_DICT_CHECK, 1);

	/*
	 * Without its dictionary cracklib refuses every password; better to
	 * accept them (and say so loudly once) than to lock everyone out.
	 */
	if (pwquality_get_str_value(s, PWQ_SETTING_DICT_PATH, &dict) != 0 || dict == NULL)
		dict = "/var/cache/cracklib/cracklib_dict";
	path = xasprintf("%s.pwd", dict);
	if (access(path, R_OK) != 0) {
		log_warning("passwords: cracklib's dictionary %s is missing (install "
		    "cracklib-runtime): dictionary words are not refused", path);
		pwquality_set_int_value(s, PWQ_SETTING_DICT_CHECK, 0);
	}
	free(path);
	return s;
}

/* "password_weak" or NULL, by libpwquality. */
static const char *
passwords_quality(const char *password)
{
	const char *reason = NULL;
	int rc;

	pthread_mutex_lock(&quality_lock);
	if (quality == NULL)
		quality = passwords_quality_settings();
	if (quality == NULL) {
		pthread_mutex_unlock(&quality_lock);
		log_error("passwords: libpwquality cannot be initialised");
		return NULL;
	}
	/* No auxerror: for cracklib's verdict it points at a static string. */
	rc = pwquality_check(quality, password, NULL, NULL, NULL);
	pthread_mutex_unlock(&quality_lock);

	/*
	 * A dictionary word or a pattern cracklib knows (and a palindrome such
	 * as "aaaaaaaa", which libpwquality tests before cracklib) is weak.
	 * The rules we switched off cannot fire; anything else (an error of
	 * the library itself) must not refuse a password.
	 */
	switch (rc) {
	case PWQ_ERROR_CRACKLIB_CHECK:
	case PWQ_ERROR_PALINDROME:
	case PWQ_ERROR_BAD_WORDS:
		reason = "password_weak";
		break;
	default:
		break;
	}
	return reason;
}

const char *
password_check(const char *password, const char *id_number, const char *phone)
{
	size_t n;

	if (!utf8_valid(password, strlen(password)))
		return "password_length";
	n = utf8_length(password);
	if (n < PASSWORD_MIN_CHARS || n > PASSWORD_MAX_CHARS)
		return "password_length";
	if (id_number != NULL && strlen(id_number) >= 15 &&
	    passwords_contains(password, id_number))
		return "password_contains_id";
	if (phone != NULL && strlen(phone) >= 7 && passwords_contains(password, phone))
		return "password_contains_phone";
	return passwords_quality(password);
}
