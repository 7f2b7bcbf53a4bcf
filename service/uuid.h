/* UUID text form check, shared by the $filter parser and the database layer. Pure. */
#ifndef LICENSINGD_UUID_H
#define LICENSINGD_UUID_H

/* 1 when s is 8-4-4-4-12 hexadecimal digits (either case), nothing more. */
int uuid_is_valid(const char *s);

#endif
