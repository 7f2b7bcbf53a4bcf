/* The one hash map: string keys (borrowed, must outlive the map) to dense indexes 0, 1, 2, ... in
 * insertion order. Open addressing, FNV-1a. */
#ifndef LICENSINGD_BASE_MAP_H
#define LICENSINGD_BASE_MAP_H

struct id_map {
    const char **keys;
    int *values;
    int cap, count;
};

/* 0, or -1 when memory runs out. */
int id_map_init(struct id_map *m, int expected) __attribute__((warn_unused_result));
void id_map_free(struct id_map *m);
/* The key's index, or -1 when absent. */
int id_map_get(const struct id_map *m, const char *key);
/* The key's index, adding it with the next index when absent; -1 when memory runs out. */
int id_map_add(struct id_map *m, const char *key);

#endif
