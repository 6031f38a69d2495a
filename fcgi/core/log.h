/* Structured logs: one JSON object per line on stderr. */
#ifndef TB_LOG_H
#define TB_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Set once at start-up: service name and minimum level. */
void log_setup(const char *service, enum log_level min);
/* The request id of the request being served ("" between requests). */
void log_set_request(const char *request_id);
void log_write(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
enum log_level log_level_parse(const char *s);

#define log_debug(...) log_write(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)

#endif
