/* The single list of endpoints; openapi.yaml describes the same set. Literal segments come before
 * {placeholders} that could also match them. */
#include "api/handlers.h"

const struct route api_routes[] = {
    {HTTP_GET, "/healthz", api_health_live},
    {HTTP_GET, "/readyz", api_health_ready},
    {HTTP_GET, "/metrics", api_metrics},
    {HTTP_GET, "/v1.0/$metadata", api_metadata},
    {HTTP_POST, "/v1.0/$batch", api_batch},
    /* catalog: subscribedSkus (Graph + extensions) and licensing/servicePlans (extension) */
    {HTTP_GET, "/v1.0/subscribedSkus", api_skus_list},
    {HTTP_POST, "/v1.0/subscribedSkus", api_skus_create},
    {HTTP_GET, "/v1.0/subscribedSkus/{id}", api_sku_get},
    {HTTP_PATCH, "/v1.0/subscribedSkus/{id}", api_sku_update},
    {HTTP_DELETE, "/v1.0/subscribedSkus/{id}", api_sku_delete},
    {HTTP_GET, "/v1.0/subscribedSkus/{id}/licensedUsers", api_sku_licensed_users},
    {HTTP_GET, "/v1.0/licensing/servicePlans", api_plans_list},
    {HTTP_GET, "/v1.0/licensing/servicePlans/{id}", api_plan_get},
    {HTTP_PATCH, "/v1.0/licensing/servicePlans/{id}", api_plan_update},
    /* end catalog */
    /* Directory (issue 3) */
    {HTTP_GET, "/v1.0/users", api_users_list},
    {HTTP_POST, "/v1.0/users", api_users_create},
    {HTTP_GET, "/v1.0/users/$count", api_users_count},
    {HTTP_GET, "/v1.0/users/delta", api_users_delta},
    {HTTP_GET, "/v1.0/users/{id}", api_users_get},
    {HTTP_PATCH, "/v1.0/users/{id}", api_users_update},
    {HTTP_DELETE, "/v1.0/users/{id}", api_users_delete},
    {HTTP_GET, "/v1.0/users/{id}/memberOf", api_users_member_of},
    {HTTP_GET, "/v1.0/users/{id}/memberOf/$count", api_users_member_of_count},
    {HTTP_GET, "/v1.0/users/{id}/memberOf/microsoft.graph.group", api_users_member_of_groups},
    {HTTP_GET, "/v1.0/users/{id}/memberOf/microsoft.graph.group/$count", api_users_member_of_count},
    {HTTP_GET, "/v1.0/users/{id}/transitiveMemberOf", api_users_transitive_member_of},
    {HTTP_GET, "/v1.0/groups", api_groups_list},
    {HTTP_POST, "/v1.0/groups", api_groups_create},
    {HTTP_GET, "/v1.0/groups/$count", api_groups_count},
    {HTTP_GET, "/v1.0/groups/delta", api_groups_delta},
    {HTTP_GET, "/v1.0/groups/{id}", api_groups_get},
    {HTTP_PATCH, "/v1.0/groups/{id}", api_groups_update},
    {HTTP_DELETE, "/v1.0/groups/{id}", api_groups_delete},
    {HTTP_GET, "/v1.0/groups/{id}/members", api_groups_members},
    {HTTP_GET, "/v1.0/groups/{id}/members/$count", api_groups_members_count},
    {HTTP_GET, "/v1.0/groups/{id}/members/microsoft.graph.user", api_groups_members_users},
    {HTTP_GET, "/v1.0/groups/{id}/members/microsoft.graph.user/$count",
     api_groups_members_users_count},
    {HTTP_GET, "/v1.0/groups/{id}/members/microsoft.graph.group", api_groups_members_groups},
    {HTTP_GET, "/v1.0/groups/{id}/members/microsoft.graph.group/$count",
     api_groups_members_groups_count},
    {HTTP_GET, "/v1.0/groups/{id}/transitiveMembers", api_groups_transitive_members},
    {HTTP_POST, "/v1.0/groups/{id}/members/$ref", api_groups_member_add},
    {HTTP_DELETE, "/v1.0/groups/{id}/members/{memberId}/$ref", api_groups_member_remove},
    {HTTP_GET, "/v1.0/directoryObjects/{id}", api_directory_object_get},
    {HTTP_POST, "/v1.0/directoryObjects/getByIds", api_directory_objects_get_by_ids},
    {HTTP_GET, "/v1.0/organization", api_organization_list},
    {HTTP_GET, "/v1.0/organization/{id}", api_organization_get},
    {HTTP_PATCH, "/v1.0/organization/{id}", api_organization_update},
    {HTTP_GET, "/v1.0/auditLogs/directoryAudits", api_audit_list},
    {HTTP_GET, "/v1.0/auditLogs/directoryAudits/{id}", api_audit_get},
    /* end Directory */
    /* change notifications */
    {HTTP_GET, "/v1.0/subscriptions", api_subscriptions_list},
    {HTTP_POST, "/v1.0/subscriptions", api_subscriptions_create},
    {HTTP_GET, "/v1.0/subscriptions/{id}", api_subscriptions_get},
    {HTTP_PATCH, "/v1.0/subscriptions/{id}", api_subscriptions_update},
    {HTTP_DELETE, "/v1.0/subscriptions/{id}", api_subscriptions_delete},
    /* licensing on users */
    {HTTP_POST, "/v1.0/users/{id}/assignLicense", api_user_assign_license},
    {HTTP_POST, "/v1.0/users/{id}/reprocessLicenseAssignment", api_user_reprocess},
    {HTTP_GET, "/v1.0/users/{id}/licenseDetails", api_user_license_details},
    {HTTP_GET, "/v1.0/users/{id}/licenseDetails/{detailId}", api_user_license_detail},
    /* licensing on groups, and where admins look */
    {HTTP_POST, "/v1.0/groups/{id}/assignLicense", api_group_assign_license},
    {HTTP_POST, "/v1.0/groups/{id}/reprocessLicenseAssignment", api_group_reprocess},
    {HTTP_GET, "/v1.0/groups/{id}/membersWithLicenseErrors", api_group_members_with_errors},
    {HTTP_GET, "/v1.0/licensing/errors", api_license_errors},
    {HTTP_GET, "/v1.0/licensing/overview", api_license_overview},
    /* console: the admin console (static files of api/console/, and its sign-in settings) */
    {HTTP_GET, "/admin", api_console_index},
    {HTTP_GET, "/admin/config.json", api_console_config},
    {HTTP_GET, "/admin/{file}", api_console_file},
    /* end console */
};

const size_t api_routes_count = sizeof(api_routes) / sizeof(api_routes[0]);
