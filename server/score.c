/* The ranking formulas. See score.h. */
#include "score.h"

#include <math.h>

double score_bayes(double sum, double n, double mean)
{
    return (SCORE_BAYES_C * mean + sum) / (SCORE_BAYES_C + n);
}

double score_wilson(double up, double down)
{
    double n = up + down;
    if (n <= 0)
        return 0;
    double p = up / n, z = SCORE_WILSON_Z, z2 = z * z;
    return (p + z2 / (2 * n) - z * sqrt((p * (1 - p) + z2 / (4 * n)) / n)) / (1 + z2 / n);
}

double score_hot(double p, int64_t age_seconds)
{
    if (p <= 0)
        return 0;
    double hours = age_seconds > 0 ? (double)age_seconds / 3600.0 : 0;
    return p / pow(hours + 2, SCORE_HOT_GRAVITY);
}
