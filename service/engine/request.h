/* A license request as clients write it (assignLicense on a user or a group): SKUs to add, each
 * with the plans to leave disabled, and SKUs to remove. Also the shape of a group's stored intent.
 */
#ifndef LICENSINGD_ENGINE_REQUEST_H
#define LICENSINGD_ENGINE_REQUEST_H

#include "service/base/guid.h"

struct license_add {
    char sku_id[GUID_SIZE];            /* lower-case GUID */
    char (*disabled_plans)[GUID_SIZE]; /* lower-case GUIDs */
    int n_disabled;
};

struct license_request {
    const struct license_add *adds;
    int n_adds;
    const char (*removes)[GUID_SIZE];
    int n_removes;
};

#endif
