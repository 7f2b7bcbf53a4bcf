/* The CSDL behind every @odata.context (metadata.h): entity types generated from the property
 * tables, complex and enum types as Graph's v1.0 CSDL declares the ones we use. */
#include "api/metadata.h"

#include <stdlib.h>
#include <string.h>

#include "service/base/buf.h"
#include "api/handlers.h"
#include "api/render.h"

/* Types of the properties whose kind does not say it (and of the entities without a kind table),
 * as Graph's CSDL has them; not_null mirrors its Nullable="false". */
struct edm_type {
    const char *entity, *name, *type;
    int not_null;
};

static const struct edm_type edm_types[] = {
    {"directoryObject", "deletedDateTime", "Edm.DateTimeOffset", 0},
    {"user", "assignedLicenses", "Collection(graph.assignedLicense)", 1},
    {"user", "licenseAssignmentStates", "Collection(graph.licenseAssignmentState)", 0},
    {"user", "proxyAddresses", "Collection(Edm.String)", 1},
    {"user", "assignedPlans", "Collection(graph.assignedPlan)", 1},
    {"group", "assignedLicenses", "Collection(graph.assignedLicense)", 0},
    {"group", "licenseProcessingState", "graph.licenseProcessingState", 0},
    {"group", "visibility", "Edm.String", 0},
    {"organization", "displayName", "Edm.String", 0},
    {"organization", "countryLetterCode", "Edm.String", 0},
    {"organization", "verifiedDomains", "Collection(graph.verifiedDomain)", 1},
    {"organization", "createdDateTime", "Edm.DateTimeOffset", 0},
    {"organization", "assignedPlans", "Collection(graph.assignedPlan)", 1},
    {"organization", "provisionedPlans", "Collection(graph.provisionedPlan)", 1},
    {"subscribedSku", "accountId", "Edm.String", 0},
    {"subscribedSku", "accountName", "Edm.String", 0},
    {"subscribedSku", "appliesTo", "Edm.String", 0},
    {"subscribedSku", "capabilityStatus", "Edm.String", 0},
    {"subscribedSku", "consumedUnits", "Edm.Int32", 0},
    {"subscribedSku", "prepaidUnits", "graph.licenseUnitsDetail", 0},
    {"subscribedSku", "servicePlans", "Collection(graph.servicePlanInfo)", 1},
    {"subscribedSku", "skuId", "Edm.Guid", 0},
    {"subscribedSku", "skuPartNumber", "Edm.String", 0},
    {"subscribedSku", "subscriptionIds", "Collection(Edm.String)", 0},
    {"licenseDetails", "servicePlans", "Collection(graph.servicePlanInfo)", 1},
    {"licenseDetails", "skuId", "Edm.Guid", 0},
    {"licenseDetails", "skuPartNumber", "Edm.String", 0},
    {"directoryAudit", "category", "Edm.String", 1},
    {"directoryAudit", "correlationId", "Edm.String", 0},
    {"directoryAudit", "result", "graph.operationResult", 0},
    {"directoryAudit", "resultReason", "Edm.String", 0},
    {"directoryAudit", "activityDisplayName", "Edm.String", 1},
    {"directoryAudit", "activityDateTime", "Edm.DateTimeOffset", 1},
    {"directoryAudit", "loggedByService", "Edm.String", 0},
    {"directoryAudit", "operationType", "Edm.String", 0},
    {"directoryAudit", "initiatedBy", "graph.auditActivityInitiator", 1},
    {"directoryAudit", "targetResources", "Collection(graph.targetResource)", 0},
    {"directoryAudit", "additionalDetails", "Collection(graph.keyValue)", 0},
    /* extension: the service plan catalog */
    {"licensing.servicePlan", "name", "Edm.String", 0},
    {"licensing.servicePlan", "displayName", "Edm.String", 0},
    {"licensing.servicePlan", "service", "Edm.String", 0},
    {"licensing.servicePlan", "appliesTo", "Edm.String", 1},
    {"licensing.servicePlan", "provisionsMailbox", "Edm.Boolean", 1},
    {"licensing.servicePlan", "conflictsWith", "Collection(Edm.Guid)", 1},
    {"licensing.servicePlan", "requiresAnyOf", "Collection(Edm.Guid)", 1},
    {"licensing.servicePlan", "unavailableInCountries", "Collection(Edm.String)", 1},
};

