/*
 * test-password-memo.c - the memo of a verification a session did
 * (struct password_memo, daemon/core/passwords.c): it holds only the same
 * password against the same stored hash, nothing once forgotten, and
 * keeps neither in clear.
 */
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "passwords.h"

#define HASH	"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"
#define OTHER	"$argon2id$v=19$m=19456,t=2,p=1$b3RoZXJzYWx0MTIz$aGFzaGhhc2hoYXNoaGFzaA"

int
main(void)
{
	struct password_memo m = { 0 };

	CHECK(!password_memo_holds(&m, HASH, "Harbour-Violet-63"), "an empty memo holds nothing");
	password_memo_keep(&m, HASH, "Harbour-Violet-63");
	CHECK(password_memo_holds(&m, HASH, "Harbour-Violet-63"),
	    "the same password against the same hash");
	CHECK(!password_memo_holds(&m, HASH, "Harbour-Violet-64"), "another password");
	CHECK(!password_memo_holds(&m, HASH, ""), "an empty password");
	CHECK(!password_memo_holds(&m, OTHER, "Harbour-Violet-63"),
	    "the same password against another hash (changed meanwhile: another salt)");
	CHECK(!password_memo_holds(&m, NULL, "Harbour-Violet-63"), "no hash");
	CHECK(memmem(&m, sizeof m, "Harbour", 7) == NULL && memmem(&m, sizeof m, "argon2id", 8) ==
	    NULL, "neither the password nor the hash in clear");
	password_memo_forget(&m);
	CHECK(!password_memo_holds(&m, HASH, "Harbour-Violet-63"), "forgotten");
	return check_done();
}
