/* The one hash map (see map.h). */
#include "service/base/map.h"

#include <stdlib.h>
#include <string.h>

static unsigned hash_id(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

int id_map_init(struct id_map *m, int expected)
{
    m->cap = 64;
    while (m->cap < expected * 2)
        m->cap *= 2;
    m->keys = calloc((size_t)m->cap, sizeof(*m->keys));
    m->values = calloc((size_t)m->cap, sizeof(*m->values));
    m->count = 0;
    if (m->keys && m->values)
        return 0;
    id_map_free(m);
    return -1;
}

void id_map_free(struct id_map *m)
{
    free(m->keys);
    free(m->values);
    memset(m, 0, sizeof(*m));
}

int id_map_get(const struct id_map *m, const char *key)
{
    if (m->cap == 0 || key == NULL)
        return -1;
    for (unsigned i = hash_id(key) & (unsigned)(m->cap - 1);;
         i = (i + 1) & (unsigned)(m->cap - 1)) {
        if (m->keys[i] == NULL)
            return -1;
        if (strcmp(m->keys[i], key) == 0)
            return m->values[i];
    }
}

int id_map_add(struct id_map *m, const char *key)
{
    int have = id_map_get(m, key);
    if (have >= 0)
        return have;
    if (m->cap == 0 && id_map_init(m, 16) != 0)
        return -1;
    if ((m->count + 1) * 2 > m->cap) {
        struct id_map bigger;
        if (id_map_init(&bigger, m->cap) != 0)
            return -1;
        for (int i = 0; i < m->cap; i++) {
            if (m->keys[i] == NULL)
                continue;
            unsigned j = hash_id(m->keys[i]) & (unsigned)(bigger.cap - 1);
            while (bigger.keys[j] != NULL)
                j = (j + 1) & (unsigned)(bigger.cap - 1);
            bigger.keys[j] = m->keys[i];
            bigger.values[j] = m->values[i];
        }
        bigger.count = m->count;
        id_map_free(m);
        *m = bigger;
    }
    unsigned i = hash_id(key) & (unsigned)(m->cap - 1);
    while (m->keys[i] != NULL)
        i = (i + 1) & (unsigned)(m->cap - 1);
    m->keys[i] = key;
    m->values[i] = m->count;
    return m->count++;
}
