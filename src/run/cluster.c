/*
 * cluster.c - a grid over the processes of an MPI job (cluster.h).
 *
 * Only two threads of a process ever call MPI, never at once (so
 * MPI_THREAD_SERIALIZED is enough): the main thread before and after a
 * grid, and on rank 0 the grid's server thread while it runs (ordered by
 * pthread_create and pthread_join). Every send is an MPI_Isend kept until it
 * completes, so two ranks sending each other a checkpoint never wait on
 * each other; receives take whatever has arrived (MPI_Improbe). Messages
 * are byte strings in this host's layout: the ranks run one program on one
 * architecture. Each carries the grid's generation, so a late reply to an
 * earlier grid is dropped.
 */
#define _GNU_SOURCE /* sched_getaffinity */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plasticity/cluster.h"

#ifdef HAVE_MPI

#include <mpi.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <time.h>

#include "plasticity/identity.h"
#include "plasticity/lookup.h"
#include "plasticity/preset_io.h"
#include "plasticity/signals.h"
#include "plasticity/train.h"
#include "plasticity/util.h"

enum {
	TAG_BEGIN = 1, /* 0 -> r: a grid's preset */
	TAG_READY,     /* r -> 0: data loaded (or why not) */
	TAG_GO,        /* 0 -> r: start the grid, or not */
	TAG_REQ,       /* r -> 0: a worker wants an item */
	TAG_ITEM,      /* 0 -> r: (method, run) and its checkpoint, or none */
	TAG_EVENT,     /* r -> 0: a grid event, with the files it makes */
	TAG_BEAT,      /* r -> 0: heartbeat, the workers' slots */
	TAG_CTL,       /* 0 -> r: stop, pause */
	TAG_HALT,      /* r -> 0: a signal stopped this rank */
	TAG_BYE,       /* r -> 0: every worker of the grid is done */
	TAG_QUIT       /* 0 -> r: exit, with this status */
};

#define HOST_MAX 64

struct member {
	char host[HOST_MAX];
	int pid;
};

struct peer {
	int jobs, slot0; /* its workers, and where their slots start in the grid's */
	int bye, lost, halted;
	double heard;
};

static struct {
	int on, rank, size, gen, begun, lost;
	struct member *members;
	struct peer *peers;
	int remote_slots;
	MPI_Comm comm;
} cl = {.size = 1};

/* A message being built or read. */
struct msg {
	unsigned char *b;
	size_t n, cap, at;
	int bad;
};

