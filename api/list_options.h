/* The query options of the directory's lists: $top, $select, $filter, $orderby, $skiptoken and
 * $count parsed once, and the keyset position a $skiptoken holds, checked before it reaches db/. */
#ifndef LICENSINGD_API_LIST_OPTIONS_H
#define LICENSINGD_API_LIST_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "db/directory.h"
#include "api/filter.h"
#include "api/http.h"
#include "api/odata.h"

struct list_options {
    int top;
    uint64_t select;
    struct filter_node *filter; /* owned */
    enum db_order order;
    char after[ODATA_KEY_PARTS][ODATA_KEY_PART_MAX];
    int nafter;              /* parts decoded from $skiptoken, 0 on the first page */
    int count;               /* $count=true with ConsistencyLevel: eventual */
    struct db_search search; /* $search clauses; terms point into search_text */
    char *search_text;       /* owned */
    const char *expand;      /* $expand as given (LIST_EXPAND), else NULL */
};

/* What a list supports beyond $top, $select, $skiptoken and $count. */
enum list_features {
    LIST_FILTER = 1,
    LIST_ORDER_UPN = 2,
    LIST_ORDER = 4,
    LIST_ORDER_NEWEST = 8, /* "activityDateTime desc": the order such a list always has */
    LIST_SEARCH = 16,      /* $search="property:term", with ConsistencyLevel: eventual */
    LIST_EXPAND = 32,      /* $expand: the caller checks what it names */
};

/* Parses a $search value: "prop:term" clauses in double quotes joined by AND or OR. 0, or -1 with
 * a 400. search's terms point into text, which is modified. */
int list_options_parse_search(char *text, struct db_search *search, struct lic_error *err)
    __attribute__((warn_unused_result));

/* Parses $top, $select (over props of type, "microsoft.graph.user"), $filter, $orderby, $skiptoken,
 * $count; rejects $skip. o is for list_options_free whatever this returns. */
int list_options_parse(const struct api_request *req, const char *const *props, const char *type,
                       unsigned features, struct list_options *o, struct lic_error *err)
    __attribute__((warn_unused_result));
void list_options_free(struct list_options *o);

/* The position of a users or groups page: its sort key (split across the first parts) into key,
 * its id (a GUID) into *id; both empty/NULL on the first page. 0, or -1 with a 400. */
int list_options_after(const struct list_options *o, char *key, size_t size, const char **id,
                       struct lic_error *err) __attribute__((warn_unused_result));
/* The position of a list keyed by one GUID (memberOf); *id NULL on the first page. */
int list_options_after_id(const struct list_options *o, const char **id, struct lic_error *err)
    __attribute__((warn_unused_result));
/* The position of a list keyed by n numbers (members: a sequence; audits: time and id), each a
 * decimal of at most 18 digits; parts[] NULL on the first page. */
int list_options_after_numbers(const struct list_options *o, int n, const char **parts,
                               struct lic_error *err) __attribute__((warn_unused_result));

/* The "$count" segment: needs ConsistencyLevel: eventual. */
int list_options_count_allowed(const struct api_request *req, struct lic_error *err)
    __attribute__((warn_unused_result));

#endif
