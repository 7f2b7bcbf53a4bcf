/* A bump allocator for data that lives and dies together (one batch of users being licensed). */
#ifndef LICENSINGD_ARENA_H
#define LICENSINGD_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(void);
void arena_free(struct arena *arena);
/* Zeroed memory, aligned for any type; NULL when memory runs out. */
void *arena_alloc(struct arena *arena, size_t size);
char *arena_strdup(struct arena *arena, const char *text);

#endif
