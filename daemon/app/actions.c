/*
 * actions.c - the actions a record offers its caller (actions.h).
 *
 * Each line of the table is one transition the daemon makes, with the
 * state its guarded statement leaves:
 *
 *	declaration.save (id), .submit, .delete	... WHERE state = 'draft' AND source = 'person'
 *	declaration.withdraw			... WHERE state = 'pending' AND source = 'person'
 *	declaration.revise			... WHERE state = 'rejected' AND source = 'person'
 *	review.approve_/reject_declarations	... WHERE state = 'pending' (the own unit)
 *	review.approve_/reject_registrations	... WHERE state = 'pending' AND role = 'staff'
 *	review.approve_/reject_title_changes	... WHERE state = 'pending' AND field = 'title'
 *	review.reset_password			... WHERE state = 'active' AND role = 'staff'
 *
 * Who may ask (the owner, the unit's administrator) is the dispatcher's
 * role check and the lists' own WHERE (a list shows only what its caller
 * may see), so the table holds only the states.  A change to a guard
 * above changes its line here; tests/integration/test_actions.py tries
 * every listed action and one not listed in every state.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "actions.h"

static const struct action_rule {
	enum actions_kind	 kind;
	const char		*state;		/* the state the transition leaves */
	bool			 own_only;	/* a person's own record, not a base record */
	const char		*action;
} action_rules[] = {
	{ ACTIONS_DECLARATION_OWN,	"draft",	true,	"edit" },
	{ ACTIONS_DECLARATION_OWN,	"draft",	true,	"submit" },
	{ ACTIONS_DECLARATION_OWN,	"draft",	true,	"delete" },
	{ ACTIONS_DECLARATION_OWN,	"pending",	true,	"withdraw" },
	{ ACTIONS_DECLARATION_OWN,	"rejected",	true,	"revise" },
	{ ACTIONS_DECLARATION_REVIEW,	"pending",	false,	"approve" },
	{ ACTIONS_DECLARATION_REVIEW,	"pending",	false,	"reject" },
	{ ACTIONS_REGISTRATION,		"pending",	false,	"approve" },
	{ ACTIONS_REGISTRATION,		"pending",	false,	"reject" },
	{ ACTIONS_TITLE_CHANGE,		"pending",	false,	"approve" },
	{ ACTIONS_TITLE_CHANGE,		"pending",	false,	"reject" },
	{ ACTIONS_STAFF,		"active",	false,	"reset_password" },
};

json_t *
actions_for(enum actions_kind kind, const char *state, const char *source)
{
	json_t *actions = json_array();
	bool own = source == NULL || strcmp(source, "person") == 0;

	for (size_t i = 0; i < sizeof action_rules / sizeof action_rules[0]; i++) {
		const struct action_rule *r = &action_rules[i];

		if (r->kind == kind && state != NULL && strcmp(r->state, state) == 0 &&
		    (own || !r->own_only))
			json_array_append_new(actions, json_string(r->action));
	}
	return actions;
}
