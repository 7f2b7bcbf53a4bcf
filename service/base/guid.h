/* GUIDs as Graph writes them: 36 characters, hyphenated, lower-case in output. */
#ifndef LICENSINGD_GUID_H
#define LICENSINGD_GUID_H

#define GUID_SIZE 37 /* 36 characters and the NUL: every GUID text buffer in the project */

/* Checks text is a GUID and writes it lower-cased into out: 0, or -1 when it is not one. */
int guid_normalize(const char *text, char out[GUID_SIZE]);

/* 1 when text is a GUID (any case). */
int guid_valid(const char *text);

#endif
