/* ISO 3166-1 alpha-2 country codes. */
#ifndef LICENSINGD_COUNTRY_H
#define LICENSINGD_COUNTRY_H

/* 1 when code is an officially assigned ISO 3166-1 alpha-2 code in upper case ("GB", not "UK"
 * nor "gb"), else 0. */
int country_is_valid(const char *code);

#endif
