/*
 * util.c - allocators that abort on out-of-memory, a monotonic clock, mkdir -p
 * and atomic (temp file + rename) writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "plasticity/util.h"

static void oom(size_t n)
{
	fprintf(stderr, "plasticity: out of memory (%zu bytes)\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (p == NULL)
		oom(count * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		oom(n);
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

char *xvasprintf(const char *fmt, va_list ap)
{
	va_list ap2;
	char *s;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

float *xalloc_floats(size_t count)
{
	size_t bytes = (count * sizeof(float) + 63) & ~(size_t)63;
	void *p = NULL;

	if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0)
		oom(bytes);
	memset(p, 0, bytes);
	return p;
}

double pl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

char *pl_config_dir(const char *sub)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (xdg != NULL && xdg[0] == '/')
		return xasprintf("%s/plasticity/%s", xdg, sub);
	if (home != NULL && home[0] != '\0')
		return xasprintf("%s/.config/plasticity/%s", home, sub);
	return NULL;
}

enum pl_status mkdir_p(const char *path, char **cause)
{
	char *buf = xstrdup(path);
	enum pl_status st = PL_OK;
	struct stat sb;

	for (char *p = buf + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
			st = pl_fail(cause, PL_ERR_CANTCREAT,
			             "%s: cannot create directory: %s", buf,
			             strerror(errno));
			goto out;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
		st = pl_fail(cause, PL_ERR_CANTCREAT, "%s: not a directory", path);
out:
	free(buf);
	return st;
}

enum pl_status atomic_open(struct atomic_file *af, const char *path, char **cause)
{
	int fd;

	af->path = xstrdup(path);
	af->tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	fd = open(af->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0 || (af->fp = fdopen(fd, "w")) == NULL) {
		enum pl_status st =
		        pl_fail(cause, PL_ERR_CANTCREAT, "%s: cannot create: %s", path,
		                strerror(errno));
		if (fd >= 0)
			close(fd);
		free(af->path);
		free(af->tmp);
		af->path = af->tmp = NULL;
		return st;
	}
	return PL_OK;
}

enum pl_status atomic_commit(struct atomic_file *af, char **cause)
{
	enum pl_status st = PL_OK;
	int err = 0;

	if (fflush(af->fp) != 0 || ferror(af->fp) || fsync(fileno(af->fp)) != 0)
		err = errno ? errno : EIO;
	if (fclose(af->fp) != 0 && err == 0)
		err = errno;
	af->fp = NULL;
	if (err == 0 && rename(af->tmp, af->path) != 0)
		err = errno;
	if (err != 0) {
		st = pl_fail(cause, PL_ERR_IO, "%s: cannot write: %s", af->path,
		             strerror(err));
		unlink(af->tmp);
	}
	free(af->path);
	free(af->tmp);
	af->path = af->tmp = NULL;
	return st;
}

void atomic_abort(struct atomic_file *af)
{
	if (af->fp != NULL)
		fclose(af->fp);
	if (af->tmp != NULL)
		unlink(af->tmp);
	free(af->path);
	free(af->tmp);
	af->fp = NULL;
	af->path = af->tmp = NULL;
}

enum pl_status atomic_write(const char *path, const void *buf, size_t n, char **cause)
{
	struct atomic_file af;
	enum pl_status st = atomic_open(&af, path, cause);

	if (st != PL_OK)
		return st;
	fwrite(buf, 1, n, af.fp);
	return atomic_commit(&af, cause);
}
