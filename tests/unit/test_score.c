/* SPEC §5 formulas against values computed by hand. */
#include <math.h>

#include "check.h"
#include "score.h"

#define NEAR(a, b) ASSERT(fabs((a) - (b)) < 1e-9)

int main(void)
{
    /* Bayesian average, C = 10: no votes → the mean. */
    NEAR(score_bayes(0, 0, 3.0), 3.0);
    /* one 5★ vote, m = 3: (30 + 5) / 11 */
    NEAR(score_bayes(5, 1, 3.0), 35.0 / 11.0);
    /* ten votes summing 45, m = 3.5: (35 + 45) / 20 = 4 */
    NEAR(score_bayes(45, 10, 3.5), 4.0);
    /* many votes pull towards their own mean: 1000 votes of 4★, m = 2 → (20+4000)/1010 */
    NEAR(score_bayes(4000, 1000, 2.0), 4020.0 / 1010.0);

    /* Wilson lower bound, z = 1.96. */
    NEAR(score_wilson(0, 0), 0);
    /* 1 up, 0 down: (1 + z²/2 - z·sqrt(z²/4)) / (1 + z²) = 1 / (1 + z²) */
    NEAR(score_wilson(1, 0), 1.0 / (1.0 + 1.96 * 1.96));
    /* 0 up, 1 down: (z²/2 - z·sqrt(z²/4)) / (1 + z²) = 0 */
    NEAR(score_wilson(0, 1), 0.0);
    /* 50 up, 50 down: p = .5, n = 100 */
    {
        double n = 100, p = 0.5, z = 1.96;
        double want = (p + z * z / (2 * n) - z * sqrt((p * (1 - p) + z * z / (4 * n)) / n)) /
                      (1 + z * z / n);
        NEAR(score_wilson(50, 50), want);
        ASSERT(want > 0.40 && want < 0.41); /* 0.4038... */
    }
    /* more evidence ranks higher at the same ratio */
    ASSERT(score_wilson(90, 10) > score_wilson(9, 1));

    /* hot: p / (h + 2)^1.8 */
    NEAR(score_hot(0, 3600), 0);
    NEAR(score_hot(-3, 3600), 0);
    NEAR(score_hot(10, 0), 10.0 / pow(2.0, 1.8));
    NEAR(score_hot(10, 3600 * 8), 10.0 / pow(10.0, 1.8));
    NEAR(score_hot(1, 1800), 1.0 / pow(2.5, 1.8));
    /* a design from the future counts as age 0 */
    NEAR(score_hot(4, -100), 4.0 / pow(2.0, 1.8));
    ASSERT(score_hot(5, 3600) > score_hot(5, 7200));
    return 0;
}
