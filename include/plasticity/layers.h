/*
 * layers.h - forward/backward pairs of the MLP's pieces, on raw buffers.
 *
 * Shapes are row-major, batch first; weights are (in, out), input-major
 * (the transpose of PyTorch's nn.Linear), so the weights one input feeds
 * are one contiguous row: a zero input skips its row (mlp.h). Backward functions
 * overwrite their gradients: each parameter is used once per pass, so nothing needs
 * zeroing first.
 */
#ifndef PLASTICITY_LAYERS_H
#define PLASTICITY_LAYERS_H

#include <stdint.h>

/* out (B, nout) = in (B, nin) . W (nin, nout) + b (nout) */
void linear_forward(float *out, const float *in, const float *w, const float *b, int B,
                    int nin, int nout);
/*
 * dw (nin, nout) = in^T . dout;  db (nout) = column sums of dout;
 * din (B, nin) = dout . W^T, skipped when din is NULL (the first layer).
 */
void linear_backward(float *din, float *dw, float *db, const float *dout, const float *in,
                     const float *w, int B, int nin, int nout);

/*
 * linear_backward with the gradient applied instead of written: din as
 * there (from the weights before the step), then W += alpha dw and
 * b += alpha db, the first through sgemm's beta = 1.
 */
void linear_backward_apply(float *din, float *w, float *b, const float *dout,
                           const float *in, int B, int nin, int nout, float alpha);

/*
 * The derivative of softmax_xent_backward's dlogits along a change rz
 * (B, C) of the logits (probs from softmax_xent_forward):
 * rd = p * (rz - p . rz) / B, row by row (mlp_hvp's R-operator).
 */
void softmax_xent_rbackward(float *rd, const float *probs, const float *rz, int B, int C);

/* In place: x = max(x, 0). */
void relu_forward(float *x, int n);
/* In place: d = d where y > 0, else 0 (y is the ReLU output). */
void relu_backward(float *d, const float *y, int n);

/*
 * Numerically stable softmax cross-entropy, mean over the batch.
 * logits (B, C) -> probs (B, C); returns the mean loss.
 */
float softmax_xent_forward(float *probs, const float *logits, const uint8_t *y, int B,
                           int C);
/* dlogits (B, C) = (probs - onehot(y)) / B */
void softmax_xent_backward(float *dlogits, const float *probs, const uint8_t *y, int B,
                           int C);

#endif
