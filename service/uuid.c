/* UUID text form check. */
#include "uuid.h"

#include <ctype.h>
#include <stddef.h>

int uuid_is_valid(const char *s)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    if (s == NULL)
        return 0;
    for (int g = 0; g < 5; g++) {
        for (int i = 0; i < groups[g]; i++, s++)
            if (!isxdigit((unsigned char)*s))
                return 0;
        if (g < 4 && *s++ != '-')
            return 0;
    }
    return *s == '\0';
}
