/* $filter tree -> SQL: whitelisted expressions, operators checked per column, literals as $n. */
#include "service/base/guid.h"
#include "db/filter_sql.h"
#include "db/directory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int unsupported_property(const struct filter_schema *s, const char *property,
                                struct lic_error *err)
{
    return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_UnsupportedQuery",
                         "Unsupported or invalid query filter clause specified for property "
                         "'%.100s' of resource '%s'.",
                         property, s->resource);
}

static int unsupported_op(const char *op, const char *property, struct lic_error *err)
{
    return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_UnsupportedQuery",
                         "Unsupported query filter clause: operator '%s' is not supported on "
                         "property '%.100s'.",
                         op, property);
}

static int bad_literal(const char *property, const char *why, struct lic_error *err)
{
    return lic_error_set(err, LIC_ERR_BAD_REQUEST, "BadRequest",
                         "Invalid filter clause: the value for '%.100s' %s.", property, why);
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

/* The parser checked the shape; the values must also be a real instant PostgreSQL accepts. */
static int valid_datetime(const char *s)
{
    int y, mo, d, h, mi, se;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) != 6)
        return 0;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        se > 59)
        return 0;
    const char *z = s + 19;
    if (*z == '.') {
        size_t digits = strspn(z + 1, "0123456789");
        if (digits == 0 || digits > FILTER_MAX_FRACTION_DIGITS)
            return 0; /* PostgreSQL refuses a fraction of 129 digits or more */
        z += 1 + digits;
    }
    if (*z == '+' || *z == '-') {
        int oh = (z[1] - '0') * 10 + (z[2] - '0'), om = (z[4] - '0') * 10 + (z[5] - '0');
        return oh <= 14 && om <= 59;
    }
    return 1;
}

/* Appends "<sql> <op> <literal>" for one value, checking the literal against the type. */
static int compare(struct sql_builder *b, const char *property, const char *sql,
                   enum filter_col_type type, unsigned ops, enum filter_op op,
                   const struct filter_literal *lit, struct lic_error *err)
{
    static const char *const sql_ops[] = {
        " = ", " IS DISTINCT FROM ", " > ", " >= ", " < ", " <= ", " = "};
    unsigned need = op == FILTER_EQ || op == FILTER_IN ? FOP_EQ
                    : op == FILTER_NE                  ? FOP_NE
                                                       : FOP_RANGE;
    if (lit->type == FILTER_LIT_NULL) {
        if (!(ops & FOP_NULL) || (op != FILTER_EQ && op != FILTER_NE))
            return unsupported_op("eq null", property, err);
        sqlb_add(b, "(");
        sqlb_add(b, sql);
        sqlb_add(b, op == FILTER_EQ ? " IS NULL)" : " IS NOT NULL)");
        return 0;
    }
    if (!(ops & need))
        return unsupported_op(filter_op_name(op), property, err);
    if (type == FCOL_JSON_MEMBER) {
        if (lit->type != FILTER_LIT_STRING && lit->type != FILTER_LIT_GUID)
            return bad_literal(property, "must be a quoted string", err);
        sqlb_add(b, "(");
        sqlb_add(b, sql);
        sqlb_add(b, " @> jsonb_build_array(lower(");
        sqlb_param(b, lit->text);
        sqlb_add(b, ")))");
        return 0;
    }
    sqlb_add(b, "(");
    sqlb_add(b, sql);
    sqlb_add(b, sql_ops[op]);
    switch (type) {
    case FCOL_TEXT:
        if (lit->type != FILTER_LIT_STRING)
            return bad_literal(property, "must be a quoted string", err);
        sqlb_add(b, "lower(");
        sqlb_param(b, lit->text);
        sqlb_add(b, ")");
        break;
    case FCOL_UUID:
        if ((lit->type != FILTER_LIT_GUID && lit->type != FILTER_LIT_STRING) ||
            !guid_valid(lit->text))
            return bad_literal(property, "must be a GUID", err);
        sqlb_param(b, lit->text);
        sqlb_add(b, "::uuid");
        break;
    case FCOL_BOOL:
        if (lit->type != FILTER_LIT_BOOL)
            return bad_literal(property, "must be true or false", err);
        sqlb_param(b, lit->text);
        sqlb_add(b, "::boolean");
        break;
    case FCOL_TIME:
        if (lit->type != FILTER_LIT_DATETIME || !valid_datetime(lit->text))
            return bad_literal(property, "must be a date and time like 2024-05-01T10:00:00Z", err);
        sqlb_param(b, lit->text);
        sqlb_add(b, "::timestamptz");
        break;
    case FCOL_JSON_MEMBER:
        break; /* answered above */
    }
    sqlb_add(b, ")");
    return 0;
}

/* LIKE pattern from a literal: % _ and \ match themselves. Owned by caller. */
static char *like_pattern(const char *text, int starts)
{
    size_t n = strlen(text);
    char *out = malloc(n * 2 + 2);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    if (!starts)
        out[o++] = '%';
    for (const char *c = text; *c; c++) {
        if (*c == '%' || *c == '_' || *c == '\\')
            out[o++] = '\\';
        out[o++] = *c;
    }
    if (starts)
        out[o++] = '%';
    out[o] = '\0';
    return out;
}

