/* ISO 3166-1 alpha-2 country codes (usageLocation, countryLetterCode). Pure. */
#ifndef LICENSINGD_COUNTRY_H
#define LICENSINGD_COUNTRY_H

/* 1 when code is an assigned ISO 3166-1 alpha-2 code in upper case ("GB", not "UK"). */
int country_code_valid(const char *code);

#endif
