/* OData $filter: text -> tree. Pure (no I/O, no globals). */
#ifndef LICENSINGD_FILTER_H
#define LICENSINGD_FILTER_H

#include "service/base/error.h"
#include "service/base/filter.h"

/* Parses text into a tree (caller frees with filter_free). On failure returns NULL and fills err:
 * 400 BadRequest "Invalid filter clause: ..." for syntax, Request_UnsupportedQuery for a valid but
 * unsupported construct, naming the clause. */
struct filter_node *filter_parse(const char *text, struct lic_error *err);

#endif
