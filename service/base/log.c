/* Structured logging to stderr; each line is written with one write() so threads never interleave.
 */
#include "service/base/log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static atomic_int current_level = LOG_INFO;

static const char *level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
    atomic_store(&current_level, (int)level);
}

enum log_level log_get_level(void)
{
    return (enum log_level)atomic_load(&current_level);
}

int log_parse_level(const char *text, enum log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(text, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    if (strcasecmp(text, "warning") == 0) {
        *out = LOG_WARN;
        return 0;
    }
    return -1;
}

static void stamp(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%06ldZ", ts.tv_nsec / 1000);
}

static void emit(json_t *j_line)
{
    char *text = json_dumps(j_line, JSON_COMPACT);
    if (text == NULL)
        return;
    size_t len = strlen(text);
    text[len] = '\n'; /* overwrite NUL: write the line and its newline in one call */
    ssize_t ignored = write(STDERR_FILENO, text, len + 1);
    (void)ignored;
    free(text);
}

void log_event(enum log_level level, const char *msg, const char *fmt, ...)
{
    if ((int)level < atomic_load(&current_level))
        return;
    char when[40];
    stamp(when, sizeof(when));
    json_t *j_line =
        json_pack("{s:s, s:s, s:s}", "time", when, "level", level_names[level], "msg", msg);
    if (j_line == NULL)
        return;
    if (fmt != NULL) {
        char reason[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        json_object_set_new(j_line, "reason", json_string(reason));
    }
    emit(j_line);
    json_decref(j_line);
}

void log_request(const char *method, const char *path, unsigned status, long duration_us,
                 const char *request_id, const char *client, const char *note)
{
    if (LOG_INFO < atomic_load(&current_level))
        return;
    char when[40];
    stamp(when, sizeof(when));
    json_t *j_line =
        json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:i, s:I, s:s?}", "time", when, "level", "info",
                  "msg", "request", "method", method, "path", path, "status", (int)status,
                  "duration_us", (json_int_t)duration_us, "request_id", request_id);
    if (j_line == NULL)
        return;
    if (client != NULL)
        json_object_set_new(j_line, "client", json_string(client));
    if (note != NULL)
        json_object_set_new(j_line, "note", json_string(note));
    emit(j_line);
    json_decref(j_line);
}
