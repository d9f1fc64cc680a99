/*
 * help.c - the help overlay's text: every key, and the definition of every
 * number on the screen.
 */
#include "ui/ui.h"

const char *const help_lines[] = {
        "Keys",
        "  Enter, r     start training (main view; unchanged methods keep their runs)",
        "  p, Space     pause / resume",
        "  x            stop (finished tasks are kept)  q, F10    quit (asks while "
        "training)",
        "  e, Tab       edit settings (Tab, Esc leave); on an opened run, edit a copy",
        "               to train anew (fork)            s, F2     save preset",
        "  o, F3        open a preset                   w         export the run "
        "directory",
        "  t            next theme                      g         sparkline: "
        "braille/blocks/ascii",
        "  1-9          sort the table by column n      v         next view (3 in turn)",
        "  c            clear earlier curves            m         a diagnostic as a "
        "column",
        "  y            sparklines: one shared axis / each row its own scale",
        "  f            figures: every plot of the run as PNG in its run directory's",
        "               figures/ folder (plasticity plot DIR: also svg, pdf)",
        "  ?, h, F1     this help (any key closes)",
        "  Form: Up/Down move, Enter edit/next choice, Esc cancel, a add, d duplicate, "
        "- remove",
        "",
        "What the numbers mean",
        "  acc        test accuracy on a task right after training on it, on that",
        "             task's whole test set; curves show the mean over finished runs",
        "  latest     acc of the most recent task any run finished (mean over runs)",
        "  first/last mean acc over the first / last `window` tasks (preset key,",
        "             default 10% of the tasks, at least 1; 'window N' in the title),",
        "             per run, then averaged over runs",
        "  runs       runs with every task done   tasks  tasks done by the furthest run",
        "  p.loss     plasticity loss = first - last; > 0 means the network learns",
        "             new tasks worse than it learned the first ones",
        "  mean       mean acc over all finished tasks",
        "  samples/s  training examples per second of one run (per core)",
        "  range      lowest-highest of a curve drawn; (e) a curve kept from earlier",
        "  p.loss vs base  p.loss minus the baseline's, paired by seed, +- 95% CI;",
        "             * Holm-corrected p < .05 (man plasticity, STATISTICS)",
        "  [N diverged] runs whose training loss became NaN: they stopped there",
        "  [N collapsed] runs within 0.02 of chance for 5 tasks in a row: they learn",
        "             nothing, so their p.loss says nothing about plasticity",
        "  sparklines share one y-axis (range in their title); y: each row its own",
        NULL,
};

const char *const diag_help_lines[] = {
        "Diagnostics view   v: next view   l: layer shown   Up/Down: scroll",
        "  Measured after each task on the probe set (the task's first probe_examples",
        "  training examples); one sparkline per method, mean over its finished runs;",
        "  all methods of a metric share one y-axis, its range on the metric's line.",
        "  online_acc  training examples classified right just before their step",
        "  dead        units whose ReLU output is 0 on every probe example",
        "  dormant     units with s_i <= dormant_tau, s_i = mean|h_i| / layer mean",
        "  erank       exp(-sum p_k log p_k), p_k = sigma_k / sum sigma (activations)",
        "  arank       the fewest largest sigma_k holding 99% of sum sigma_k^2",
        "  wmag        mean |w| of a layer's weights (biases left out)",
        "  dist_init   ||theta - theta_0||: distance from the initial network",
        "  grad_norm   ||grad L||, L the mean cross-entropy on the probe set",
        "  sharpness   L(w + rho g/||g||) - L(w): SAM's sharpness (sharpness_rho)",
        "  lambda_max  top Hessian eigenvalue (power iteration; every hessian_every)",
        "  hessian_trace  Hutchinson's estimate of tr(H) (with 'trace' listed)",
        "  probe_loss, probe_acc  L and the accuracy on the probe set",
        "  Per-layer metrics: the mean over layers, or the layer l picks.",
        "  Every formula in full: man plasticity, RESULT COLUMNS.",
        NULL,
};

const char *const heat_help_lines[] = {
        "Accuracy-matrix view   [ ], Left/Right: method   v: next view",
        "  R[i][j]: test accuracy on task j after training task i (j <= i), mean over",
        "  the runs that got there; row i downward, column j rightward, blocks averaged",
        "  when the grid is larger than the screen. Shade ' .:-=+*#%@': acc 0 to 1;",
        "  colour: good at 0.5 and above, bad below. Needs accuracy_matrix: true.",
        "  BWT         backward transfer (Lopez-Paz & Ranzato 2017):",
        "              1/(T-1) sum_{j<T-1} (R[T-1][j] - R[j][j]); < 0: earlier tasks "
        "lost",
        "  forgetting  (Chaudhry et al. 2018): mean over j < T-1 of",
        "              max_{l<T-1} R[l][j] - R[T-1][j]",
        "  T is the number of tasks finished so far.",
        NULL,
};
