/* Inside db/ only: compiles a parsed $filter (api/filter.h) into a SQL WHERE fragment. Only the
 * columns of a schema's whitelist can appear; every literal becomes a $n parameter. */
#ifndef LICENSINGD_DB_FILTER_SQL_H
#define LICENSINGD_DB_FILTER_SQL_H

#include "service/base/filter.h"
#include "db/sql_builder.h"

enum filter_col_type {
    FCOL_TEXT, /* sql is already lower()ed: literals are compared lower()ed (case-insensitive) */
    FCOL_UUID,
    FCOL_BOOL,
    FCOL_TIME,
    FCOL_JSON_MEMBER, /* sql is a jsonb array of lower-case strings: eq is membership (@>, GIN) */
};

/* Which operators a column allows (Graph's per-property list, reference §1). */
#define FOP_EQ (1u << 0)    /* eq, and in */
#define FOP_NE (1u << 1)    /* ne (and not) */
#define FOP_RANGE (1u << 2) /* gt ge lt le */
#define FOP_STARTS (1u << 3)
#define FOP_ENDS (1u << 4)
#define FOP_NULL (1u << 5) /* eq null / ne null */

struct filter_column {
    const char *name; /* Graph property name */
    const char *sql;  /* fixed SQL expression */
    enum filter_col_type type;
    unsigned ops;
};

/* property/any(v: v[/sub] op literal): "open" + elem op literal + ")". */
struct filter_lambda {
    const char *property;
    const char *sub; /* required sub-property (skuId), or NULL when the element itself */
    const char *open;
    const char *elem;
    enum filter_col_type type;
    unsigned ops;
};

struct filter_schema {
    const char *resource; /* "User", "Group": named in messages */
    const struct filter_column *columns;
    const struct filter_lambda *lambdas;
};

/* Appends the condition of a $search (db/directory.h): each clause true when a word of the
 * property (a text column of the schema) starts with the term, LIKE's wildcards taken as text.
 * -1 with a 400 for a property the schema cannot search. */
struct db_search;
int filter_sql_search(const struct db_search *search, const struct filter_schema *schema,
                      struct sql_builder *b, struct lic_error *err);

/* Appends the condition for node to b. -1 with a 400 in err for anything the schema lacks. */
int filter_sql_compile(const struct filter_node *node, const struct filter_schema *schema,
                       struct sql_builder *b, struct lic_error *err);

#endif
