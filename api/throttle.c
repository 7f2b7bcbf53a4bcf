/* Token buckets in a fixed array indexed through the one hash map; a full table is compacted by
 * dropping buckets that have refilled (an idle client and an absent one are the same thing). */
#include "api/throttle.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/base/map.h"

struct bucket {
    char key[THROTTLE_KEY_MAX]; /* the map's keys point here */
    double tokens, updated;
};

struct throttle {
    pthread_mutex_t lock;
    double rate, burst;
    int cap, count;
    struct bucket *live, *spare; /* compaction copies live into spare and swaps them */
    struct id_map map;
    struct bucket overflow;
};

struct throttle *throttle_new(double rate, double burst, int max_clients)
{
    struct throttle *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    pthread_mutex_init(&t->lock, NULL);
    t->rate = rate;
    t->burst = burst;
    t->cap = max_clients > 0 ? max_clients : 1;
    t->live = calloc((size_t)t->cap, sizeof(*t->live));
    t->spare = calloc((size_t)t->cap, sizeof(*t->spare));
    if (t->live == NULL || t->spare == NULL || id_map_init(&t->map, t->cap) != 0) {
        throttle_free(t);
        return NULL;
    }
    t->overflow.tokens = burst;
    return t;
}

void throttle_free(struct throttle *t)
{
    if (t == NULL)
        return;
    pthread_mutex_destroy(&t->lock);
    id_map_free(&t->map);
    free(t->live);
    free(t->spare);
    free(t);
}

static void refill(const struct throttle *t, struct bucket *b, double now)
{
    if (now > b->updated) {
        b->tokens += (now - b->updated) * t->rate;
        if (b->tokens > t->burst)
            b->tokens = t->burst;
        b->updated = now;
    }
}

/* Keeps the buckets that are still below the burst; 0, or -1 when the map cannot be rebuilt. */
static int compact(struct throttle *t, double now)
{
    struct id_map map;
    if (id_map_init(&map, t->cap) != 0)
        return -1;
    int kept = 0;
    for (int i = 0; i < t->count; i++) {
        struct bucket *b = &t->live[i];
        refill(t, b, now);
        if (b->tokens >= t->burst)
            continue;
        t->spare[kept] = *b;
        if (id_map_add(&map, t->spare[kept].key) != kept) {
            id_map_free(&map);
            return -1;
        }
        kept++;
    }
    id_map_free(&t->map);
    t->map = map;
    struct bucket *old = t->live;
    t->live = t->spare;
    t->spare = old;
    t->count = kept;
    return 0;
}

static struct bucket *find(struct throttle *t, const char *key, double now)
{
    char k[THROTTLE_KEY_MAX];
    snprintf(k, sizeof(k), "%s", key);
    int i = id_map_get(&t->map, k);
    if (i >= 0)
        return &t->live[i];
    if (t->count >= t->cap && (compact(t, now) != 0 || t->count >= t->cap))
        return &t->overflow; /* every tracked client is active: newcomers share one bucket */
    struct bucket *b = &t->live[t->count];
    memcpy(b->key, k, sizeof(k));
    b->tokens = t->burst;
    b->updated = now;
    if (id_map_add(&t->map, b->key) != t->count)
        return &t->overflow;
    t->count++;
    return b;
}

int throttle_take(struct throttle *t, const char *key, double cost, double now, double *retry_after)
{
    if (cost > t->burst)
        cost = t->burst;
    pthread_mutex_lock(&t->lock);
    struct bucket *b = find(t, key, now);
    refill(t, b, now);
    int admitted = b->tokens >= cost;
    if (admitted)
        b->tokens -= cost;
    else
        *retry_after = (cost - b->tokens) / t->rate;
    pthread_mutex_unlock(&t->lock);
    return admitted;
}

int throttle_clients(struct throttle *t)
{
    pthread_mutex_lock(&t->lock);
    int n = t->count;
    pthread_mutex_unlock(&t->lock);
    return n;
}