static void put(struct msg *m, const void *p, size_t n)
{
	if (m->n + n > m->cap) {
		m->cap = (m->n + n) * 2 + 64;
		m->b = xrealloc(m->b, m->cap);
	}
	if (n > 0)
		memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put_int(struct msg *m, int v)
{
	put(m, &v, sizeof(v));
}

static void put_blob(struct msg *m, const void *p, size_t n)
{
	uint64_t len = p != NULL ? n : UINT64_MAX;

	put(m, &len, sizeof(len));
	if (p != NULL)
		put(m, p, n);
}

static void put_str(struct msg *m, const char *s)
{
	put_blob(m, s, s != NULL ? strlen(s) + 1 : 0);
}

static int get(struct msg *m, void *p, size_t n)
{
	if (m->bad || m->n - m->at < n) {
		m->bad = 1;
		memset(p, 0, n);
		return 0;
	}
	memcpy(p, m->b + m->at, n);
	m->at += n;
	return 1;
}

static int get_int(struct msg *m)
{
	int v = 0;

	get(m, &v, sizeof(v));
	return v;
}

/* A copy of the next blob (NULL for none), its length in *n. */
static void *get_blob(struct msg *m, size_t *n)
{
	uint64_t len = UINT64_MAX;
	void *p;

	*n = 0;
	if (!get(m, &len, sizeof(len)) || len == UINT64_MAX)
		return NULL;
	if (len > m->n - m->at) {
		m->bad = 1;
		return NULL;
	}
	p = xmalloc(len + 1);
	get(m, p, len);
	((char *)p)[len] = '\0';
	*n = len;
	return p;
}

static char *get_str(struct msg *m)
{
	size_t n;

	return get_blob(m, &n);
}

/* Sends in flight: each owns its buffer until MPI is done with it. */
struct pending {
	MPI_Request req;
	unsigned char *buf;
};
static struct pending *pend;
static int npend, cappend;

static void progress_sends(void)
{
	int j = 0;

	for (int i = 0; i < npend; i++) {
		int done = 0;

		MPI_Test(&pend[i].req, &done, MPI_STATUS_IGNORE);
		if (done)
			free(pend[i].buf);
		else
			pend[j++] = pend[i];
	}
	npend = j;
}

/* Send m (taken over) to dest. */
static void send_msg(int dest, int tag, struct msg *m)
{
	if (m->n > (size_t)INT32_MAX)
		abort();
	if (npend == cappend) {
		cappend = cappend * 2 + 16;
		pend = xrealloc(pend, (size_t)cappend * sizeof(*pend));
	}
	pend[npend].buf = m->b != NULL ? m->b : xmalloc(1);
	MPI_Isend(pend[npend].buf, (int)m->n, MPI_BYTE, dest, tag, cl.comm,
	          &pend[npend].req);
	npend++;
	m->b = NULL;
	m->n = m->cap = 0;
	progress_sends();
}

static void nap(void)
{
	struct timespec ts = {0, 1000000};

	nanosleep(&ts, NULL);
}

/* Rank r's process is gone: only known when it shares this host. */
static int process_gone(int r)
{
	return strcmp(cl.members[r].host, cl.members[cl.rank].host) == 0 &&
	       kill(cl.members[r].pid, 0) != 0 && errno == ESRCH;
}

/*
 * One message from source (MPI_ANY_SOURCE) if one has arrived: 1 with m,
 * *tag and *from filled; 0 if none. A long message moves only while its
 * sender runs, so the receive is waited for with a limit: -1 when its
 * sender (*from) died or stopped in the middle of it.
 */
static int try_recv(int source, struct msg *m, int *tag, int *from)
{
	MPI_Message h;
	MPI_Request req;
	MPI_Status st;
	int flag = 0, count = 0, done = 0;
	double start;

	MPI_Improbe(source, MPI_ANY_TAG, cl.comm, &flag, &h, &st);
	if (!flag)
		return 0;
	MPI_Get_count(&st, MPI_BYTE, &count);
	memset(m, 0, sizeof(*m));
	m->b = xmalloc((size_t)count + 1);
	m->n = m->cap = (size_t)count;
	*tag = st.MPI_TAG;
	*from = st.MPI_SOURCE;
	MPI_Imrecv(m->b, count, MPI_BYTE, &h, &req);
	start = pl_now();
	while (MPI_Test(&req, &done, MPI_STATUS_IGNORE), !done) {
		if (process_gone(*from) || pl_now() - start > CLUSTER_TIMEOUT) {
			/* The request is left to MPI: the job ends. */
			m->b = NULL;
			m->n = m->cap = 0;
			return -1;
		}
		nap();
	}
	return 1;
}

static void msg_free(struct msg *m)
{
	free(m->b);
	memset(m, 0, sizeof(*m));
}

/* The file at path as a blob (none when it cannot be opened: no checkpoint). */
static void put_file(struct msg *m, const char *path)
{
	FILE *fp = path != NULL ? fopen(path, "rb") : NULL;
	unsigned char buf[65536];
	uint64_t len = 0;
	size_t at = m->n, k;

	if (fp == NULL) {
		put_blob(m, NULL, 0);
		return;
	}
	put(m, &len, sizeof(len)); /* the length, filled in below */
	while ((k = fread(buf, 1, sizeof(buf), fp)) > 0)
		put(m, buf, k);
	fclose(fp);
	len = m->n - at - sizeof(len);
	memcpy(m->b + at, &len, sizeof(len));
}

void cluster_init(int *argc, char ***argv)
{
	struct member me = {{0}, (int)getpid()};
	int provided;

	if (getenv("OMPI_COMM_WORLD_SIZE") == NULL && getenv("PMIX_RANK") == NULL &&
	    getenv("PMI_RANK") == NULL)
		return;
	MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided);
	MPI_Comm_dup(MPI_COMM_WORLD, &cl.comm);
	/* A lost rank is ours to report, not a reason for MPI to abort. */
	MPI_Comm_set_errhandler(cl.comm, MPI_ERRORS_RETURN);
	MPI_Comm_rank(cl.comm, &cl.rank);
	MPI_Comm_size(cl.comm, &cl.size);
	cl.on = 1;
	gethostname(me.host, sizeof(me.host) - 1);
	cl.members = xcalloc((size_t)cl.size, sizeof(*cl.members));
	MPI_Allgather(&me, (int)sizeof(me), MPI_BYTE, cl.members, (int)sizeof(me),
	              MPI_BYTE, cl.comm);
	cl.peers = xcalloc((size_t)cl.size, sizeof(*cl.peers));
}

int cluster_size(void)
{
	return cl.size;
}

