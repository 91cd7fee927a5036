/* The ranking formulas of SPEC §5, as pure functions. */
#ifndef CC_SCORE_H
#define CC_SCORE_H

#include <stdint.h>

#define SCORE_BAYES_C 10.0   /* stars5: weight of the contest mean */
#define SCORE_BAYES_M0 3.0   /* stars5: the mean while a contest has no votes */
#define SCORE_WILSON_Z 1.96  /* updown: 95 % */
#define SCORE_HOT_GRAVITY 1.8

/* stars5 `top`: (C·m + sum) / (C + n). */
double score_bayes(double sum, double n, double mean);
/* updown `top`: the Wilson lower bound of ups / (ups + downs) at z; 0 with no votes. */
double score_wilson(double up, double down);
/* `hot`: p / (age_hours + 2)^1.8, p ≥ 0 (supports minus downs); age from seconds. */
double score_hot(double p, int64_t age_seconds);

#endif
