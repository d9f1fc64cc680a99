/*
 * util.h - allocation that cannot fail, and files that are never half written.
 *
 * The x* allocators abort with a message on out-of-memory, so callers need no
 * NULL checks. Aligned buffers are 64-byte aligned for SIMD and BLAS.
 */
#ifndef PLASTICITY_UTIL_H
#define PLASTICITY_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "plasticity/status.h"

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/*
 * PL_HOT marks an element-wise hot loop: on x86-64 it is compiled twice,
 * for x86-64-v3 (AVX2) and for the baseline, and the loader picks one at
 * run time, so the binary stays portable and still uses 256-bit vectors
 * where it can. -std=c11 leaves multiply-adds uncontracted, so both give
 * the same numbers.
 */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PL_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define PL_TSAN 1
#endif
/* Not under ThreadSanitizer: ifunc resolvers run before its runtime is up.
 * Not with PL_NO_CLONES (the fuzz targets): clang wants the attribute on
 * every declaration, which the plain headers do not carry. */
#if defined(__x86_64__) && defined(__has_attribute) && !defined(PL_TSAN) &&              \
        !defined(PL_NO_CLONES)
#if __has_attribute(target_clones)
#define PL_HOT __attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
#endif
#ifndef PL_HOT
#define PL_HOT
#endif

/* 64-byte aligned, zero-filled; release with free(). */
float *xalloc_floats(size_t count);

/* Seconds on the monotonic clock. */
double pl_now(void);

/*
 * Atomic file writes: atomic_open creates "<path>.tmp.<pid>" next to path;
 * write to f->fp, then atomic_commit fsyncs, closes and renames it over
 * path, or atomic_abort removes it. Either call frees the struct.
 */
struct atomic_file {
	FILE *fp;
	char *path;
	char *tmp;
};
enum pl_status atomic_open(struct atomic_file *af, const char *path, char **cause);
enum pl_status atomic_commit(struct atomic_file *af, char **cause);
void atomic_abort(struct atomic_file *af);
/* n bytes of buf as the file path, through atomic_open and atomic_commit. */
enum pl_status atomic_write(const char *path, const void *buf, size_t n, char **cause);

/*
 * $XDG_CONFIG_HOME/plasticity/SUB, or ~/.config/plasticity/SUB when that is
 * unset or relative (the XDG spec ignores relative values); NULL when
 * neither is known. Newly allocated.
 */
char *pl_config_dir(const char *sub);

/* mkdir -p; fails with PL_ERR_CANTCREAT naming the path. */
enum pl_status mkdir_p(const char *path, char **cause);

#endif