static const char *const entity_inherited[] = {"id", NULL};
static const char *const directory_inherited[] = {"id", "deletedDateTime", NULL};
static const char *const directory_object_props[] = {"id", "deletedDateTime", NULL};

static const struct metadata_entity entities[] = {
    {"directoryObject", directory_object_props, entity_inherited},
    {"user", user_props, directory_inherited},
    {"group", group_props, directory_inherited},
    {"organization", api_org_props, directory_inherited},
    {"subscribedSku", api_sku_props, entity_inherited},
    {"licenseDetails", api_license_detail_props, entity_inherited},
    {"directoryAudit", api_audit_props, entity_inherited},
    {"licensing.servicePlan", api_plan_props, entity_inherited},
};

const struct metadata_entity *metadata_entities(int *n)
{
    *n = (int)(sizeof(entities) / sizeof(entities[0]));
    return entities;
}

/* The type of a property of a directory table, from how it is stored. */
static const char *kind_type(enum prop_kind kind, int *not_null)
{
    *not_null = 0;
    switch (kind) {
    case PROP_TEXT:
        return "Edm.String";
    case PROP_BOOL:
        return "Edm.Boolean";
    case PROP_TIME:
        return "Edm.DateTimeOffset";
    case PROP_STRINGS:
    case PROP_EMPTY:
        *not_null = 1;
        return "Collection(Edm.String)";
    case PROP_NULL:
    case PROP_CUSTOM:
    case PROP_KIND_COUNT:
        break;
    }
    return NULL;
}

/* A property's type: the table above first, else the directory table's kind; NULL if neither
 * knows it (metadata_document then leaves it out, and the unit test fails). */
static const char *property_type(const char *entity, const char *name, int *not_null)
{
    for (size_t i = 0; i < sizeof(edm_types) / sizeof(edm_types[0]); i++)
        if (strcmp(edm_types[i].entity, entity) == 0 && strcmp(edm_types[i].name, name) == 0) {
            *not_null = edm_types[i].not_null;
            return edm_types[i].type;
        }
    const struct db_property *table = strcmp(entity, "user") == 0    ? db_user_properties
                                      : strcmp(entity, "group") == 0 ? db_group_properties
                                                                     : NULL;
    int n = table == db_user_properties ? USER_PROPERTY_COUNT : GROUP_PROPERTY_COUNT;
    for (int i = 0; table != NULL && i < n; i++)
        if (strcmp(table[i].name, name) == 0)
            return kind_type(table[i].kind, not_null);
    return NULL;
}

static int in_list(const char *const *list, const char *name)
{
    for (int i = 0; list != NULL && list[i] != NULL; i++)
        if (strcmp(list[i], name) == 0)
            return 1;
    return 0;
}

static void entity_type(struct buf *b, const struct metadata_entity *e)
{
    const char *dot = strchr(e->name, '.');
    const char *local = dot ? dot + 1 : e->name;
    int directory = e->inherited == directory_inherited;
    if (strcmp(e->name, "directoryObject") == 0)
        buf_add(b, "<EntityType Name=\"directoryObject\" BaseType=\"graph.entity\" "
                   "OpenType=\"true\">");
    else
        buf_addf(b, "<EntityType Name=\"%s\" BaseType=\"graph.%s\"%s>", local,
                 directory ? "directoryObject" : "entity", directory ? " OpenType=\"true\"" : "");
    for (int i = 0; e->select[i] != NULL; i++) {
        if (in_list(e->inherited, e->select[i]))
            continue;
        int not_null = 0;
        const char *type = property_type(e->name, e->select[i], &not_null);
        if (type != NULL)
            buf_addf(b, "<Property Name=\"%s\" Type=\"%s\"%s/>", e->select[i], type,
                     not_null ? " Nullable=\"false\"" : "");
    }
    if (strcmp(e->name, "group") == 0)
        buf_add(b, "<NavigationProperty Name=\"members\" "
                   "Type=\"Collection(graph.directoryObject)\"/>"
                   "<NavigationProperty Name=\"transitiveMembers\" "
                   "Type=\"Collection(graph.directoryObject)\"/>");
    if (strcmp(e->name, "user") == 0)
        buf_add(b,
                "<NavigationProperty Name=\"memberOf\" Type=\"Collection(graph.directoryObject)\"/>"
                "<NavigationProperty Name=\"transitiveMemberOf\" "
                "Type=\"Collection(graph.directoryObject)\"/>"
                "<NavigationProperty Name=\"licenseDetails\" "
                "Type=\"Collection(graph.licenseDetails)\" ContainsTarget=\"true\"/>");
    buf_add(b, "</EntityType>");
}

