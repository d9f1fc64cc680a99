/*
 * signals.c - SIGINT, SIGTERM and SIGHUP turned into a readable pipe, so the
 * headless loop and the UI can poll() for them beside their other inputs
 * and stop cleanly instead of dying mid-write.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plasticity/signals.h"

static int sig_pipe[2] = {-1, -1};
/* Lock-free, so the handler may set it and any thread read it. */
static atomic_int sig_last;

static void on_signal(int sig)
{
	int saved = errno;
	char byte = (char)sig;

	atomic_store(&sig_last, sig);
	if (write(sig_pipe[1], &byte, 1) < 0) {
		/* The flag is set; a full pipe already wakes the reader. */
	}
	errno = saved;
}

/* Idempotent: one pipe for the process, however often it is called. */
int signals_install(void)
{
	struct sigaction sa;

	if (sig_pipe[0] < 0) {
		if (pipe(sig_pipe) != 0)
			abort();
		for (int i = 0; i < 2; i++)
			fcntl(sig_pipe[i], F_SETFL, O_NONBLOCK);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	return sig_pipe[0];
}

int signals_caught(void)
{
	return atomic_load(&sig_last);
}

enum pl_status signals_status(void)
{
	switch (atomic_load(&sig_last)) {
	case 0:
		return PL_OK;
	case SIGHUP:
		return PL_ERR_HANGUP;
	case SIGTERM:
		return PL_ERR_TERMINATED;
	default:
		return PL_ERR_INTERRUPTED;
	}
}
