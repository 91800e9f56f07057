/*
 * actions.h - what a caller may do with a record now (the "actions" of
 * every record the daemon lists or details; docs/protocol.md, "Actions").
 *
 * One table (actions.c) states, for each kind of record, which action
 * leaves which state and whether only a person's own record (source
 * 'person') allows it: the same conditions the guarded statements of the
 * transitions test, so what the list offers is what the daemon accepts.
 */
#ifndef JXJY_ACTIONS_H
#define JXJY_ACTIONS_H

#include <jansson.h>

enum actions_kind {
	ACTIONS_DECLARATION_OWN,	/* the owner's declaration (declaration.*) */
	ACTIONS_DECLARATION_REVIEW,	/* a declaration in the unit's queue */
	ACTIONS_REGISTRATION,		/* an application (review.*_registrations) */
	ACTIONS_TITLE_CHANGE,		/* a title change (review.*_title_changes) */
	ACTIONS_STAFF,			/* a staff account (review.reset_password) */
};

/*
 * The actions a caller of kind may take on a record in state; source is
 * the declaration's source ("person" or an imported base record), NULL
 * for other kinds.  Returns a new JSON array of action words (caller
 * owns), empty when nothing applies.
 */
json_t	*actions_for(enum actions_kind kind, const char *state, const char *source);

#endif
