/*
 * main.c - the command line: global options, subcommands, exit codes.
 *
 *   plasticity run PRESET [KEY=VALUE ...] [--out DIR] [--jobs N] [--quiet]
 *   plasticity --info [PRESET]
 * Exit codes come from the status table (status.h, sysexits(3) numbering):
 * 64 usage, 65 data, 66 no input, 73 cannot create, 74 I/O, 78
 * configuration; 1 when some runs diverged; 130, 143, 129 on SIGINT,
 * SIGTERM, SIGHUP.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "cli/cli.h"
#include "ui/ui.h"
#include "plasticity/cluster.h"
#include "plasticity/columns.h"
#include "plasticity/optim.h"
#include "plasticity/preset_io.h"

static void usage(FILE *fp)
{
	fputs("Usage: plasticity [ui] [PRESET] [KEY=VALUE ...] [--theme NAME] "
	      "[--no-color]\n"
	      "       plasticity ui --open DIR [DIR ...] | --resume DIR\n"
	      "       plasticity run PRESET [KEY=VALUE ...] [OPTION ...]\n"
	      "       plasticity run --resume DIR [--retrain-broken] [--jobs N] "
	      "[--quiet]\n"
	      "       plasticity plot DIR [--format png|svg|pdf] [--out PREFIX]\n"
	      "       plasticity compare DIR [DIR ...] [baseline=N] [compare=...] "
	      "[window=W]\n"
	      "       plasticity --info [PRESET]\n"
	      "       plasticity --help | --version\n"
	      "       mpirun [-n N] plasticity run ... | mpirun --stdin none [-n N] "
	      "plasticity ui ...\n"
	      "\n"
	      "With no command, or 'ui', open the interactive front end on PRESET\n"
	      "(default: quick); press ? there for keys. 'run' trains headless.\n"
	      "\n"
	      "Train a multilayer perceptron on a sequence of tasks (permuted MNIST or\n"
	      "digit pairs) with SGD, SAM and GNP, and measure plasticity: test "
	      "accuracy\n"
	      "on each task right after training on it.\n"
	      "\n"
	      "PRESET is a YAML file or the name of a shipped or saved preset (quick,\n"
	      "paper-domain, paper-class). KEY=VALUE overrides a preset key: tasks=5,\n"
	      "hidden=[100,100], methods.0.lr=0.1 (method 0), methods.lr=0.1 (all).\n"
	      "A sweep makes one method per value: methods.1.rho=0.01,0.05,0.1 or a\n"
	      "range lo:hi:step (methods.lr=0.001:0.01:0.003); in a preset, a list\n"
	      "(rho: [0.01, 0.05]); in the UI form, a comma list typed in the field.\n"
	      "\n"
	      "Options:\n"
	      "  -o, --out DIR        run directory (default "
	      "runs/NAME-YYYYmmdd-HHMMSS);\n"
	      "                       with 'plot', the figures' PREFIX (default "
	      "DIR/figures/):\n"
	      "                       PREFIX-NAME.EXT, or PREFIXNAME.EXT when it ends in "
	      "'/'\n"
	      "      --format FMT     with 'plot': png (default), svg or pdf\n"
	      "  -j, --jobs N         runs trained in parallel (default: number of "
	      "cores);\n"
	      "                       under mpirun, by each process (default: its "
	      "host's\n"
	      "                       cores over the job's processes there)\n"
	      "  -d, --data-dir DIR   where the IDX files are (see --info)\n"
	      "  -q, --quiet          no progress output\n"
	      "  -f, --force          write into an existing, non-empty run directory\n"
	      "      --resume DIR     continue an interrupted run directory (of "
	      "'plasticity\n"
	      "                       run' or the UI): finished runs are kept, the "
	      "others go\n"
	      "                       on from their last task; with 'ui', in the UI, "
	      "which\n"
	      "                       starts training at once\n"
	      "      --retrain-broken with --resume: a checkpoint that cannot be "
	      "restored\n"
	      "                       (truncated, corrupt) makes its run start again\n"
	      "  -p, --print-config   print the resolved preset as YAML and exit\n"
	      "  -i, --info           print versions and every place data is looked for\n"
	      "      --theme NAME     UI theme: default, light, high-contrast, mono, or "
	      "a\n"
	      "                       file NAME.theme in ~/.config/plasticity/themes\n"
	      "      --no-color       no colors in the UI (also when NO_COLOR is set)\n"
	      "      --open DIR       show a finished run directory in the UI, "
	      "read-only\n"
	      "  -h, --help           this help, with every preset key\n"
	      "  -V, --version        version\n"
	      "\n"
	      "Optimizers (g = gradient of the mini-batch loss L at w):\n",
	      fp);
	for (int o = 0; o < optim_count; o++)
		fprintf(fp, "  %-4s %s\n", optim_descs[o]->name, optim_descs[o]->title);
	fputs("  momentum and weight_decay apply to every optimizer's step.\n"
	      "Remedies for plasticity loss, method keys for every optimizer (formulas "
	      "below and\n"
	      "in man plasticity, REMEDIES): base: adam, l2_init, shrink & perturb, "
	      "redo,\n"
	      "cbp_rate (continual backprop), layer_norm, and from_scratch, whose grid "
	      "also\n"
	      "reports each method's plasticity gap (gap.csv).\n"
	      "\n",
	      fp);
	preset_schema_print(fp, 0);
	fputs("\nResult columns (results.csv, one row per method, run and task):\n", fp);
	result_columns_print(fp, 0);
	fputs("\nUnder mpirun (or srun) the processes train one grid: rank 0 writes the "
	      "run\n"
	      "directory and prints; the others load their own data (checked by "
	      "CRC-32) and\n"
	      "train the runs it hands out. A lost process stops the grid (status 69) "
	      "with\n"
	      "every finished task kept for --resume, under any number of processes.\n",
	      fp);
	fputs("\nReport bugs and read more: man plasticity\n", fp);
}

static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},
        {"jobs", required_argument, NULL, 'j'},
        {"data-dir", required_argument, NULL, 'd'},
        {"quiet", no_argument, NULL, 'q'},
        {"force", no_argument, NULL, 'f'},
        {"print-config", no_argument, NULL, 'p'},
        {"resume", required_argument, NULL, 'R'},
        {"retrain-broken", no_argument, NULL, 'B'},
        {"info", no_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"schema-roff", no_argument, NULL, 'S'},
        {"columns-roff", no_argument, NULL, 'L'},
        {"theme", required_argument, NULL, 'T'},
        {"no-color", no_argument, NULL, 'C'},
        {"open", required_argument, NULL, 'O'},
        {"format", required_argument, NULL, 'F'},
        {NULL, 0, NULL, 0},
};

/* --jobs N: 1..1024, or 0 (an error was printed when print is set). */
static int parse_jobs(const char *arg, int print)
{
	long long jobs;
	char *end;

	/* Range-checked before narrowing: 4294967298 is not 2. */
	errno = 0;
	jobs = strtoll(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || errno != 0 || jobs < 1 || jobs > 1024) {
		if (print)
			fprintf(stderr,
			        "plasticity: --jobs: expected 1..1024, got '%s'\n", arg);
		return 0;
	}
	return (int)jobs;
}

