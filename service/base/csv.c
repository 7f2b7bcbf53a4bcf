/* CSV records out of a buffer: quoting, BOM, CRLF and the stray NBSPs of Microsoft's export. */
#include "service/base/csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void csv_reader_init(struct csv_reader *r, const char *data, size_t len)
{
    memset(r, 0, sizeof(*r));
    r->p = data;
    r->end = data + len;
    r->line = 1;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        r->p += 3;
}

void csv_reader_free(struct csv_reader *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = 0;
}

static int put(struct csv_reader *r, size_t *len, char c)
{
    if (*len + 1 >= r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        char *grown = realloc(r->buf, cap);
        if (grown == NULL)
            return -1;
        r->buf = grown;
        r->cap = cap;
    }
    r->buf[(*len)++] = c;
    return 0;
}

static int is_blank_at(const char *s, const char *end, size_t *width)
{
    if (s < end && (*s == ' ' || *s == '\t')) {
        *width = 1;
        return 1;
    }
    if (s + 1 < end && (unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0) {
        *width = 2;
        return 1;
    }
    return 0;
}

/* Trims blanks (space, tab, NBSP) at both ends of buf[start..*len), in place. */
static void trim(struct csv_reader *r, size_t start, size_t *len)
{
    size_t w, lead = 0;
    while (start + lead < *len && is_blank_at(r->buf + start + lead, r->buf + *len, &w))
        lead += w;
    if (lead > 0) {
        memmove(r->buf + start, r->buf + start + lead, *len - start - lead);
        *len -= lead;
    }
    for (;;) {
        if (*len > start && (r->buf[*len - 1] == ' ' || r->buf[*len - 1] == '\t'))
            (*len)--;
        else if (*len >= start + 2 && (unsigned char)r->buf[*len - 2] == 0xC2 &&
                 (unsigned char)r->buf[*len - 1] == 0xA0)
            *len -= 2;
        else
            break;
    }
}

/* Skips to the start of the next line (after a malformed record). */
static void skip_line(struct csv_reader *r)
{
    while (r->p < r->end && *r->p != '\n')
        r->p++;
    if (r->p < r->end) {
        r->p++;
        r->line++;
    }
}

static int fail(struct csv_reader *r, char *reason, size_t size, const char *what)
{
    snprintf(reason, size, "%s", what);
    skip_line(r);
    return -1;
}

int csv_next(struct csv_reader *r, struct csv_record *rec, char *reason, size_t reason_size)
{
    /* Blank lines between records carry nothing. */
    while (r->p < r->end &&
           (*r->p == '\n' || (*r->p == '\r' && r->p + 1 < r->end && r->p[1] == '\n'))) {
        r->p += *r->p == '\r' ? 2 : 1;
        r->line++;
    }
    if (r->p >= r->end)
        return 0;

    memset(rec, 0, sizeof(*rec));
    rec->line = r->line;
    size_t len = 0, starts[CSV_MAX_FIELDS];
    int n = 0;
    for (;;) {
        if (n == CSV_MAX_FIELDS)
            return fail(r, reason, reason_size, "too many fields");
        starts[n] = len;
        /* Leading blanks before an opening quote are tolerated. */
        const char *q = r->p;
        size_t w;
        while (is_blank_at(q, r->end, &w))
            q += w;
        if (q < r->end && *q == '"') {
            r->p = q + 1;
            for (;;) {
                if (r->p >= r->end)
                    return fail(r, reason, reason_size, "unterminated quoted field");
                char c = *r->p++;
                if (c == '"') {
                    if (r->p < r->end && *r->p == '"') {
                        r->p++;
                        if (put(r, &len, '"') != 0)
                            return fail(r, reason, reason_size, "out of memory");
                        continue;
                    }
                    break;
                }
                if (c == '\n')
                    r->line++;
                if (put(r, &len, c) != 0)
                    return fail(r, reason, reason_size, "out of memory");
            }
            /* Only blanks may follow the closing quote before the separator. */
            while (is_blank_at(r->p, r->end, &w))
                r->p += w;
            if (r->p < r->end && *r->p != ',' && *r->p != '\r' && *r->p != '\n')
                return fail(r, reason, reason_size, "text after a closing quote");
        } else {
            while (r->p < r->end && *r->p != ',' && *r->p != '\n' &&
                   !(*r->p == '\r' && r->p + 1 < r->end && r->p[1] == '\n')) {
                if (*r->p == '"')
                    return fail(r, reason, reason_size, "quote inside an unquoted field");
                if (put(r, &len, *r->p++) != 0)
                    return fail(r, reason, reason_size, "out of memory");
            }
        }
        trim(r, starts[n], &len);
        if (put(r, &len, '\0') != 0)
            return fail(r, reason, reason_size, "out of memory");
        n++;
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        /* End of record: CRLF, LF, a lone CR at the very end, or end of input. */
        if (r->p < r->end && *r->p == '\r')
            r->p++;
        if (r->p < r->end && *r->p == '\n') {
            r->p++;
            r->line++;
        }
        break;
    }
    rec->nfields = n;
    for (int i = 0; i < n; i++)
        rec->fields[i] = r->buf + starts[i];
    return 1;
}