/* The complex and enum types the entities use, as Graph declares them. */
static const char graph_types[] =
    "<EntityType Name=\"entity\" Abstract=\"true\"><Key><PropertyRef Name=\"id\"/></Key>"
    "<Property Name=\"id\" Type=\"Edm.String\" Nullable=\"false\"/></EntityType>"
    "<EntityType Name=\"auditLogRoot\" BaseType=\"graph.entity\">"
    "<NavigationProperty Name=\"directoryAudits\" Type=\"Collection(graph.directoryAudit)\" "
    "ContainsTarget=\"true\"/></EntityType>"
    "<EnumType Name=\"operationResult\"><Member Name=\"success\" Value=\"0\"/>"
    "<Member Name=\"failure\" Value=\"1\"/><Member Name=\"timeout\" Value=\"2\"/>"
    "<Member Name=\"unknownFutureValue\" Value=\"3\"/></EnumType>"
    "<EnumType Name=\"groupType\"><Member Name=\"unifiedGroups\" Value=\"0\"/>"
    "<Member Name=\"azureAD\" Value=\"1\"/><Member Name=\"unknownFutureValue\" Value=\"2\"/>"
    "</EnumType>"
    "<ComplexType Name=\"assignedLicense\"><Property Name=\"disabledPlans\" "
    "Type=\"Collection(Edm.Guid)\" Nullable=\"false\"/><Property Name=\"skuId\" Type=\"Edm.Guid\"/>"
    "</ComplexType>"
    "<ComplexType Name=\"licenseAssignmentState\"><Property Name=\"assignedByGroup\" "
    "Type=\"Edm.String\"/><Property Name=\"disabledPlans\" Type=\"Collection(Edm.Guid)\"/>"
    "<Property Name=\"error\" Type=\"Edm.String\"/><Property Name=\"lastUpdatedDateTime\" "
    "Type=\"Edm.DateTimeOffset\"/><Property Name=\"skuId\" Type=\"Edm.Guid\"/>"
    "<Property Name=\"state\" Type=\"Edm.String\"/></ComplexType>"
    "<ComplexType Name=\"assignedPlan\"><Property Name=\"assignedDateTime\" "
    "Type=\"Edm.DateTimeOffset\"/><Property Name=\"capabilityStatus\" Type=\"Edm.String\"/>"
    "<Property Name=\"service\" Type=\"Edm.String\"/><Property Name=\"servicePlanId\" "
    "Type=\"Edm.Guid\"/></ComplexType>"
    "<ComplexType Name=\"provisionedPlan\"><Property Name=\"capabilityStatus\" "
    "Type=\"Edm.String\"/><Property Name=\"provisioningStatus\" Type=\"Edm.String\"/>"
    "<Property Name=\"service\" Type=\"Edm.String\"/></ComplexType>"
    "<ComplexType Name=\"licenseProcessingState\"><Property Name=\"state\" Type=\"Edm.String\"/>"
    "</ComplexType>"
    "<ComplexType Name=\"verifiedDomain\"><Property Name=\"capabilities\" Type=\"Edm.String\"/>"
    "<Property Name=\"isDefault\" Type=\"Edm.Boolean\"/><Property Name=\"isInitial\" "
    "Type=\"Edm.Boolean\"/><Property Name=\"name\" Type=\"Edm.String\"/>"
    "<Property Name=\"type\" Type=\"Edm.String\"/></ComplexType>"
    "<ComplexType Name=\"licenseUnitsDetail\"><Property Name=\"enabled\" Type=\"Edm.Int32\"/>"
    "<Property Name=\"lockedOut\" Type=\"Edm.Int32\"/><Property Name=\"suspended\" "
    "Type=\"Edm.Int32\"/><Property Name=\"warning\" Type=\"Edm.Int32\"/></ComplexType>"
    "<ComplexType Name=\"servicePlanInfo\"><Property Name=\"appliesTo\" Type=\"Edm.String\"/>"
    "<Property Name=\"provisioningStatus\" Type=\"Edm.String\"/><Property "
    "Name=\"servicePlanId\" Type=\"Edm.Guid\"/><Property Name=\"servicePlanName\" "
    "Type=\"Edm.String\"/></ComplexType>"
    "<ComplexType Name=\"keyValue\"><Property Name=\"key\" Type=\"Edm.String\"/>"
    "<Property Name=\"value\" Type=\"Edm.String\"/></ComplexType>"
    "<ComplexType Name=\"identity\" OpenType=\"true\"><Property Name=\"displayName\" "
    "Type=\"Edm.String\"/><Property Name=\"id\" Type=\"Edm.String\"/></ComplexType>"
    "<ComplexType Name=\"userIdentity\" BaseType=\"graph.identity\"><Property "
    "Name=\"ipAddress\" Type=\"Edm.String\"/><Property Name=\"userPrincipalName\" "
    "Type=\"Edm.String\"/></ComplexType>"
    "<ComplexType Name=\"appIdentity\"><Property Name=\"appId\" Type=\"Edm.String\"/>"
    "<Property Name=\"displayName\" Type=\"Edm.String\"/><Property Name=\"servicePrincipalId\" "
    "Type=\"Edm.String\"/><Property Name=\"servicePrincipalName\" Type=\"Edm.String\"/>"
    "</ComplexType>"
    "<ComplexType Name=\"auditActivityInitiator\"><Property Name=\"app\" "
    "Type=\"graph.appIdentity\"/><Property Name=\"user\" Type=\"graph.userIdentity\"/>"
    "</ComplexType>"
    "<ComplexType Name=\"modifiedProperty\"><Property Name=\"displayName\" Type=\"Edm.String\"/>"
    "<Property Name=\"newValue\" Type=\"Edm.String\"/><Property Name=\"oldValue\" "
    "Type=\"Edm.String\"/></ComplexType>"
    "<ComplexType Name=\"targetResource\"><Property Name=\"displayName\" Type=\"Edm.String\"/>"
    "<Property Name=\"groupType\" Type=\"graph.groupType\"/><Property Name=\"id\" "
    "Type=\"Edm.String\"/><Property Name=\"modifiedProperties\" "
    "Type=\"Collection(graph.modifiedProperty)\"/><Property Name=\"type\" Type=\"Edm.String\"/>"
    "<Property Name=\"userPrincipalName\" Type=\"Edm.String\"/></ComplexType>";

