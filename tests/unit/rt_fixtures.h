/* Data set building helpers shared by the RT unit tests (test_rt.c,
 * test_rt_objects.c). */
#ifndef RERT_TEST_RT_FIXTURES_H
#define RERT_TEST_RT_FIXTURES_H

#include <stdio.h>

#include <rert/dicom.h>
#include <rert/geometry.h>

#include "rert_test.h"

#define TAG(g, e) RERT_TAG(g, e)

/* ---- data set building helpers */

static inline RertDataset *new_ds(void)
{
    RertDataset *ds = rert_dataset_create(NULL);
    assert_non_null(ds);
    return ds;
}

static inline void
put(RertDataset *ds, uint32_t tag, const char *vr, const char *value)
{
    assert_true(rert_dataset_set_string(NULL, ds, tag, vr, value));
}

static inline void
put_ds(RertDataset *ds, uint32_t tag, const double *v, size_t n)
{
    assert_true(rert_dataset_set_ds(NULL, ds, tag, v, n));
}

static inline void put_us(RertDataset *ds, uint32_t tag, uint16_t v)
{
    assert_true(rert_dataset_set_u16(NULL, ds, tag, &v, 1));
}

static inline void put_is(RertDataset *ds, uint32_t tag, long v)
{
    assert_true(rert_dataset_set_is(NULL, ds, tag, &v, 1));
}

static inline double voxel(const RertVolume *v, size_t i, size_t j, size_t k)
{
    const RertGridGeometry *g = rert_volume_geometry(v);
    return (double)rert_volume_data_const(v)[rert_grid_index(g, i, j, k)];
}

/* @p rel under the shared data folder (skips the test when absent). */
static inline void shared_path(char *out, size_t size, const char *rel)
{
    (void)snprintf(out, size, "%s/%s", rert_test_require_shared_data(), rel);
}

#endif
