/* Liveness (answered on the epoll thread, no database) and readiness probes. */
#include "db/db.h"
#include "db/probe.h"
#include "api/handlers.h"

void api_health_live(const struct api_app *app, const struct api_request *req,
                     struct api_response *res)
{
    (void)app;
    (void)req;
    api_reply_json(res, 200, json_pack("{s:s}", "status", "ok"));
}

void api_health_ready(const struct api_app *app, const struct api_request *req,
                      struct api_response *res)
{
    (void)req;
    struct lic_error err;
    lic_error_clear(&err);
    if (app->probe != NULL) {
        /* Its own bounded connection: a frozen database is reported within a second or two,
         * whatever the request pool is waiting for. */
        if (db_probe_check(app->probe, &err) != 0) {
            api_reply_error(res, &err);
            return;
        }
        api_reply_json(res, 200, json_pack("{s:s, s:s}", "status", "ok", "database", "ok"));
        return;
    }
    struct db_conn *conn = db_acquire(app->pool, &err);
    if (conn == NULL) {
        api_reply_error(res, &err);
        return;
    }
    int rc = db_ping(conn, &err);
    db_release(app->pool, conn);
    if (rc != 0) {
        err.kind = LIC_ERR_UNAVAILABLE;
        api_reply_error(res, &err);
        return;
    }
    api_reply_json(res, 200, json_pack("{s:s, s:s}", "status", "ok", "database", "ok"));
}
