/* A strict RFC 4180 reader for Microsoft's licensing CSV: pure, over a buffer held in memory. */
#ifndef LICENSINGD_CSV_H
#define LICENSINGD_CSV_H

#include <stddef.h>

#define CSV_MAX_FIELDS 16

struct csv_reader {
    const char *p, *end;
    long line; /* line number (1-based) where the next record starts */
    char *buf; /* owned: the current record's unescaped fields */
    size_t cap;
};

struct csv_record {
    long line; /* line where the record starts */
    int nfields;
    const char *fields[CSV_MAX_FIELDS]; /* point into the reader's buffer until the next call */
};

/* Reads from data[0..len); a UTF-8 byte-order mark is skipped. */
void csv_reader_init(struct csv_reader *r, const char *data, size_t len);
void csv_reader_free(struct csv_reader *r);

/* The next record: 1 read, 0 end of input, -1 malformed (reason filled, the reader has moved past
 * the bad record so the caller can go on). Fields are unquoted ("" inside quotes is one "),
 * trimmed of spaces, tabs and no-break spaces (U+00A0) at both ends; CRLF and LF both end a
 * record; quoted fields may hold commas and line breaks. Blank lines are skipped. */
int csv_next(struct csv_reader *r, struct csv_record *rec, char *reason, size_t reason_size);

#endif
