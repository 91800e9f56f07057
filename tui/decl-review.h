/*
 * decl-review.h - the queue of declarations waiting for review, shared by
 * the unit administrator's 学时审核 (screen-decl-review.c) and the
 * authority's 审核 (screen-authority-review.c): the same records, columns,
 * details, filters and class decisions, on the methods each role has.
 */
#ifndef JXJY_DECL_REVIEW_H
#define JXJY_DECL_REVIEW_H

#include <stdbool.h>

#include <jansson.h>

#include "app.h"
#include "queue.h"

/* The methods (and words) of one role's queue beside its list and decisions (queue_ops). */
struct dreview_api {
	const char	*detail;	/* a record in full: "review.declaration" */
	const char	*attachment;	/* its attachment: "attachment.get" */
	const char	*class_attachment; /* a base class's document: "review.class_attachment" */
	const char	*decide_class;	/* "review.decide_class" */
	const char	*approve_class;	/* the questions before deciding a class (msgids: */
	const char	*reject_class;	/*   "... %lld pending records of the class %s ...") */
	bool		 catalog;	/* forms.list offers the years and forms to filter by */
};

/* The screen's own filters, beside the queue's filter line (a person). */
struct dreview {
	const struct dreview_api *api;
	void		*extra;		/* the calling screen's */
	json_t		*catalog;	/* forms.list: forms and years to filter by */
	int		 year;		/* 0: every year */
	char		*form_code;	/* NULL: every form */
	char		*form_name;
	char		 catalog_error[256];	/* why forms.list failed */
	json_int_t	 class_id;	/* 0: every class (and own records) */
	char		*class_name;
};

enum dreview_column { DREVIEW_NAME, DREVIEW_ID, DREVIEW_FORM, DREVIEW_YEAR, DREVIEW_HOURS,
	DREVIEW_WHEN };

/* The queue_ops callbacks both queues use (q->arg is the struct dreview). */
void	dreview_params(struct queue *q, json_t *params);
void	dreview_paint_head(struct queue *q);
char	*dreview_cell(struct queue *q, json_t *item, size_t col, int width,
	    enum ui_style *style);
char	*dreview_who(struct queue *q, json_t *item);
char	*dreview_question(struct queue *q, const struct queue_decision *d, json_t *one,
	    size_t n);
int	dreview_detail(struct queue *q, json_t *item);
int	dreview_key(struct queue *q, const struct ui_event *ev);

/*
 * Run the queue ops (its decisions: approve first, reject second) with
 * api's methods; extra is the caller's (struct dreview's extra).  Returns
 * SCREEN_HOME or SCREEN_QUIT.
 */
enum screen_id dreview_run(struct app *a, const struct queue_ops *ops,
	    const struct dreview_api *api, void *extra);

#endif
