/* The OData $filter tree, shared by the parser (api/filter.h) and the SQL compiler
 * (db/filter_sql.c); nothing here decides which properties exist. */
#ifndef LICENSINGD_BASE_FILTER_H
#define LICENSINGD_BASE_FILTER_H

#include <stddef.h>

#include "service/base/error.h"

#define FILTER_MAX_LENGTH 4096 /* bytes of $filter text */
#define FILTER_MAX_DEPTH 32    /* nesting of parentheses, not, and/or operands */
#define FILTER_MAX_VALUES 100  /* literals in one `in (...)` list */

/* Fraction digits of a date-time literal: OData allows up to 12; PostgreSQL fails on 129+. */
#define FILTER_MAX_FRACTION_DIGITS 12

enum filter_kind {
    FILTER_AND,
    FILTER_OR,
    FILTER_NOT,
    FILTER_CMP,  /* property op literal; `in` is FILTER_CMP with op FILTER_IN */
    FILTER_FUNC, /* startswith(property, 'x') / endswith(property, 'x') */
    FILTER_ANY,  /* property/any(v: v[/sub] op literal) */
};

enum filter_op { FILTER_EQ, FILTER_NE, FILTER_GT, FILTER_GE, FILTER_LT, FILTER_LE, FILTER_IN };
enum filter_func { FILTER_STARTSWITH, FILTER_ENDSWITH };

enum filter_literal_type {
    FILTER_LIT_STRING,   /* 'quoted' ('' unescaped) */
    FILTER_LIT_GUID,     /* unquoted 8-4-4-4-12 hex */
    FILTER_LIT_BOOL,     /* true / false ("true" or "false" in text) */
    FILTER_LIT_NULL,     /* null */
    FILTER_LIT_NUMBER,   /* unquoted integer */
    FILTER_LIT_DATETIME, /* unquoted 2024-05-01T10:00:00Z */
};

struct filter_literal {
    enum filter_literal_type type;
    char *text; /* owned by the node; NUL-terminated, valid UTF-8 */
};

struct filter_node {
    enum filter_kind kind;
    struct filter_node *left, *right; /* AND/OR: both; NOT: left */
    char *property;                   /* CMP/FUNC/ANY: the property path's first segment */
    char *sub;                        /* ANY: lambda sub-property (x/skuId -> "skuId") or NULL */
    enum filter_op op;                /* CMP and the comparison inside ANY */
    enum filter_func func;            /* FUNC, or ANY whose body is startswith/endswith */
    int body_is_func;                 /* ANY: body is func(v[/sub], 'x') instead of a comparison */
    struct filter_literal *values;    /* CMP/FUNC/ANY: one, or several for `in` */
    int nvalues;
};

void filter_free(struct filter_node *node);

/* "eq", "ne", ...: for messages. */
const char *filter_op_name(enum filter_op op);

#endif
