/* The single list of endpoints; openapi.yaml describes the same set. Literal segments come before
 * {placeholders} that could also match them. */
#include "handlers.h"

const struct route api_routes[] = {
    {HTTP_GET, "/healthz", api_health_live},
    {HTTP_GET, "/readyz", api_health_ready},
    /* Directory (issue 3) */
    {HTTP_GET, "/v1.0/users", api_users_list},
    {HTTP_POST, "/v1.0/users", api_users_create},
    {HTTP_GET, "/v1.0/users/$count", api_users_count},
    {HTTP_GET, "/v1.0/users/{id}", api_users_get},
    {HTTP_PATCH, "/v1.0/users/{id}", api_users_update},
    {HTTP_DELETE, "/v1.0/users/{id}", api_users_delete},
    {HTTP_GET, "/v1.0/users/{id}/memberOf", api_users_member_of},
    {HTTP_GET, "/v1.0/groups", api_groups_list},
    {HTTP_POST, "/v1.0/groups", api_groups_create},
    {HTTP_GET, "/v1.0/groups/$count", api_groups_count},
    {HTTP_GET, "/v1.0/groups/{id}", api_groups_get},
    {HTTP_PATCH, "/v1.0/groups/{id}", api_groups_update},
    {HTTP_DELETE, "/v1.0/groups/{id}", api_groups_delete},
    {HTTP_GET, "/v1.0/groups/{id}/members", api_groups_members},
    {HTTP_GET, "/v1.0/groups/{id}/members/$count", api_groups_members_count},
    {HTTP_POST, "/v1.0/groups/{id}/members/$ref", api_groups_member_add},
    {HTTP_DELETE, "/v1.0/groups/{id}/members/{memberId}/$ref", api_groups_member_remove},
    {HTTP_GET, "/v1.0/organization", api_organization_list},
    {HTTP_PATCH, "/v1.0/organization/{id}", api_organization_update},
    {HTTP_GET, "/v1.0/auditLogs/directoryAudits", api_audit_list},
    /* end Directory */
};

const size_t api_routes_count = sizeof(api_routes) / sizeof(api_routes[0]);