const char *cluster_library(void)
{
	static char buf[MPI_MAX_LIBRARY_VERSION_STRING + 64];
	char version[MPI_MAX_LIBRARY_VERSION_STRING] = "";
	int len = 0;

	/* Callable before MPI_Init; its first line names the library. */
	MPI_Get_library_version(version, &len);
	version[strcspn(version, ",\n")] = '\0';
	snprintf(buf, sizeof(buf), "%s (mpirun -n N plasticity run ...)", version);
	return buf;
}

int cluster_rank(void)
{
	return cl.rank;
}

const char *cluster_name(int rank, char *buf, size_t len)
{
	if (!cl.on || rank < 0 || rank >= cl.size)
		snprintf(buf, len, "rank %d", rank);
	else
		snprintf(buf, len, "rank %d (pid %d on host %s)", rank,
		         cl.members[rank].pid, cl.members[rank].host);
	return buf;
}

int cluster_default_jobs(void)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int here = 0, share;
	cpu_set_t mask;

	for (int r = 0; r < cl.size && cl.on; r++)
		here += strcmp(cl.members[r].host, cl.members[cl.rank].host) == 0;
	if (here < 1)
		here = 1;
	share = cores / here > 1 ? (int)(cores / here) : 1;
	/* mpirun binds a process to one core when it starts two or fewer:
	 * more workers than its cores would only take turns. */
	if (sched_getaffinity(0, sizeof(mask), &mask) == 0 && CPU_COUNT(&mask) >= 1 &&
	    CPU_COUNT(&mask) < share)
		share = CPU_COUNT(&mask);
	return share;
}

/* ---- rank 0 ---- */

/* The grid's files from a remote task event: weights, then the checkpoint
 * (before the task is posted, as a local worker does). */
static enum pl_status write_task_files(struct grid *g, int method, int run, int task,
                                       const void *ckpt, size_t nckpt,
                                       const void *weights, size_t nweights, char **cause)
{
	enum pl_status st = PL_OK;
	char *path;

	if (weights != NULL) {
		char *slash;

		path = grid_weights_path(g, method, run, task);
		slash = strrchr(path, '/');
		*slash = '\0'; /* its folder first */
		st = mkdir_p(path, cause);
		*slash = '/';
		if (st == PL_OK)
			st = atomic_write(path, weights, nweights, cause);
		free(path);
	}
	if (st == PL_OK && ckpt != NULL && grid_checkpoint_dir(g) != NULL) {
		path = grid_checkpoint_path(grid_checkpoint_dir(g), method, run);
		st = atomic_write(path, ckpt, nckpt, cause);
		free(path);
	}
	return st;
}

static void post_error(struct grid *g, enum pl_status st, char *message)
{
	struct grid_event ev = {.type = GRID_EV_ERROR, .status = st, .message = message};

	if (g == NULL) {
		free(message);
		return;
	}
	grid_post(g, &ev);
	grid_stop(g);
}

/* A remote grid event, decoded and handed on. */
static void on_event(struct grid *g, int from, struct msg *m)
{
	size_t nres, nckpt, nweights;
	struct grid_event ev = {0};
	char name[128], *cause = NULL;
	void *ckpt, *weights;
	int pass = 1; /* hand the event on as it is */

	ev.type = get_int(m);
	ev.method = get_int(m);
	ev.run = get_int(m);
	ev.restored = get_int(m);
	ev.status = get_int(m);
	ev.message = get_str(m);
	ev.result = get_blob(m, &nres);
	ckpt = get_blob(m, &nckpt);
	weights = get_blob(m, &nweights);
	if (g == NULL || m->bad || (int)ev.type < GRID_EV_TASK ||
	    (int)ev.type > GRID_EV_ALL_DONE || ev.method < 0 ||
	    ev.method >= grid_preset(g)->nmethods || ev.run < 0 ||
	    ev.run >= grid_preset(g)->runs ||
	    (ev.result != NULL &&
	     (nres != task_result_size(grid_preset(g)) || ev.result->task < 0 ||
	      ev.result->task >= grid_preset(g)->tasks)) ||
	    (ev.type == GRID_EV_TASK && ev.result == NULL)) {
		if (g != NULL)
			post_error(g, PL_ERR_DATA,
			           xasprintf("%s sent a malformed event",
			                     cluster_name(from, name, sizeof(name))));
		grid_event_free(&ev);
		free(ckpt);
		free(weights);
		return;
	}
	if (ev.type == GRID_EV_TASK && ev.result != NULL && !ev.restored) {
		enum pl_status st =
		        write_task_files(g, ev.method, ev.run, ev.result->task + 1, ckpt,
		                         nckpt, weights, nweights, &cause);

		if (st != PL_OK) {
			post_error(g, st, cause);
			pass = 0;
		}
	} else if (ev.type == GRID_EV_RUN_RESET && grid_checkpoint_dir(g) != NULL) {
		char *path =
		        grid_checkpoint_path(grid_checkpoint_dir(g), ev.method, ev.run);

		unlink(path);
		free(path);
	} else if (ev.type == GRID_EV_ERROR) {
		char *msg = xasprintf("%s: %s", cluster_name(from, name, sizeof(name)),
		                      ev.message ? ev.message : "error");

		post_error(g, ev.status, msg);
		pass = 0;
	}
	free(ckpt);
	free(weights);
	/* A rank's end is its BYE, not an event. */
	if (pass && ev.type != GRID_EV_ALL_DONE)
		grid_post(g, &ev);
	else
		grid_event_free(&ev);
}

