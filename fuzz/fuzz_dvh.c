/* Fuzz target: planar contours -> DVH (rert_dvh_compute_many and every
 * metric). The bytes choose a small dose grid (at most 12 x 12 x 8, one of
 * eight patient orientations, a linear dose) and up to 3 ROIs of up to 8
 * polygons of up to 32 points: mostly on planes of constant z, sometimes
 * tilted, with repeated points, single points, zero areas, self-crossings,
 * huge or non-finite coordinates. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rert/core.h>
#include <rert/dvh.h>
#include <rert/geometry.h>

#define MAX_ROIS 3
#define MAX_POLYGONS 8
#define MAX_POINTS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Bytes {
    const uint8_t *data;
    size_t size;
    size_t pos;
} Bytes;

static uint8_t take(Bytes *b)
{
    return b->pos < b->size ? b->data[b->pos++] : 0;
}

/* A signed value in [-32, 31.75] mm, quarter-mm steps. */
static double take_mm(Bytes *b)
{
    return ((double)take(b) - 128.0) * 0.25;
}

/* Mostly small coordinates; sometimes absurd ones. */
static double take_coordinate(Bytes *b)
{
    uint8_t kind = take(b);
    if (kind < 248) {
        return take_mm(b);
    }
    static const double odd[8] = {1e300, -1e300, 1e20, -1e9,
                                  0.0,   1e-300, 0.0,  0.0};
    if (kind == 254) {
        return (double)NAN;
    }
    if (kind == 255) {
        return HUGE_VAL;
    }
    return odd[kind - 248];
}

static const double orientations[8][6] = {
    {1, 0, 0, 0, 1, 0},  {-1, 0, 0, 0, -1, 0}, {-1, 0, 0, 0, 1, 0},
    {1, 0, 0, 0, -1, 0}, {0, -1, 0, 1, 0, 0},  {0, 1, 0, -1, 0, 0},
    {0, 1, 0, 1, 0, 0},  {0, -1, 0, -1, 0, 0},
};

static RertVolume *make_dose(Bytes *b)
{
    size_t dims[3] = {1 + take(b) % 12u, 1 + take(b) % 12u, 1 + take(b) % 8u};
    double spacing[3], origin[3];
    for (int a = 0; a < 3; a++) {
        spacing[a] = 0.5 + 0.5 * (double)(take(b) % 8u);
        origin[a] = take_mm(b);
    }
    const double *iop = orientations[take(b) % 8u];
    double dir[9] = {iop[0], iop[1], iop[2], iop[3], iop[4], iop[5]};
    dir[6] = iop[1] * iop[5] - iop[2] * iop[4];
    dir[7] = iop[2] * iop[3] - iop[0] * iop[5];
    dir[8] = iop[0] * iop[4] - iop[1] * iop[3];
    RertGridGeometry g;
    if (!rert_grid_geometry_make(NULL, dims, origin, spacing, dir, 0, &g)) {
        return NULL;
    }
    RertVolume *v = rert_volume_create(NULL, &g);
    if (v == NULL) {
        return NULL;
    }
    float *d = rert_volume_data(v);
    double slope = (double)take(b) * 0.5;
    for (size_t i = 0; i < rert_grid_voxel_count(&g); i++) {
        d[i] = (float)(slope * (double)(i % 97u));
    }
    return v;
}

typedef struct Roi {
    RertPolygon polygons[MAX_POLYGONS];
    RertVec3 points[MAX_POLYGONS][MAX_POINTS];
    size_t count;
} Roi;

static void make_roi(Bytes *b, Roi *r)
{
    r->count = take(b) % (MAX_POLYGONS + 1u);
    for (size_t p = 0; p < r->count; p++) {
        size_t n = take(b) % (MAX_POINTS + 1u);
        double z = take_mm(b);
        bool tilted = take(b) == 7;
        for (size_t i = 0; i < n; i++) {
            r->points[p][i].x = take_coordinate(b);
            r->points[p][i].y = take_coordinate(b);
            r->points[p][i].z = tilted ? z + 0.1 * (double)i : z;
        }
        r->polygons[p].points_mm = r->points[p];
        r->polygons[p].count = n;
    }
}

static void exercise(const RertDvh *d)
{
    static const char *names[] = {"Dmin",  "Dmean",   "Dmax",   "Volume",
                                  "D95%",  "D0.03cc", "V1Gy",   "V2Gy%",
                                  "D100%", "D0%",     "D1e9cc", "V0Gy"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        RertDvhMetric m;
        if (rert_dvh_metric_parse(NULL, names[i], &m)) {
            (void)rert_dvh_metric_compute(d, &m);
        }
    }
    double *dose = NULL, *vol = NULL;
    size_t n = 0;
    if (rert_dvh_curve_compute(NULL, d, 0.5, &dose, &vol, &n)) {
        rert_free(dose);
        rert_free(vol);
    }
    for (size_t i = 0; i < rert_dvh_warning_count(d); i++) {
        (void)strlen(rert_dvh_warning(d, i));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Bytes b = {data, size, 0};
    RertVolume *dose = make_dose(&b);
    if (dose == NULL) {
        return 0;
    }
    static Roi rois[MAX_ROIS];
    RertDvhRoi in[MAX_ROIS];
    size_t nroi = 1 + take(&b) % MAX_ROIS;
    for (size_t r = 0; r < nroi; r++) {
        make_roi(&b, &rois[r]);
        in[r].polygons = rois[r].polygons;
        in[r].count = rois[r].count;
    }
    RertDvhOptions o = rert_dvh_options_default();
    o.end_caps =
        (take(&b) & 1u) ? RERT_DVH_END_CAPS_NONE : RERT_DVH_END_CAPS_HALF;
    o.target_samples = 2000;
    o.max_samples = 2000000;
    RertDvh *dvhs[MAX_ROIS];
    RertError errs[MAX_ROIS];
    if (rert_dvh_compute_many(NULL, dose, in, nroi, &o, dvhs, errs)) {
        for (size_t r = 0; r < nroi; r++) {
            if (dvhs[r] != NULL) {
                exercise(dvhs[r]);
            }
            rert_dvh_destroy(dvhs[r]);
        }
    }
    rert_volume_destroy(dose);
    return 0;
}
