/* GET /v1.0/$metadata: the CSDL of what this service serves, generated from the tables that drive
 * $select and rendering (the entity tables of db/directory_schema.h and the $select lists below),
 * each property typed as Graph's v1.0 CSDL types it, plus the extension types. */
#ifndef LICENSINGD_API_METADATA_H
#define LICENSINGD_API_METADATA_H

/* The $select lists of the entities rendered outside the directory tables (NULL-terminated). */
extern const char *const api_org_props[];            /* api/organization.c */
extern const char *const api_audit_props[];          /* api/audit_logs.c */
extern const char *const api_license_detail_props[]; /* api/licenses.c */
extern const char *const api_sku_props[];            /* api/skus.c */
extern const char *const api_plan_props[];           /* api/plans.c (extension) */

/* One entity type of the document: its name, and the names of its properties in order. */
struct metadata_entity {
    const char *name;             /* "user", or "licensing.servicePlan" for an extension */
    const char *const *select;    /* the $select list the service accepts for it */
    const char *const *inherited; /* properties declared by its base types, or NULL */
};

/* The entity types described, in document order; *n receives their number. */
const struct metadata_entity *metadata_entities(int *n);

/* The CSDL document (XML text), or NULL when out of memory. Owned by caller (free). */
char *metadata_document(void);

#endif
