/* Checks of client text shared by the $filter parser, the API and the database layer. Pure. */
#ifndef LICENSINGD_TEXT_H
#define LICENSINGD_TEXT_H

/* 1 when s is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). */
int utf8_is_valid(const char *s);

#endif
