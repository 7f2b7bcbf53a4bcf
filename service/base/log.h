/* Structured logging: one JSON object per line on stderr. */
#ifndef LICENSINGD_LOG_H
#define LICENSINGD_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
int log_parse_level(const char *text, enum log_level *out);

/* msg is a short event name; fmt formats "reason" text (may be NULL). */
void log_event(enum log_level level, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The access log line: one per HTTP request, whatever its bytes (the caller escapes them).
 * status 0: nobody answered; client and note may be NULL (note: why the connection ended). */
void log_request(const char *method, const char *path, unsigned status, long duration_us,
                 const char *request_id, const char *client, const char *note);

#endif