/* A worker of rank `from` wants an item: the next one, with its checkpoint. */
static void on_request(struct grid *g, int from)
{
	struct msg out = {0};
	int method = -1, run = -1;
	char *path = NULL;

	if (g != NULL)
		grid_take(g, &method, &run);
	if (method >= 0 && grid_checkpoint_dir(g) != NULL)
		path = grid_checkpoint_path(grid_checkpoint_dir(g), method, run);
	put_int(&out, cl.gen);
	put_int(&out, method);
	put_int(&out, run);
	put_str(&out, path);
	put_file(&out, path);
	send_msg(from, TAG_ITEM, &out);
	free(path);
}

static void on_beat(struct grid *g, int from, struct msg *m)
{
	int n = get_int(m);

	for (int i = 0; g != NULL && i < n && i < cl.peers[from].jobs; i++) {
		struct grid_slot s;

		if (!get(m, &s, sizeof(s)))
			break;
		grid_set_slot(g, cl.peers[from].slot0 + i, &s);
	}
}

static void send_ctl(int stop, int paused)
{
	for (int r = 1; r < cl.size; r++)
		if (!cl.peers[r].bye && !cl.peers[r].lost) {
			struct msg m = {0};

			put_int(&m, cl.gen);
			put_int(&m, stop);
			put_int(&m, paused);
			send_msg(r, TAG_CTL, &m);
		}
}

/* Is rank r gone? Its process, when it shares rank 0's host; else its
 * silence, for `limit` seconds since `since` (limit < 0: it stopped in the
 * middle of a message). */
static int check_lost(struct grid *g, int r, double since, double limit)
{
	struct peer *p = &cl.peers[r];
	char name[128];
	double quiet = pl_now() - (p->heard > since ? p->heard : since);

	if (process_gone(r))
		post_error(g, PL_ERR_UNAVAILABLE,
		           xasprintf("%s died (its process is gone): the grid stops; "
		                     "every task it sent is kept",
		                     cluster_name(r, name, sizeof(name))));
	else if (limit < 0)
		post_error(g, PL_ERR_UNAVAILABLE,
		           xasprintf("%s has sent nothing for %.1f s, stopped in the "
		                     "middle of a message: the grid stops; every task "
		                     "it sent is kept",
		                     cluster_name(r, name, sizeof(name)),
		                     CLUSTER_TIMEOUT));
	else if (quiet > limit)
		post_error(g, PL_ERR_UNAVAILABLE,
		           xasprintf("%s has sent nothing for %.1f s: the grid stops; "
		                     "every task it sent is kept",
		                     cluster_name(r, name, sizeof(name)), quiet));
	else
		return 0;
	p->lost = 1;
	cl.lost = 1;
	return 1;
}

static void release_slots(struct grid *g, int r)
{
	struct grid_slot idle = {0};

	for (int i = 0; g != NULL && i < cl.peers[r].jobs; i++)
		grid_set_slot(g, cl.peers[r].slot0 + i, &idle);
}

/*
 * The server of the other ranks for grid g (NULL: the begun grid will not
 * run, so every request gets "none" and the ranks are stopped at once).
 * Returns when every rank has said bye or is lost.
 */
