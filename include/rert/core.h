/**
 * @file core.h
 * Checked allocation and arithmetic, strict number parsing, growable
 * strings, safety limits and the log handler.
 */
#ifndef RERT_CORE_H
#define RERT_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rert/error.h>

/* ---- allocation (the only place malloc/free are called is core/alloc.c) */

/**
 * Allocate @p size bytes (0 is treated as 1). @return NULL and NOMEM on
 * failure. Ownership: new, free with rert_free().
 */
RERT_API void *rert_alloc(RertError *err, size_t size);
/** Zeroed array of @p n items of @p size bytes, overflow-checked. */
RERT_API void *rert_calloc(RertError *err, size_t n, size_t size);
/**
 * Resize @p ptr to @p n items of @p size bytes, overflow-checked. On
 * failure @p ptr is untouched and still owned by the caller.
 */
RERT_API void *
rert_realloc_array(RertError *err, void *ptr, size_t n, size_t size);
/** 64-byte aligned zeroed array for voxel buffers; free with rert_free(). */
RERT_API void *rert_alloc_voxels(RertError *err, size_t n, size_t size);
/** Free memory from any rert allocator. NULL is allowed. */
RERT_API void rert_free(void *ptr);
/** Copy of a NUL-terminated string. Ownership: new, rert_free(). */
RERT_API char *rert_strdup(RertError *err, const char *s);
/** Copy of @p n bytes of @p s plus a NUL. Ownership: new, rert_free(). */
RERT_API char *rert_strndup(RertError *err, const char *s, size_t n);

/**
 * Test hook: make the @p nth allocation from now fail (1 = the next one);
 * 0 disables. Counts all rert allocators. Threads: not thread safe, tests
 * only.
 */
RERT_API void rert_alloc_fail_at(size_t nth);
/** Bytes currently allocated through the rert allocators (approximate peak
 * tracking for benchmarks). */
RERT_API size_t rert_alloc_peak_bytes(void);

/* ---- checked arithmetic */

/** *out = a*b; false (and LIMIT error) on overflow. */
RERT_API bool rert_mul_size(RertError *err, size_t a, size_t b, size_t *out);
/** *out = a+b; false (and LIMIT error) on overflow. */
RERT_API bool rert_add_size(RertError *err, size_t a, size_t b, size_t *out);

/* ---- strict number parsing (whole token, range, finiteness) */

/**
 * Parse a decimal floating number; leading/trailing spaces allowed, nothing
 * else. Never uses the locale. @param what names the field for messages.
 */
RERT_API bool rert_parse_double(RertError *err,
                                const char *text,
                                size_t len,
                                const char *what,
                                double *out);
/** Parse a decimal integer in [min, max]; spaces allowed around it. */
RERT_API bool rert_parse_long(RertError *err,
                              const char *text,
                              size_t len,
                              long min,
                              long max,
                              const char *what,
                              long *out);
/** Format a double in the C locale with @p digits significant digits. */
RERT_API void
rert_format_double(char *buf, size_t size, double value, int digits);

/* ---- growable string with a maximum size */

typedef struct RertStrbuf {
    char *data;     /**< NUL-terminated, or NULL when empty */
    size_t len;     /**< bytes used, excluding the NUL */
    size_t cap;     /**< bytes allocated */
    size_t max_len; /**< appends past this fail with LIMIT */
} RertStrbuf;

/** Init an empty buffer that may grow to @p max_len bytes. */
RERT_API void rert_strbuf_init(RertStrbuf *sb, size_t max_len);
/** Free the buffer's memory; the struct may be reused after init. */
RERT_API void rert_strbuf_clear(RertStrbuf *sb);
/** Append @p n bytes. */
RERT_API bool
rert_strbuf_append(RertError *err, RertStrbuf *sb, const char *s, size_t n);
/** Append a NUL-terminated string. */
RERT_API bool rert_strbuf_puts(RertError *err, RertStrbuf *sb, const char *s);
/** Append formatted text. */
RERT_API bool
rert_strbuf_printf(RertError *err, RertStrbuf *sb, const char *fmt, ...)
    RERT_PRINTF(3, 4);
/** Take the string (never NULL on success: "" when empty); the buffer is
 * reset. Ownership: new, rert_free(). */
RERT_API char *rert_strbuf_take(RertError *err, RertStrbuf *sb);

/* ---- limits for untrusted input */

/** Safety limits applied by every parser; see rert_limits_default(). */
typedef struct RertLimits {
    size_t max_file_bytes;     /**< default 2 GiB */
    size_t max_voxels;         /**< default 1.5e9 */
    size_t max_element_bytes;  /**< default 2 GiB */
    size_t max_sequence_depth; /**< default 32 */
    size_t max_elements;       /**< per file, default 4,000,000 */
    size_t max_rois;           /**< default 10,000 */
    size_t max_contour_points; /**< per contour, default 10,000,000 */
    size_t max_inflated_bytes; /**< deflate output, default 4 GiB */
} RertLimits;

/** The conservative defaults. */
RERT_API RertLimits rert_limits_default(void);

/* ---- logging: one handler, set once before other calls */

typedef enum RertLogLevel {
    RERT_LOG_ERROR = 0,
    RERT_LOG_WARNING,
    RERT_LOG_INFO,
    RERT_LOG_DEBUG,
} RertLogLevel;

typedef void (*RertLogFn)(RertLogLevel level, const char *message, void *user);

/** Install the log handler (NULL = discard). Threads: call before any
 * other rert function; not thread safe. */
RERT_API void rert_log_set_handler(RertLogFn fn, void *user);
/** Emit a log message through the handler, if any. */
RERT_API void rert_log(RertLogLevel level, const char *fmt, ...)
    RERT_PRINTF(2, 3);

/** Library version string, e.g. "0.1.0". */
RERT_API const char *rert_version(void);
/** True when built with OpenMP. */
RERT_API bool rert_has_openmp(void);
/** Number of threads voxel kernels will use (1 without OpenMP). */
RERT_API int rert_thread_count(void);

#endif