/*
 * Under mpirun, rank 0's standard input and output are mpirun's pipes: the
 * UI opens the terminal itself and makes its process group the foreground
 * one, so its keys (and Ctrl-C) come to it and not to mpirun; the terminal
 * goes back to mpirun's group when the UI ends. mpirun must not read the
 * terminal meanwhile (it would be stopped, SIGTTIN): with its stdin
 * forwarded (a pipe here) the UI refuses, naming --stdin none. Returns 0,
 * or the exit status.
 */
static int tty_fd = -1;
static pid_t tty_owner = -1;

static int terminal_claim(void)
{
	struct stat sb;
	int fd;

	if (cluster_size() == 1 || (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)))
		return 0;
	if (fstat(STDIN_FILENO, &sb) == 0 && S_ISFIFO(sb.st_mode)) {
		fputs("plasticity: under mpirun the UI needs the terminal to itself: "
		      "start it with 'mpirun --stdin none ... plasticity ui'\n",
		      stderr);
		return pl_status_exit(PL_ERR_USAGE);
	}
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return 0;
	signal(SIGTTOU, SIG_IGN);
	tty_owner = tcgetpgrp(fd);
	if (tty_owner < 0 || tcsetpgrp(fd, getpgrp()) != 0) {
		close(fd);
		return 0;
	}
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	tty_fd = fd;
	return 0;
}

static int terminal_release(int status)
{
	if (tty_fd >= 0) {
		fflush(stdout);
		tcsetpgrp(tty_fd, tty_owner);
		close(tty_fd);
		tty_fd = -1;
	}
	return status;
}