static void serve_ranks(struct grid *g)
{
	int left = cl.size - 1, stop_sent = 0, paused = 0;
	double stop_at = 0.0, checked = 0.0;

	for (int r = 1; r < cl.size; r++)
		cl.peers[r].heard = pl_now();
	while (left > 0) {
		struct msg m;
		int tag, from, got, any = 0;

		if ((g == NULL || grid_stopping(g)) && !stop_sent) {
			send_ctl(1, 0);
			stop_sent = 1;
			stop_at = pl_now();
		}
		if (!stop_sent && grid_paused(g) != paused) {
			paused = !paused;
			send_ctl(0, paused);
		}
		while (left > 0 &&
		       (got = try_recv(MPI_ANY_SOURCE, &m, &tag, &from)) != 0) {
			struct peer *p = &cl.peers[from];

			any = 1;
			if (got < 0) {
				if (!p->lost && !p->bye &&
				    check_lost(g, from, 0.0, -1.0)) {
					left--;
					release_slots(g, from);
				}
				continue;
			}
			if (from <= 0 || from >= cl.size || p->lost || p->bye ||
			    get_int(&m) != cl.gen) {
				msg_free(&m);
				continue;
			}
			p->heard = pl_now();
			if (tag == TAG_REQ)
				on_request(stop_sent ? NULL : g, from);
			else if (tag == TAG_EVENT)
				on_event(g, from, &m);
			else if (tag == TAG_BEAT)
				on_beat(g, from, &m);
			else if (tag == TAG_HALT) {
				p->halted = get_int(&m);
				if (g != NULL)
					grid_stop(g);
			} else if (tag == TAG_BYE) {
				p->bye = 1;
				left--;
				release_slots(g, from);
			}
			msg_free(&m);
		}
		if (pl_now() - checked >= CLUSTER_HEARTBEAT) {
			checked = pl_now();
			for (int r = 1; r < cl.size; r++)
				if (!cl.peers[r].bye && !cl.peers[r].lost &&
				    check_lost(g, r, stop_sent ? stop_at : 0.0,
				               stop_sent ? CLUSTER_STOP_WAIT
				                         : CLUSTER_TIMEOUT)) {
					left--;
					release_slots(g, r);
				}
		}
		progress_sends();
		if (!any)
			nap();
	}
	/* A rank stopped by a signal rank 0 did not get stops the grid too:
	 * say which. */
	for (int r = 1; r < cl.size && g != NULL && !signals_caught(); r++)
		if (cl.peers[r].halted) {
			char name[128];
			int sig = cl.peers[r].halted;

			post_error(g,
			           sig == SIGINT   ? PL_ERR_INTERRUPTED
			           : sig == SIGHUP ? PL_ERR_HANGUP
			                           : PL_ERR_TERMINATED,
			           xasprintf("%s was stopped by signal %d (%s): the grid "
			                     "stops",
			                     cluster_name(r, name, sizeof(name)), sig,
			                     strsignal(sig)));
			break;
		}
}

static void serve_thread(struct grid *g, void *arg)
{
	(void)arg;
	serve_ranks(g);
}

/* Wait for rank r's READY of this generation (its data loaded or not). */
static int await_ready(int r, struct msg *m, char **cause)
{
	char name[128];
	double start = pl_now();

	for (;;) {
		int tag, from;

		int got = try_recv(r, m, &tag, &from);

		if (got > 0) {
			if (tag == TAG_READY && get_int(m) == cl.gen)
				return 1;
			msg_free(m);
			continue;
		}
		progress_sends();
		/* Loading data takes seconds, not minutes. */
		if (got < 0 || process_gone(r) ||
		    pl_now() - start > 30 * CLUSTER_TIMEOUT) {
			cl.peers[r].lost = cl.lost = 1;
			pl_fail(cause, PL_ERR_UNAVAILABLE,
			        "%s did not say whether it has the data",
			        cluster_name(r, name, sizeof(name)));
			return 0;
		}
		nap();
	}
}

enum pl_status cluster_begin(const struct preset *p, const struct dataset *ds, int jobs,
                             int retrain_broken, int *workers, char **cause)
{
	struct msg m = {0};
	uint32_t crc = dataset_crc32(ds);
	enum pl_status st = PL_OK;
	int total = jobs, go;
	char *yaml = NULL, name[128];
	size_t n = 0;
	FILE *fp = open_memstream(&yaml, &n);

	if (fp == NULL)
		abort();
	preset_write(p, fp);
	fclose(fp);
	if (cl.lost) {
		free(yaml);
		return pl_fail(cause, PL_ERR_UNAVAILABLE,
		               "a process of this MPI job was lost: start the job again");
	}
	cl.gen++;
	for (int r = 1; r < cl.size; r++) {
		put_int(&m, cl.gen);
		put_str(&m, PACKAGE_VERSION);
		put_int(&m, retrain_broken);
		put_str(&m, ds->dir);
		put_str(&m, yaml);
		send_msg(r, TAG_BEGIN, &m);
	}
	free(yaml);
	cl.remote_slots = 0;
	for (int r = 1; r < cl.size; r++) {
		struct peer *pe = &cl.peers[r];
		int rst;
		uint32_t rcrc = 0;
		char *dir, *why;

		pe->jobs = pe->bye = pe->halted = 0;
		if (!await_ready(r, &m, st == PL_OK ? cause : NULL)) {
			st = PL_ERR_UNAVAILABLE;
			continue;
		}
		rst = get_int(&m);
		get(&m, &rcrc, sizeof(rcrc));
		pe->jobs = get_int(&m);
		dir = get_str(&m);
		why = get_str(&m);
		if (st == PL_OK && rst != PL_OK)
			st = pl_fail(cause, (enum pl_status)rst, "%s: %s",
			             cluster_name(r, name, sizeof(name)),
			             why ? why : pl_status_str((enum pl_status)rst));
		else if (st == PL_OK && rcrc != crc)
			st = pl_fail(cause, PL_ERR_DATA,
			             "%s: its %s data (%s) is not rank 0's (%s): CRC-32 "
			             "%08x, rank 0's %08x",
			             cluster_name(r, name, sizeof(name)), p->dataset,
			             dir ? dir : "?", ds->dir ? ds->dir : "?", rcrc, crc);
		pe->slot0 = cl.remote_slots;
		cl.remote_slots += pe->jobs;
		total += pe->jobs;
		free(dir);
		free(why);
		msg_free(&m);
	}
	go = st == PL_OK;
	for (int r = 1; r < cl.size; r++)
		if (!cl.peers[r].lost) {
			put_int(&m, cl.gen);
			put_int(&m, go);
			send_msg(r, TAG_GO, &m);
		}
	cl.begun = go;
	if (workers != NULL)
		*workers = total;
	return st;
}

