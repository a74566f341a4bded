/* Unit tests: bounded reader, file loading limits, atomic writes. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rert/core.h>
#include <rert/io.h>

#include "rert_test.h"

static void test_reader_bounds(void **state)
{
    (void)state;
    RertError err;
    const uint8_t data[] = {0x01, 0x02, 0x03, 0x04, 0x05};
    RertReader r;
    rert_reader_init(&r, data, sizeof data, "x.dcm");
    uint16_t u16 = 0;
    uint32_t u32 = 0;
    assert_true(rert_reader_u16(&err, &r, false, &u16));
    assert_int_equal(u16, 0x0201);
    assert_false(rert_reader_u32(&err, &r, true, &u32));
    assert_int_equal(err.code, RERT_ERR_PARSE);
    assert_non_null(strstr(err.message, "x.dcm"));
    assert_non_null(strstr(err.message, "offset 2"));
    assert_int_equal(r.pos, 2); /* a failed read consumes nothing */
    assert_true(rert_reader_skip(&err, &r, 3));
    assert_int_equal(rert_reader_remaining(&r), 0);
}

static void test_atomic_save_and_load(void **state)
{
    (void)state;
    RertError err;
    char path[512];
    (void)snprintf(path, sizeof path, "%s/out.bin", rert_test_tmpdir());
    assert_true(rert_file_save_atomic(&err, path, "hello", 5));
    RertBytes bytes;
    assert_true(rert_file_load(&err, path, 100, &bytes));
    assert_int_equal(bytes.size, 5);
    assert_memory_equal(bytes.data, "hello", 5);
    rert_bytes_clear(&bytes);
    assert_false(rert_file_load(&err, path, 4, &bytes));
    assert_int_equal(err.code, RERT_ERR_LIMIT);

    /* An aborted write leaves the old file untouched and no temp file. */
    RertAtomicFile *f = rert_atomic_open(&err, path);
    assert_non_null(f);
    assert_true(rert_atomic_write(&err, f, "partial", 7));
    rert_atomic_abort(f);
    assert_true(rert_file_load(&err, path, 100, &bytes));
    assert_memory_equal(bytes.data, "hello", 5);
    rert_bytes_clear(&bytes);
    char tmp[600];
    (void)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    struct stat st;
    assert_int_not_equal(stat(tmp, &st), 0);
}

static void test_missing_file(void **state)
{
    (void)state;
    RertError err;
    RertBytes bytes;
    assert_false(rert_file_load(&err, "/nonexistent/rt.dcm", 100, &bytes));
    assert_int_equal(err.code, RERT_ERR_IO);
    assert_non_null(strstr(err.message, "/nonexistent/rt.dcm"));
}

static bool count_file(RertError *err, const char *path, void *user)
{
    (void)err;
    (void)path;
    (*(size_t *)user)++;
    return true;
}

static void test_dir_walk(void **state)
{
    (void)state;
    RertError err;
    char dir[512];
    char sub[600];
    char file[700];
    (void)snprintf(dir, sizeof dir, "%s/walk", rert_test_tmpdir());
    (void)snprintf(sub, sizeof sub, "%s/a", dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(mkdir(sub, 0755), 0);
    (void)snprintf(file, sizeof file, "%s/1.dcm", sub);
    assert_true(rert_file_save_atomic(&err, file, "x", 1));
    (void)snprintf(file, sizeof file, "%s/2.dcm", dir);
    assert_true(rert_file_save_atomic(&err, file, "x", 1));
    size_t n = 0;
    assert_true(rert_dir_walk(&err, dir, 8, 100, count_file, &n));
    assert_int_equal(n, 2);
    n = 0;
    assert_false(rert_dir_walk(&err, dir, 8, 1, count_file, &n));
    assert_int_equal(err.code, RERT_ERR_LIMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader_bounds),
        cmocka_unit_test(test_atomic_save_and_load),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_dir_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