static const char container[] =
    "<EntityContainer Name=\"GraphService\">"
    "<EntitySet Name=\"directoryObjects\" EntityType=\"microsoft.graph.directoryObject\"/>"
    "<EntitySet Name=\"users\" EntityType=\"microsoft.graph.user\"/>"
    "<EntitySet Name=\"groups\" EntityType=\"microsoft.graph.group\"/>"
    "<EntitySet Name=\"organization\" EntityType=\"microsoft.graph.organization\"/>"
    "<EntitySet Name=\"subscribedSkus\" EntityType=\"microsoft.graph.subscribedSku\"/>"
    "<Singleton Name=\"auditLogs\" Type=\"microsoft.graph.auditLogRoot\"/>"
    "</EntityContainer>";

char *metadata_document(void)
{
    struct buf b = {0};
    buf_add(&b,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
            "<edmx:Edmx Version=\"4.0\" xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\">"
            "<edmx:DataServices>"
            "<Schema Namespace=\"microsoft.graph\" Alias=\"graph\" "
            "xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">");
    buf_add(&b, graph_types);
    for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
        if (strchr(entities[i].name, '.') == NULL)
            entity_type(&b, &entities[i]);
    buf_add(&b, container);
    /* What Graph lacks: the service plan catalog (/v1.0/licensing/servicePlans). */
    buf_add(&b, "</Schema><Schema Namespace=\"microsoft.graph.licensing\" Alias=\"licensing\" "
                "xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">");
    for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
        if (strchr(entities[i].name, '.') != NULL)
            entity_type(&b, &entities[i]);
    buf_add(&b, "</Schema></edmx:DataServices></edmx:Edmx>");
    return buf_take(&b);
}

API_HANDLER(api_metadata)
{
    (void)app;
    (void)req;
    char *doc = metadata_document();
    if (doc == NULL) {
        struct lic_error err;
        lic_error_set(&err, LIC_ERR_INTERNAL, NULL, "out of memory");
        api_reply_error(res, &err);
        return;
    }
    api_reply_text(res, 200, doc);
    res->content_type = "application/xml";
}
