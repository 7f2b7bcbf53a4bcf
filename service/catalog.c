/* Pure catalog helpers: GUID syntax and the service name heuristic for assignedPlans. */
#include "service/catalog.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

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
