/*
 * status.h - the one list of everything that can go wrong, and how to say it.
 *
 * Every fallible function returns an enum pl_status; where a person needs the
 * detail (file, line, value), it also fills an optional char **cause that the
 * caller frees. The list below is an X-macro: code, sysexits exit status,
 * generic message.
 */
#ifndef PLASTICITY_STATUS_H
#define PLASTICITY_STATUS_H

#define PL_STATUS_LIST(X)                                                                \
	X(PL_OK, 0, "success")                                                           \
	X(PL_ERR_USAGE, 64, "bad command-line usage")                                    \
	X(PL_ERR_DATA, 65, "bad input data")                                             \
	X(PL_ERR_NOINPUT, 66, "cannot open input")                                       \
	X(PL_ERR_UNAVAILABLE, 69, "a process of the MPI job was lost")                   \
	X(PL_ERR_CANTCREAT, 73, "cannot create output")                                  \
	X(PL_ERR_IO, 74, "input/output error")                                           \
	X(PL_ERR_CONFIG, 78, "bad configuration")                                        \
	X(PL_ERR_INTERRUPTED, 130, "interrupted")                                        \
	X(PL_ERR_HANGUP, 129, "hangup")                                                  \
	X(PL_ERR_TERMINATED, 143, "terminated")                                          \
	X(PL_ERR_DIVERGED, 1, "some runs diverged")

enum pl_status {
#define PL_STATUS_ENUM(code, exit, msg) code,
	PL_STATUS_LIST(PL_STATUS_ENUM)
#undef PL_STATUS_ENUM
};

/* The generic message for a status ("bad input data"). */
const char *pl_status_str(enum pl_status st);

/* The process exit status (sysexits.h numbering) for a status. */
int pl_status_exit(enum pl_status st);

/*
 * Set *cause (if cause is not NULL) to a newly allocated printf-formatted
 * message, freeing any earlier one; returns st so callers can write
 * `return pl_fail(cause, PL_ERR_DATA, "%s: truncated", path);`.
 */
enum pl_status pl_fail(char **cause, enum pl_status st, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#endif
