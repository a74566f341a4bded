/* Whole-file loading with a size limit (read, or mapped without a copy),
 * atomic writes, folder walking. */
/* MAP_POPULATE is a Linux extension: glibc shows it with _DEFAULT_SOURCE. */
#define _DEFAULT_SOURCE 1
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rert/core.h>
#include <rert/io.h>

/* Open @p path as a regular file of at most @p max_bytes; -1 on error. */
static int
open_regular(RertError *err, const char *path, size_t max_bytes, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rert_error_set(err, RERT_ERR_IO, "%s: cannot open: %s", path,
                       strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        rert_error_set(err, RERT_ERR_IO, "%s: not a regular file", path);
        return -1;
    }
    *size = (size_t)st.st_size;
    if (*size > max_bytes) {
        close(fd);
        rert_error_set(err, RERT_ERR_LIMIT, "%s: file is %zu bytes, limit %zu",
                       path, *size, max_bytes);
        return -1;
    }
    return fd;
}

bool rert_file_load(RertError *err,
                    const char *path,
                    size_t max_bytes,
                    RertBytes *out)
{
    out->data = NULL;
    out->size = 0;
    size_t size = 0;
    int fd = open_regular(err, path, max_bytes, &size);
    if (fd < 0) {
        return false;
    }
    uint8_t *data = rert_alloc(err, size);
    if (data == NULL) {
        close(fd);
        return false;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, data + got, size - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            int e = n < 0 ? errno : 0;
            close(fd);
            rert_free(data);
            return rert_error_set(
                err, RERT_ERR_IO, "%s: read failed after %zu of %zu bytes: %s",
                path, got, size, e != 0 ? strerror(e) : "file shrank");
        }
        got += (size_t)n;
    }
    close(fd);
    out->data = data;
    out->size = size;
    return true;
}

bool rert_file_view_load(RertError *err,
                         const char *path,
                         size_t max_bytes,
                         bool will_read_all,
                         RertFileView *out)
{
    memset(out, 0, sizeof *out);
    size_t size = 0;
    int fd = open_regular(err, path, max_bytes, &size);
    if (fd < 0) {
        return false;
    }
    void *map = MAP_FAILED;
    if (size > 0) {
        /* MAP_POPULATE (Linux) maps every page in one call: far cheaper
         * than one fault per page when the whole file will be read. */
        int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
        flags |= will_read_all ? MAP_POPULATE : 0;
#else
        (void)will_read_all;
#endif
        map = mmap(NULL, size, PROT_READ, flags, fd, 0);
    }
    close(fd);
    if (map != MAP_FAILED) {
        out->mapping = map;
        out->data = map;
        out->size = size;
        return true;
    }
    /* Empty files, or file systems without mmap: read it. */
    RertBytes bytes = {NULL, 0};
    if (!rert_file_load(err, path, max_bytes, &bytes)) {
        return false;
    }
    out->owned = bytes.data;
    out->data = bytes.data;
    out->size = bytes.size;
    return true;
}

void rert_file_view_clear(RertFileView *view)
{
    if (view == NULL) {
        return;
    }
    if (view->mapping != NULL) {
        (void)munmap(view->mapping, view->size);
    }
    rert_free(view->owned);
    memset(view, 0, sizeof *view);
}

void rert_bytes_clear(RertBytes *bytes)
{
    if (bytes == NULL) {
        return;
    }
    rert_free(bytes->data);
    bytes->data = NULL;
    bytes->size = 0;
}

struct RertAtomicFile {
    int fd;
    char *path;
    char *tmp_path;
};

RertAtomicFile *rert_atomic_open(RertError *err, const char *path)
{
    RertAtomicFile *f = rert_calloc(err, 1, sizeof *f);
    if (f == NULL) {
        return NULL;
    }
    f->fd = -1;
    RertStrbuf sb;
    rert_strbuf_init(&sb, 8192);
    if (!rert_strbuf_printf(err, &sb, "%s.tmp.%ld", path, (long)getpid())) {
        rert_strbuf_clear(&sb);
        rert_free(f);
        return NULL;
    }
    f->tmp_path = rert_strbuf_take(err, &sb);
    f->path = rert_strdup(err, path);
    if (f->tmp_path == NULL || f->path == NULL) {
        rert_free(f->tmp_path);
        rert_free(f->path);
        rert_free(f);
        return NULL;
    }
    f->fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        rert_error_set(err, RERT_ERR_IO, "%s: cannot create: %s", f->tmp_path,
                       strerror(errno));
        rert_free(f->tmp_path);
        rert_free(f->path);
        rert_free(f);
        return NULL;
    }
    return f;
}

bool rert_atomic_write(RertError *err,
                       RertAtomicFile *f,
                       const void *data,
                       size_t size)
{
    const uint8_t *p = data;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(f->fd, p + done, size - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return rert_error_set(err, RERT_ERR_IO, "%s: write failed: %s",
                                  f->tmp_path, strerror(errno));
        }
        done += (size_t)n;
    }
    return true;
}

