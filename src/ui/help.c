/*
 * help.c - the help overlay's text: every key, and the definition of every
 * number on the screen.
 */
#include "ui/ui.h"

const char *const help_lines[] = {
	"Keys",
	"  Enter, r     start training (main view)     p, Space  pause / resume",
	"  x            stop (finished tasks are kept)  q, F10    quit (asks while training)",
	"  e, Tab       edit settings (Tab, Esc leave)  s, F2     save preset",
	"  o, F3        open a preset                   w         export the run directory",
	"  t            next theme                      g         sparkline: braille/blocks/ascii",
	"  1-9          sort the table by column n (again: reverse)",
	"  c            clear earlier curves            ?, h, F1  this help (any key closes)",
	"  In the form: Up/Down move, Enter edit or next choice, Esc cancel,",
	"  a add method, d duplicate method, Delete/- remove method.",
	"",
	"What the numbers mean",
	"  acc        test accuracy on a task right after training on it, on that",
	"             task's whole test set; curves show the mean over finished runs",
	"  latest     acc of the most recent task any run finished (mean over runs)",
	"  first/last mean acc over the first / last 10% of tasks (at least 1 task),",
	"             per run, then averaged over runs",
	"  loss       plasticity loss = first - last; > 0 means the network learns",
	"             new tasks worse than it learned the first ones",
	"  mean       mean acc over all finished tasks",
	"  samples/s  training examples per second of one run (per core)",
	"  range      the lowest and highest value of the curve drawn",
	"  (e)        a curve from an earlier configuration, kept to compare",
	NULL,
};
