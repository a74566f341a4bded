/* The log handler, version and build features. */
#include <stdio.h>

#include <rert/core.h>

#include "rert_config.h"

#ifdef RERT_HAVE_OPENMP
#include <omp.h>
#endif

static RertLogFn log_fn;
static void *log_user;

void rert_log_set_handler(RertLogFn fn, void *user)
{
    log_fn = fn;
    log_user = user;
}

void rert_log(RertLogLevel level, const char *fmt, ...)
{
    if (log_fn == NULL) {
        return;
    }
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    log_fn(level, message, log_user);
}

RertLimits rert_limits_default(void)
{
    RertLimits limits = {
        .max_file_bytes = (size_t)2 << 30,
        .max_voxels = (size_t)1500000000,
        .max_element_bytes = (size_t)2 << 30,
        .max_sequence_depth = 32,
        .max_elements = 4000000,
        .max_rois = 10000,
        .max_contour_points = 10000000,
        .max_inflated_bytes = (size_t)4 << 30,
    };
    return limits;
}

const char *rert_version(void)
{
    return RERT_VERSION;
}

bool rert_has_openmp(void)
{
#ifdef RERT_HAVE_OPENMP
    return true;
#else
    return false;
#endif
}

int rert_thread_count(void)
{
#ifdef RERT_HAVE_OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}
