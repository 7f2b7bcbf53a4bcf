/* `licensingd load-demo`: the demo organization, the seed catalog with seats and rules, and a
 * small directory, all from db/demo/ compiled into the binary; loading twice changes nothing. */
#include <jansson.h>
#include <stdio.h>

#include "db/demo.h"
#include "service/catalog.h"

int catalog_demo_command(const struct config *cfg)
{
    const char *text = db_demo_file("catalog.json");
    json_error_t jerr;
    json_t *j_catalog = text ? json_loads(text, 0, &jerr) : NULL;
    if (j_catalog == NULL) {
        fprintf(stderr, "load-demo: the embedded catalog.json does not load\n");
        return 1;
    }
    size_t nskus = json_array_size(json_object_get(j_catalog, "skus"));
    struct lic_error err;
    lic_error_clear(&err);
    long changes = 0;
    struct db_conn *conn = catalog_command_connect(cfg, "load-demo");
    int rc = conn ? catalog_load_demo(conn, j_catalog, &changes, &err) : -1;
    db_disconnect(conn);
    json_decref(j_catalog);
    if (rc != 0) {
        if (conn != NULL)
            fprintf(stderr, "load-demo: failed, nothing was changed: %s\n", err.message);
        return 1;
    }
    printf("load-demo: organization %s, %zu SKUs with seats, rules and a directory of 3 groups "
           "and 6 users: %ld catalog changes\n",
           CATALOG_DEMO_ORG_NAME, nskus, changes);
    return 0;
}