void rert_atomic_abort(RertAtomicFile *f)
{
    if (f == NULL) {
        return;
    }
    if (f->fd >= 0) {
        close(f->fd);
    }
    (void)unlink(f->tmp_path);
    rert_free(f->tmp_path);
    rert_free(f->path);
    rert_free(f);
}

bool rert_atomic_commit(RertError *err, RertAtomicFile *f)
{
    if (fsync(f->fd) != 0) {
        rert_error_set(err, RERT_ERR_IO, "%s: fsync failed: %s", f->tmp_path,
                       strerror(errno));
        rert_atomic_abort(f);
        return false;
    }
    int rc = close(f->fd);
    f->fd = -1;
    if (rc != 0) {
        rert_error_set(err, RERT_ERR_IO, "%s: close failed: %s", f->tmp_path,
                       strerror(errno));
        rert_atomic_abort(f);
        return false;
    }
    if (rename(f->tmp_path, f->path) != 0) {
        rert_error_set(err, RERT_ERR_IO, "%s: rename to %s failed: %s",
                       f->tmp_path, f->path, strerror(errno));
        rert_atomic_abort(f);
        return false;
    }
    rert_free(f->tmp_path);
    rert_free(f->path);
    rert_free(f);
    return true;
}

bool rert_file_save_atomic(RertError *err,
                           const char *path,
                           const void *data,
                           size_t size)
{
    RertAtomicFile *f = rert_atomic_open(err, path);
    if (f == NULL) {
        return false;
    }
    if (!rert_atomic_write(err, f, data, size)) {
        rert_atomic_abort(f);
        return false;
    }
    return rert_atomic_commit(err, f);
}

bool rert_path_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

typedef struct Walk {
    size_t max_depth;
    size_t max_files;
    size_t files;
    RertWalkFn fn;
    void *user;
} Walk;

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool walk_dir(RertError *err, Walk *w, const char *dir, size_t depth);

/* Recursion (through walk_dir) is bounded by w->max_depth. */
// NOLINTNEXTLINE(misc-no-recursion): depth <= w->max_depth, see walk_dir
static bool walk_entry(RertError *err, Walk *w, const char *path, size_t depth)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        return true; /* vanished: skip */
    }
    if (S_ISDIR(st.st_mode)) {
        return walk_dir(err, w, path, depth + 1);
    }
    if (S_ISLNK(st.st_mode) && (stat(path, &st) != 0 || !S_ISREG(st.st_mode))) {
        return true; /* links to folders are not followed */
    }
    if (!S_ISREG(st.st_mode)) {
        return true;
    }
    if (++w->files > w->max_files) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "%s: more than %zu files under the folder", path,
                              w->max_files);
    }
    return w->fn(err, path, w->user);
}

/* Recursion depth is bounded by w->max_depth. */
// NOLINTNEXTLINE(misc-no-recursion): depth <= w->max_depth, checked first
static bool walk_dir(RertError *err, Walk *w, const char *dir, size_t depth)
{
    if (depth > w->max_depth) {
        return rert_error_set(err, RERT_ERR_LIMIT,
                              "%s: folders nested deeper than %zu", dir,
                              w->max_depth);
    }
    DIR *d = opendir(dir);
    if (d == NULL) {
        return rert_error_set(err, RERT_ERR_IO, "%s: cannot open folder: %s",
                              dir, strerror(errno));
    }
    char **names = NULL;
    size_t count = 0;
    size_t cap = 0;
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue; /* ., .. and hidden files */
        }
        if (count == cap) {
            size_t ncap = cap == 0 ? 32 : cap * 2;
            char **grown = rert_realloc_array(err, names, ncap, sizeof *names);
            if (grown == NULL) {
                ok = false;
                break;
            }
            names = grown;
            cap = ncap;
        }
        RertStrbuf sb;
        rert_strbuf_init(&sb, 16384);
        ok = rert_strbuf_printf(err, &sb, "%s/%s", dir, e->d_name);
        names[count] = ok ? rert_strbuf_take(err, &sb) : NULL;
        rert_strbuf_clear(&sb);
        ok = ok && names[count] != NULL;
        if (ok) {
            count++;
        }
    }
    closedir(d);
    if (ok && count > 1) {
        qsort(names, count, sizeof *names, compare_names);
    }
    for (size_t i = 0; ok && i < count; i++) {
        ok = walk_entry(err, w, names[i], depth);
    }
    for (size_t i = 0; i < count; i++) {
        rert_free(names[i]);
    }
    rert_free(names);
    return ok;
}

bool rert_dir_walk(RertError *err,
                   const char *dir,
                   size_t max_depth,
                   size_t max_files,
                   RertWalkFn fn,
                   void *user)
{
    Walk w = {max_depth, max_files, 0, fn, user};
    return walk_dir(err, &w, dir, 0);
}