int cluster_begun(void)
{
	return cl.begun;
}

void cluster_attach(struct grid *g)
{
	if (!cl.begun)
		return;
	cl.begun = 0;
	grid_set_server(g, serve_thread, NULL, cl.remote_slots);
}

void cluster_cancel(void)
{
	if (!cl.begun)
		return;
	cl.begun = 0;
	serve_ranks(NULL);
}

int cluster_end(int status)
{
	if (!cl.on)
		return status;
	if (cl.rank == 0) {
		cluster_cancel();
		if (cl.lost) {
			fflush(stdout);
			fflush(stderr);
			MPI_Abort(cl.comm, status ? status : 1);
		}
		for (int r = 1; r < cl.size; r++) {
			struct msg m = {0};

			put_int(&m, status);
			send_msg(r, TAG_QUIT, &m);
		}
	}
	while (npend > 0) {
		progress_sends();
		if (npend > 0)
			nap();
	}
	MPI_Finalize();
	cl.on = 0;
	return status;
}

/* ---- ranks > 0 ---- */

/* A message from rank 0, if one has arrived. Rank 0 stuck in the middle of
 * one is the end of the job: it cannot say so itself. */
static int from_rank0(struct msg *m, int *tag)
{
	int from, got = try_recv(0, m, tag, &from);

	if (got < 0) {
		char name[128];

		fprintf(stderr,
		        "plasticity: %s: rank 0 stopped in the middle of a message\n",
		        cluster_name(cl.rank, name, sizeof(name)));
		MPI_Abort(cl.comm, pl_status_exit(PL_ERR_UNAVAILABLE));
	}
	return got;
}

/* The next message from rank 0, however long it takes (between grids
 * rank 0 may be a person at the UI). */
static void await_rank0(struct msg *m, int *tag)
{
	while (!from_rank0(m, tag)) {
		progress_sends();
		nap();
	}
}

/* Items from rank 0, for this rank's workers (grid_set_source). */
struct link {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int wanted, asked, closed; /* workers waiting, requests unanswered */
	struct grid_item *queue;
	int nq, capq;
};

static void link_take(void *arg, struct grid_item *it)
{
	struct link *l = arg;

	pthread_mutex_lock(&l->mu);
	l->wanted++;
	while (l->nq == 0 && !l->closed)
		pthread_cond_wait(&l->cv, &l->mu);
	l->wanted--;
	if (l->nq > 0) {
		*it = l->queue[0];
		memmove(l->queue, l->queue + 1, (size_t)(l->nq - 1) * sizeof(*l->queue));
		l->nq--;
	} else {
		memset(it, 0, sizeof(*it));
		it->method = -1;
	}
	pthread_mutex_unlock(&l->mu);
}

