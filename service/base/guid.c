/* GUID validation and normalization, shared by every layer that takes ids from clients. */
#include "service/base/guid.h"

#include <ctype.h>
#include <string.h>

int guid_normalize(const char *text, char out[GUID_SIZE])
{
    if (text == NULL || strlen(text) != 36)
        return -1;
    for (int i = 0; i < 36; i++) {
        char c = text[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return -1;
        } else if (!isxdigit((unsigned char)c)) {
            return -1;
        }
        out[i] = (char)tolower((unsigned char)c);
    }
    out[36] = '\0';
    return 0;
}

int guid_valid(const char *text)
{
    char ignored[GUID_SIZE];
    return guid_normalize(text, ignored) == 0;
}