static int dispatch(int argc, char **argv)
{
	struct cli_opts o = {0};
	struct ui_opts u = {0};
	const char *no_color = getenv("NO_COLOR"), *format = NULL;
	int c, info = 0;

	while ((c = getopt_long(argc, argv, "o:j:d:qfpihV", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.out = optarg;
			break;
		case 'j':
			if ((o.jobs = parse_jobs(optarg, 1)) == 0)
				return pl_status_exit(PL_ERR_USAGE);
			break;
		case 'd':
			o.data_dir = optarg;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'f':
			o.force = 1;
			break;
		case 'p':
			o.print_config = 1;
			break;
		case 'R':
			o.resume = optarg;
			break;
		case 'B':
			o.retrain_broken = 1;
			break;
		case 'i':
			info = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("plasticity %s\n", PACKAGE_VERSION);
			return 0;
		case 'S':
			preset_schema_print(stdout, 1);
			return 0;
		case 'L':
			result_columns_print(stdout, 1);
			return 0;
		case 'T':
			u.theme = optarg;
			break;
		case 'C':
			u.no_color = 1;
			break;
		case 'O':
			u.open_dir = optarg;
			break;
		case 'F':
			format = optarg;
			break;
		default:
			fputs("Try 'plasticity --help'.\n", stderr);
			return pl_status_exit(PL_ERR_USAGE);
		}
	}
	if (info)
		return cli_info(&o, optind < argc ? argv[optind] : NULL);
	u.no_color |= no_color != NULL && no_color[0] != '\0';
	u.data_dir = o.data_dir;
	u.jobs = o.jobs;
	u.resume_dir = o.resume;
	if (optind >= argc || strcmp(argv[optind], "ui") == 0) {
		int first = optind < argc ? optind + 1 : argc, st;

		if ((st = terminal_claim()) != 0)
			return st;
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			fputs("plasticity: the interactive UI needs a terminal; use "
			      "'plasticity run "
			      "PRESET' for batch runs\n",
			      stderr);
			return pl_status_exit(PL_ERR_USAGE);
		}
		if (u.open_dir != NULL) {
			/* ui --open A B ...: every further word is a run directory. */
			u.open_more = argv + first;
			u.nopen_more = argc - first;
			return terminal_release(ui_main(&u));
		}
		u.preset = first < argc && strchr(argv[first], '=') == NULL
		                   ? argv[first++]
		                   : NULL;
		u.overrides = argv + first;
		u.noverrides = argc - first;
		if (u.resume_dir != NULL &&
		    (u.preset != NULL || u.noverrides || u.open_dir)) {
			fputs("plasticity: ui --resume takes the preset from the run "
			      "directory: "
			      "no PRESET, KEY=VALUE or --open\n",
			      stderr);
			return pl_status_exit(PL_ERR_USAGE);
		}
		return terminal_release(ui_main(&u));
	}
	if (strcmp(argv[optind], "compare") == 0)
		return cli_compare(argv + optind + 1, argc - optind - 1);
	if (strcmp(argv[optind], "plot") == 0) {
		if (optind + 2 != argc) {
			fputs("plasticity: plot: expected one run directory\nTry "
			      "'plasticity --help'.\n",
			      stderr);
			return pl_status_exit(PL_ERR_USAGE);
		}
		return cli_plot(argv[optind + 1], format, o.out);
	}
	if (strcmp(argv[optind], "run") == 0) {
		if (o.resume != NULL) {
			if (optind + 1 < argc) {
				fputs("plasticity: --resume takes the preset from the "
				      "run directory: "
				      "no PRESET or KEY=VALUE\n",
				      stderr);
				return pl_status_exit(PL_ERR_USAGE);
			}
			return cli_run(&o, NULL, NULL, 0);
		}
		if (optind + 1 >= argc) {
			fputs("plasticity: run: missing PRESET\nTry 'plasticity "
			      "--help'.\n",
			      stderr);
			return pl_status_exit(PL_ERR_USAGE);
		}
		return cli_run(&o, argv[optind + 1], argv + optind + 2,
		               argc - optind - 2);
	}
	fprintf(stderr, "plasticity: unknown command '%s'\nTry 'plasticity --help'.\n",
	        argv[optind]);
	return pl_status_exit(PL_ERR_USAGE);
}

/*
 * Everything printed on stdout (--help, --print-config, --info, the run's
 * summary) must have arrived: a write error there is an error (exit 74),
 * not a silent exit 0.
 */
/* A rank other than 0 of an MPI job: the options it needs (--data-dir,
 * --jobs) and nothing printed, since rank 0 reports every usage error. */
static int serve(int argc, char **argv)
{
	const char *data_dir = NULL;
	int c, jobs = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:j:d:qfpihV", longopts, NULL)) != -1)
		if (c == 'd')
			data_dir = optarg;
		else if (c == 'j')
			jobs = parse_jobs(optarg, 0);
	return cluster_serve(data_dir, jobs);
}

int main(int argc, char **argv)
{
	int status;

	cluster_init(&argc, &argv);
	if (cluster_rank() > 0)
		return serve(argc, argv);
	status = dispatch(argc, argv);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "plasticity: standard output: write error: %s\n",
		        strerror(errno ? errno : EIO));
		status = status ? status : pl_status_exit(PL_ERR_IO);
	}
	/* Under mpirun, the other ranks go with this status. */
	return cluster_end(status);
}
