/*
 * presence.h - which sessions could hear a record.changed, told to the
 * database (schema/020-notify-when-heard.sql), so that a change nobody
 * could hear sends no notice (PostgreSQL serialises the commits of the
 * transactions that send one).
 *
 * A session's row says: this jxjyd (notify_instance()), its serial, and
 * the account it is logged in to or watches (sessions.h).  The request
 * that logged it in, out or made it watch writes or deletes it before its
 * reply goes (presence_settle), so that a change made after the person's
 * screen was read is heard; a session that ends is taken off within a
 * second by the listening thread (presence_forget, presence_tick), which
 * also, once a minute, brings this jxjyd's rows in line with its sessions,
 * refreshes them, and deletes those of a jxjyd not seen for five minutes.
 * A row that lingers only costs a notice nobody hears.
 */
#ifndef JXJYD_PRESENCE_H
#define JXJYD_PRESENCE_H

#include "rpc.h"

/* After a request ran: the session's row as its registration now is (rpc.c). */
void	presence_settle(struct rpc_call *call);

/* The session is ending: its row goes at the next tick (connection.c). */
void	presence_forget(struct session *s);

/* The listening thread's tick (about every second), on its own connection. */
void	presence_tick(struct db_conn *db);

#endif
