/**
 * @file error.h
 * Error values: one caller-owned struct, set once where a failure is found.
 */
#ifndef RERT_ERROR_H
#define RERT_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define RERT_API __attribute__((visibility("default")))
#define RERT_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define RERT_API
#define RERT_PRINTF(fmt, args)
#endif

/** Stable error codes; names from rert_error_code_name(). */
typedef enum RertErrorCode {
    RERT_OK = 0,
    RERT_ERR_NOMEM,       /**< allocation failed */
    RERT_ERR_IO,          /**< open, read, write or rename failed */
    RERT_ERR_PARSE,       /**< malformed input (DICOM, YAML, numbers) */
    RERT_ERR_UNSUPPORTED, /**< valid input we do not handle (e.g. JPEG) */
    RERT_ERR_INVALID_ARG, /**< caller passed a bad value */
    RERT_ERR_GEOMETRY,    /**< grids, orientation, spacing inconsistent */
    RERT_ERR_LIMIT,       /**< a configured safety limit was exceeded */
    RERT_ERR_INTERNAL,    /**< a broken invariant (a bug) */
} RertErrorCode;

#define RERT_ERROR_MESSAGE_SIZE 512

/** An error: code and a message naming file, tag or field, expected vs found.
 */
typedef struct RertError {
    RertErrorCode code;
    char message[RERT_ERROR_MESSAGE_SIZE];
} RertError;

/** Reset @p err to RERT_OK with an empty message. NULL is allowed. */
RERT_API void rert_error_clear(RertError *err);

/**
 * Set @p err (may be NULL) to @p code with a printf-style message.
 * @return always false, so failures read `return rert_error_set(...)`.
 * Threads: @p err must not be shared between threads.
 */
RERT_API bool
rert_error_set(RertError *err, RertErrorCode code, const char *fmt, ...)
    RERT_PRINTF(3, 4);
#ifdef __clang_analyzer__
/* Only for clang-tidy's static analyser, which cannot see into error.c: tell
 * it what the doc above says, that the result is always false. Without this
 * it follows "return rert_error_set(...)" as a success path and reports
 * outputs as uninitialised. */
// NOLINTNEXTLINE(readability-identifier-naming): same name on purpose
#define rert_error_set(...) ((void)rert_error_set(__VA_ARGS__), false)
#endif

/**
 * Prepend context to an already set message: "<context>: <old message>".
 * Does nothing when @p err is NULL or holds RERT_OK.
 */
RERT_API void rert_error_prefix(RertError *err, const char *fmt, ...)
    RERT_PRINTF(2, 3);

/** Stable upper-case name of @p code ("PARSE", "LIMIT", ...). */
RERT_API const char *rert_error_code_name(RertErrorCode code);

/** Defensive checks for "cannot happen" conditions that must not abort. */
#define RERT_ALWAYS(x) (x)
#define RERT_NEVER(x) (x)

#endif
