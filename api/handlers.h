/* Every request handler, grouped by the file that implements it; api/routes.c maps paths to them.
 */
#ifndef LICENSINGD_HANDLERS_H
#define LICENSINGD_HANDLERS_H

#include "api/http.h"

#define API_HANDLER(name)                                                                          \
    void name(const struct api_app *app, const struct api_request *req, struct api_response *res)

/* api/batch.c */
API_HANDLER(api_batch);

/* api/metadata.c */
API_HANDLER(api_metadata);

/* api/health.c */
API_HANDLER(api_health_live);
API_HANDLER(api_health_ready);

/* api/subscriptions.c */
API_HANDLER(api_subscriptions_list);
API_HANDLER(api_subscriptions_create);
API_HANDLER(api_subscriptions_get);
API_HANDLER(api_subscriptions_update);
API_HANDLER(api_subscriptions_delete);

/* api/metrics.c */
API_HANDLER(api_metrics);

/* api/licenses.c (licensing on users) */
API_HANDLER(api_user_assign_license);
API_HANDLER(api_user_reprocess);
API_HANDLER(api_user_license_details);
API_HANDLER(api_user_license_detail);
API_HANDLER(api_group_assign_license);
API_HANDLER(api_group_reprocess);
API_HANDLER(api_group_members_with_errors);

/* api/license_reports.c (extensions) */
API_HANDLER(api_license_errors);
API_HANDLER(api_license_overview);
/* Answers with the user's Graph representation (status 200/201). */
void api_user_reply(const struct api_app *app, const struct api_request *req,
                    struct api_response *res, const char *user_id, unsigned status);

/* Answers with the group's Graph representation. */
void api_group_reply(const struct api_app *app, const struct api_request *req,
                     struct api_response *res, const char *group_id, unsigned status);
/* Catalog: api/skus.c (subscribedSkus) and api/plans.c (licensing/servicePlans) */
API_HANDLER(api_skus_list);
API_HANDLER(api_skus_create);
API_HANDLER(api_sku_get);
API_HANDLER(api_sku_update);
API_HANDLER(api_sku_delete);
API_HANDLER(api_sku_licensed_users);
API_HANDLER(api_plans_list);
API_HANDLER(api_plan_get);
API_HANDLER(api_plan_update);
/* end catalog */
/* Directory (issue 3): api/users.c, api/groups.c, api/organization.c, api/audit_logs.c */
API_HANDLER(api_users_list);
API_HANDLER(api_users_count);
API_HANDLER(api_users_get);
API_HANDLER(api_users_create);
API_HANDLER(api_users_update);
API_HANDLER(api_users_delete);
API_HANDLER(api_users_member_of);
API_HANDLER(api_users_member_of_count);
API_HANDLER(api_users_member_of_groups);
API_HANDLER(api_users_transitive_member_of);
API_HANDLER(api_groups_list);
API_HANDLER(api_groups_count);
API_HANDLER(api_groups_get);
API_HANDLER(api_groups_create);
API_HANDLER(api_groups_update);
API_HANDLER(api_groups_delete);
API_HANDLER(api_groups_members);
API_HANDLER(api_groups_members_count);
API_HANDLER(api_groups_members_users);
API_HANDLER(api_groups_members_users_count);
API_HANDLER(api_groups_members_groups);
API_HANDLER(api_groups_members_groups_count);
API_HANDLER(api_groups_transitive_members);
API_HANDLER(api_groups_member_add);
API_HANDLER(api_groups_member_remove);
API_HANDLER(api_organization_list);
API_HANDLER(api_organization_get);
API_HANDLER(api_organization_update);
API_HANDLER(api_audit_list);
API_HANDLER(api_audit_get);
/* api/delta.c */
API_HANDLER(api_users_delta);
API_HANDLER(api_groups_delta);
/* api/directory_objects.c */
API_HANDLER(api_directory_object_get);
API_HANDLER(api_directory_objects_get_by_ids);
/* end Directory */
/* console: api/console.c (the admin console's files under /admin/) */
API_HANDLER(api_console_index);
API_HANDLER(api_console_config);
API_HANDLER(api_console_file);
/* end console */

#endif
