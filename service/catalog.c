/* The catalog's names: Graph's strings for its enums, the assignedPlan service of a plan, and
 * the one "not found" answer for SKUs and plans. */
#include "service/catalog.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>

static const char *const units_names[SKU_UNITS_COUNT] = {
    [SKU_UNITS_ENABLED] = "enabled",
    [SKU_UNITS_SUSPENDED] = "suspended",
    [SKU_UNITS_WARNING] = "warning",
    [SKU_UNITS_LOCKED_OUT] = "lockedOut",
};

const char *catalog_units_name(enum sku_units u)
{
    return (unsigned)u < SKU_UNITS_COUNT ? units_names[u] : NULL;
}

static const char *const capability_names[SKU_CAPABILITY_COUNT] = {
    [SKU_CAPABILITY_ENABLED] = "Enabled",      [SKU_CAPABILITY_WARNING] = "Warning",
    [SKU_CAPABILITY_SUSPENDED] = "Suspended",  [SKU_CAPABILITY_DELETED] = "Deleted",
    [SKU_CAPABILITY_LOCKED_OUT] = "LockedOut",
};

const char *catalog_capability_name(enum sku_capability c)
{
    return (unsigned)c < SKU_CAPABILITY_COUNT ? capability_names[c] : NULL;
}

static const char *const target_names[SKU_TARGET_COUNT] = {
    [SKU_TARGET_USER] = "User",
    [SKU_TARGET_COMPANY] = "Company",
};

const char *catalog_target_name(enum sku_target t)
{
    return (unsigned)t < SKU_TARGET_COUNT ? target_names[t] : NULL;
}

static const char *const plan_list_names[PLAN_LIST_COUNT] = {
    [PLAN_CONFLICTS] = "conflictsWith",
    [PLAN_REQUIRES] = "requiresAnyOf",
    [PLAN_COUNTRIES] = "unavailableInCountries",
};

const char *catalog_plan_list_name(enum plan_list l)
{
    return (unsigned)l < PLAN_LIST_COUNT ? plan_list_names[l] : NULL;
}

json_t *catalog_split_list(const char *text)
{
    json_t *j_list = json_array();
    for (const char *p = text; j_list != NULL && p != NULL && *p;) {
        size_t len = strcspn(p, ",");
        json_array_append_new(j_list, json_stringn(p, len));
        p += len;
        if (*p == ',')
            p++;
    }
    return j_list;
}

int catalog_not_found(const char *id, struct lic_error *err)
{
    return lic_error_set(err, LIC_ERR_NOT_FOUND, "Request_ResourceNotFound",
                         "Resource '%.100s' does not exist or one of its queried "
                         "reference-property objects are not present.",
                         id);
}

/* Prefix of the plan name -> the service Graph reports in assignedPlans/provisionedPlans.
 * Longer prefixes first where one prefix contains another. Derived from the names Microsoft
 * uses in real tenants (e.g. EXCHANGE_S_ENTERPRISE -> "exchange", MCOSTANDARD ->
 * "MicrosoftCommunicationsOnline"); a plan no prefix matches has no service. */
static const struct {
    const char *prefix, *service;
} services[] = {
    {"EXCHANGE", "exchange"},
    {"ATP_ENTERPRISE", "exchange"},
    {"THREAT_INTELLIGENCE", "exchange"},
    {"EOP_ENTERPRISE", "exchange"},
    {"SHAREPOINT_PROJECT", "ProjectOnline"},
    {"SHAREPOINT", "SharePoint"},
    {"ONEDRIVE", "SharePoint"},
    {"MCO", "MicrosoftCommunicationsOnline"},
    {"TEAMS", "TeamsForBusiness"},
    {"YAMMER", "YammerEnterprise"},
    {"OFFICESUBSCRIPTION", "MicrosoftOffice"},
    {"OFFICEMOBILE", "MicrosoftOffice"},
    {"INTUNE", "SCO"},
    {"AAD_", "AADPremiumService"},
    {"MFA_PREMIUM", "MultiFactorService"},
    {"RMS_S_", "RMSOnline"},
    {"PROJECTWORKMANAGEMENT", "ProjectWorkManagement"},
    {"PROJECT", "ProjectOnline"},
    {"SWAY", "Sway"},
    {"POWERAPPS", "PowerAppsService"},
    {"FLOW_", "ProcessSimple"},
    {"BI_AZURE", "PowerBI"},
    {"ADALLOM", "Adallom"},
    {"CRM", "CRM"},
    {"DYN365", "CRM"},
    {"VISIO", "Visio"},
    {"STREAM", "MicrosoftStream"},
    {"FORMS", "OfficeForms"},
    {"KAIZALA", "MicrosoftKaizala"},
    {"BPOS_S_TODO", "To-Do"},
    {"DESKLESS", "Deskless"},
    {"WHITEBOARD", "Whiteboard"},
    {"WORKPLACE_ANALYTICS", "WorkplaceAnalytics"},
};

const char *catalog_plan_service(const char *plan_name)
{
    if (plan_name == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
        if (strncasecmp(plan_name, services[i].prefix, strlen(services[i].prefix)) == 0)
            return services[i].service;
    return NULL;
}
