/*
 * protocol.h - what the jxjy client and jxjyd agree on.
 *
 * The wire protocol is JSON-RPC 2.0, one JSON object per line (UTF-8,
 * '\n'-terminated), carried on the SSH subsystem "jxjy-rpc".  Every method
 * is documented in docs/protocol.md.
 */
#ifndef JXJY_PROTOCOL_H
#define JXJY_PROTOCOL_H

#define JXJY_SUBSYSTEM		"jxjy-rpc"
#define JXJY_SERVER_NAME	"jxjyd"
#define JXJY_DEFAULT_PORT	2222

/* A request or reply line may not be longer than this (bytes, without '\n'). */
#define JXJY_MAX_LINE_DEFAULT	(1024 * 1024)

/*
 * Error codes.  The JSON-RPC 2.0 ones first, then ours (-32000..-32099).
 * Every error reply also carries data.reason, a stable snake_case word that
 * scripts can test, and data.field when one input field is at fault.
 */
enum rpc_error_code {
	RPC_PARSE_ERROR		= -32700,	/* not JSON, or not UTF-8 */
	RPC_INVALID_REQUEST	= -32600,	/* JSON, but not a request */
	RPC_METHOD_NOT_FOUND	= -32601,
	RPC_INVALID_PARAMS	= -32602,	/* missing, extra or ill-typed */
	RPC_INTERNAL_ERROR	= -32603,	/* our fault; details in the log */

	RPC_NOT_PERMITTED	= -32001,	/* role or login required */
	RPC_INVALID_INPUT	= -32002,	/* a value broke a rule */
	RPC_CONFLICT		= -32003,	/* state changed under you */
	RPC_NOT_FOUND		= -32004,	/* no such record (or not yours) */
	RPC_LOGIN_FAILED	= -32005,	/* login refused, see reason */
	RPC_TOO_LARGE		= -32006,	/* request line too long */
	RPC_UNAVAILABLE		= -32007,	/* database down, shutting down */
	RPC_RATE_LIMITED	= -32008,	/* too many attempts */
};

#endif
