/* Delta queries (Graph's users/delta and groups/delta): an initial round pages every object by id
 * and ends with an @odata.deltaLink holding the change-sequence position taken when the round
 * began; a later round reads only the changes after that position (db/changes.h), never a scan of
 * the objects. Group membership changes come as members@delta. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/changes.h"
#include "api/directory.h"

#define DELTA_PAGE 100          /* objects in one page */
#define DELTA_MEMBERS_PAGE 1000 /* members@delta entries in one page of the initial round */
#define DELTA_CHANGES_PAGE 500  /* change rows read for one page of a later round */

enum delta_phase { PHASE_INITIAL, PHASE_CHANGES };

/* Where a round stands; the opaque token of @odata.nextLink and @odata.deltaLink. */
struct delta_state {
    int groups;
    enum delta_phase phase;
    struct db_change_pos pos; /* initial: the round's start; changes: read after it */
    char after_id[GUID_SIZE]; /* initial: the last object given ("" before the first) */
    long long after_seq;      /* initial, groups: members of after_id given up to it; -1: all */
};

/* What one request asks for. */
struct delta_query {
    const struct list_kind *kind;
    uint64_t mask;    /* $select over the kind's properties; 0: the default set */
    int with_members; /* groups: members@delta wanted (no $select, or $select names members) */
    struct delta_state st;
};

static void encode_state(const struct delta_state *st, char *out, size_t size)
{
    char kind[4], pos[48], seq[24];
    snprintf(kind, sizeof(kind), "%c%c", st->groups ? 'g' : 'u',
             st->phase == PHASE_INITIAL ? 'i' : 'c');
    snprintf(pos, sizeof(pos), "%llu.%lld", st->pos.txid, st->pos.seq);
    snprintf(seq, sizeof(seq), "%lld", st->after_seq);
    const char *parts[] = {kind, pos, st->after_id, seq};
    odata_skiptoken_encode(parts, 4, out, size);
}

static int bad_token(const char *name, struct lic_error *err)
{
    return lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                         "The %s is not valid for this delta query; follow the "
                         "@odata.nextLink or @odata.deltaLink as returned.",
                         name);
}

static int decode_state(const char *name, const char *token, int groups, struct delta_state *st,
                        struct lic_error *err)
{
    char parts[ODATA_KEY_PARTS][ODATA_KEY_PART_MAX];
    if (odata_skiptoken_decode(token, parts, ODATA_KEY_PARTS, err) != 4)
        return bad_token(name, err);
    char *end = NULL;
    memset(st, 0, sizeof(*st));
    st->groups = groups;
    if (strlen(parts[0]) != 2 || parts[0][0] != (groups ? 'g' : 'u') ||
        (parts[0][1] != 'i' && parts[0][1] != 'c'))
        return bad_token(name, err);
    st->phase = parts[0][1] == 'i' ? PHASE_INITIAL : PHASE_CHANGES;
    st->pos.txid = strtoull(parts[1], &end, 10);
    if (end == parts[1] || *end != '.')
        return bad_token(name, err);
    const char *seq = end + 1;
    st->pos.seq = strtoll(seq, &end, 10);
    if (end == seq || *end != '\0' || st->pos.seq < 0)
        return bad_token(name, err);
    if (parts[2][0] != '\0' && guid_normalize(parts[2], st->after_id) != 0)
        return bad_token(name, err);
    st->after_seq = strtoll(parts[3], &end, 10);
    if (end == parts[3] || *end != '\0' || st->after_seq < -1)
        return bad_token(name, err);
    return 0;
}

/* $select, with "members" (groups) taken out of it: members@delta is not a property. */
static int parse_select(const struct api_request *req, struct delta_query *q, struct lic_error *err)
{
    const char *select = api_query(req, "$select");
    q->with_members = q->st.groups && select == NULL;
    if (select == NULL)
        return 0;
    char rest[1024] = "";
    char *copy = strdup(select);
    if (copy == NULL)
        return lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
    char *save = NULL;
    for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        while (*name == ' ')
            name++;
        if (q->st.groups && strcasecmp(name, "members") == 0)
            q->with_members = 1;
        else if (strlen(rest) + strlen(name) + 2 < sizeof(rest))
            snprintf(rest + strlen(rest), sizeof(rest) - strlen(rest), "%s%s", rest[0] ? "," : "",
                     name);
    }
    free(copy);
    int rc = odata_parse_select(rest, q->kind->props, q->kind->type, &q->mask, err);
    /* Every item of a delta answer carries its id, whatever $select says ($select=members alone:
     * the id and the members). */
    q->mask |= UINT64_C(1) << (q->st.groups ? GCOL_ID : UCOL_ID);
    (void)select;
    return rc;
}

