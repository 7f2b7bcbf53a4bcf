/* libFuzzer target: any bytes as $filter text through the parser and the SQL compiler; ASan
 * checks memory, and every compiled fragment must keep literals out of the SQL text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/filter.h"
#include "db/filter_sql.h"

static const struct filter_column cols[] = {
    {"id", "t.id", FCOL_UUID, FOP_EQ | FOP_NE},
    {"displayName", "lower(t.name)", FCOL_TEXT,
     FOP_EQ | FOP_NE | FOP_RANGE | FOP_STARTS | FOP_ENDS | FOP_NULL},
    {"accountEnabled", "t.enabled", FCOL_BOOL, FOP_EQ | FOP_NE},
    {"createdDateTime", "t.created", FCOL_TIME, FOP_EQ | FOP_RANGE},
    {NULL, NULL, FCOL_TEXT, 0},
};
static const struct filter_lambda lambdas[] = {
    {"assignedLicenses", "skuId", "EXISTS (SELECT 1 FROM l WHERE ", "l.sku", FCOL_UUID, FOP_EQ},
    {"proxyAddresses", NULL, "EXISTS (SELECT 1 FROM p WHERE ", "lower(p.a)", FCOL_TEXT,
     FOP_EQ | FOP_STARTS},
    {NULL, NULL, NULL, NULL, FCOL_TEXT, 0},
};
static const struct filter_schema schema = {"User", cols, lambdas};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct lic_error err;
    struct filter_node *n = filter_parse(text, &err);
    if (n != NULL) {
        struct sql_builder b;
        sqlb_init(&b);
        if (filter_sql_compile(n, &schema, &b, &err) == 0 && !b.failed &&
            (strchr(b.sql, '\'') != NULL || strchr(b.sql, ';') != NULL))
            abort(); /* a literal reached the SQL text */
        sqlb_free(&b);
        filter_free(n);
    }
    free(text);
    return 0;
}
