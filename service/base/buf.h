/* The one growable text buffer: array literals, SQL, links, CSV lines and request bodies use it. */
#ifndef LICENSINGD_BASE_BUF_H
#define LICENSINGD_BASE_BUF_H

#include <stddef.h>

/* Always NUL-terminated once anything was added; failed is set (and sticks) when memory ran out,
 * so callers check once at the end instead of after every append. */
struct buf {
    char *data; /* owned: buf_free, or buf_take */
    size_t len, cap;
    int failed;
};

void buf_add(struct buf *b, const char *s);
void buf_add_n(struct buf *b, const char *s, size_t n);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Room for n more bytes; 0, or -1 (and failed) when memory ran out. */
int buf_reserve(struct buf *b, size_t n);
void buf_reset(struct buf *b); /* empties it, keeps the memory */
void buf_free(struct buf *b);
/* Hands the text to the caller (free()); NULL when the buffer failed. The buffer is emptied. */
char *buf_take(struct buf *b);

#endif
