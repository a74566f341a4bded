/* Private declarations shared by the DVH engine files. Never installed. */
#ifndef RERT_DVH_INTERNAL_H
#define RERT_DVH_INTERNAL_H

#include <stdint.h>

#include <rert/core.h>
#include <rert/dvh.h>

/* Contour points may leave their z plane by this much (mm); polygons whose
 * z differ by no more than this share a plane. */
#define DVH_Z_TOLERANCE_MM 0.01
/* A spacing between consecutive planes larger than this many times the
 * median spacing is a gap: the planes beside it get end caps. */
#define DVH_GAP_FACTOR 2.5
/* Exponent range of the fitted end profile A(s) ~ s^p (docs/dvh.md). */
#define DVH_END_POWER_MIN 0.25
#define DVH_END_POWER_MAX 4.0
/* Polygons with |area| below this (mm^2) are ignored as degenerate. */
#define DVH_MIN_AREA_MM2 1e-9
/* Warnings kept per ROI. */
#define DVH_MAX_WARNINGS 16

/* One dose sample: its dose and the volume it stands for. */
typedef struct DvhSample {
    float dose_gy;
    float weight_cc;
} DvhSample;

/* One contour plane of a ROI and its slab. */
typedef struct DvhPlane {
    double z_mm;
    double zlo_mm;    /* slab bottom (end cap included) */
    double zhi_mm;    /* slab top */
    size_t first;     /* first entry in DvhRoiWork.order */
    size_t count;     /* polygons on this plane */
    size_t layers;    /* sub-layers of the slab */
    int64_t row0;     /* first sample row (sub-grid index) */
    size_t rows;      /* sample rows covering the plane's bounding box */
    size_t crossings; /* edge/row crossings: scratch needed */
    size_t inside_xy; /* in-plane samples inside (pass 1) */
    size_t offset;    /* first sample of this plane in the ROI's array */
    double area_mm2;  /* even-odd area of the plane's polygons */
    double weight_cc; /* volume of one whole sample cell */
} DvhPlane;

/* Sample grid in the contour planes: sample (c, r) sits at
 * (x0 + (c + 0.5) hx, y0 + (r + 0.5) hy). */
typedef struct DvhGrid {
    double x0_mm;
    double y0_mm;
    double hx_mm;
    double hy_mm;
} DvhGrid;

/* Everything the engine keeps about one ROI while computing. */
typedef struct DvhRoiWork {
    const RertPolygon *polygons; /* borrowed input */
    size_t count;
    size_t *order; /* usable polygon indices sorted by z */
    size_t usable;
    DvhPlane *planes;
    size_t plane_count;
    DvhGrid grid;
    unsigned subsamples;   /* in-plane sub-grid cells per dose voxel side */
    unsigned z_subsamples; /* sub-layers per dose voxel along z */
    double contour_cc;
    double outside_cc; /* sampled volume outside the dose grid */
    size_t samples;    /* total samples */
    DvhSample *sample; /* samples (then sorted) */
    void *spare;       /* same size: radix scratch, then cumulative */
    bool failed;
    RertError error;
    char *warnings[DVH_MAX_WARNINGS];
    size_t warning_count;
} DvhRoiWork;

/* What the sampler needs to know about the dose grid. */
typedef struct DvhDoseInfo {
    const RertGridGeometry *geometry;
    const float *data;
    double sx_mm; /* sample-grid alignment spacing along patient x */
    double sy_mm;
    double sz_mm; /* dose spacing along patient z */
    double x0_mm; /* a voxel boundary along x (alignment origin) */
    double y0_mm;
    bool is_axis_aligned;
} DvhDoseInfo;

struct RertDvh {
    double volume_cc;
    double contour_cc;
    double outside_cc;
    double mean_gy;
    size_t n;          /* samples */
    DvhSample *sample; /* sorted by ascending dose */
    double *above_cc;  /* above_cc[i]: volume of the samples after i */
    size_t plane_count;
    unsigned subsamples;
    char *warnings[DVH_MAX_WARNINGS];
    size_t warning_count;
};

/* prepare.c: validate polygons, build planes and slabs, choose the
 * sub-sampling. Serial; failures land in w->error with w->failed set
 * (false is returned only for NOMEM, which concerns everything). */
bool dvh_roi_prepare(RertError *err,
                     DvhRoiWork *w,
                     const DvhDoseInfo *dose,
                     const RertDvhOptions *options);
void dvh_roi_work_clear(DvhRoiWork *w);
/* Append a formatted warning to @p w (dropped past DVH_MAX_WARNINGS). */
bool dvh_warn(RertError *err, DvhRoiWork *w, const char *fmt, ...)
    RERT_PRINTF(3, 4);
bool dvh_dose_info(RertError *err, const RertVolume *dose, DvhDoseInfo *out);

/* sample.c: crossings of one plane's sample rows; fills row_start
 * (rows + 1 entries) and xs (sorted per row). Pure, no allocation. */
void dvh_plane_crossings(const DvhRoiWork *w,
                         const DvhPlane *p,
                         size_t *row_start,
                         double *xs);

/* histogram.c: sort the samples of @p w and build the DVH from them. */
void dvh_sort_samples(DvhRoiWork *w);
RertDvh *dvh_build(RertError *err, DvhRoiWork *w);

#endif
