/*
 * test_preset.c - the preset schema: defaults, the shipped presets, round
 * trips through preset_write, KEY=VALUE overrides and the exact messages
 * (with line and column) for bad input.
 *
 * Shipped presets are read from $SRCDIR/experiments (SRCDIR defaults to ".").
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/preset_io.h"
#include "tap.h"

/* Compare field f of a and b, and say which one differs. */
#define SAME(f)                                                                          \
	if (a->f != b->f) {                                                              \
		diag("%s differs", #f);                                                  \
		return 0;                                                                \
	}

static int method_same(const struct method *a, const struct method *b)
{
	SAME(optimizer)
	SAME(lr)
	SAME(rho)
	SAME(lambda)
	SAME(r)
	SAME(adaptive)
	SAME(exact)
	SAME(momentum)
	SAME(weight_decay)
	return 1;
}

/* Field by field, so a failure says which field. */
static int preset_same(const struct preset *a, const struct preset *b)
{
	if (strcmp(a->name, b->name) != 0 || strcmp(a->dataset, b->dataset) != 0) {
		diag("name or dataset differs: %s/%s vs %s/%s", a->name, a->dataset,
		     b->name, b->dataset);
		return 0;
	}
	if ((a->data_dir == NULL) != (b->data_dir == NULL) ||
	    (a->data_dir != NULL && strcmp(a->data_dir, b->data_dir) != 0)) {
		diag("data_dir differs");
		return 0;
	}
	SAME(setting)
	SAME(tasks)
	SAME(train_examples)
	SAME(first_unpermuted)
	SAME(shuffle_pairs)
	SAME(accuracy_matrix)
	SAME(nhidden)
	SAME(batch_size)
	SAME(epochs)
	SAME(runs)
	SAME(seed)
	SAME(nmethods)
	for (int i = 0; i < a->nhidden; i++)
		if (a->hidden[i] != b->hidden[i]) {
			diag("hidden[%d] differs", i);
			return 0;
		}
	for (int i = 0; i < a->nmethods; i++)
		if (!method_same(&a->methods[i], &b->methods[i])) {
			diag("in methods[%d]", i);
			return 0;
		}
	return 1;
}
#undef SAME

/* preset_write, then load that text back; 1 if the result is identical. */
static int round_trip(const struct preset *p)
{
	struct preset q;
	char *text = NULL, *cause = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	int same = 0;

	preset_write(p, fp);
	fclose(fp);
	if (preset_load_string(&q, text, "written.yaml", &cause) != PL_OK)
		diag("reload failed: %s\n%s", cause, text);
	else
		same = preset_same(p, &q);
	preset_free(&q);
	free(cause);
	free(text);
	return same;
}

/* Load yaml as "t.yaml"; 1 if it fails with exactly "t.yaml:" want. */
static int load_fails(const char *yaml, const char *want)
{
	struct preset p;
	char *cause = NULL, *full = NULL;
	size_t n = strlen("t.yaml:") + strlen(want) + 1;
	int ok;

	full = malloc(n);
	snprintf(full, n, "t.yaml:%s", want);
	ok = preset_load_string(&p, yaml, "t.yaml", &cause) == PL_ERR_CONFIG &&
	     cause != NULL && strcmp(cause, full) == 0;
	if (!ok)
		diag("got: %s", cause ? cause : "(success)");
	preset_free(&p);
	free(cause);
	free(full);
	return ok;
}

static const char *const sgd1 = "methods:\n  - optimizer: sgd\n";

static const char all_options[] =
        "name: every.option-1\n"
        "setting: class\n"
        "dataset: fashion-mnist\n"
        "data_dir: \"/data dir/with: colon # and hash\"\n"
        "tasks: 45\n"
        "train_examples: 1234\n"
        "first_unpermuted: yes\n"
        "shuffle_pairs: on\n"
        "accuracy_matrix: TRUE\n"
        "hidden: [7, 100, 3, 2000]\n"
        "batch_size: 1\n"
        "epochs: 3\n"
        "runs: 2\n"
        "seed: 18446744073709551615\n"
        "methods:\n"
        "  - {optimizer: sgd, lr: 0.1, momentum: 0.9, weight_decay: 1e-4}\n"
        "  - optimizer: sam\n"
        "    lr: 0.3\n"
        "    rho: 0.123456789012345678\n"
        "    adaptive: true\n"
        "  - optimizer: gnp\n"
        "    lr: 1e-3\n"
        "    lambda: 0.7\n"
        "    r: 0.1\n"
        "    momentum: 0.5\n";

static void test_defaults(void)
{
	struct preset p;
	struct method m;

	preset_defaults(&p);
	ok(p.setting == SETTING_DOMAIN && strcmp(p.dataset, "mnist") == 0 &&
	           p.data_dir == NULL,
	   "defaults: domain, mnist, no data_dir");
	ok(p.tasks == 100 && p.train_examples == 0 && p.batch_size == 64 &&
	           p.epochs == 1 && p.runs == 10 && p.seed == 1,
	   "defaults: tasks 100, all examples, batch 64, 1 epoch, 10 runs, seed 1");
	ok(p.nhidden == 3 && p.hidden[0] == 256 && p.hidden[1] == 256 &&
	           p.hidden[2] == 256,
	   "defaults: hidden [256, 256, 256]");
	ok(!p.first_unpermuted && !p.shuffle_pairs && !p.accuracy_matrix &&
	           p.nmethods == 0 && p.name[0] == '\0',
	   "defaults: flags off, no methods, no name");
	method_defaults(&m, OPTIM_SAM);
	ok(m.optimizer == OPTIM_SAM && m.lr == 0.01 && m.rho == 0.05 && !m.adaptive &&
	           m.lambda == 0 && m.r == 0 && m.momentum == 0 && m.weight_decay == 0,
	   "method_defaults sam: lr 0.01, rho 0.05, GNP fields zero");
	method_defaults(&m, OPTIM_GNP);
	ok(m.lr == 0.01 && m.lambda == 0.1 && m.r == 0.01 && m.rho == 0,
	   "method_defaults gnp: lambda 0.1, r 0.01, rho zero");
	ok(strcmp(optimizer_name(OPTIM_SGD), "sgd") == 0 &&
	           strcmp(optimizer_name(OPTIM_SAM), "sam") == 0 &&
	           strcmp(optimizer_name(OPTIM_GNP), "gnp") == 0 &&
	           strcmp(method_schema[0].choices, "sgd|sam|gnp") == 0 &&
	           strcmp(setting_name(SETTING_DOMAIN), "domain") == 0 &&
	           strcmp(setting_name(SETTING_CLASS), "class") == 0 &&
	           strcmp(preset_schema[1].choices, "domain|class") == 0,
	   "optimizer_name and setting_name agree with the schema's choices");
	preset_free(&p);
}

static void test_shipped(void)
{
	const char *srcdir = getenv("SRCDIR") ? getenv("SRCDIR") : ".";
	char dir[4096], path[8192];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/experiments", srcdir);
	if ((d = opendir(dir)) == NULL) {
		ok(0, "open %s", dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		struct preset p;
		char *cause = NULL;

		if (len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n++;
		if (ok(preset_load(&p, path, &cause) == PL_OK, "shipped %s loads",
		       de->d_name))
			ok(round_trip(&p), "shipped %s: write and load back", de->d_name);
		else
			diag("%s", cause);
		preset_free(&p);
		free(cause);
	}
	closedir(d);
	ok(n >= 2, "found %d shipped presets", n);
}

static void test_paper(void)
{
	const char *srcdir = getenv("SRCDIR") ? getenv("SRCDIR") : ".";
	char path[4096], label[128];
	struct preset p;
	char *cause = NULL;

	snprintf(path, sizeof(path), "%s/experiments/paper-class.yaml", srcdir);
	if (!ok(preset_load(&p, path, &cause) == PL_OK, "paper-class loads")) {
		diag("%s", cause);
		free(cause);
		return;
	}
	method_label(&p.methods[5], label, sizeof(label));
	ok(p.setting == SETTING_CLASS && p.tasks == 45 && p.nmethods == 6 &&
	           p.runs == 10 && p.batch_size == 1 &&
	           strcmp(label, "gnp lr=0.001 lambda=0.1 exact") == 0,
	   "paper-class: 45 class tasks, 6 methods, 10 runs, batch 1, last is exact gnp "
	   "lr=0.001");
	preset_free(&p);
}

static void test_round_trip(void)
{
	struct preset p;
	char *cause = NULL;

	if (!ok(preset_load_string(&p, all_options, "x.yaml", &cause) == PL_OK,
	        "a preset with every option changed loads")) {
		diag("%s", cause);
		free(cause);
		return;
	}
	ok(strcmp(p.name, "every.option-1") == 0 && p.setting == SETTING_CLASS &&
	           strcmp(p.dataset, "fashion-mnist") == 0 && p.first_unpermuted &&
	           p.shuffle_pairs && p.accuracy_matrix && p.seed == UINT64_MAX &&
	           p.nhidden == 4 && p.hidden[3] == 2000 && p.nmethods == 3 &&
	           p.methods[1].adaptive && p.methods[0].weight_decay == 1e-4,
	   "every option read as written");
	ok(round_trip(&p),
	   "every option: write and load back (data_dir quoted, rho 17 digits)");
	/* What YAML refuses raw (C1, U+FFFE) or folds (U+0085, U+2028): escaped. */
	ok(preset_override(&p,
	                   "data_dir=\t\xc2\x80\xc2\x85\xe2\x80\xa8\xef\xbf\xbe"
	                   "\xc3\xa9\xe2\x82\xac\xf0\x9f\x99\x82",
	                   &cause) == PL_OK &&
	           round_trip(&p),
	   "data_dir with control, line-break and other non-ASCII characters: write and "
	   "load back");
	free(cause);
	preset_free(&p);
}

static void test_labels(void)
{
	struct method m;
	char buf[128], tiny[8];

	method_defaults(&m, OPTIM_SGD);
	method_label(&m, buf, sizeof(buf));
	ok(strcmp(buf, "sgd lr=0.01") == 0, "label %s", buf);
	method_defaults(&m, OPTIM_SAM);
	m.adaptive = 1;
	m.momentum = 0.9;
	method_label(&m, buf, sizeof(buf));
	ok(strcmp(buf, "sam lr=0.01 rho=0.05 adaptive mom=0.9") == 0, "label %s", buf);
	method_defaults(&m, OPTIM_GNP);
	m.weight_decay = 1e-4;
	method_label(&m, buf, sizeof(buf));
	ok(strcmp(buf, "gnp lr=0.01 lambda=0.1 r=0.01 wd=0.0001") == 0, "label %s", buf);
	method_label(&m, tiny, sizeof(tiny));
	ok(strcmp(tiny, "gnp lr=") == 0, "label truncated safely: '%s'", tiny);
}

/* Short labels: only what sets a method apart from the others of its optimizer. */
static void test_short_labels(void)
{
	static const char yaml[] = "methods:\n"
	                           "  - {optimizer: sgd, lr: 0.1}\n"
	                           "  - {optimizer: sgd, lr: 0.01}\n"
	                           "  - {optimizer: sam, lr: 0.01, rho: 0.05}\n"
	                           "  - {optimizer: sam, lr: 0.01, rho: 0.1}\n"
	                           "  - {optimizer: gnp, lr: 0.01}\n"
	                           "  - {optimizer: gnp, lr: 0.01}\n";
	static const char *const want[] = {"sgd lr=0.1",  "sgd lr=0.01", "sam rho=0.05",
	                                   "sam rho=0.1", "gnp #5",      "gnp #6"};
	struct preset p;
	char buf[96], *cause = NULL;
	int good = 0;

	if (!ok(preset_load_string(&p, yaml, "short.yaml", &cause) == PL_OK,
	        "six methods load"))
		diag("%s", cause);
	for (int m = 0; m < p.nmethods && m < 6; m++) {
		method_label_short(&p, m, buf, sizeof(buf));
		good += strcmp(buf, want[m]) == 0;
		if (strcmp(buf, want[m]) != 0)
			diag("method %d: '%s', want '%s'", m, buf, want[m]);
	}
	ok(good == 6, "lr only where sgd's differ, rho where sam's do, #N for twins");
	snprintf(p.methods[2].origin, sizeof(p.methods[2].origin), "B");
	method_label_short(&p, 2, buf, sizeof(buf));
	method_label(&p.methods[2], buf + 48, 48);
	ok(strcmp(buf, "B: sam rho=0.05") == 0 &&
	           strcmp(buf + 48, "B: sam lr=0.01 rho=0.05") == 0,
	   "a merged view's origin leads both labels: '%s', '%s'", buf, buf + 48);
	free(cause);
	preset_free(&p);
}

/* Rerun only what changed: which presets train a run to the same numbers. */
static void test_same_grid(void)
{
	struct preset a, b;

	preset_defaults(&a);
	preset_defaults(&b);
	/* As the form leaves them: a longer value once, bytes past the NUL. */
	snprintf(b.dataset, sizeof(b.dataset), "fashion-mnist");
	snprintf(b.dataset, sizeof(b.dataset), "mnist");
	b.hidden[2] = 999;
	b.nhidden = a.nhidden = 2;
	b.runs = 3;
	snprintf(b.window, sizeof(b.window), "5");
	ok(preset_same_grid(&a, &b),
	   "same grid: left-over bytes, unused widths, runs and window do not count");
	b.epochs = 2;
	ok(!preset_same_grid(&a, &b), "... epochs do");
	b.epochs = a.epochs;
	b.save_weights = SAVE_WEIGHTS_LAST;
	ok(!preset_same_grid(&a, &b),
	   "... and save_weights does (a reused run has no weights)");
	preset_free(&a);
	preset_free(&b);
}

static void test_names(void)
{
	struct preset p;
	char *cause = NULL, yaml[256];
	char stem[128];
	enum pl_status st;

	ok(preset_load_string(&p, sgd1, "some/dir/my-exp.yaml", &cause) == PL_OK &&
	           strcmp(p.name, "my-exp") == 0,
	   "name defaults to the file stem: %s", p.name);
	preset_free(&p);
	ok(preset_load_string(&p, sgd1, "a.b.yml", &cause) == PL_OK &&
	           strcmp(p.name, "a.b") == 0,
	   "stem of a .yml file: %s", p.name);
	preset_free(&p);
	memset(stem, 'x', 100);
	strcpy(stem + 100, ".yaml");
	ok(preset_load_string(&p, sgd1, stem, &cause) == PL_OK && strlen(p.name) == 63,
	   "a long stem is cut to 63 characters");
	preset_free(&p);
	st = preset_load_string(&p, sgd1, "my exp.yaml", &cause);
	ok(st == PL_ERR_CONFIG &&
	           strcmp(cause,
	                  "my exp.yaml:1:1: name: must be 1 to 63 letters, digits, '.', "
	                  "'_' or '-', got 'my exp'") == 0,
	   "a stem that is not a valid name needs a name key: %s", cause);
	preset_free(&p);
	snprintf(yaml, sizeof(yaml), "name: \"a\\0b\"\n%s", sgd1);
	ok(load_fails(yaml, "1:7: name: contains a NUL character"),
	   "a NUL inside a string");
	free(cause);
}

static void test_bad_yaml(void)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
	        {"tasks: 5\n  runs: 3\n",
	         "2:7: mapping values are not allowed in this context"},
	        {"methods:\n  - optimizer: sgd\n    lr: [0.1\n",
	         "4:1: did not find expected ',' or ']'"},
	        {"tasks: 5\nfoo: 1\n", "2:1: unknown key 'foo'"},
	        {"methods:\n  - optimizer: sgd\n    foo: 1\n",
	         "3:5: unknown method key 'foo'"},
	        {"tasks: 1\nruns: 2\ntasks: 2\n", "3:1: duplicate key 'tasks'"},
	        {"methods:\n  - optimizer: sgd\n    lr: 1\n    lr: 2\n",
	         "4:5: duplicate key 'lr'"},
	        {"tasks: abc\n", "1:8: tasks: expected an integer, got 'abc'"},
	        {"tasks: 1.5\n", "1:8: tasks: expected an integer, got '1.5'"},
	        {"tasks: 0x10\n", "1:8: tasks: expected an integer, got '0x10'"},
	        {"tasks: 0\n", "1:8: tasks: must be between 1 and 100000, got 0"},
	        {"tasks: 99999999999999999999\n",
	         "1:8: tasks: must be between 1 and 100000, got 99999999999999999999"},
	        {"tasks:\n", "1:7: tasks: missing value"},
	        {"tasks: [1]\n", "1:8: tasks: expected an integer, got a list"},
	        {"seed: -1\n", "1:7: seed: expected a non-negative integer, got '-1'"},
	        {"seed: 18446744073709551616\n",
	         "1:7: seed: must be at most 18446744073709551615, got "
	         "18446744073709551616"},
	        {"methods:\n  - optimizer: sgd\n    lr: -0.1\n",
	         "3:9: methods[0].lr: must be > 0, got -0.1"},
	        {"methods:\n  - optimizer: sgd\n    lr: 0\n",
	         "3:9: methods[0].lr: must be > 0, got 0"},
	        {"methods:\n  - optimizer: sgd\n    lr: nan\n",
	         "3:9: methods[0].lr: must be a finite number, got 'nan'"},
	        {"methods:\n  - optimizer: sgd\n    lr: -.inf\n",
	         "3:9: methods[0].lr: must be a finite number, got '-.inf'"},
	        {"methods:\n  - optimizer: sgd\n    lr: 1e999\n",
	         "3:9: methods[0].lr: must be a finite number, got '1e999'"},
	        {"methods:\n  - optimizer: sgd\n    lr: 1e9\n",
	         "3:9: methods[0].lr: must be <= 10, got 1e9"},
	        {"methods:\n  - optimizer: sgd\n    lr: 0.1x\n",
	         "3:9: methods[0].lr: expected a number, got '0.1x'"},
	        {"methods:\n  - optimizer: sgd\n    momentum: 1\n",
	         "3:15: methods[0].momentum: must be < 1, got 1"},
	        {"accuracy_matrix: maybe\n",
	         "1:18: accuracy_matrix: expected true or false, got 'maybe'"},
	        {"setting: Class\n",
	         "1:10: setting: unknown setting 'Class' (expected domain or "
	         "class)"},
	        {"hidden: 256\n", "1:9: hidden: expected a list of integers"},
	        {"hidden: {a: 1}\n", "1:9: hidden: expected a list of integers"},
	        {"hidden: [1, [2]]\n", "1:13: hidden: expected a list of integers"},
	        {"hidden: [1, x]\n", "1:13: hidden[1]: expected an integer, got 'x'"},
	        {"hidden: []\n", "1:9: hidden: expected 1 to 8 integers, got 0"},
	        {"hidden: [1, 2, 3, 4, 5, 6, 7, 8, 9]\n",
	         "1:9: hidden: expected 1 to 8 integers, "
	         "got 9"},
	        {"hidden: [1000000, 1000000]\n",
	         "1:10: hidden[0]: must be between 1 and 65536, got 1000000"},
	        {"methods: []\n", "1:10: methods: empty list"},
	        {"methods:\n", "1:9: methods: empty list"},
	        {"methods: sgd\n",
	         "1:10: methods: expected a list of methods, got a scalar"},
	        {"methods:\n  - sgd\n",
	         "2:5: methods[0]: expected a mapping, got a scalar"},
	        {"tasks: 5\n", "1:1: methods is required"},
	        {"methods:\n  - optimizer: sgd\n  - optimizer: sam\n  - optimizer: "
	         "adam\n",
	         "4:16: methods[2].optimizer: unknown optimizer 'adam' (expected sgd, "
	         "sam or "
	         "gnp)"},
	        {"methods:\n  - optimizer: sgd\n  - optimizer: sgd\n    rho: 0.1\n",
	         "4:5: methods[1]: rho applies only to optimizer sam"},
	        {"methods:\n  - optimizer: sam\n    lambda: 0.1\n",
	         "3:5: methods[0]: lambda applies only to optimizer gnp"},
	        {"methods:\n  - r: 0.1\n    optimizer: sam\n",
	         "2:5: methods[0]: r applies only to optimizer gnp"},
	        {"methods:\n  - optimizer: gnp\n    adaptive: true\n",
	         "3:5: methods[0]: adaptive applies only to optimizer sam"},
	        {"methods:\n  - lr: 0.1\n", "2:5: methods[0]: optimizer is required"},
	        {"- a\n- b\n", "1:1: the document must be a mapping, got a list"},
	        {"just text\n", "1:1: the document must be a mapping, got a scalar"},
	        {"", "1:1: the document must be a mapping, got nothing"},
	        {"# nothing\n", "1:1: the document must be a mapping, got nothing"},
	        {"tasks: 1\n---\ntasks: 2\n",
	         "3:1: a preset is one YAML document, found a second"},
	        {"? [a]\n: 1\n", "1:3: expected a key, got a list"},
	        {"setting: class\nmethods: [{optimizer: sgd}]\n",
	         "1:10: tasks must be <= 45 for setting class"},
	        {"setting: class\ntasks: 46\nmethods: [{optimizer: sgd}]\n",
	         "2:8: tasks must be <= 45 for setting class"},
	        {"hidden: [65536, 65536, 65536]\nmethods: [{optimizer: sgd}]\n",
	         "1:9: hidden: network of 8642166794 parameters needs 32.2 GiB, "
	         "refusing"},
	        {"hidden: [65536, 16384]\nbatch_size: 65536\nmethods: [{optimizer: "
	         "sgd}]\n",
	         "2:13: batch_size: a batch of 65536 needs 20.2 GiB of activations, "
	         "refusing"},
	        {"name: 'my exp'\nmethods: [{optimizer: sgd}]\n",
	         "1:7: name: must be 1 to 63 letters, digits, '.', '_' or '-', got 'my "
	         "exp'"},
	        {"tasks: 5\x01\n", "1:9: control characters are not allowed"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(load_fails(cases[i].yaml, cases[i].want), "bad yaml: %s",
		   cases[i].want);
}

/* Apply assignment to the all_options preset; 1 if it fails with exactly want. */
static int override_fails(const char *assignment, const char *want)
{
	struct preset p, before;
	char *cause = NULL;
	int good;

	preset_load_string(&p, all_options, "x.yaml", NULL);
	preset_copy(&before, &p);
	good = preset_override(&p, assignment, &cause) == PL_ERR_CONFIG &&
	       cause != NULL && strcmp(cause, want) == 0;
	if (!good)
		diag("got: %s", cause ? cause : "(success)");
	if (!preset_same(&p, &before)) {
		diag("a failed override changed the preset");
		good = 0;
	}
	preset_free(&p);
	preset_free(&before);
	free(cause);
	return good;
}

static void test_overrides(void)
{
	static const char *const bad[][2] = {
	        {"tasks=abc",
	         "override 'tasks=abc': tasks: expected an integer, got 'abc'"},
	        {"foo=1", "override 'foo=1': unknown key 'foo'"},
	        {"tasks", "override 'tasks': expected KEY=VALUE"},
	        {"=5", "override '=5': expected KEY=VALUE"},
	        {"tasks=46",
	         "override 'tasks=46': tasks must be <= 45 for setting class"},
	        {"methods=[]",
	         "override 'methods=[]': methods cannot be set by an override; use "
	         "methods.N.KEY=VALUE or methods.KEY=VALUE"},
	        {"methods.rho=0.1", "override 'methods.rho=0.1': rho applies only to "
	                            "optimizer sam (methods[0] is sgd)"},
	        {"methods.0.rho=0.1",
	         "override 'methods.0.rho=0.1': methods[0]: rho applies "
	         "only to optimizer sam"},
	        {"methods.3.lr=0.1", "override 'methods.3.lr=0.1': methods[3]: no such "
	                             "method (the preset has 3)"},
	        {"methods.1.foo=1",
	         "override 'methods.1.foo=1': unknown method key 'foo'"},
	        {"methods.1=1", "override 'methods.1=1': expected methods.N.KEY=VALUE"},
	        {"methods.lr=-1",
	         "override 'methods.lr=-1': methods[0].lr: must be > 0, got -1"},
	        {"methods.2.optimizer=adam", "override 'methods.2.optimizer=adam': "
	                                     "methods[2].optimizer: unknown optimizer "
	                                     "'adam' (expected sgd, sam or gnp)"},
	        {"hidden=[1,",
	         "override 'hidden=[1,': hidden: did not find expected node content"},
	        {"hidden=1,x",
	         "override 'hidden=1,x': hidden[1]: expected an integer, got 'x'"},
	        {"hidden=",
	         "override 'hidden=': hidden: expected 1 to 8 integers, got 0"},
	        {"tasks=\xff", "override 'tasks=\xff': tasks: not valid UTF-8"},
	        {"hidden=1,\xff", "override 'hidden=1,\xff': hidden: not valid UTF-8"},
	        {"data_dir=\xed\xa0\x80", /* a surrogate */
	         "override 'data_dir=\xed\xa0\x80': data_dir: not valid UTF-8"},
	        {"data_dir=\xf4\x90\x80\x80", /* U+110000 */
	         "override 'data_dir=\xf4\x90\x80\x80': data_dir: not valid UTF-8"},
	        {"name=a/b",
	         "override 'name=a/b': name: must be 1 to 63 letters, digits, "
	         "'.', '_' or '-', got "
	         "'a/b'"},
	};
	struct preset p;
	char *cause = NULL;
	int good;

	preset_load_string(&p, all_options, "x.yaml", NULL);
	good = preset_override(&p, "setting=domain", &cause) == PL_OK &&
	       preset_override(&p, "tasks=500", &cause) == PL_OK &&
	       preset_override(&p, "seed=3", &cause) == PL_OK &&
	       preset_override(&p, "name=foo", &cause) == PL_OK;
	ok(good && p.setting == SETTING_DOMAIN && p.tasks == 500 && p.seed == 3 &&
	           strcmp(p.name, "foo") == 0,
	   "override setting=domain, tasks=500, seed=3, name=foo");
	ok(preset_override(&p, "hidden=[100, 100]", &cause) == PL_OK && p.nhidden == 2 &&
	           p.hidden[1] == 100,
	   "override hidden=[100, 100]");
	ok(preset_override(&p, "hidden=10, 20,30", &cause) == PL_OK && p.nhidden == 3 &&
	           p.hidden[0] == 10 && p.hidden[2] == 30,
	   "override hidden=10, 20,30");
	ok(preset_override(&p, "data_dir=a: b#c", &cause) == PL_OK &&
	           strcmp(p.data_dir, "a: b#c") == 0,
	   "override data_dir takes the value literally");
	ok(preset_override(&p, "data_dir=", &cause) == PL_OK && p.data_dir == NULL,
	   "override data_dir= unsets it");
	ok(preset_override(&p, "methods.2.lr=0.5", &cause) == PL_OK &&
	           p.methods[2].lr == 0.5 && p.methods[1].lr == 0.3,
	   "override methods.2.lr=0.5 changes only method 2");
	ok(preset_override(&p, "methods.momentum=0.25", &cause) == PL_OK &&
	           p.methods[0].momentum == 0.25 && p.methods[1].momentum == 0.25 &&
	           p.methods[2].momentum == 0.25,
	   "override methods.momentum=0.25 changes every method");
	ok(preset_override(&p, "methods.1.optimizer=gnp", &cause) == PL_OK &&
	           p.methods[1].optimizer == OPTIM_GNP && p.methods[1].lr == 0.3 &&
	           p.methods[1].rho == 0 && !p.methods[1].adaptive &&
	           p.methods[1].lambda == 0.1 && p.methods[1].r == 0.01 &&
	           p.methods[1].momentum == 0.25,
	   "override methods.1.optimizer=gnp: SAM keys gone, GNP defaults, lr kept");
	if (cause != NULL)
		diag("%s", cause);
	ok(round_trip(&p), "overridden preset: write and load back");
	preset_free(&p);
	free(cause);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(override_fails(bad[i][0], bad[i][1]), "bad override '%s'", bad[i][0]);
}

static void test_misc(void)
{
	struct preset p;
	char *cause = NULL, *text = NULL;
	size_t len = 0;
	enum pl_status st;
	FILE *fp;

	/* the call first: ok()'s arguments would read cause before it is replaced */
	st = preset_load(&p, "/nonexistent/x.yaml", &cause);
	ok(st == PL_ERR_NOINPUT && strcmp(cause, "/nonexistent/x.yaml: cannot open: No "
	                                         "such file or directory") == 0,
	   "a missing file: %s", cause);
	preset_free(&p);
	st = preset_load(&p, "/", &cause);
	ok(st == PL_ERR_NOINPUT && strcmp(cause, "/: cannot open: Is a directory") == 0,
	   "a directory: %s", cause);
	preset_free(&p);
	preset_defaults(&p);
	strcpy(p.name, "v");
	p.setting = SETTING_CLASS;
	method_defaults(&p.methods[0], OPTIM_SGD);
	p.nmethods = 1;
	st = preset_validate(&p, "v.yaml", &cause);
	ok(st == PL_ERR_CONFIG &&
	           strcmp(cause, "v.yaml: tasks must be <= 45 for setting class") == 0,
	   "preset_validate: %s", cause);
	p.tasks = 45;
	p.methods[0].lr = 0;
	st = preset_validate(&p, NULL, &cause);
	ok(st == PL_ERR_CONFIG && strcmp(cause, "methods[0].lr: must be > 0, got 0") == 0,
	   "preset_validate checks ranges too: %s", cause);
	p.methods[0].lr = 0.1;
	ok(preset_validate(&p, "v", &cause) == PL_OK,
	   "preset_validate accepts a good preset");
	fp = open_memstream(&text, &len);
	preset_schema_print(fp, 0);
	fclose(fp);
	ok(strstr(text, "  weight_decay") != NULL &&
	           strstr(text, "  first_unpermuted") != NULL &&
	           strstr(text, "> 0 and <= 10; default: 0.01") != NULL,
	   "--help text lists the keys with ranges and defaults");
	free(text);
	fp = open_memstream(&text, &len);
	preset_schema_print(fp, 1);
	fclose(fp);
	ok(strstr(text, ".TP\n.B tasks\n") != NULL &&
	           strstr(text, "fashion\\-mnist") != NULL &&
	           strstr(text, "fashion-mnist") == NULL,
	   "man page text: .TP entries, hyphens escaped");
	free(text);
	preset_free(&p);
	free(cause);
}

int main(void)
{
	test_defaults();
	test_shipped();
	test_paper();
	test_round_trip();
	test_labels();
	test_short_labels();
	test_same_grid();
	test_names();
	test_bad_yaml();
	test_overrides();
	test_misc();
	return tap_done();
}
