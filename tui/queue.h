/*
 * queue.h - one list widget behind every queue of records the unit
 * administrator works through (注册审核, 职务变更审核, 学时审核, 本单位人员,
 * 完成情况统计), on the model of tmux's mode-tree.c.
 *
 * The screen gives a descriptor: its columns, a row painter, how to ask
 * the server for a page, what Enter shows and which decisions it offers.
 * The widget owns the rest: paging by the server's cursor (PgDn past the
 * last row reads the next page), tagging with Space, the filter line (/),
 * the keys, the confirmation and the report of a batch decision, and the
 * cursor, which stays where it was after a detail or a decision.
 *
 * Records are the server's JSON objects as they came (one reference held
 * each); the screen reads them with app_json_str and friends.
 */
#ifndef JXJY_QUEUE_H
#define JXJY_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "app.h"
#include "ui.h"

struct queue;

/* What a screen's key function returns to leave the queue, as Esc does. */
#define QUEUE_KEY_LEAVE	2

/* A column: its heading (a msgid), and the widths it may take. */
struct queue_column {
	const char	*title;
	int		 min;		/* columns at least; the heading's width counts too */
	int		 max;		/* at most; 0: takes what the others leave */
	bool		 right;		/* right-aligned (numbers) */
};

/*
 * A decision on the tagged records (or the one under the cursor): the key,
 * the word of it in a record's "actions" (contract 2), the method and what
 * it asks before.  The server answers {results: [{<id>, ok, reason, ...}]}.
 */
struct queue_decision {
	int		 key;		/* 'a' */
	const char	*action;	/* "approve" */
	const char	*method;	/* "review.approve_registrations" */
	const char	*ids;		/* the method's parameter: "account_ids" */
	const char	*title;		/* of the dialog: a msgid */
	const char	*done;		/* a result that went through: "approved", a msgid */
	const char	*summary;	/* "%zu of %zu approved.", a msgid */
	bool		 reason;	/* asks for a reason */
	bool		 reason_required;
};

struct queue_ops {
	const char	*header;	/* ui_header's title, a msgid */
	const char	*method;	/* the list: "review.registrations" */
	const char	*items;		/* the result's array of records; NULL: "items" */
	const char	*id_key;	/* a record's id: "account_id", "id" */
	const struct queue_column *columns;
	size_t		 ncolumns;
	int		 head_lines;	/* lines under the header before the column headings */
	const char	*total;		/* a page's count of the whole list: "pending_total" */
	const char	*count;		/* line 1: "%s · %lld waiting for review" (unit, total), a msgid */
	bool		 tagging;	/* Space tags rows; decisions go to the tagged ones */
	const char	*filter;	/* the filter line's parameter ("filter"), NULL: none */
	const char	*empty;		/* no record at all, a msgid */
	const char	*empty_filtered; /* none matches the filter, a msgid (NULL: empty) */
	const char	*hints;		/* the status line, a msgid */
	const struct ui_key_help *keys;	/* every key, for F1 (contract 4) */
	const struct queue_decision *decisions;
	size_t		 ndecisions;

	/* Add the screen's own filters and order to a page's params. */
	void		(*params)(struct queue *q, json_t *params);
	/* A page came (more: appended): keep its totals. */
	void		(*loaded)(struct queue *q, json_t *result, bool more);
	/* Paint the lines between the header and the column headings. */
	void		(*paint_head)(struct queue *q);
	/*
	 * The row painter: the text of column col of a record (caller frees),
	 * in width columns; may set *style for this cell.
	 */
	char		*(*cell)(struct queue *q, json_t *item, size_t col, int width,
			    enum ui_style *style);
	/* A mark drawn in the leftmost column (a conflict's "!"), or NULL. */
	const char	*(*mark)(struct queue *q, json_t *item);
	/* What follows "N shown" at the foot ("; !: ..."), or NULL. */
	const char	*(*foot)(struct queue *q);
	/*
	 * Enter: show a record.  Returns a decision's key pressed there (it is
	 * then taken on this record alone), 0, or -1 to quit.
	 */
	int		(*detail)(struct queue *q, json_t *item);
	/* A record in the report; NULL: its "name（id_number）".  Caller frees. */
	char		*(*who)(struct queue *q, json_t *item);
	/* The question before a decision on one record (n == 1) or n.  Caller frees. */
	char		*(*question)(struct queue *q, const struct queue_decision *d,
			    json_t *one, size_t n);
	/* A result that did not go through, in words (caller frees), or NULL: the default. */
	char		*(*explain)(struct queue *q, json_t *result);
	/* A key of the screen's own: 1 taken, 0 not, -1 quit, QUEUE_KEY_LEAVE back out. */
	int		(*key)(struct queue *q, const struct ui_event *ev);
};

struct queue {
	const struct queue_ops *ops;
	struct app	*app;
	void		*arg;		/* the screen's */

	json_t		*items;		/* the records read so far, an array */
	bool		*tagged;	/* one per record */
	size_t		 tagged_cap;
	char		*next;		/* the next page's cursor, NULL: none */
	json_int_t	 total;		/* ops->total of the last page */
	size_t		 cur, top;
	int		 rows;		/* list rows at the last paint */
	struct ui_form	 filter;
	bool		 filtering;	/* keys go to the filter line */
	char		 message[512];
	bool		 message_error;
};

/* Run the queue until the user leaves it.  Returns SCREEN_HOME or SCREEN_QUIT. */
enum screen_id queue_run(const struct queue_ops *ops, struct app *a, void *arg);

/* The widget's backdrop (for a detail that sets its own and gives it back). */
void	queue_paint(void *q);

/* Read the list again from the start; the cursor stays on its row (or the last). */
void	queue_reload(struct queue *q);

/* The screen's filters or order changed: read the list from its start, the cursor on top. */
void	queue_refilter(struct queue *q);

/* The status message under the list. */
void	queue_say(struct queue *q, const char *text, bool error);

/* The record under the cursor, or NULL for an empty list. */
json_t	*queue_current(struct queue *q);

/* The filter line's text, "" when there is none. */
const char *queue_filter_text(struct queue *q);

/*
 * Whether a record allows an action: it is among the record's "actions",
 * which the daemon decides (docs/protocol.md, "Actions").
 */
bool	queue_allows(json_t *item, const char *action);

/*
 * The keys of the decisions a record allows ("ar", "r", ""), for a pager
 * over its detail.  Caller frees.
 */
char	*queue_decision_keys(struct queue *q, json_t *record);

/*
 * Ask question for decision d -- its reason when it takes one, else yes or
 * no -- and when the person goes on, call method with params (taken; the
 * reason added), say what became of each record as after a/r ("%zu of %zu
 * approved." and the misses) and read the list again.  For a decision on
 * records the queue names otherwise (a base's class).
 */
void	queue_confirm_decision(struct queue *q, const struct queue_decision *d,
	    const char *method, json_t *params, const char *question);

/* "already decided by X at T (state)" and the like: the default explain. */
char	*queue_explain(json_t *result, const char *state_name);

#endif