static json_t *removed(const char *id)
{
    return json_pack("{s:s, s:{s:s}}", "id", id, "@removed", "reason", "deleted");
}

static const char *odata_type_of(const char *type)
{
    return type == NULL                ? "#microsoft.graph.directoryObject"
           : strcmp(type, "user") == 0 ? "#microsoft.graph.user"
                                       : "#microsoft.graph.group";
}

/* ---- the initial round ---- */

static int initial_users(struct db_conn *conn, struct delta_query *q, json_t *j_items, int *done,
                         struct lic_error *err)
{
    struct db_rows *rows = NULL;
    const char *after = q->st.after_id[0] ? q->st.after_id : NULL;
    if (db_users_page_by_id(conn, after, DELTA_PAGE + 1, &rows, err) != 0)
        return -1;
    int n = rows->nrows > DELTA_PAGE ? DELTA_PAGE : rows->nrows;
    int rc = render_users(conn, rows, n, q->mask, 0, j_items, err);
    *done = rows->nrows <= DELTA_PAGE;
    if (n > 0)
        snprintf(q->st.after_id, GUID_SIZE, "%s", db_rows_get(rows, n - 1, UCOL_ID));
    db_rows_free(rows);
    return rc;
}

/* Up to *budget members of group after after_seq (NULL: from the first) as members@delta of
 * j_group; sets *more when the group has more. */
static int add_members(struct db_conn *conn, const char *group_id, const char *after_seq,
                       int *budget, json_t *j_group, long long *last_seq, int *more,
                       struct lic_error *err)
{
    struct db_rows *m = NULL;
    long count = -1;
    if (db_members_list(conn, group_id, NULL, *budget, after_seq, &m, &count, 0, err) != 0)
        return -1;
    int n = m->nrows > *budget ? *budget : m->nrows;
    json_t *j_list = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(j_list, json_pack("{s:s, s:s}", "@odata.type",
                                                odata_type_of(db_rows_get(m, i, MCOL_TYPE)), "id",
                                                db_rows_get(m, i, MCOL_ID)));
    json_object_set_new(j_group, "members@delta", j_list);
    *more = m->nrows > *budget;
    if (n > 0)
        *last_seq = strtoll(db_rows_get(m, n - 1, MCOL_SEQ), NULL, 10);
    *budget -= n;
    db_rows_free(m);
    return 0;
}

/* Groups one by one, each with its members; a group with more members than the page holds goes
 * on in the next page (Graph repeats the group there with the rest of its members). */
