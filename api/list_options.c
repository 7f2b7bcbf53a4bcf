/* The query options of the directory's lists (list_options.h). */
#include "api/list_options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "service/base/guid.h"
#include "service/base/text.h"

/* A token that is not one of ours, or not for this list. */
static int bad_token(struct lic_error *err)
{
    return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                         "The $skiptoken is not valid; follow @odata.nextLink as returned.");
}

/* $orderby=name or "name asc". */
static int orders_by(const char *orderby, const char *name)
{
    size_t n = strlen(name);
    return strncasecmp(orderby, name, n) == 0 &&
           (orderby[n] == '\0' || strcasecmp(orderby + n, " asc") == 0);
}

static int parse_orderby(const char *orderby, unsigned features, struct list_options *o,
                         struct lic_error *err)
{
    if ((features & LIST_ORDER) && orders_by(orderby, "displayName"))
        o->order = DB_ORDER_DISPLAY_NAME;
    else if ((features & LIST_ORDER_UPN) && orders_by(orderby, "userPrincipalName"))
        o->order = DB_ORDER_UPN;
    else if ((features & LIST_ORDER_NEWEST) && strcasecmp(orderby, "activityDateTime desc") == 0)
        o->order = DB_ORDER_DISPLAY_NAME; /* unused: the list is newest first already */
    else
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_UnsupportedQuery",
                             "Unsupported $orderby clause: '%.100s'.", orderby);
    return 0;
}

int list_options_parse(const struct api_request *req, const char *const *props, const char *type,
                       unsigned features, struct list_options *o, struct lic_error *err)
{
    memset(o, 0, sizeof(*o));
    if (api_query(req, "$skip") != NULL)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "'$skip' is not supported by the service.");
    /* Not implemented here: refused rather than silently ignored. */
    static const char *const unsupported[] = {"$search", "$expand", "$apply", NULL};
    static const unsigned allowed_by[] = {LIST_SEARCH, LIST_EXPAND, 0};
    for (int i = 0; unsupported[i]; i++)
        if (api_query(req, unsupported[i]) != NULL && !(features & allowed_by[i]))
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_UnsupportedQuery",
                                 "The query option '%s' is not supported on this collection.",
                                 unsupported[i]);
    o->expand = api_query(req, "$expand");
    const char *search = api_query(req, "$search");
    if (search != NULL) {
        const char *level = api_header(req, "ConsistencyLevel");
        if (level == NULL || strcasecmp(level, "eventual") != 0)
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_UnsupportedQuery",
                                 "Request with $search query parameter only works through "
                                 "MSGraph with a special request header: 'ConsistencyLevel: "
                                 "eventual'");
        if ((o->search_text = strdup(search)) == NULL)
            return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        if (list_options_parse_search(o->search_text, &o->search, err) != 0)
            return -1;
    }
    if (odata_parse_top(api_query(req, "$top"), ODATA_TOP_MAX, &o->top, err) != 0 ||
        odata_parse_select(api_query(req, "$select"), props, type, &o->select, err) != 0)
        return -1;
    const char *filter = api_query(req, "$filter");
    if (filter != NULL) {
        if (!(features & LIST_FILTER))
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_UnsupportedQuery",
                                 "$filter is not supported on this collection.");
        o->filter = filter_parse(filter, err);
        if (o->filter == NULL)
            return -1;
    }
    const char *orderby = api_query(req, "$orderby");
    if (orderby != NULL && parse_orderby(orderby, features, o, err) != 0)
        return -1;
    const char *token = api_query(req, "$skiptoken");
    if (token != NULL) {
        o->nafter = odata_skiptoken_decode(token, o->after, ODATA_KEY_PARTS, err);
        if (o->nafter < 0)
            return -1;
    }
    /* Member lists page on one key; a token with more parts is not one of theirs. */
    if ((features & (LIST_ORDER | LIST_FILTER)) == 0 && o->nafter > 1)
        return bad_token(err);
    o->count = odata_wants_count(req);
    return 0;
}

void list_options_free(struct list_options *o)
{
    filter_free(o->filter);
    o->filter = NULL;
    free(o->search_text);
    o->search_text = NULL;
}

static int bad_search(const char *why, struct lic_error *err)
{
    return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                         "Invalid $search: %s; expected \"property:term\" clauses joined by AND "
                         "or OR.",
                         why);
}

int list_options_parse_search(char *text, struct db_search *search, struct lic_error *err)
{
    search->n = 0;
    char *p = text;
    int or_next = 0;
    for (;;) {
        while (*p == ' ')
            p++;
        if (*p != '"')
            return bad_search("a clause must be in double quotes", err);
        char *clause = ++p;
        char *end = strchr(clause, '"');
        if (end == NULL)
            return bad_search("a quote is not closed", err);
        *end = '\0';
        char *colon = strchr(clause, ':');
        if (colon == NULL || colon == clause || colon[1] == '\0')
            return bad_search("a clause must name a property and a term", err);
        *colon = '\0';
        if (search->n >= DB_SEARCH_MAX)
            return bad_search("too many clauses", err);
        if (!utf8_is_valid(colon + 1) || strlen(colon + 1) > 256)
            return bad_search("a term is too long or not UTF-8", err);
        search->terms[search->n++] =
            (struct db_search_term){.property = clause, .term = colon + 1, .or_previous = or_next};
        p = end + 1;
        while (*p == ' ')
            p++;
        if (*p == '\0')
            return 0;
        if (strncasecmp(p, "AND ", 4) == 0 || strncasecmp(p, "OR ", 3) == 0) {
            or_next = (p[0] | 32) == 'o';
            p += or_next ? 3 : 4;
        } else {
            return bad_search("clauses are joined by AND or OR", err);
        }
    }
}

int list_options_after(const struct list_options *o, char *key, size_t size, const char **id,
                       struct lic_error *err)
{
    *id = NULL;
    key[0] = '\0';
    if (o->nafter == 0)
        return 0;
    if (o->nafter < 2)
        return bad_token(err);
    size_t len = 0;
    for (int i = 0; i < o->nafter - 1; i++)
        len += (size_t)snprintf(key + len, len < size ? size - len : 0, "%s", o->after[i]);
    *id = o->after[o->nafter - 1];
    /* A forged token must not reach the database as bad text or a bad id. */
    if (!utf8_is_valid(key) || !guid_valid(*id))
        return bad_token(err);
    return 0;
}

int list_options_after_id(const struct list_options *o, const char **id, struct lic_error *err)
{
    *id = o->nafter == 1 ? o->after[0] : NULL;
    if (*id != NULL && !guid_valid(*id))
        return bad_token(err);
    return 0;
}

static int is_decimal(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= 18 && strspn(s, "0123456789") == n;
}

int list_options_after_numbers(const struct list_options *o, int n, const char **parts,
                               struct lic_error *err)
{
    for (int i = 0; i < n; i++)
        parts[i] = NULL;
    if (o->nafter == 0)
        return 0;
    if (o->nafter != n)
        return bad_token(err);
    for (int i = 0; i < n; i++) {
        if (!is_decimal(o->after[i]))
            return bad_token(err);
        parts[i] = o->after[i];
    }
    return 0;
}

int list_options_count_allowed(const struct api_request *req, struct lic_error *err)
{
    const char *level = api_header(req, "ConsistencyLevel");
    if (level == NULL || strcasecmp(level, "eventual") != 0)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "$count is not currently supported.");
    return 0;
}
