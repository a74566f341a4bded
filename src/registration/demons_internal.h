/* Private declarations shared by demons.c and demons_kernels.c. Never
 * installed. */
#ifndef RERT_REGISTRATION_DEMONS_INTERNAL_H
#define RERT_REGISTRATION_DEMONS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rert/geometry.h>

/* One resolution level. */
typedef struct DemonsLevel {
    RertGridGeometry geometry; /* of the level's fixed image */
    RertVolume *fixed;         /* block averages of the fixed image */
    RertVolume *moving;        /* block averages of the moving image */
    uint8_t *mask;             /* 1 where forces are computed */
    float *grad_fixed;         /* 3 per voxel, patient mm */
    size_t *counts;            /* per slice scratch */
    double sigma_x2;           /* mean squared spacing (mm^2) */
    double spacing_max_mm;
    double spacing_min_mm;
} DemonsLevel;

/* Warp the level's moving image through R (x + s(x)) into @p warped
 * (fixed value where the point leaves the moving image); returns the mean
 * squared difference over the mask. @p partial: one double per slice. */
double demons_warp(const DemonsLevel *lv,
                   const RertMat4 *rigid,
                   const float *s,
                   float *warped,
                   double *partial);

/* Symmetric demons forces inside the mask (zero elsewhere), each at most
 * @p max_mm long. */
void demons_forces(const DemonsLevel *lv,
                   const float *warped,
                   float *du,
                   double max_mm);

/* Gradient (patient mm) of a scalar image at voxel @p at. */
void demons_gradient(const RertGridGeometry *g,
                     const float *image,
                     const size_t at[3],
                     float out[3]);

/* out(x) = a(x) + b(x + a(x)). */
void demons_compose(const RertGridGeometry *g,
                    const float *a,
                    const float *b,
                    float *out);

/* du <- exp(du) by scaling and squaring; returns the squarings done. */
unsigned demons_exponentiate(const DemonsLevel *lv,
                             float *du,
                             float *tmp,
                             double *partial);

#endif