static int function(struct sql_builder *b, const char *property, const char *sql,
                    enum filter_col_type type, unsigned ops, enum filter_func func,
                    const struct filter_literal *lit, struct lic_error *err)
{
    const char *name = func == FILTER_STARTSWITH ? "startswith" : "endswith";
    if (type != FCOL_TEXT || !(ops & (func == FILTER_STARTSWITH ? FOP_STARTS : FOP_ENDS)))
        return unsupported_op(name, property, err);
    if (lit->type != FILTER_LIT_STRING)
        return bad_literal(property, "must be a quoted string", err);
    /* lower() on the pattern folds to a constant at planning, so the C-collation index on the
     * lower()ed column serves a prefix. */
    sqlb_add(b, "(");
    sqlb_add(b, sql);
    sqlb_add(b, " LIKE lower(");
    sqlb_param_owned(b, like_pattern(lit->text, func == FILTER_STARTSWITH));
    sqlb_add(b, "))");
    return 0;
}

/* Comparison or `in` against one expression. */
static int comparison(struct sql_builder *b, const char *property, const char *sql,
                      enum filter_col_type type, unsigned ops, const struct filter_node *n,
                      struct lic_error *err)
{
    if (n->op != FILTER_IN)
        return compare(b, property, sql, type, ops, n->op, &n->values[0], err);
    sqlb_add(b, "(");
    for (int i = 0; i < n->nvalues; i++) {
        if (i > 0)
            sqlb_add(b, " OR ");
        if (n->values[i].type == FILTER_LIT_NULL)
            return unsupported_op("in (null)", property, err);
        if (compare(b, property, sql, type, ops, FILTER_IN, &n->values[i], err) != 0)
            return -1;
    }
    sqlb_add(b, ")");
    return 0;
}

static const struct filter_column *find_column(const struct filter_schema *s, const char *name)
{
    for (const struct filter_column *c = s->columns; c && c->name; c++)
        if (strcasecmp(c->name, name) == 0)
            return c;
    return NULL;
}

static const struct filter_lambda *find_lambda(const struct filter_schema *s,
                                               const struct filter_node *n)
{
    for (const struct filter_lambda *l = s->lambdas; l && l->property; l++) {
        if (strcasecmp(l->property, n->property) != 0)
            continue;
        if ((l->sub == NULL) != (n->sub == NULL))
            continue;
        if (l->sub != NULL && strcasecmp(l->sub, n->sub) != 0)
            continue;
        return l;
    }
    return NULL;
}

int filter_sql_compile(const struct filter_node *n, const struct filter_schema *s,
                       struct sql_builder *b, struct lic_error *err)
{
    switch (n->kind) {
    case FILTER_AND:
    case FILTER_OR:
        sqlb_add(b, "(");
        if (filter_sql_compile(n->left, s, b, err) != 0)
            return -1;
        sqlb_add(b, n->kind == FILTER_AND ? " AND " : " OR ");
        if (filter_sql_compile(n->right, s, b, err) != 0)
            return -1;
        sqlb_add(b, ")");
        return 0;
    case FILTER_NOT:
        /* OData not: a row whose value is null does not match the inner test, so it matches. */
        sqlb_add(b, "(NOT coalesce(");
        if (filter_sql_compile(n->left, s, b, err) != 0)
            return -1;
        sqlb_add(b, ", false))");
        return 0;
    case FILTER_CMP:
    case FILTER_FUNC: {
        const struct filter_column *c = find_column(s, n->property);
        if (c == NULL)
            return unsupported_property(s, n->property, err);
        if (n->kind == FILTER_FUNC)
            return function(b, c->name, c->sql, c->type, c->ops, n->func, &n->values[0], err);
        return comparison(b, c->name, c->sql, c->type, c->ops, n, err);
    }
    case FILTER_ANY: {
        const struct filter_lambda *l = find_lambda(s, n);
        if (l == NULL)
            return unsupported_property(s, n->property, err);
        sqlb_add(b, l->open);
        int rc = n->body_is_func ? function(b, l->property, l->elem, l->type, l->ops, n->func,
                                            &n->values[0], err)
                                 : comparison(b, l->property, l->elem, l->type, l->ops, n, err);
        sqlb_add(b, ")");
        return rc;
    }
    }
    return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_UnsupportedQuery",
                         "Unsupported query filter clause.");
}

/* "% " + like_pattern(term): term at the start of a word after the first. Owned by caller. */
static char *word_pattern(const char *term)
{
    char *start = like_pattern(term, 1);
    char *out = start ? malloc(strlen(start) + 3) : NULL;
    if (out != NULL)
        snprintf(out, strlen(start) + 3, "%% %s", start);
    free(start);
    return out;
}

int filter_sql_search(const struct db_search *search, const struct filter_schema *schema,
                      struct sql_builder *b, struct lic_error *err)
{
    sqlb_add(b, "(");
    for (int i = 0; i < search->n; i++) {
        const struct db_search_term *t = &search->terms[i];
        const struct filter_column *col = schema->columns;
        while (col->name != NULL &&
               (col->type != FCOL_TEXT || strcasecmp(col->name, t->property) != 0))
            col++;
        if (col->name == NULL)
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_UnsupportedQuery",
                                 "$search is not supported on property '%.64s' of %s.", t->property,
                                 schema->resource);
        char *start = like_pattern(t->term, 1), *word = word_pattern(t->term);
        if (start == NULL || word == NULL) {
            free(start);
            free(word);
            return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        }
        /* A word's start: the text's start, or after a space. */
        sqlb_add(b, i == 0 ? "(" : t->or_previous ? " OR (" : " AND (");
        sqlb_add(b, col->sql);
        sqlb_add(b, " LIKE lower(");
        sqlb_param_owned(b, start);
        sqlb_add(b, ") OR ");
        sqlb_add(b, col->sql);
        sqlb_add(b, " LIKE lower(");
        sqlb_param_owned(b, word);
        sqlb_add(b, "))");
    }
    sqlb_add(b, ")");
    return 0;
}
