/**
 * @file io.h
 * Bounded reading ("exactly N bytes or fail") over memory, whole-file
 * loading with a size limit, and atomic writes (temp file + rename).
 */
#ifndef RERT_IO_H
#define RERT_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rert/error.h>

/**
 * A cursor over a byte range in memory. Transparent so parsers can keep it
 * on the stack; fields are read-only for callers, change them only through
 * the functions below.
 */
typedef struct RertReader {
    const uint8_t *data; /**< borrowed */
    size_t size;         /**< total bytes */
    size_t pos;          /**< next byte to read */
    const char *name;    /**< file name for messages (borrowed), or "memory" */
} RertReader;

/** Init a reader over @p size bytes at @p data (borrowed). */
RERT_API void rert_reader_init(RertReader *r,
                               const void *data,
                               size_t size,
                               const char *name);
/** Bytes left. */
RERT_API size_t rert_reader_remaining(const RertReader *r);
/** Copy exactly @p n bytes or fail (PARSE, naming file and offset). */
RERT_API bool
rert_reader_read(RertError *err, RertReader *r, void *out, size_t n);
/** Borrow a pointer to the next @p n bytes and advance, or fail. */
RERT_API bool rert_reader_borrow(RertError *err,
                                 RertReader *r,
                                 size_t n,
                                 const uint8_t **out);
/** Skip exactly @p n bytes or fail. */
RERT_API bool rert_reader_skip(RertError *err, RertReader *r, size_t n);
/** Little-endian / big-endian fixed-width reads. */
RERT_API bool
rert_reader_u16(RertError *err, RertReader *r, bool big_endian, uint16_t *out);
RERT_API bool
rert_reader_u32(RertError *err, RertReader *r, bool big_endian, uint32_t *out);

/** A whole file in memory. */
typedef struct RertBytes {
    uint8_t *data; /**< owned; rert_bytes_clear() frees it */
    size_t size;
} RertBytes;

/**
 * Read the whole file at @p path, failing with LIMIT when it is larger than
 * @p max_bytes. Errors: IO (naming the path and errno text), LIMIT, NOMEM.
 * Ownership: @p out owns the data; free with rert_bytes_clear().
 */
RERT_API bool rert_file_load(RertError *err,
                             const char *path,
                             size_t max_bytes,
                             RertBytes *out);
/** Free the bytes. */
RERT_API void rert_bytes_clear(RertBytes *bytes);

/** A whole file, read-only: mapped into memory when the system allows,
 * otherwise read into a rert buffer. Fields are read-only for callers. */
typedef struct RertFileView {
    const uint8_t *data; /**< the file's bytes; valid until cleared */
    size_t size;
    void *mapping;  /**< private: the mapping, or NULL */
    uint8_t *owned; /**< private: the buffer when read, or NULL */
} RertFileView;

/**
 * View the whole file at @p path without copying it when possible (a
 * private read-only mapping; regular files only). @p will_read_all asks
 * the system to bring every page in at once (for a full parse), otherwise
 * pages are read as they are touched (header-only parsing reads only the
 * first pages). Falls back to rert_file_load() when mapping fails.
 * Truncating the file while it is mapped is outside the contract (the
 * process may receive SIGBUS), as with any mapped reader.
 * Errors: as rert_file_load(). Ownership: @p out owns the view; release
 * with rert_file_view_clear(). Threads: safe on distinct views.
 */
RERT_API bool rert_file_view_load(RertError *err,
                                  const char *path,
                                  size_t max_bytes,
                                  bool will_read_all,
                                  RertFileView *out);
/** Release the view (unmap or free). NULL and cleared views are allowed. */
RERT_API void rert_file_view_clear(RertFileView *view);

/**
 * Write @p size bytes to @p path atomically: write "<path>.tmp.<pid>",
 * fsync, rename over @p path. On failure the temp file is removed and any
 * existing @p path is untouched.
 */
RERT_API bool rert_file_save_atomic(RertError *err,
                                    const char *path,
                                    const void *data,
                                    size_t size);

/** Streamed atomic writer for outputs built piecewise. */
typedef struct RertAtomicFile RertAtomicFile;
/** Open a temp file beside @p path. Ownership: new; commit or abort it. */
RERT_API RertAtomicFile *rert_atomic_open(RertError *err, const char *path);
/** Append bytes. */
RERT_API bool rert_atomic_write(RertError *err,
                                RertAtomicFile *f,
                                const void *data,
                                size_t size);
/** Flush, fsync and rename into place; frees @p f whatever happens. */
RERT_API bool rert_atomic_commit(RertError *err, RertAtomicFile *f);
/** Remove the temp file and free @p f. NULL is allowed. */
RERT_API void rert_atomic_abort(RertAtomicFile *f);

/** True when @p path names a directory. */
RERT_API bool rert_path_is_dir(const char *path);

/** Callback for rert_dir_walk: return false to stop with an error already
 * set in @p err. */
typedef bool (*RertWalkFn)(RertError *err, const char *path, void *user);

/**
 * Call @p fn for every regular file under @p dir (recursive, sorted by name
 * within each folder, symlinks to folders not followed, at most @p max_depth
 * levels and @p max_files files).
 */
RERT_API bool rert_dir_walk(RertError *err,
                            const char *dir,
                            size_t max_depth,
                            size_t max_files,
                            RertWalkFn fn,
                            void *user);

#endif
