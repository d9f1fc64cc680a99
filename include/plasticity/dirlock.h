/*
 * dirlock.h - one process at a time per run directory.
 *
 * An advisory lock (flock(2)) on DIR/.lock, held from before the first file
 * is written until the process is done with the directory. The lock file
 * holds the holder's pid so a second process can say who has it. The kernel
 * drops the lock when the holder exits, however it exits (SIGKILL
 * included), so a stale .lock never blocks a resume.
 */
#ifndef PLASTICITY_DIRLOCK_H
#define PLASTICITY_DIRLOCK_H

#include "plasticity/status.h"

struct dirlock;

/*
 * Take the lock of dir. When another process holds it, fails with
 * PL_ERR_CANTCREAT and "DIR: in use by process PID (...)" in *cause;
 * PL_ERR_NOINPUT when dir does not exist. *out is NULL on failure.
 * The descriptor is close-on-exec.
 */
enum pl_status dirlock_acquire(struct dirlock **out, const char *dir, char **cause);
/* Release and free; NULL is fine. The .lock file itself stays. */
void dirlock_release(struct dirlock *l);

#endif
