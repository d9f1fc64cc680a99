/*
 * dirlock.c - an advisory lock per run directory (see dirlock.h).
 *
 * flock(2) rather than fcntl(2) record locks: an flock lock belongs to the
 * open file description, so two opens in one process also exclude each
 * other (the UI may open a directory it is already training into), and a
 * fork does not duplicate ownership in a way that survives exec (O_CLOEXEC).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "plasticity/dirlock.h"
#include "plasticity/util.h"

struct dirlock {
	int fd;
};

/* The pid a holder wrote into the lock file, or 0 when unreadable. */
static long holder_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

enum pl_status dirlock_acquire(struct dirlock **out, const char *dir, char **cause)
{
	char *path = xasprintf("%s/.lock", dir), pid[32];
	enum pl_status st = PL_OK;
	int fd, n;

	*out = NULL;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0 && errno == ENOENT) {
		st = pl_fail(cause, PL_ERR_NOINPUT, "%s: no such directory", dir);
		goto out;
	}
	if (fd < 0) {
		st = pl_fail(cause, PL_ERR_CANTCREAT, "%s: cannot create lock file: %s",
		             path, strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		long holder = errno == EWOULDBLOCK ? holder_pid(fd) : 0;

		if (holder > 0)
			st = pl_fail(
			        cause, PL_ERR_CANTCREAT,
			        "%s: in use by process %ld (another plasticity run or UI "
			        "writes it; wait for it or stop it)",
			        dir, holder);
		else
			st = pl_fail(cause, PL_ERR_CANTCREAT, "%s: cannot lock: %s", path,
			             strerror(errno == EWOULDBLOCK ? EBUSY : errno));
		close(fd);
		goto out;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	/* The pid only serves the message a second process prints. */
	if (ftruncate(fd, 0) == 0)
		n = (int)pwrite(fd, pid, (size_t)n, 0);
	*out = xmalloc(sizeof(**out));
	(*out)->fd = fd;
out:
	free(path);
	return st;
}

void dirlock_release(struct dirlock *l)
{
	if (l == NULL)
		return;
	close(l->fd); /* closing the last descriptor drops the flock */
	free(l);
}
