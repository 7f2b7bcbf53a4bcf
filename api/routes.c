/* The single list of endpoints and what each needs; openapi.yaml describes the same set, with
 * the same permissions as each operation's `security`. Literal segments come before
 * {placeholders} that could also match them. Permissions are Graph's for the same call (the
 * least privileged ones its reference lists); broader ones satisfy them too
 * (service/auth/permissions.c). */
#include "api/handlers.h"

const struct route api_routes[] = {
    {HTTP_GET, "/healthz", api_health_live, NULL},
    {HTTP_GET, "/readyz", api_health_ready, NULL},
    {HTTP_GET, "/metrics", api_metrics, NULL},
    /* catalog: subscribedSkus (Graph + extensions) and licensing/servicePlans (extension) */
    {HTTP_GET, "/v1.0/subscribedSkus", api_skus_list,
     "Organization.Read.All LicenseAssignment.Read.All"},
    {HTTP_POST, "/v1.0/subscribedSkus", api_skus_create, "Organization.ReadWrite.All"},
    {HTTP_GET, "/v1.0/subscribedSkus/{id}", api_sku_get,
     "Organization.Read.All LicenseAssignment.Read.All"},
    {HTTP_PATCH, "/v1.0/subscribedSkus/{id}", api_sku_update, "Organization.ReadWrite.All"},
    {HTTP_DELETE, "/v1.0/subscribedSkus/{id}", api_sku_delete, "Organization.ReadWrite.All"},
    {HTTP_GET, "/v1.0/subscribedSkus/{id}/licensedUsers", api_sku_licensed_users,
     "LicenseAssignment.Read.All"},
    {HTTP_GET, "/v1.0/licensing/servicePlans", api_plans_list,
     "Organization.Read.All LicenseAssignment.Read.All"},
    {HTTP_GET, "/v1.0/licensing/servicePlans/{id}", api_plan_get,
     "Organization.Read.All LicenseAssignment.Read.All"},
    {HTTP_PATCH, "/v1.0/licensing/servicePlans/{id}", api_plan_update,
     "Organization.ReadWrite.All"},
    /* end catalog */
    /* Directory (issue 3) */
    {HTTP_GET, "/v1.0/users", api_users_list, "User.Read.All"},
    {HTTP_POST, "/v1.0/users", api_users_create, "User.ReadWrite.All"},
    {HTTP_GET, "/v1.0/users/$count", api_users_count, "User.Read.All"},
    {HTTP_GET, "/v1.0/users/{id}", api_users_get, "User.Read.All"},
    {HTTP_PATCH, "/v1.0/users/{id}", api_users_update, "User.ReadWrite.All"},
    {HTTP_DELETE, "/v1.0/users/{id}", api_users_delete, "User.ReadWrite.All"},
    {HTTP_GET, "/v1.0/users/{id}/memberOf", api_users_member_of,
     "User.Read.All GroupMember.Read.All"},
    {HTTP_GET, "/v1.0/groups", api_groups_list, "GroupMember.Read.All"},
    {HTTP_POST, "/v1.0/groups", api_groups_create, "Group.ReadWrite.All"},
    {HTTP_GET, "/v1.0/groups/$count", api_groups_count, "GroupMember.Read.All"},
    {HTTP_GET, "/v1.0/groups/{id}", api_groups_get, "GroupMember.Read.All"},
    {HTTP_PATCH, "/v1.0/groups/{id}", api_groups_update, "Group.ReadWrite.All"},
    {HTTP_DELETE, "/v1.0/groups/{id}", api_groups_delete, "Group.ReadWrite.All"},
    {HTTP_GET, "/v1.0/groups/{id}/members", api_groups_members, "GroupMember.Read.All"},
    {HTTP_GET, "/v1.0/groups/{id}/members/$count", api_groups_members_count,
     "GroupMember.Read.All"},
    {HTTP_POST, "/v1.0/groups/{id}/members/$ref", api_groups_member_add,
     "GroupMember.ReadWrite.All"},
    {HTTP_DELETE, "/v1.0/groups/{id}/members/{memberId}/$ref", api_groups_member_remove,
     "GroupMember.ReadWrite.All"},
    {HTTP_GET, "/v1.0/organization", api_organization_list, "Organization.Read.All"},
    {HTTP_PATCH, "/v1.0/organization/{id}", api_organization_update, "Organization.ReadWrite.All"},
    {HTTP_GET, "/v1.0/auditLogs/directoryAudits", api_audit_list, "AuditLog.Read.All"},
    /* end Directory */
    /* change notifications */
    {HTTP_GET, "/v1.0/subscriptions", api_subscriptions_list,
     "User.Read.All GroupMember.Read.All Organization.Read.All"},
    {HTTP_POST, "/v1.0/subscriptions", api_subscriptions_create,
     "User.Read.All GroupMember.Read.All Organization.Read.All"},
    {HTTP_GET, "/v1.0/subscriptions/{id}", api_subscriptions_get,
     "User.Read.All GroupMember.Read.All Organization.Read.All"},
    {HTTP_PATCH, "/v1.0/subscriptions/{id}", api_subscriptions_update,
     "User.Read.All GroupMember.Read.All Organization.Read.All"},
    {HTTP_DELETE, "/v1.0/subscriptions/{id}", api_subscriptions_delete,
     "User.Read.All GroupMember.Read.All Organization.Read.All"},
    /* licensing on users */
    {HTTP_POST, "/v1.0/users/{id}/assignLicense", api_user_assign_license,
     "LicenseAssignment.ReadWrite.All User.ReadWrite.All"},
    {HTTP_POST, "/v1.0/users/{id}/reprocessLicenseAssignment", api_user_reprocess,
     "LicenseAssignment.ReadWrite.All User.ReadWrite.All"},
    {HTTP_GET, "/v1.0/users/{id}/licenseDetails", api_user_license_details,
     "LicenseAssignment.Read.All User.Read.All"},
    /* licensing on groups, and where admins look */
    {HTTP_POST, "/v1.0/groups/{id}/assignLicense", api_group_assign_license,
     "LicenseAssignment.ReadWrite.All Group.ReadWrite.All"},
    {HTTP_POST, "/v1.0/groups/{id}/reprocessLicenseAssignment", api_group_reprocess,
     "LicenseAssignment.ReadWrite.All Group.ReadWrite.All"},
    {HTTP_GET, "/v1.0/groups/{id}/membersWithLicenseErrors", api_group_members_with_errors,
     "LicenseAssignment.Read.All GroupMember.Read.All"},
    {HTTP_GET, "/v1.0/licensing/errors", api_license_errors, "LicenseAssignment.Read.All"},
    {HTTP_GET, "/v1.0/licensing/overview", api_license_overview, "LicenseAssignment.Read.All"},
    /* console: the admin console (static files of api/console/, and its sign-in settings) */
    {HTTP_GET, "/admin", api_console_index, NULL},
    {HTTP_GET, "/admin/config.json", api_console_config, NULL},
    {HTTP_GET, "/admin/{file}", api_console_file, NULL},
    /* end console */
};

const size_t api_routes_count = sizeof(api_routes) / sizeof(api_routes[0]);
