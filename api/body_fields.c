/* The body of a POST or PATCH checked against the entity's table (body_fields.h). */
#include "api/body_fields.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define STRINGS_MAX 50 /* items of an array property */

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

int body_invalid_value(const char *name, const char *type_name, struct lic_error *err)
{
    return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                         "Invalid value specified for property '%s' of resource '%s'.", name,
                         type_name);
}

/* A string that fits the property (a required one must not be empty). */
static int text_fits(const struct db_property *p, const char *v)
{
    return v != NULL && !((p->flags & PROP_REQUIRED) && v[0] == '\0') &&
           utf8_chars(v) <= (size_t)p->max_chars && strlen(v) <= (size_t)p->max_chars * 4;
}

/* The value of one writable property as text for db/ (arrays as JSON text, kept in owned);
 * 0, or -1 when it does not fit. */
static int field_value(const struct db_property *p, json_t *j_value, const char **v, char **owned)
{
    *v = NULL;
    if (json_is_null(j_value)) /* clears it, unless a value is needed */
        return p->kind == PROP_BOOL || (p->kind == PROP_TEXT && (p->flags & PROP_REQUIRED)) ? -1
                                                                                            : 0;
    if (p->kind == PROP_TEXT) {
        *v = json_string_value(j_value);
        return text_fits(p, *v) ? 0 : -1;
    }
    if (p->kind == PROP_BOOL) {
        if (!json_is_boolean(j_value))
            return -1;
        *v = json_is_true(j_value) ? "true" : "false";
        return 0;
    }
    assert(p->kind == PROP_STRINGS);
    if (!json_is_array(j_value) || json_array_size(j_value) > STRINGS_MAX)
        return -1;
    size_t i;
    json_t *j_item;
    json_array_foreach(j_value, i, j_item)
    {
        const char *t = json_string_value(j_item);
        if (t == NULL || t[0] == '\0' || utf8_chars(t) > (size_t)p->max_chars)
            return -1;
    }
    *owned = json_dumps(j_value, JSON_COMPACT);
    *v = *owned;
    return 0;
}

/* The writable property named key, or -1. */
static int writable(const struct body_spec *spec, const char *key)
{
    for (int i = 0; i < spec->nprops; i++)
        if (spec->props[i].column != NULL && strcmp(spec->props[i].name, key) == 0)
            return i;
    return -1;
}

static int fields_parse(json_t *j_body, const struct body_spec *spec, int creating,
                        struct parsed_fields *out, struct lic_error *err)
{
    const char *key;
    json_t *j_value;
    json_object_foreach(j_body, key, j_value)
    {
        if (strncmp(key, "@odata.", 7) == 0)
            continue;
        int known = 0;
        for (int i = 0; spec->extra && spec->extra[i]; i++)
            known |= strcmp(spec->extra[i], key) == 0;
        if (known)
            continue;
        int i = writable(spec, key);
        if (i < 0)
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "Property '%.100s' does not exist or is read-only on type "
                                 "'microsoft.graph.%s'.",
                                 key, spec->type_name);
        if (field_value(&spec->props[i], j_value, &out->f.value[i], &out->owned[i]) != 0)
            return body_invalid_value(key, spec->type_name, err);
        out->f.set[i] = 1;
    }
    for (int i = 0; creating && i < spec->nprops; i++)
        if ((spec->props[i].flags & PROP_REQUIRED) && !out->f.set[i])
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                                 "Property '%s' is required when creating the object.",
                                 spec->props[i].name);
    return 0;
}

json_t *body_fields_parse(const struct api_request *req, const struct body_spec *spec, int creating,
                          struct parsed_fields *out, struct lic_error *err)
{
    assert(spec->nprops <= DB_FIELDS_MAX);
    memset(out, 0, sizeof(*out));
    json_t *j_body = api_parse_body(req, err);
    if (j_body != NULL && (fields_parse(j_body, spec, creating, out, err) != 0 ||
                           spec->validate(j_body, out, creating, err) != 0)) {
        json_decref(j_body);
        j_body = NULL;
    }
    return j_body;
}

void body_fields_free(struct parsed_fields *p)
{
    for (int i = 0; i < DB_FIELDS_MAX; i++) {
        free(p->owned[i]);
        p->owned[i] = NULL;
    }
}

int body_ref_id(const char *url, char id[GUID_SIZE], struct lic_error *err)
{
    const char *slash = url ? strrchr(url, '/') : NULL;
    if (slash == NULL ||
        (strstr(url, "/directoryObjects/") == NULL && strstr(url, "/users/") == NULL &&
         strstr(url, "/groups/") == NULL) ||
        guid_normalize(slash + 1, id) != 0)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                             "Invalid object identifier '%.100s'.", url ? url : "");
    return 0;
}
