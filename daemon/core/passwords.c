/*
 * passwords.c - Argon2id hashes with bounded concurrency, and password rules.
 *
 * Every hash and every verification takes 19 MiB and tens of milliseconds.
 * They run on security.hash_threads worker threads of their own (the
 * number can change on SIGHUP), in the order they were asked for: a burst
 * of logins queues here instead of taking every core and all the memory
 * from the sessions that only want a quick answer.
 *
 * The rules follow NIST SP 800-63B rather than composition rules: a length
 * of 8 to 128 characters, not a dictionary word or a simple pattern
 * (libpwquality with cracklib's dictionary, every credit and class rule
 * off), and not built from the person's own ID number or phone number.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

/* Workers started by the first hash when passwords_init was never called. */
#define PASSWORD_DEFAULT_CONCURRENCY	2
#define PASSWORD_WORKERS_MAX		64

/*
 * One hash or verification, handed to a worker by the session thread that
 * waits for it.  It lives on that thread's stack.
 */
struct hash_job {
	struct hash_job	*next;
	const char	*password;
	const char	*encoded;	/* verify against this; NULL: hash */
	char		 out[crypto_pwhash_STRBYTES];
	int		 rc;
	bool		 done;
	pthread_cond_t	 finished;	/* signalled once done is set */
};

/*
 * The workers: security.hash_threads long-lived threads that take jobs in
 * the order they came.  Hashing on threads of their own rather than on
 * whichever session thread asked (bounded by a semaphore, as jxjyd first
 * did) took 8 sessions' logins from at best 68% to 92% of the raw verify
 * rate on the 2-core benchmark VM (docs/benchmarks.md, docs/design.md).
 */
static struct {
	pthread_mutex_t	 lock;
	pthread_cond_t	 work;		/* a job was queued, or the bound changed */
	struct hash_job	*head, **tail;
	int		 limit;		/* workers wanted; 0 until the first call */
	int		 workers;	/* workers running */
} hash_pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER,
	.tail = &hash_pool.head,
};

static pthread_once_t passwords_once = PTHREAD_ONCE_INIT;
static char dummy_hash[crypto_pwhash_STRBYTES];
static bool dummy_ready;

/*
 * The dummy as made once, of a random password thrown away, with the parameters
 * above: computing one at every start cost each start a whole hash (a second on a
 * loaded machine, where the test suite starts hundreds of daemons).  Used when its
 * parameters are still those of real hashes.
 */
#define PASSWORD_DUMMY \
	"$argon2id$v=19$m=19456,t=2,p=1$+ZSeHJKY1jlZHstPuG7qKQ$" \
	"4Le6q8AShXdK00ineNjLyE56vNNG5taz664xK7ca6Po"

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
	_Static_assert(sizeof PASSWORD_DUMMY <= sizeof dummy_hash, "the dummy fits");
	memcpy(dummy_hash, PASSWORD_DUMMY, sizeof PASSWORD_DUMMY);
	if (crypto_pwhash_str_needs_rehash(dummy_hash, PASSWORD_OPSLIMIT,
	    PASSWORD_MEMLIMIT) == 0) {
		dummy_ready = true;
		return;
	}
	randombytes_buf(random_password, sizeof random_password);
	sodium_bin2hex(encoded, sizeof encoded, random_password, sizeof random_password);
	if (crypto_pwhash_str(dummy_hash, encoded, strlen(encoded), PASSWORD_OPSLIMIT,
	    PASSWORD_MEMLIMIT) != 0)
		log_error("passwords: cannot compute the dummy hash (out of memory?)");
	else
		dummy_ready = true;
	sodium_memzero(encoded, sizeof encoded);
}

static void
passwords_run(struct hash_job *job)
{
	/* The whole string is hashed: nothing is ever truncated. */
	if (job->encoded == NULL)
		job->rc = crypto_pwhash_str(job->out, job->password, strlen(job->password),
		    PASSWORD_OPSLIMIT, PASSWORD_MEMLIMIT);
	else
		job->rc = crypto_pwhash_str_verify(job->encoded, job->password,
		    strlen(job->password));
}

/* A worker: run queued jobs until there are more workers than wanted. */
static void *
passwords_worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&hash_pool.lock);
	for (;;) {
		struct hash_job *job;

		while (hash_pool.head == NULL && hash_pool.workers <= hash_pool.limit)
			pthread_cond_wait(&hash_pool.work, &hash_pool.lock);
		if (hash_pool.workers > hash_pool.limit)
			break;
		job = hash_pool.head;
		if ((hash_pool.head = job->next) == NULL)
			hash_pool.tail = &hash_pool.head;
		pthread_mutex_unlock(&hash_pool.lock);

		stats_hash_started();
		passwords_run(job);
		stats_hash_finished();

		pthread_mutex_lock(&hash_pool.lock);
		job->done = true;
		pthread_cond_signal(&job->finished);
	}
	hash_pool.workers--;
	pthread_mutex_unlock(&hash_pool.lock);
	return NULL;
}

