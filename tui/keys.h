/*
 * keys.h - the keys of every screen, for F1 and the status bar (ui_help_set).
 *
 * As tmux keeps the default key tables of all its modes in key-bindings.c,
 * the screens' tables are in one file, keys.c: one place to see that a key
 * means the same on every screen (F5 reloads, Esc goes back, F10 quits)
 * and one wording for the same key.  Each table ends in a zeroed entry;
 * the screen that handles the keys is named beside its table.
 */
#ifndef JXJY_KEYS_H
#define JXJY_KEYS_H

#include "ui.h"

/* queue.c */
extern const struct ui_key_help queue_keys[];
extern const struct ui_key_help queue_keys_tagging[];
extern const struct ui_key_help queue_keys_filter[];
/* screen-authority-*.c */
extern const struct ui_key_help authority_stats_keys[];
extern const struct ui_key_help authority_review_keys[];
extern const struct ui_key_help authority_audit_keys[];
extern const struct ui_key_help authority_bases_keys[];
extern const struct ui_key_help authority_requirements_keys[];
/* screen-base.c, screen-base-class.c, screen-base-roster.c */
extern const struct ui_key_help base_keys[];
extern const struct ui_key_help base_class_keys[];
extern const struct ui_key_help base_roster_keys[];
/* screen-completion.c */
extern const struct ui_key_help compl_keys[];
extern const struct ui_key_help compl_detail_keys[];
/* screen-decl-review.c */
extern const struct ui_key_help dreview_keys[];
/* screen-declare.c */
extern const struct ui_key_help declare_keys[];
/* screen-home.c */
extern const struct ui_key_help home_keys[];
/* screen-login.c */
extern const struct ui_key_help login_keys[];
extern const struct ui_key_help login_captcha_keys[];
/* screen-password.c */
extern const struct ui_key_help password_keys[];
extern const struct ui_key_help password_forced_keys[];
/* screen-profile.c */
extern const struct ui_key_help profile_keys_help[];
extern const struct ui_key_help profile_history_keys[];
extern const struct ui_key_help profile_ssh_keys[];
/* screen-progress.c */
extern const struct ui_key_help progress_keys_help[];
/* screen-register.c */
extern const struct ui_key_help reg_keys[];
/* screen-report.c */
extern const struct ui_key_help report_keys[];
/* screen-staff.c */
extern const struct ui_key_help staff_keys[];
/* screen-status.c */
extern const struct ui_key_help status_keys[];

#endif
