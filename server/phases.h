/* Contest phase changes as the clock moves them (SPEC §8 `contest` notices): a timer on
 * the loop looks at every contest once a second and, when a contest's phase now is not
 * the one last told (kept in LMDB), submits a "contest.phase" record; its apply tells
 * every creator with a design in the contest. Each node's timer may submit the same
 * change: the apply makes it once (the stored phase decides), so cluster nodes agree.
 * Loop thread only. */
#ifndef CC_PHASES_H
#define CC_PHASES_H

struct server;
struct phases;

/* Starts the timer on srv's loop. */
void phases_start(struct phases **out, struct server *srv);
/* Stops it (the handle closes with the loop) and frees what it holds. */
void phases_stop(struct phases *p);

#endif
