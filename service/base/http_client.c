/* Outgoing HTTP (see http_client.h). */
#include "service/base/http_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int http_client_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

struct sink {
    char *data;
    size_t len;
    int truncated;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    size_t room = HTTP_CLIENT_MAX_BODY - s->len;
    size_t take = n < room ? n : room;
    if (take > 0) {
        char *grown = realloc(s->data, s->len + take + 1);
        if (grown == NULL)
            return 0;
        s->data = grown;
        memcpy(s->data + s->len, ptr, take);
        s->len += take;
        s->data[s->len] = '\0';
    }
    if (take < n)
        s->truncated = 1;
    return n; /* the rest is read and ignored */
}

/* One request with the options every outgoing call shares; body NULL: a GET. */
static int perform(const char *url, const char *content_type, const char *body, long timeout_ms,
                   const char *agent, struct http_result *out)
{
    memset(out, 0, sizeof(*out));
    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        snprintf(out->error, sizeof(out->error), "curl_easy_init failed");
        return -1;
    }
    struct sink sink = {0};
    struct curl_slist *headers = NULL;
    if (body != NULL) {
        char type_header[160];
        snprintf(type_header, sizeof(type_header), "Content-Type: %s", content_type);
        headers = curl_slist_append(NULL, type_header);
        headers = curl_slist_append(headers, "Expect:");
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 5000 ? timeout_ms : 5000L);
    if (body != NULL) {
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, agent);
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
        out->body = sink.data ? sink.data : strdup("");
    } else {
        snprintf(out->error, sizeof(out->error), "%s", curl_easy_strerror(rc));
        free(sink.data);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return rc == CURLE_OK ? 0 : -1;
}

int http_client_post(const char *url, const char *content_type, const char *body, long timeout_ms,
                     struct http_result *out)
{
    return perform(url, content_type, body ? body : "", timeout_ms, "licensingd-notifications/1",
                   out);
}

int http_client_get(const char *url, long timeout_ms, struct http_result *out)
{
    return perform(url, NULL, NULL, timeout_ms, "licensingd/1", out);
}

int http_client_parse_url(const char *url, char *scheme, size_t scheme_size, char *host,
                          size_t host_size, unsigned *port)
{
    CURLU *u = curl_url();
    if (u == NULL)
        return -1;
    int rc = -1;
    char *s = NULL, *h = NULL, *p = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &s, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) != CURLUE_OK)
        goto out;
    if (strcmp(s, "http") != 0 && strcmp(s, "https") != 0)
        goto out;
    snprintf(scheme, scheme_size, "%s", s);
    size_t n = strlen(h);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']')
        snprintf(host, host_size, "%.*s", (int)(n - 2), h + 1);
    else
        snprintf(host, host_size, "%s", h);
    *port = (unsigned)strtoul(p, NULL, 10);
    rc = 0;
out:
    curl_free(s);
    curl_free(h);
    curl_free(p);
    curl_url_cleanup(u);
    return rc;
}
