/* The organization room: PATCH of the tenant's name and country, and `init-organization`'s
 * set-up of the one organization (service/directory.h). Each change writes "Set company
 * information" (or "Create company") naming its caller. Nothing is requeued: the country is only
 * the fallback usage location the engine reads whenever it next processes a user. */
#include "service/directory.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/db.h"
#include "service/audit.h"
#include "service/base/country.h"
#include "service/base/text.h"
#include "service/transaction.h"

int organization_update(struct db_pool *pool, const struct audit_actor *by, const char *id,
                        const char *display_name, const char *country, struct lic_error *err)
{
    struct db_conn *conn = transaction_begin(pool, err);
    if (conn == NULL)
        return -1;
    struct db_rows *before = NULL;
    int rc = db_org_lock(conn, &before, err);
    if (rc == 0)
        rc = db_org_update(conn, id, display_name, country, err);
    if (rc == 0 && (display_name != NULL || country != NULL)) {
        json_t *j_mod = json_array();
        if (display_name != NULL)
            json_array_append_new(j_mod, audit_modified("DisplayName",
                                                        db_rows_get(before, 0, OCOL_DISPLAY_NAME),
                                                        display_name));
        if (country != NULL)
            json_array_append_new(
                j_mod,
                audit_modified("CountryLetterCode", db_rows_get(before, 0, OCOL_COUNTRY), country));
        struct audit_target target = {
            .type = "Company",
            .id = db_rows_get(before, 0, OCOL_ID),
            .display_name = display_name ? display_name : db_rows_get(before, 0, OCOL_DISPLAY_NAME),
            .j_modified = j_mod};
        struct audit_entry entry = {
            .activity = AUDIT_SET_COMPANY_INFO, .by = by, .targets = &target, .n_targets = 1};
        rc = audit_write(conn, &entry, err);
    }
    rc = transaction_end(pool, conn, rc, err);
    db_rows_free(before);
    return rc;
}

int organization_domain_valid(const char *name)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > 253)
        return 0;
    int labels = 0, all_digits = 1;
    for (const char *label = name;; label++) {
        size_t n = strcspn(label, ".");
        if (n == 0 || n > 63 || label[0] == '-' || label[n - 1] == '-')
            return 0;
        all_digits = 1;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)label[i];
            if (!isalnum(c) && c != '-')
                return 0;
            if (!isdigit(c))
                all_digits = 0;
        }
        labels++;
        label += n;
        if (*label == '\0')
            break;
    }
    return labels >= 2 && !all_digits;
}

/* Graph's verifiedDomains: the first domain is the default and initial one. */
static char *domains_json(const struct org_setup *s)
{
    json_t *j_domains = json_array();
    for (int i = 0; i < s->n_domains; i++) {
        char lower[254];
        size_t n = strlen(s->domains[i]);
        for (size_t k = 0; k <= n; k++)
            lower[k] = (char)tolower((unsigned char)s->domains[i][k]);
        json_array_append_new(j_domains,
                              json_pack("{s:s, s:b, s:b, s:s, s:s}", "capabilities",
                                        "Email, OfficeCommunicationsOnline", "isDefault", i == 0,
                                        "isInitial", i == 0, "name", lower, "type", "Managed"));
    }
    char *text = json_dumps(j_domains, JSON_COMPACT);
    json_decref(j_domains);
    return text;
}

static int check(const struct org_setup *s, struct lic_error *err)
{
    if (s->name == NULL || s->name[0] == '\0' || strlen(s->name) > 256 || !utf8_is_valid(s->name))
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, NULL,
                             "--name: the organization's name (1 to 256 characters) is needed");
    if (!country_is_valid(s->country))
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, NULL,
                             "--country: '%.20s' is not an ISO 3166-1 alpha-2 code (GB, not UK)",
                             s->country ? s->country : "");
    if (s->n_domains < 1 || s->n_domains > ORG_SETUP_MAX_DOMAINS)
        return lic_error_set(err, LIC_ERR_BAD_REQUEST, NULL,
                             "--domain: from 1 to %d verified domains are needed",
                             ORG_SETUP_MAX_DOMAINS);
    for (int i = 0; i < s->n_domains; i++) {
        if (!organization_domain_valid(s->domains[i]))
            return lic_error_set(err, LIC_ERR_BAD_REQUEST, NULL,
                                 "--domain: '%.260s' is not a domain name (contoso.com)",
                                 s->domains[i]);
        for (int k = 0; k < i; k++)
            if (strcasecmp(s->domains[k], s->domains[i]) == 0)
                return lic_error_set(err, LIC_ERR_BAD_REQUEST, NULL,
                                     "--domain: '%.260s' is given twice", s->domains[i]);
    }
    return 0;
}

static int write_audit(struct db_conn *conn, const struct org_setup *s, const char *domains,
                       const char *id, const struct db_rows *before, const struct audit_actor *by,
                       struct lic_error *err)
{
    const char *old_name = before ? db_rows_get(before, 0, OCOL_DISPLAY_NAME) : NULL;
    const char *old_country = before ? db_rows_get(before, 0, OCOL_COUNTRY) : NULL;
    const char *old_domains = before ? db_rows_get(before, 0, OCOL_DOMAINS) : NULL;
    json_t *j_mod = json_array();
    json_array_append_new(j_mod, audit_modified("DisplayName", old_name, s->name));
    json_array_append_new(j_mod, audit_modified("CountryLetterCode", old_country, s->country));
    json_array_append_new(j_mod, audit_modified("VerifiedDomains", old_domains, domains));
    struct audit_target target = {
        .type = "Company", .id = id, .display_name = s->name, .j_modified = j_mod};
    struct audit_entry entry = {.activity = before ? AUDIT_SET_COMPANY_INFO : AUDIT_CREATE_COMPANY,
                                .by = by,
                                .targets = &target,
                                .n_targets = 1};
    return audit_write(conn, &entry, err);
}

int organization_setup(struct db_conn *conn, const struct org_setup *s,
                       const struct audit_actor *by, char id[GUID_SIZE], int *created, int *changed,
                       struct lic_error *err)
{
    *created = *changed = 0;
    if (check(s, err) != 0)
        return -1;
    char *domains = domains_json(s);
    if (domains == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    struct db_rows *before = NULL;
    enum org_setup_outcome outcome = ORG_SETUP_UNCHANGED;
    int rc = -1;
    if (db_begin(conn, err) != 0)
        goto out;
    rc = db_org_setup(conn, s->name, s->country, domains, &before, id, &outcome, err);
    if (rc == DB_REFUSED_DUPLICATE)
        rc = lic_error_set(err, LIC_ERR_CONFLICT, NULL,
                           "another set-up created the organization at the same time; run "
                           "init-organization again");
    if (rc == 0 && outcome != ORG_SETUP_UNCHANGED)
        rc = write_audit(conn, s, domains, id, outcome == ORG_SETUP_CREATED ? NULL : before, by,
                         err);
    if (rc != 0) {
        db_rollback(conn);
        goto out;
    }
    if ((rc = db_commit(conn, err)) != 0)
        goto out;
    *created = outcome == ORG_SETUP_CREATED;
    *changed = outcome != ORG_SETUP_UNCHANGED;
out:
    db_rows_free(before);
    free(domains);
    return rc;
}
