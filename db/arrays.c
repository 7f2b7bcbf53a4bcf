/* Array literals ("{...}") for uuid[] and text[] parameters: the one way lists reach SQL. Every
 * element is quoted and escaped, so no value can change the literal's shape. */
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

void db_text_add(struct db_text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *grown = realloc(t->buf, cap);
        if (grown == NULL) {
            t->failed = 1;
            return;
        }
        t->buf = grown;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, s, n + 1);
    t->len += n;
}

void db_text_begin(struct db_text *t)
{
    t->len = 0;
    db_text_add(t, "{");
}

void db_text_add_elem(struct db_text *t, const char *s)
{
    db_text_add(t, t->len > 1 ? "," : "");
    if (s == NULL) {
        db_text_add(t, "NULL");
        return;
    }
    db_text_add(t, "\"");
    for (const char *p = s; *p; p++) {
        char c[3] = {0, 0, 0};
        if (*p == '"' || *p == '\\') {
            c[0] = '\\';
            c[1] = *p;
        } else {
            c[0] = *p;
        }
        db_text_add(t, c);
    }
    db_text_add(t, "\"");
}

char *db_array_literal(const char *const *items, int n)
{
    struct db_text t = {0};
    db_text_begin(&t);
    for (int i = 0; i < n; i++)
        db_text_add_elem(&t, items[i]);
    db_text_add(&t, "}");
    if (t.failed) {
        free(t.buf);
        return NULL;
    }
    return t.buf;
}
