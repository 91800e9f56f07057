/*
 * admins.h - unit and base administrators provisioned from jxjyd.conf
 * (unit_admins, base_admins).
 */
#ifndef JXJYD_ADMINS_H
#define JXJYD_ADMINS_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct db_conn;

/*
 * Make the accounts table agree with cfg->admins and cfg->base_admins (the
 * same rules, with role base_admin and a base), in one transaction on c:
 * each configured administrator gets an account (role unit_admin, state
 * active, the configured name and unit; a password set earlier is kept)
 * whose config-sourced SSH keys are exactly the configured ones; every
 * other unit_admin account is disabled and loses its config-sourced keys.
 * An entry whose unit does not exist is logged (name, ID number, file and
 * line) and skipped, neither created nor disabled.  Every state change is
 * audited with actor NULL (the system).  Returns 0, or -1 (logged, nothing
 * changed) when the database failed.
 */
int	admins_sync(struct db_conn *c, const struct config *cfg);

/*
 * Whether account_id is, in the database now, an active administrator of
 * unit_code (a reload of unit_admins may have disabled it since it logged
 * in): 1 yes, 0 no, -1 when the database failed (db_error_text says why).
 * With unit_name, *unit_name gets the unit's name (caller frees).  The one
 * check of the methods declared RPC_DB_UNIT_ADMIN (rpc.c) and the `ssh host COMMAND` commands.
 */
int	admins_active(struct db_conn *c, int64_t account_id, const char *unit_code,
	    char **unit_name);

/*
 * The same for a base administrator (base_admins): whether account_id is
 * an active base_admin of base_code now (1, 0, -1); with base_name, the
 * base's name (caller frees).  A suspended base's administrator still
 * passes (they may read; reporting checks the base).  The one check of the
 * methods declared RPC_DB_BASE_ADMIN and the base's `ssh host COMMAND`s.
 */
int	admins_base_active(struct db_conn *c, int64_t account_id, const char *base_code,
	    char **base_name);

/*
 * The same for an authority administrator (authority_admins): whether
 * account_id is an active authority account of scope_region now (1, 0,
 * -1); with scope_name, the region's name (caller frees).  The one check of
 * the methods declared RPC_DB_AUTHORITY: a scope changed in jxjyd.conf
 * takes effect at the next request.
 */
int	admins_authority_active(struct db_conn *c, int64_t account_id, const char *scope_region,
	    char **scope_name);

/* A public key line split into its parts (also rpc-keys.c's); the pointers are owned. */
struct admins_key {
	char	*type;
	char	*base64;
	char	*comment;	/* NULL when none */
	char	 fingerprint[64];
};

/* Free k's parts and zero it. */
void	admins_key_free(struct admins_key *k);

/*
 * The fingerprint OpenSSH prints for a public key line "TYPE BASE64 ...":
 * "SHA256:" and the unpadded base64 of the SHA-256 of the decoded key.
 * Writes it to out (at least 51 bytes) and returns 0; -1 when the line
 * holds no decodable key.
 */
int	admins_fingerprint(const char *key_line, char *out, size_t size);

#endif
