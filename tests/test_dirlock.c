/*
 * test_dirlock.c - one process at a time per run directory: a second
 * process is refused with the holder's pid, a second open in the same
 * process too, and a holder killed with SIGKILL leaves nothing that blocks.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plasticity/dirlock.h"
#include "plasticity/util.h"
#include "tap.h"

/* In a child: try to take the lock; exit 0 if refused naming want_pid. */
static int child_refused(const char *dir, long want_pid)
{
	pid_t pid = fork();
	int wst;

	if (pid == 0) {
		struct dirlock *l;
		char *cause = NULL, *needle = xasprintf("process %ld ", want_pid);
		enum pl_status st = dirlock_acquire(&l, dir, &cause);

		_exit(st == PL_ERR_CANTCREAT && l == NULL && cause != NULL &&
		                      strstr(cause, needle) != NULL &&
		                      strstr(cause, dir) != NULL
		              ? 0
		              : 1);
	}
	return waitpid(pid, &wst, 0) == pid && WIFEXITED(wst) && WEXITSTATUS(wst) == 0;
}

int main(void)
{
	char dir[] = "/tmp/pl-lock-XXXXXX", *cause = NULL;
	struct dirlock *a = NULL, *b = NULL;
	enum pl_status st;
	int pipefd[2];
	pid_t holder;

	if (mkdtemp(dir) == NULL)
		return 99;
	ok(dirlock_acquire(&a, dir, &cause) == PL_OK && a != NULL,
	   "first acquire succeeds");
	ok(child_refused(dir, (long)getpid()),
	   "another process is refused, naming our pid");
	ok(dirlock_acquire(&b, dir, &cause) == PL_ERR_CANTCREAT && b == NULL,
	   "a second open in the same process is refused too");
	dirlock_release(a);
	ok(dirlock_acquire(&a, dir, &cause) == PL_OK, "released lock can be taken again");
	dirlock_release(a);

	/* A holder killed with SIGKILL: the kernel drops its lock. */
	if (pipe(pipefd) != 0)
		return 99;
	holder = fork();
	if (holder == 0) {
		struct dirlock *l;

		if (dirlock_acquire(&l, dir, NULL) == PL_OK &&
		    write(pipefd[1], "x", 1) == 1)
			pause();
		_exit(1);
	}
	{
		char c;

		ok(read(pipefd[0], &c, 1) == 1, "child holds the lock");
	}
	ok(child_refused(dir, (long)holder),
	   "while it lives, others are refused with its pid");
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	ok(dirlock_acquire(&a, dir, &cause) == PL_OK,
	   "after SIGKILL of the holder the lock is free");
	dirlock_release(a);

	/* Its own statement: ok()'s arguments are evaluated in any order, and
	 * the message must not read the cause dirlock_acquire frees. */
	st = dirlock_acquire(&a, "/nonexistent/pl-lock", &cause);
	ok(st == PL_ERR_NOINPUT &&
	           strcmp(cause, "/nonexistent/pl-lock: no such directory") == 0,
	   "a missing directory is named: %s", cause ? cause : "");
	free(cause);
	{
		char *lock = xasprintf("%s/.lock", dir);

		unlink(lock);
		free(lock);
	}
	rmdir(dir);
	return tap_done();
}
