/*
 * bench-logins-raw.c - the raw Argon2id verify rate of this machine, the
 * yardstick of jxjyd's logins per second.
 *
 *   bench-logins-raw [THREADS [SECONDS [HASH]]]
 *
 * Takes HASH, the encoded hash of the demo password, or hashes that
 * password with crypto_pwhash_str at jxjyd's parameters (opslimit 2,
 * memlimit 19 MiB: "$argon2id$v=19$m=19456,t=2,p=1"), then
 * THREADS threads (default 2, as security.hash_threads) verify it with
 * crypto_pwhash_str_verify for SECONDS (default 10) and it prints
 * "raw: N verifies in S s: R verifies/s".  Exit status 0, or 1 when a
 * verify failed or libsodium could not start.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#define RAW_PASSWORD	"Demo-2026-jxjy"
#define RAW_OPSLIMIT	2
#define RAW_MEMLIMIT	(19 * 1024 * 1024)
#define RAW_THREADS_MAX	64

static char		raw_hash[crypto_pwhash_STRBYTES];
static double		raw_deadline;
static atomic_long	raw_count;
static atomic_int	raw_failed;

static double
raw_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One thread: verify until the deadline. Returns NULL. */
static void *
raw_worker(void *arg)
{
	(void)arg;
	while (raw_now() < raw_deadline) {
		if (crypto_pwhash_str_verify(raw_hash, RAW_PASSWORD,
		    strlen(RAW_PASSWORD)) != 0) {
			atomic_store(&raw_failed, 1);
			break;
		}
		atomic_fetch_add(&raw_count, 1);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t tid[RAW_THREADS_MAX];
	int threads = argc > 1 ? atoi(argv[1]) : 2;
	double seconds = argc > 2 ? atof(argv[2]) : 10, t0, elapsed;

	if (threads < 1 || threads > RAW_THREADS_MAX || seconds <= 0) {
		fprintf(stderr, "usage: bench-logins-raw [THREADS [SECONDS [HASH]]]\n");
		return 2;
	}
	if (argc > 3) {
		if (strlen(argv[3]) >= sizeof raw_hash) {
			fprintf(stderr, "bench-logins-raw: HASH is too long\n");
			return 2;
		}
		strcpy(raw_hash, argv[3]);
	}
	if (sodium_init() < 0 || (raw_hash[0] == '\0' &&
	    crypto_pwhash_str(raw_hash, RAW_PASSWORD, strlen(RAW_PASSWORD),
	    RAW_OPSLIMIT, RAW_MEMLIMIT) != 0)) {
		fprintf(stderr, "bench-logins-raw: cannot hash\n");
		return 1;
	}
	t0 = raw_now();
	raw_deadline = t0 + seconds;
	for (int i = 0; i < threads; i++)
		if (pthread_create(&tid[i], NULL, raw_worker, NULL) != 0) {
			fprintf(stderr, "bench-logins-raw: pthread_create failed\n");
			return 1;
		}
	for (int i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	elapsed = raw_now() - t0;
	if (atomic_load(&raw_failed)) {
		fprintf(stderr, "bench-logins-raw: a verify failed\n");
		return 1;
	}
	printf("raw: %ld verifies in %.2f s with %d threads: %.2f verifies/s (%s)\n",
	    atomic_load(&raw_count), elapsed, threads, atomic_load(&raw_count) / elapsed,
	    raw_hash[0] == '$' ? strtok(raw_hash, "$") : "?");
	return 0;
}
