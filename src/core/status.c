/*
 * status.c - messages and exit codes of enum pl_status, and pl_fail.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "plasticity/status.h"
#include "plasticity/util.h"

static const struct {
	const char *msg;
	int exit;
} status_table[] = {
#define PL_STATUS_ROW(code, exit, msg) {msg, exit},
        PL_STATUS_LIST(PL_STATUS_ROW)
#undef PL_STATUS_ROW
};

const char *pl_status_str(enum pl_status st)
{
	return status_table[st].msg;
}

int pl_status_exit(enum pl_status st)
{
	return status_table[st].exit;
}

enum pl_status pl_fail(char **cause, enum pl_status st, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (cause == NULL)
		return st;
	/* Format first: the arguments may point into the old message. */
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	free(*cause);
	*cause = msg;
	return st;
}
