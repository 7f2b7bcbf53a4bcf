/* The connections libmicrohttpd holds and their deadlines: a thread closes those still sending
 * their headers or body past the configured times. libmicrohttpd's own timeout only measures
 * silence, which a byte every few seconds defeats. */
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "service/base/log.h"
#include "api/http_internal.h"

#define JANITOR_PERIOD_MS 200

void http_conn_phase(struct api_server *server, struct conn_state *c, enum conn_phase phase)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&server->conns_lock);
    c->phase = phase;
    c->since_ms = http_now_ms();
    pthread_mutex_unlock(&server->conns_lock);
}

void http_on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                        enum MHD_ConnectionNotificationCode code)
{
    struct api_server *server = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn_state *c = calloc(1, sizeof(*c));
        if (c == NULL)
            return;
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        c->fd = ci ? ci->connect_fd : MHD_INVALID_SOCKET;
        c->phase = CONN_HEADERS;
        c->since_ms = http_now_ms();
        pthread_mutex_lock(&server->conns_lock);
        c->next = server->conns;
        if (c->next)
            c->next->prev = c;
        server->conns = c;
        pthread_mutex_unlock(&server->conns_lock);
        *socket_context = c;
        return;
    }
    struct conn_state *c = *socket_context;
    if (c == NULL)
        return;
    /* libmicrohttpd closes the socket only after this returns, so the janitor, which shuts
     * sockets down under the same lock, never touches a number the kernel has reused. */
    pthread_mutex_lock(&server->conns_lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        server->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&server->conns_lock);
    if (c->closed_for != NULL)
        log_event(LOG_INFO, "connection_closed", "%s", c->closed_for);
    free(c);
    *socket_context = NULL;
}

/* Closes connections stuck in their headers or body past the configured times: slow or idle
 * clients then hold a connection for a bounded time, whatever they send. libmicrohttpd's own
 * timeout only measures silence, which a byte every few seconds defeats. */
void *http_janitor_main(void *arg)
{
    struct api_server *server = arg;
    const struct config *cfg = server->app->cfg;
    while (!atomic_load(&server->stopping)) {
        usleep(JANITOR_PERIOD_MS * 1000);
        long long now = http_now_ms();
        pthread_mutex_lock(&server->conns_lock);
        for (struct conn_state *c = server->conns; c != NULL; c = c->next) {
            if (c->closed_for != NULL || c->fd == MHD_INVALID_SOCKET)
                continue;
            if (c->phase == CONN_HEADERS && now - c->since_ms > (long long)cfg->header_timeout_ms)
                c->closed_for = "header_timeout";
            else if (c->phase == CONN_BODY && now - c->since_ms > (long long)cfg->body_timeout_ms)
                c->closed_for = "body_timeout";
            else
                continue;
            shutdown(c->fd, SHUT_RDWR); /* the epoll thread sees the hang-up and cleans up */
        }
        pthread_mutex_unlock(&server->conns_lock);
    }
    return NULL;
}
