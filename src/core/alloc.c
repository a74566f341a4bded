/* Checked allocation: the only file that calls malloc/free. Each block
 * carries a small header with its size, for peak-memory accounting. */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rert/core.h>

/* Header in front of every block: keeps the user pointer 64-byte aligned
 * so voxel buffers and ordinary blocks share one free(). */
#define HEADER_BYTES ((size_t)64)

static size_t fail_countdown; /* test hook only, see rert_alloc_fail_at */
static size_t current_bytes;
static size_t peak_bytes;

void rert_alloc_fail_at(size_t nth)
{
    fail_countdown = nth;
}

size_t rert_alloc_peak_bytes(void)
{
    return peak_bytes;
}

static bool should_fail(void)
{
    if (fail_countdown == 0) {
        return false;
    }
    fail_countdown--;
    return fail_countdown == 0;
}

static void account(size_t add, size_t sub)
{
#ifdef RERT_HAVE_OPENMP
#pragma omp critical(rert_alloc_account)
#endif
    {
        current_bytes = current_bytes + add - sub;
        if (current_bytes > peak_bytes) {
            peak_bytes = current_bytes;
        }
    }
}

static void *block_alloc(RertError *err, size_t size, bool zero)
{
    size_t total;
    if (size == 0) {
        size = 1;
    }
    if (__builtin_add_overflow(size, HEADER_BYTES, &total)) {
        rert_error_set(err, RERT_ERR_LIMIT,
                       "allocation of %zu bytes overflows size_t", size);
        return NULL;
    }
    if (should_fail()) {
        rert_error_set(err, RERT_ERR_NOMEM,
                       "out of memory allocating %zu bytes (injected)", size);
        return NULL;
    }
    /* Round up to the alignment so aligned_alloc accepts the size. */
    size_t rounded = (total + HEADER_BYTES - 1) / HEADER_BYTES * HEADER_BYTES;
    unsigned char *base = aligned_alloc(HEADER_BYTES, rounded);
    if (base == NULL) {
        rert_error_set(err, RERT_ERR_NOMEM,
                       "out of memory allocating %zu bytes", size);
        return NULL;
    }
    if (zero) {
        memset(base + HEADER_BYTES, 0, size);
    }
    memcpy(base, &size, sizeof size);
    account(size, 0);
    return base + HEADER_BYTES;
}

void *rert_alloc(RertError *err, size_t size)
{
    return block_alloc(err, size, false);
}

void *rert_calloc(RertError *err, size_t n, size_t size)
{
    size_t total;
    if (!rert_mul_size(err, n, size, &total)) {
        return NULL;
    }
    return block_alloc(err, total, true);
}

void *rert_alloc_voxels(RertError *err, size_t n, size_t size)
{
    return rert_calloc(err, n, size);
}

static size_t block_size(const void *ptr)
{
    size_t size;
    memcpy(&size, (const unsigned char *)ptr - HEADER_BYTES, sizeof size);
    return size;
}

void rert_free(void *ptr)
{
    if (ptr == NULL) {
        return;
    }
    account(0, block_size(ptr));
    free((unsigned char *)ptr - HEADER_BYTES);
}

void *rert_realloc_array(RertError *err, void *ptr, size_t n, size_t size)
{
    size_t total;
    if (!rert_mul_size(err, n, size, &total)) {
        return NULL;
    }
    void *fresh = block_alloc(err, total, false);
    if (fresh == NULL) {
        return NULL;
    }
    if (ptr != NULL) {
        size_t old = block_size(ptr);
        memcpy(fresh, ptr, old < total ? old : total);
        rert_free(ptr);
    }
    return fresh;
}

char *rert_strndup(RertError *err, const char *s, size_t n)
{
    size_t total;
    if (!rert_add_size(err, n, 1, &total)) {
        return NULL;
    }
    char *copy = rert_alloc(err, total);
    if (copy == NULL) {
        return NULL;
    }
    if (n > 0) {
        memcpy(copy, s, n);
    }
    copy[n] = '\0';
    return copy;
}

char *rert_strdup(RertError *err, const char *s)
{
    return rert_strndup(err, s, strlen(s));
}