static int initial_groups(struct db_conn *conn, struct delta_query *q, json_t *j_items, int *done,
                          struct lic_error *err)
{
    int budget = DELTA_MEMBERS_PAGE;
    *done = 0;
    for (int objects = 0; objects < DELTA_PAGE && budget > 0; objects++) {
        struct db_rows *g = NULL;
        int continuing = q->st.after_seq >= 0 && q->st.after_id[0] != '\0';
        if (continuing) {
            if (db_groups_get(conn, q->st.after_id, 0, &g, err) != 0) {
                if (err->kind != LIC_ERR_NOT_FOUND)
                    return -1;
                lic_error_clear(err); /* deleted meanwhile: the next round says so */
                q->st.after_seq = -1;
                continue;
            }
        } else {
            const char *after = q->st.after_id[0] ? q->st.after_id : NULL;
            if (db_groups_page_by_id(conn, after, 1, &g, err) != 0)
                return -1;
            if (g->nrows == 0) {
                db_rows_free(g);
                *done = 1;
                return 0;
            }
        }
        json_t *j_one = json_array();
        int rc = render_groups(conn, g, 1, q->mask, 0, j_one, err);
        snprintf(q->st.after_id, GUID_SIZE, "%s", db_rows_get(g, 0, GCOL_ID));
        db_rows_free(g);
        json_t *j_group = json_array_get(j_one, 0);
        int more = 0;
        if (rc == 0 && q->with_members) {
            char seq[24];
            snprintf(seq, sizeof(seq), "%lld", q->st.after_seq);
            long long last = q->st.after_seq;
            rc = add_members(conn, q->st.after_id, continuing ? seq : NULL, &budget, j_group, &last,
                             &more, err);
            q->st.after_seq = more ? last : -1;
        } else {
            q->st.after_seq = -1;
        }
        if (rc == 0)
            json_array_append(j_items, j_group);
        json_decref(j_one);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* ---- later rounds: the change sequence ---- */

/* Users: each changed user once, as it is now, or removed. */
static int changed_users(struct db_conn *conn, struct delta_query *q, const struct db_change *ch,
                         int n, json_t *j_items, struct lic_error *err)
{
    json_t *j_seen = json_object();
    const char **ids = calloc((size_t)n + 1, sizeof(*ids));
    struct db_rows *rows = NULL;
    int nids = 0, rc = -1;
    if (ids == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++)
        if (json_object_get(j_seen, ch[i].object_id) == NULL) {
            json_object_set_new(j_seen, ch[i].object_id, json_true());
            ids[nids++] = ch[i].object_id;
        }
    json_t *j_now = json_array();
    if (nids > 0 && (db_users_by_ids(conn, ids, nids, &rows, err) != 0 ||
                     render_users(conn, rows, rows->nrows, q->mask, 0, j_now, err) != 0)) {
        json_decref(j_now);
        goto out;
    }
    for (int i = 0; i < nids; i++) {
        json_t *j_found = NULL;
        for (int k = 0; rows && k < rows->nrows && j_found == NULL; k++)
            if (strcmp(db_rows_get(rows, k, UCOL_ID), ids[i]) == 0)
                j_found = json_array_get(j_now, (size_t)k);
        json_array_append_new(j_items, j_found ? json_incref(j_found) : removed(ids[i]));
    }
    json_decref(j_now);
    rc = 0;
out:
    json_decref(j_seen);
    db_rows_free(rows);
    free(ids);
    return rc;
}

/* members@delta of one group from {member id: its last change}: added members, and removed ones
 * with @removed; types (id, "user"/"group") says what each member is (unknown once deleted). */
static json_t *members_delta(json_t *j_changes, const struct db_rows *types)
{
    json_t *j_list = json_array();
    const char *member;
    json_t *j_change;
    json_object_foreach(j_changes, member, j_change)
    {
        const char *type = NULL;
        for (int k = 0; types && k < types->nrows && type == NULL; k++)
            if (strcmp(db_rows_get(types, k, 0), member) == 0)
                type = db_rows_get(types, k, 1);
        json_t *j_m = json_pack("{s:s, s:s}", "@odata.type", odata_type_of(type), "id", member);
        if (strcmp(json_string_value(j_change), "deleted") == 0)
            json_object_set_new(j_m, "@removed", json_pack("{s:s}", "reason", "deleted"));
        json_array_append_new(j_list, j_m);
    }
    return j_list;
}

/* Groups: each changed group once, as it is now (or removed), with its membership changes as
 * members@delta (each member once, its last change winning). */
static int changed_groups(struct db_conn *conn, struct delta_query *q, const struct db_change *ch,
                          int n, json_t *j_items, struct lic_error *err)
{
    json_t *j_order = json_array();    /* group ids in first-seen order */
    json_t *j_members = json_object(); /* group id -> {member id: last change} */
    const char **ids = calloc((size_t)n + 1, sizeof(*ids));
    struct db_rows *groups = NULL, *types = NULL;
    json_t *j_now = json_array();
    int rc = -1;
    if (ids == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        goto out;
    }
    int nmembers = 0;
    for (int i = 0; i < n; i++) {
        int member = strcmp(ch[i].resource, "member") == 0;
        if (member && !q->with_members)
            continue;
        const char *gid = member ? ch[i].parent_id : ch[i].object_id;
        if (json_object_get(j_members, gid) == NULL) {
            json_object_set_new(j_members, gid, json_object());
            json_array_append_new(j_order, json_string(gid));
        }
        if (member) {
            json_object_set_new(json_object_get(j_members, gid), ch[i].object_id,
                                json_string(ch[i].change_type));
            ids[nmembers++] = ch[i].object_id;
        }
    }
    int ngroups = (int)json_array_size(j_order);
    const char **gids = calloc((size_t)ngroups + 1, sizeof(*gids));
    if (gids == NULL) {
        lic_error_set(err, LIC_ERR_INTERNAL, NULL, "out of memory");
        goto out;
    }
    for (int i = 0; i < ngroups; i++)
        gids[i] = json_string_value(json_array_get(j_order, (size_t)i));
    int ok = (ngroups == 0 ||
              (db_groups_by_ids(conn, gids, ngroups, &groups, err) == 0 &&
               render_groups(conn, groups, groups->nrows, q->mask, 0, j_now, err) == 0)) &&
             (nmembers == 0 || db_directory_objects_types(conn, ids, nmembers, &types, err) == 0);
    if (!ok) {
        free(gids);
        goto out;
    }
    for (int i = 0; i < ngroups; i++) {
        json_t *j_found = NULL;
        for (int k = 0; groups && k < groups->nrows && j_found == NULL; k++)
            if (strcmp(db_rows_get(groups, k, GCOL_ID), gids[i]) == 0)
                j_found = json_array_get(j_now, (size_t)k);
        if (j_found == NULL) {
            json_array_append_new(j_items, removed(gids[i]));
            continue;
        }
        json_t *j_group = json_deep_copy(j_found);
        json_t *j_changes = json_object_get(j_members, gids[i]);
        if (q->with_members && json_object_size(j_changes) > 0)
            json_object_set_new(j_group, "members@delta", members_delta(j_changes, types));
        json_array_append_new(j_items, j_group);
    }
    free(gids);
    rc = 0;
out:
    json_decref(j_now);
    json_decref(j_order);
    json_decref(j_members);
    db_rows_free(groups);
    db_rows_free(types);
    free(ids);
    return rc;
}

static int pos_after(const struct db_change_pos *a, const struct db_change_pos *b)
{
    return a->txid > b->txid || (a->txid == b->txid && a->seq > b->seq);
}

/* One page of changes after q->st.pos; moves the position and says whether more are waiting. */
static int changes_page(struct db_conn *conn, struct delta_query *q, json_t *j_items, int *done,
                        struct lic_error *err)
{
    struct db_change_pos horizon;
    struct db_change *ch = NULL;
    int n = 0;
    /* The horizon first: every change below it is visible to the read that follows. */
    if (db_changes_now(conn, &horizon, err) != 0 ||
        db_changes_read(conn, q->st.groups ? "group,member" : "user", NULL, &q->st.pos,
                        DELTA_CHANGES_PAGE, &ch, &n, err) != 0)
        return -1;
    int rc = q->st.groups ? changed_groups(conn, q, ch, n, j_items, err)
                          : changed_users(conn, q, ch, n, j_items, err);
    *done = n < DELTA_CHANGES_PAGE;
    if (n > 0)
        q->st.pos = ch[n - 1].pos;
    /* Everything below the horizon has been read: the next round starts there. */
    if (*done && pos_after(&horizon, &q->st.pos))
        q->st.pos = horizon;
    free(ch);
    return rc;
}

static void delta(const struct api_app *app, const struct api_request *req,
                  struct api_response *res, const struct list_kind *kind)
{
    struct lic_error err;
    lic_error_clear(&err);
    struct delta_query q = {.kind = kind, .st = {.groups = kind == &list_groups, .after_seq = -1}};
    struct db_conn *conn = NULL;
    json_t *j_items = json_array();
    int rc = -1, done = 0;
    const char *skip = api_query(req, "$skiptoken"), *dtoken = api_query(req, "$deltatoken");
    if (skip != NULL && dtoken != NULL) {
        lic_error_set(&err, LIC_ERR_BAD_REQUEST, "Request_BadRequest",
                      "Give either $skiptoken or $deltatoken, not both.");
        goto out;
    }
    if (parse_select(req, &q, &err) != 0 ||
        (skip && decode_state("$skiptoken", skip, q.st.groups, &q.st, &err) != 0) ||
        (dtoken && decode_state("$deltatoken", dtoken, q.st.groups, &q.st, &err) != 0) ||
        (conn = db_acquire(app->pool, &err)) == NULL)
        goto out;
    if (skip == NULL && dtoken == NULL) {
        /* A new round: what changes from now on is for the next round to tell. */
        if (db_changes_now(conn, &q.st.pos, &err) != 0)
            goto out;
        q.st.phase = PHASE_INITIAL;
    }
    if (q.st.phase == PHASE_INITIAL)
        rc = q.st.groups ? initial_groups(conn, &q, j_items, &done, &err)
                         : initial_users(conn, &q, j_items, &done, &err);
    else
        rc = changes_page(conn, &q, j_items, &done, &err);
    if (rc != 0)
        goto out;
    if (done) { /* the deltaLink: the changes after the round's position */
        q.st.phase = PHASE_CHANGES;
        q.st.after_id[0] = '\0';
        q.st.after_seq = -1;
    }
    char token[ODATA_KEY_PARTS * ODATA_KEY_PART_MAX * 2], context[1024];
    encode_state(&q.st, token, sizeof(token));
    char *link = odata_link_with(app, req, done ? "$deltatoken" : "$skiptoken", token);
    odata_context(app, req, kind->set, 0, context, sizeof(context));
    json_t *j = json_pack("{s:s, s:O}", "@odata.context", context, "value", j_items);
    json_object_set_new(j, done ? "@odata.deltaLink" : "@odata.nextLink",
                        link ? json_string(link) : json_null());
    free(link);
    api_reply_json(res, 200, j);
out:
    json_decref(j_items);
    directory_finish(app, conn, rc, &err, res);
}

API_HANDLER(api_users_delta)
{
    delta(app, req, res, &list_users);
}

API_HANDLER(api_groups_delta)
{
    delta(app, req, res, &list_groups);
}