static void link_close(struct link *l)
{
	pthread_mutex_lock(&l->mu);
	l->closed = 1;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

/* Requests for the workers waiting with nothing queued or asked for. */
static void link_ask(struct link *l)
{
	int need;

	pthread_mutex_lock(&l->mu);
	need = l->closed ? 0 : l->wanted - l->nq - l->asked;
	if (need > 0)
		l->asked += need;
	pthread_mutex_unlock(&l->mu);
	for (int i = 0; i < need; i++) {
		struct msg m = {0};

		put_int(&m, cl.gen);
		send_msg(0, TAG_REQ, &m);
	}
}

static void link_answer(struct link *l, struct msg *m)
{
	struct grid_item it = {0};

	it.method = get_int(m);
	it.run = get_int(m);
	it.ckpt_name = get_str(m);
	it.ckpt = get_blob(m, &it.nckpt);
	pthread_mutex_lock(&l->mu);
	l->asked--;
	if (it.method < 0 || l->closed || m->bad) {
		/* No more work (or no one to do it: the run stays unfinished). */
		l->closed = 1;
		free(it.ckpt);
		free(it.ckpt_name);
	} else {
		if (l->nq == l->capq) {
			l->capq = l->capq * 2 + 4;
			l->queue =
			        xrealloc(l->queue, (size_t)l->capq * sizeof(*l->queue));
		}
		l->queue[l->nq++] = it;
	}
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

static void send_event(const struct preset *p, struct grid_event *ev)
{
	struct msg m = {0};

	put_int(&m, cl.gen);
	put_int(&m, ev->type);
	put_int(&m, ev->method);
	put_int(&m, ev->run);
	put_int(&m, ev->restored);
	put_int(&m, ev->status);
	put_str(&m, ev->message);
	put_blob(&m, ev->result, ev->result ? task_result_size(p) : 0);
	put_blob(&m, ev->ckpt, ev->nckpt);
	put_blob(&m, ev->weights, ev->nweights);
	send_msg(0, TAG_EVENT, &m);
}

static void send_beat(struct grid *g, int jobs)
{
	struct grid_slot slots[64];
	int n = grid_slots(g, slots, 64);
	struct msg m = {0};

	n = n < jobs ? n : jobs;
	put_int(&m, cl.gen);
	put_int(&m, n);
	put(&m, slots, (size_t)n * sizeof(*slots));
	send_msg(0, TAG_BEAT, &m);
}

/* This rank's data for a grid: kept from the last grid when it is the
 * same dataset from the same folder. */
struct local_data {
	struct dataset ds;
	char *dir;
	uint32_t crc;
	int loaded;
};

static enum pl_status load_data(struct local_data *d, const struct preset *p,
                                const char *data_dir, const char *hint, char **cause)
{
	/* Its own --data-dir or lookup, as rank 0 found its data; rank 0's
	 * folder (on a shared file system) only when that finds nothing. */
	char *dir = lookup_data_dir(data_dir, p);
	enum pl_status st;

	if (dir == NULL && hint != NULL && dataset_dir_complete(hint))
		dir = xstrdup(hint);

	if (dir == NULL)
		return pl_fail(cause, PL_ERR_NOINPUT,
		               "no %s data found (run scripts/fetch-data there, or give "
		               "--data-dir)",
		               p->dataset);
	if (d->loaded && strcmp(d->dir, dir) == 0 &&
	    strcmp(d->ds.name, p->dataset) == 0) {
		free(dir);
		return PL_OK;
	}
	if (d->loaded)
		dataset_free(&d->ds);
	free(d->dir);
	d->loaded = 0;
	d->dir = dir;
	st = dataset_load(&d->ds, p->dataset, dir, cause);
	if (st == PL_OK) {
		d->crc = dataset_crc32(&d->ds);
		d->loaded = 1;
	}
	return st;
}

/* Train one grid for rank 0 until every worker is done. */
static void serve_grid(const struct preset *p, struct dataset *ds, int jobs,
                       int retrain_broken)
{
	struct link l = {0};
	struct grid *g = grid_new(p, ds, jobs);
	double beat = 0.0;
	int done = 0, halted = 0;

	pthread_mutex_init(&l.mu, NULL);
	pthread_cond_init(&l.cv, NULL);
	grid_set_source(g, link_take, &l);
	grid_set_retrain_broken(g, retrain_broken);
	grid_start(g);
	/* Until the workers are done and every request is answered. */
	while (!done || l.asked > 0) {
		struct pollfd pfd = {grid_wake_fd(g), POLLIN, 0};
		struct grid_event ev;
		struct msg m;
		int tag;

		while (grid_next_event(g, &ev)) {
			if (ev.type == GRID_EV_ALL_DONE)
				done = 1;
			else
				send_event(p, &ev);
			grid_event_free(&ev);
		}
		link_ask(&l);
		while (from_rank0(&m, &tag)) {
			if (get_int(&m) != cl.gen) {
				/* A late answer to an earlier grid. */
			} else if (tag == TAG_ITEM) {
				link_answer(&l, &m);
			} else if (tag == TAG_CTL) {
				int stop = get_int(&m), paused = get_int(&m);

				if (stop) {
					grid_stop(g);
					link_close(&l);
				} else {
					grid_pause(g, paused);
				}
			}
			msg_free(&m);
		}
		if (signals_caught() && !halted) {
			struct msg h = {0};

			halted = 1;
			put_int(&h, cl.gen);
			put_int(&h, signals_caught());
			send_msg(0, TAG_HALT, &h);
			grid_stop(g);
			link_close(&l);
		}
		if (pl_now() - beat >= CLUSTER_HEARTBEAT) {
			beat = pl_now();
			send_beat(g, jobs);
		}
		progress_sends();
		poll(&pfd, 1, 1);
	}
	grid_join(g);
	grid_free(g);
	{
		struct msg bye = {0};

		put_int(&bye, cl.gen);
		send_msg(0, TAG_BYE, &bye);
	}
	for (int i = 0; i < l.nq; i++) {
		free(l.queue[i].ckpt);
		free(l.queue[i].ckpt_name);
	}
	free(l.queue);
	pthread_mutex_destroy(&l.mu);
	pthread_cond_destroy(&l.cv);
}

/* A BEGIN: load the preset and the data, answer READY, and train on GO. */
static void on_begin(struct msg *m, struct local_data *d, const char *data_dir, int jobs)
{
	char *version = get_str(m), *hint, *yaml, *cause = NULL;
	int retrain = get_int(m), go = 0;
	struct preset p;
	struct msg r = {0};
	enum pl_status st = PL_OK;

	hint = get_str(m);
	yaml = get_str(m);
	preset_defaults(&p);
	if (m->bad || version == NULL || yaml == NULL)
		st = pl_fail(&cause, PL_ERR_DATA, "a malformed message from rank 0");
	else if (strcmp(version, PACKAGE_VERSION) != 0)
		st = pl_fail(&cause, PL_ERR_CONFIG,
		             "runs plasticity %s, rank 0 runs %s: one program on every "
		             "rank",
		             PACKAGE_VERSION, version);
	else if ((st = preset_load_string(&p, yaml, "rank 0's preset", &cause)) == PL_OK)
		st = load_data(d, &p, data_dir, hint, &cause);
	put_int(&r, cl.gen);
	put_int(&r, st);
	put(&r, &d->crc, sizeof(d->crc));
	put_int(&r, jobs);
	put_str(&r, d->dir);
	put_str(&r, cause);
	send_msg(0, TAG_READY, &r);
	/* GO (or not) comes next from rank 0. */
	for (;;) {
		int tag;
		struct msg g;

		await_rank0(&g, &tag);
		if (tag == TAG_GO && get_int(&g) == cl.gen) {
			go = get_int(&g);
			msg_free(&g);
			break;
		}
		msg_free(&g);
	}
	if (go && st == PL_OK)
		serve_grid(&p, &d->ds, jobs, retrain);
	preset_free(&p);
	free(version);
	free(hint);
	free(yaml);
	free(cause);
}

int cluster_serve(const char *data_dir, int jobs)
{
	struct local_data d = {0};
	int status = 0;

	signals_install();
	if (jobs <= 0)
		jobs = cluster_default_jobs();
	for (;;) {
		struct msg m;
		int tag;

		await_rank0(&m, &tag);
		if (tag == TAG_QUIT) {
			status = get_int(&m);
			msg_free(&m);
			break;
		}
		if (tag == TAG_BEGIN) {
			cl.gen = get_int(&m);
			on_begin(&m, &d, data_dir, jobs);
		}
		msg_free(&m);
	}
	if (d.loaded)
		dataset_free(&d.ds);
	free(d.dir);
	return cluster_end(status);
}

#else /* !HAVE_MPI: the job is this process. */

void cluster_init(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
}

int cluster_size(void)
{
	return 1;
}

const char *cluster_library(void)
{
	return "not built in (configure found no Open MPI, or --without-mpi)";
}

int cluster_rank(void)
{
	return 0;
}

const char *cluster_name(int rank, char *buf, size_t len)
{
	snprintf(buf, len, "rank %d", rank);
	return buf;
}

int cluster_default_jobs(void)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	return cores > 1 ? (int)cores : 1;
}

enum pl_status cluster_begin(const struct preset *p, const struct dataset *ds, int jobs,
                             int retrain_broken, int *workers, char **cause)
{
	(void)p;
	(void)ds;
	(void)retrain_broken;
	(void)cause;
	if (workers != NULL)
		*workers = jobs;
	return PL_OK;
}

int cluster_begun(void)
{
	return 0;
}

void cluster_attach(struct grid *g)
{
	(void)g;
}

void cluster_cancel(void)
{
}

int cluster_serve(const char *data_dir, int jobs)
{
	(void)data_dir;
	(void)jobs;
	return 0;
}

int cluster_end(int status)
{
	return status;
}

#endif
