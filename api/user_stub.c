/* Temporary: the user representation until the directory API lands (replaced at merge). */
#include "../db/db.h"
#include "handlers.h"

void api_user_reply(const struct api_app *app, const struct api_request *req,
                    struct api_response *res, const char *user_id, unsigned status)
{
    (void)app;
    (void)req;
    api_reply_json(res, status, json_pack("{s:s}", "id", user_id));
}

void api_group_reply(const struct api_app *app, const struct api_request *req,
                     struct api_response *res, const char *group_id, unsigned status)
{
    (void)app;
    (void)req;
    api_reply_json(res, status, json_pack("{s:s}", "id", group_id));
}
