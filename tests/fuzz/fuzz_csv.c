/* libFuzzer target: any bytes as Microsoft's licensing CSV through the strict RFC 4180 reader
 * (service/base/csv.c). The invariants: every call makes progress (no endless loop on a bad
 * record), a record has at most CSV_MAX_FIELDS fields, and each field is a readable string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "service/base/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct csv_reader r;
    csv_reader_init(&r, (const char *)data, size);
    struct csv_record rec;
    char reason[256];
    size_t records = 0;
    for (;;) {
        const char *before = r.p;
        int rc = csv_next(&r, &rec, reason, sizeof(reason));
        if (rc == 0)
            break;
        if (r.p == before && rc < 0)
            abort(); /* a malformed record must be skipped, not read again */
        if (rc > 0) {
            if (rec.nfields < 0 || rec.nfields > CSV_MAX_FIELDS)
                abort();
            for (int i = 0; i < rec.nfields; i++)
                if (strlen(rec.fields[i]) > size)
                    abort();
        }
        if (++records > size + 1)
            abort(); /* more records than bytes: no progress */
    }
    csv_reader_free(&r);
    return 0;
}
