/* The body of a POST or PATCH of a user or group, checked against the entity's table
 * (db/directory_schema.h): which properties are writable, their types, limits and whether POST
 * requires them; and the object references of @odata.id / @odata.bind. */
#ifndef LICENSINGD_API_BODY_FIELDS_H
#define LICENSINGD_API_BODY_FIELDS_H

#include <jansson.h>

#include "service/base/guid.h"
#include "db/directory.h"
#include "api/http.h"

struct parsed_fields {
    struct db_fields f;
    char *owned[DB_FIELDS_MAX]; /* JSON texts of arrays */
};

/* What POST and PATCH of one entity accept: its table, the properties its handler reads itself
 * (extra, NULL-terminated; any other unknown or read-only property is 400), its name in messages
 * and the checks across fields. */
struct body_spec {
    const struct db_property *props;
    int nprops;
    const char *const *extra;
    const char *type_name; /* "user" */
    int (*validate)(json_t *j_body, const struct parsed_fields *p, int creating,
                    struct lic_error *err);
};

/* The request body, its fields parsed into out and validated: owned (json_decref), or NULL with
 * err. out is for body_fields_free either way. */
json_t *body_fields_parse(const struct api_request *req, const struct body_spec *spec, int creating,
                          struct parsed_fields *out, struct lic_error *err);
void body_fields_free(struct parsed_fields *p);

/* Graph's 400 for a value property name of resource type_name does not accept. */
int body_invalid_value(const char *name, const char *type_name, struct lic_error *err);

/* The object id in an @odata.id / @odata.bind URL (".../directoryObjects/{id}"), or 400. */
int body_ref_id(const char *url, char id[GUID_SIZE], struct lic_error *err)
    __attribute__((warn_unused_result));

#endif
