/* The directory rooms: every write to users (users.c), groups and their membership (groups.c) and
 * the organization (organization.c). Each function runs in its own transaction, words its
 * refusals, writes its directoryAudit record through service/audit.h and decides, through
 * users_requeue_after_change alone, what licensing work the change queues. Reads (list, get,
 * count) go from api/ to db/ directly. */
#ifndef LICENSINGD_SERVICE_DIRECTORY_H
#define LICENSINGD_SERVICE_DIRECTORY_H

#include "service/base/error.h"
#include "service/base/guid.h"
#include "db/directory.h"

struct db_pool;
struct db_conn;
struct audit_actor;

#define SERVICE_MUST_CHECK __attribute__((warn_unused_result))

/* Every write takes `by`, the caller its directoryAudit record names (initiatedBy; NULL: nobody
 * known, authentication off). */

/* A user's proxyAddresses as a request gives them ("SMTP:adele@contoso.com", in order). */
#define USER_PROXIES_MAX 50
struct user_proxies {
    int given; /* 0: the request leaves them as they are */
    int n;
    const char *addresses[USER_PROXIES_MAX];
};

/* Creates a user from the request's fields (checked by the caller against the user table); the
 * new id in id. 400 when the userPrincipalName is taken. */
int users_create(struct db_pool *pool, const struct audit_actor *by, const struct db_fields *f,
                 const struct user_proxies *proxies, char id[GUID_SIZE],
                 struct lic_error *err) SERVICE_MUST_CHECK;
/* PATCH of the user with this id or userPrincipalName; 404 when missing. */
int users_update(struct db_pool *pool, const struct audit_actor *by, const char *id_or_upn,
                 const struct db_fields *f, const struct user_proxies *proxies,
                 struct lic_error *err) SERVICE_MUST_CHECK;
/* Deletes the user with its licenses (freeing their seats) and memberships. */
int users_delete(struct db_pool *pool, const struct audit_actor *by, const char *id_or_upn,
                 struct lic_error *err) SERVICE_MUST_CHECK;

/* members@odata.bind: the objects a group create or update adds, all or nothing. */
#define GROUP_BIND_MAX 20 /* Graph's cap per request */
struct group_bind {
    int n;
    char ids[GROUP_BIND_MAX][GUID_SIZE];
};

/* Creates a group from the request's fields with its bound members; the new id in id. */
int groups_create(struct db_pool *pool, const struct audit_actor *by, const struct db_fields *f,
                  const struct group_bind *bind, char id[GUID_SIZE],
                  struct lic_error *err) SERVICE_MUST_CHECK;
/* PATCH of a group's fields, and its bound members added. */
int groups_update(struct db_pool *pool, const struct audit_actor *by, const char *id,
                  const struct db_fields *f, const struct group_bind *bind,
                  struct lic_error *err) SERVICE_MUST_CHECK;
/* Refused (400, semantics §7) while the group holds licenses or its members still hold some
 * from it; removes its memberships. */
int groups_delete(struct db_pool *pool, const struct audit_actor *by, const char *id,
                  struct lic_error *err) SERVICE_MUST_CHECK;
/* POST members/$ref and DELETE members/{id}/$ref. */
int groups_add_member(struct db_pool *pool, const struct audit_actor *by, const char *group_id,
                      const char *member_id, struct lic_error *err) SERVICE_MUST_CHECK;
int groups_remove_member(struct db_pool *pool, const struct audit_actor *by, const char *group_id,
                         const char *member_id, struct lic_error *err) SERVICE_MUST_CHECK;

/* PATCH of the organization's name and country (NULL: unchanged); 404 for another id. */
int organization_update(struct db_pool *pool, const struct audit_actor *by, const char *id,
                        const char *display_name, const char *country,
                        struct lic_error *err) SERVICE_MUST_CHECK;

/* init-organization: the deployment's one organization, created or brought to what the operator
 * gives (idempotent), on a standalone connection. */
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
