/* Error values: set once where a failure is found, prefixed by callers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rert/error.h>

/* error.h wraps rert_error_set in a macro for the static analyser only. */
#undef rert_error_set

void rert_error_clear(RertError *err)
{
    if (err == NULL) {
        return;
    }
    err->code = RERT_OK;
    err->message[0] = '\0';
}

bool rert_error_set(RertError *err, RertErrorCode code, const char *fmt, ...)
{
    if (err == NULL) {
        return false;
    }
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return false;
}

void rert_error_prefix(RertError *err, const char *fmt, ...)
{
    if (err == NULL || err->code == RERT_OK) {
        return;
    }
    char old[RERT_ERROR_MESSAGE_SIZE];
    memcpy(old, err->message, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    if (n < 0) {
        memcpy(err->message, old, sizeof old);
        return;
    }
    size_t used =
        (size_t)n < sizeof err->message ? (size_t)n : sizeof err->message - 1;
    (void)snprintf(err->message + used, sizeof err->message - used, ": %s",
                   old);
}

const char *rert_error_code_name(RertErrorCode code)
{
    switch (code) {
    case RERT_OK:
        return "OK";
    case RERT_ERR_NOMEM:
        return "NOMEM";
    case RERT_ERR_IO:
        return "IO";
    case RERT_ERR_PARSE:
        return "PARSE";
    case RERT_ERR_UNSUPPORTED:
        return "UNSUPPORTED";
    case RERT_ERR_INVALID_ARG:
        return "INVALID_ARG";
    case RERT_ERR_GEOMETRY:
        return "GEOMETRY";
    case RERT_ERR_LIMIT:
        return "LIMIT";
    case RERT_ERR_INTERNAL:
        return "INTERNAL";
    }
    return "UNKNOWN";
}
