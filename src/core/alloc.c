/* Checked allocation: the only file that calls malloc/free. Each block
 * carries a small header with its size, for peak-memory accounting. */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rert/core.h>

/* Header in front of every block: the user pointer is 64-byte aligned, so
 * voxel buffers and ordinary blocks share one free(). The header holds the
 * block size and the distance back to the pointer malloc/calloc returned.
 * Blocks come from plain malloc/calloc (not aligned_alloc) so that zeroed
 * blocks use calloc, which skips clearing memory fresh from the kernel
 * (large voxel grids): the grid is then written once, not twice. */
#define HEADER_BYTES ((size_t)64)
#define ALIGN_BYTES ((size_t)64)

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
    /* header, then up to ALIGN_BYTES - 1 bytes to reach the alignment */
    if (__builtin_add_overflow(size, HEADER_BYTES + ALIGN_BYTES, &total)) {
        rert_error_set(err, RERT_ERR_LIMIT,
                       "allocation of %zu bytes overflows size_t", size);
        return NULL;
    }
    if (should_fail()) {
        rert_error_set(err, RERT_ERR_NOMEM,
                       "out of memory allocating %zu bytes (injected)", size);
        return NULL;
    }
    unsigned char *base = zero ? calloc(1, total) : malloc(total);
    if (base == NULL) {
        rert_error_set(err, RERT_ERR_NOMEM,
                       "out of memory allocating %zu bytes", size);
        return NULL;
    }
    uintptr_t first = (uintptr_t)base + HEADER_BYTES;
    size_t offset = HEADER_BYTES +
                    (size_t)((ALIGN_BYTES - first % ALIGN_BYTES) % ALIGN_BYTES);
    unsigned char *user = base + offset;
    memcpy(user - HEADER_BYTES, &size, sizeof size);
    memcpy(user - HEADER_BYTES + sizeof size, &offset, sizeof offset);
    account(size, 0);
    return user;
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

static size_t block_offset(const void *ptr)
{
    size_t offset;
    memcpy(&offset, (const unsigned char *)ptr - HEADER_BYTES + sizeof(size_t),
           sizeof offset);
    return offset;
}

void rert_free(void *ptr)
{
    if (ptr == NULL) {
        return;
    }
    account(0, block_size(ptr));
    free((unsigned char *)ptr - block_offset(ptr));
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
