/* Chunked bump allocator: many small allocations, one free. */
#include "service/base/arena.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK (64 * 1024)

struct chunk {
    struct chunk *next;
    size_t used, size;
    max_align_t data[];
};

struct arena {
    struct chunk *head;
};

struct arena *arena_new(void)
{
    return calloc(1, sizeof(struct arena));
}

void arena_free(struct arena *arena)
{
    if (arena == NULL)
        return;
    for (struct chunk *c = arena->head, *next; c != NULL; c = next) {
        next = c->next;
        free(c);
    }
    free(arena);
}

void *arena_alloc(struct arena *arena, size_t size)
{
    size_t align = sizeof(max_align_t);
    size = (size + align - 1) / align * align;
    struct chunk *c = arena->head;
    if (c == NULL || c->used + size > c->size) {
        size_t cap = size > CHUNK ? size : CHUNK;
        c = malloc(sizeof(struct chunk) + cap);
        if (c == NULL)
            return NULL;
        c->size = cap;
        c->used = 0;
        c->next = arena->head;
        arena->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

char *arena_strdup(struct arena *arena, const char *text)
{
    if (text == NULL)
        return NULL;
    size_t n = strlen(text) + 1;
    char *p = arena_alloc(arena, n);
    if (p != NULL)
        memcpy(p, text, n);
    return p;
}