/* Start workers up to the limit; called with the lock held. */
static void
passwords_start_workers(void)
{
	sigset_t all, saved;

	/* Workers take no signals: jxjyd's main thread reads them from a signalfd. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	while (hash_pool.workers < hash_pool.limit) {
		pthread_attr_t attr;
		pthread_t tid;
		int rc;

		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&tid, &attr, passwords_worker, NULL);
		pthread_attr_destroy(&attr);
		if (rc != 0) {
			log_error("passwords: cannot start a hashing thread: %s", strerror(rc));
			break;
		}
		hash_pool.workers++;
	}
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
}

void
passwords_init(int concurrency)
{
	pthread_once(&passwords_once, passwords_setup);
	if (concurrency < 1)
		concurrency = 1;
	if (concurrency > PASSWORD_WORKERS_MAX)
		concurrency = PASSWORD_WORKERS_MAX;
	pthread_mutex_lock(&hash_pool.lock);
	hash_pool.limit = concurrency;
	/* Fewer: the extra workers leave once idle.  More: start them. */
	pthread_cond_broadcast(&hash_pool.work);
	passwords_start_workers();
	pthread_mutex_unlock(&hash_pool.lock);
}

/* Queue job and wait until a worker has run it. */
static void
passwords_submit(struct hash_job *job)
{
	pthread_once(&passwords_once, passwords_setup);
	stats_hash_queued();
	job->next = NULL;
	job->done = false;
	pthread_cond_init(&job->finished, NULL);
	pthread_mutex_lock(&hash_pool.lock);
	if (hash_pool.limit == 0) {
		hash_pool.limit = PASSWORD_DEFAULT_CONCURRENCY;
		passwords_start_workers();
	}
	if (hash_pool.workers == 0) {
		/* No thread could be started: hash here rather than never. */
		pthread_mutex_unlock(&hash_pool.lock);
		stats_hash_started();
		passwords_run(job);
		stats_hash_finished();
		pthread_cond_destroy(&job->finished);
		return;
	}
	*hash_pool.tail = job;
	hash_pool.tail = &job->next;
	pthread_cond_signal(&hash_pool.work);
	while (!job->done)
		pthread_cond_wait(&job->finished, &hash_pool.lock);
	pthread_mutex_unlock(&hash_pool.lock);
	pthread_cond_destroy(&job->finished);
}

char *
password_hash(const char *password)
{
	struct hash_job job = { .password = password };
	char *hash;

	passwords_submit(&job);
	if (job.rc != 0) {
		log_error("passwords: hashing failed (out of memory?)");
		return NULL;
	}
	hash = xstrdup(job.out);
	sodium_memzero(job.out, sizeof job.out);
	return hash;
}

bool
password_verify(const char *encoded, const char *password)
{
	struct hash_job job = { .password = password };
	bool ok = false;

	pthread_once(&passwords_once, passwords_setup);
	if (encoded == NULL || encoded[0] == '\0') {
		if (!dummy_ready)
			return false;
		encoded = dummy_hash;
	} else {
		ok = true;	/* a real hash: its answer counts */
	}
	job.encoded = encoded;
	passwords_submit(&job);
	return ok && job.rc == 0;
}

/* The key of the memos' digests: random, made once per process. */
static unsigned char memo_key[crypto_generichash_KEYBYTES];
static pthread_once_t memo_once = PTHREAD_ONCE_INIT;

static void
password_memo_setup(void)
{
	if (sodium_init() < 0)
		fatal("passwords: libsodium cannot be initialised");
	randombytes_buf(memo_key, sizeof memo_key);
}

/* The keyed digest of text into out (32 bytes). */
static void
password_memo_digest(const char *text, unsigned char out[32])
{
	pthread_once(&memo_once, password_memo_setup);
	crypto_generichash(out, 32, (const unsigned char *)text, strlen(text), memo_key,
	    sizeof memo_key);
}

static long long
password_memo_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

void
password_memo_keep(struct password_memo *m, const char *encoded, const char *password)
{
	if (encoded == NULL || password == NULL)
		return;
	password_memo_digest(encoded, m->hash);
	password_memo_digest(password, m->password);
	m->until = password_memo_now() + PASSWORD_MEMO_SECONDS;
}

bool
password_memo_holds(const struct password_memo *m, const char *encoded, const char *password)
{
	unsigned char hash[32], pass[32];
	bool same;

	if (m->until == 0 || password_memo_now() > m->until || encoded == NULL ||
	    password == NULL)
		return false;
	password_memo_digest(encoded, hash);
	password_memo_digest(password, pass);
	same = sodium_memcmp(hash, m->hash, sizeof hash) == 0 &&
	    sodium_memcmp(pass, m->password, sizeof pass) == 0;
	sodium_memzero(pass, sizeof pass);
	return same;
}

void
password_memo_forget(struct password_memo *m)
{
	sodium_memzero(m, sizeof *m);
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

void
password_free(char *secret)
{
	if (secret == NULL)
		return;
	sodium_memzero(secret, strlen(secret));
	free(secret);
}
