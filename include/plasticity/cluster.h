/*
 * cluster.h - one grid trained by every process of an MPI job (Open MPI's
 * mpirun, or srun under Slurm), with the results of one process.
 *
 * Rank 0 is the program as it always is: it reads the preset, writes the
 * run directory, prints, runs the UI, and trains --jobs runs itself. The
 * other ranks only train, for as long as rank 0 runs (cluster_serve). For
 * each grid rank 0 sends them the resolved preset; each loads the data
 * itself and answers with its CRC-32, so a rank with other data is refused
 * by host before anything trains (cluster_begin). Then each of their
 * workers asks rank 0 for one (method, run) at a time, with the checkpoint
 * to resume it from, and sends every task back as it finishes, with the
 * run's checkpoint and weights: rank 0 writes those and hands the task to
 * its session as if its own worker had trained it (grid_set_server).
 * Which process trains a run never changes its numbers: a run is trained
 * by one thread from its seed, wherever it is.
 *
 * Faults: a rank's main thread sends rank 0 a heartbeat (its workers'
 * slots) every CLUSTER_HEARTBEAT seconds. A rank on rank 0's host whose
 * process is gone, or any rank not heard from for CLUSTER_TIMEOUT seconds
 * (CLUSTER_STOP_WAIT once the grid is stopping), is lost: the grid stops
 * with PL_ERR_UNAVAILABLE naming its rank, pid and host, every task already
 * received stays in the run directory, and cluster_end aborts the job.
 *
 * Without MPI (configure --without-mpi), or in a process that no MPI
 * launcher started, the job is this one process: cluster_size() is 1 and
 * nothing here communicates.
 */
#ifndef PLASTICITY_CLUSTER_H
#define PLASTICITY_CLUSTER_H

#include "plasticity/grid.h"
#include "plasticity/idx.h"
#include "plasticity/preset.h"
#include "plasticity/status.h"

#define CLUSTER_HEARTBEAT 0.1 /* seconds between a rank's heartbeats */
#define CLUSTER_TIMEOUT   10.0
#define CLUSTER_STOP_WAIT 0.5

/* Join the MPI job when mpirun or srun started this process (it sets
 * OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_RANK); else do nothing. Call
 * first thing in main, on every rank. */
void cluster_init(int *argc, char ***argv);
int cluster_size(void);
int cluster_rank(void);
/* What --info says: the MPI library built in ("Open MPI v4.1.4"), or that
 * there is none. */
const char *cluster_library(void);
/* "rank 2 (pid 4242 on host node7)" for messages, into buf. */
const char *cluster_name(int rank, char *buf, size_t len);
/* The default --jobs of this process: its host's cores over the job's
 * processes on that host (at least 1). */
int cluster_default_jobs(void);

/*
 * Rank 0, before a grid of p on ds starts: send p to the other ranks, which
 * load their data (their --data-dir, else the usual lookup, else the
 * folder ds came from) and check its CRC-32 against ds's. On success
 * *workers (may be NULL) is the job's worker count, rank 0's jobs
 * included, and the grid must go to cluster_attach or cluster_cancel. On
 * failure *cause names the rank and host, and the other ranks wait for the
 * next grid. Only when cluster_size() > 1.
 */
enum pl_status cluster_begin(const struct preset *p, const struct dataset *ds, int jobs,
                             int retrain_broken, int *workers, char **cause);
/* Whether cluster_begin succeeded for a grid not yet attached or cancelled. */
int cluster_begun(void);
/* Serve the begun grid's other ranks from g (before grid_start). */
void cluster_attach(struct grid *g);
/* The begun grid will not start: release the other ranks. */
void cluster_cancel(void);
/* Ranks > 0: train what rank 0 hands out until it ends; returns the exit
 * status rank 0 sent. data_dir: --data-dir (may be NULL); jobs: --jobs (0:
 * cluster_default_jobs). */
int cluster_serve(const char *data_dir, int jobs);
/* Rank 0, at exit with status: release the other ranks and leave MPI; if a
 * rank was lost, abort the job with status. Returns status. */
int cluster_end(int status);

#endif
