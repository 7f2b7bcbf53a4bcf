/* Per-client token buckets: each client earns `rate` tokens a second up to `burst`; a request
 * spends its cost or is refused with the wait until it could pass (429 + Retry-After). */
#ifndef LICENSINGD_API_THROTTLE_H
#define LICENSINGD_API_THROTTLE_H

#define THROTTLE_READ_COST 1.0
#define THROTTLE_WRITE_COST 5.0 /* POST, PATCH, PUT, DELETE: a write costs the database more */
#define THROTTLE_KEY_MAX 64

struct throttle;

/* rate tokens per second, burst tokens at most, up to max_clients buckets tracked at once (idle
 * ones are forgotten when room is needed; beyond that, new clients share one bucket). NULL when
 * out of memory. */
struct throttle *throttle_new(double rate, double burst, int max_clients);
void throttle_free(struct throttle *t);

/* Spends cost (capped at the burst) from key's bucket at time now (seconds, any monotonic
 * origin). 1 when admitted; 0 when not, with *retry_after the seconds until it would be. */
int throttle_take(struct throttle *t, const char *key, double cost, double now,
                  double *retry_after);

/* Buckets tracked now (tests). */
int throttle_clients(struct throttle *t);

#endif
