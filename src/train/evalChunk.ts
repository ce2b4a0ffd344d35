/**
 * Sequences evaluated in one forward pass (trainer.ts's predict). A test set of 2560 sequences of
 * 100 steps (Hochreiter & Schmidhuber's) in one pass holds ~250 MiB of activations per run; in
 * chunks the evaluation's memory no longer grows with the test set (limits.ts counts one chunk).
 */
export const EVAL_CHUNK = 256;
