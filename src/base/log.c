/* Logging through a callback; stderr by default. */
#include "weft/weft.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const level_names[] = {"none", "error", "warn",
                                          "info", "debug", "trace"};

const char *weft_log_level_name(int level) {
  if (level < 0 || level > WEFT_LOG_TRACE)
    return "?";
  return level_names[level];
}

int weft_log_level_parse(const char *name) {
  if (name == NULL)
    return WEFT_ERR_INVALID_ARGUMENT;
  if (name[0] >= '0' && name[0] <= '5' && name[1] == '\0')
    return name[0] - '0';
  for (int i = 0; i <= WEFT_LOG_TRACE; i++)
    if (strcasecmp(name, level_names[i]) == 0)
      return i;
  if (strcasecmp(name, "warning") == 0)
    return WEFT_LOG_WARN;
  return WEFT_ERR_INVALID_ARGUMENT;
}

void weft_log_default(weft_log *log) {
  log->fn = NULL;
  log->user_data = NULL;
  log->level = WEFT_LOG_WARN;
  log->pii = 0;
}

void weft_log_write(const weft_log *log, int level, const char *module,
                    const char *fmt, ...) {
  if (log == NULL || level > log->level || level <= WEFT_LOG_NONE)
    return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  if (log->fn != NULL) {
    log->fn(log->user_data, level, module, line);
    return;
  }
  fprintf(stderr, "weft %s %s: %s\n", weft_log_level_name(level),
          module ? module : "-", line);
}
