/*
 * signals.h - SIGINT, SIGTERM and SIGHUP as a readable pipe, for the
 * headless run and the UI alike: both poll() it beside their other inputs
 * and stop cleanly, keeping every finished task.
 */
#ifndef PLASTICITY_SIGNALS_H
#define PLASTICITY_SIGNALS_H

#include "plasticity/status.h"

/* Route SIGINT, SIGTERM and SIGHUP to a pipe; returns its read end. Safe to
 * call early (before anything is written) and more than once. */
int signals_install(void);
/* The last signal caught, or 0. */
int signals_caught(void);
/* What the caught signal means for the exit status: PL_ERR_INTERRUPTED
 * (SIGINT, 130), PL_ERR_TERMINATED (SIGTERM, 143), PL_ERR_HANGUP (SIGHUP,
 * 129), or PL_OK when none was caught. */
enum pl_status signals_status(void);

#endif
