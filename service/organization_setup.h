/* Setting up the deployment's one organization (`licensingd init-organization`): create it, or
 * bring its name, country and verified domains to what the operator gives; idempotent. */
#ifndef LICENSINGD_SERVICE_ORGANIZATION_SETUP_H
#define LICENSINGD_SERVICE_ORGANIZATION_SETUP_H

#include "service/audit.h"
#include "service/base/error.h"
#include "service/base/guid.h"

struct db_conn;

#define ORG_SETUP_MAX_DOMAINS 50

struct org_setup {
    const char *name;
    const char *country;        /* ISO 3166-1 alpha-2, upper case */
    const char *const *domains; /* the first is the default (and initial) domain */
    int n_domains;
};

/* 1 when name is a DNS domain name a tenant can verify ("contoso.com": letters, digits and
 * hyphens, labels of 1 to 63 characters, two or more labels, a top-level label that is not all
 * digits, 253 characters at most). */
int organization_domain_valid(const char *name);

/* Checks the request (400 naming the bad value), then in one transaction on conn creates or
 * updates the organization and writes its "Create company" / "Set company information" record
 * by `by`. *changed is 0 when it already was so (no record then). */
int organization_setup(struct db_conn *conn, const struct org_setup *s,
                       const struct audit_actor *by, char id[GUID_SIZE], int *created, int *changed,
                       struct lic_error *err) __attribute__((warn_unused_result));

#endif
