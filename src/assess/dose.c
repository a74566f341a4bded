/* Every voxel course to EQD2 on its own grid with its own fractions, then
 * mapped onto the reference grid (docs/assessment.md, "Doses"). Physical
 * dose is never summed: each course is converted first (science s2.2). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The dose that enters the LQ model: stored dose x constant RBE, or the
 * LET-weighted dose for a photon alpha/beta of @p ab_gy. */
static RertVolume *effective_dose(RertError *err, const Course *k, double ab_gy)
{
    RertVolume *v = rert_volume_clone(err, rert_dose_volume(k->dose));
    if (v == NULL || (k->rbe == 1.0 && k->rbe_model == NULL)) {
        return v;
    }
    float *d = rert_volume_data(v);
    size_t n = rert_grid_voxel_count(rert_volume_geometry(v));
    if (k->rbe_model == NULL) {
        float f = (float)k->rbe;
        for (size_t i = 0; i < n; i++) {
            d[i] *= f;
        }
        return v;
    }
    float div = (float)k->rbe_divisor;
    for (size_t i = 0; i < n; i++) {
        d[i] /= div;
    }
    RertVolume *w = rert_volume_create(err, rert_volume_geometry(v));
    RertRbeParams p = rert_rbe_params_default();
    p.kind = RERT_RBE_LET_MODEL;
    p.model = k->rbe_model;
    p.n_fractions = (unsigned)k->fractions;
    p.ab_gy = ab_gy;
    if (w == NULL ||
        !rert_rbe_dose_compute(err, &p, d, rert_volume_data_const(k->let), n,
                               rert_volume_data(w), NULL, NULL)) {
        rert_volume_destroy(w);
        w = NULL;
    }
    rert_volume_destroy(v);
    return w;
}

static RertVolume *map_to_reference(RertError *err,
                                    RertAssessment *a,
                                    Course *k,
                                    const RertVolume *own)
{
    RertResampleStats stats;
    RertVolume *v =
        rert_volume_resample(err, own, &a->ref, k->to_course, 0.0f, &stats);
    k->outside_voxels = stats.outside_voxels;
    return v;
}

/* EQD2 at one alpha/beta everywhere, mapped. */
static bool course_uniform(RertError *err,
                           RertAssessment *a,
                           Course *k,
                           const RertVolume *dose,
                           size_t slot)
{
    RertBiodoseOptions o = rert_biodose_options_default();
    o.n_fractions = (unsigned)k->fractions;
    o.model = assess_model(a);
    o.ab_gy = a->ab[slot];
    RertVolume *own = rert_biodose_compute(err, dose, NULL, &o, NULL);
    if (own == NULL) {
        return false;
    }
    k->eqd2[slot] = map_to_reference(err, a, k, own);
    rert_volume_destroy(own);
    return k->eqd2[slot] != NULL;
}

/* The case's alpha/beta entries that name a ROI of this course, directly
 * or through the organ synonyms. */
static size_t course_assignments(const RertAssessment *a,
                                 const Course *k,
                                 RertAbAssignment *out,
                                 size_t max)
{
    const RertCaseAlphaBeta *ab = rert_case_alpha_beta(a->c);
    size_t n = 0;
    size_t rois = rert_structure_set_roi_count(k->structures);
    for (size_t r = 0; r < rois && n < max; r++) {
        const RertRoi *roi = rert_structure_set_roi_at(k->structures, r);
        if (rert_roi_status(roi) != RERT_OK) {
            continue;
        }
        size_t count = 0;
        (void)rert_roi_polygons(roi, &count);
        RertOrganMatch m =
            rert_organ_table_match(a->organs, rert_roi_name(roi));
        for (size_t e = 0; count > 0 && e < ab->entry_count; e++) {
            const char *name = ab->entries[e].name;
            RertOrganMatch em = rert_organ_table_match(a->organs, name);
            bool same =
                em.is_matched && m.is_matched && strcmp(em.organ, m.organ) == 0;
            if (same || assess_name_equal(name, rert_roi_name(roi))) {
                out[n].roi = rert_roi_name(roi);
                out[n].ab_gy = ab->entries[e].alpha_beta_gy;
                n++;
                break;
            }
        }
    }
    return n;
}

/* EQD2 with the case's per-ROI alpha/beta on this course's structures. */
static bool
course_map(RertError *err, RertAssessment *a, Course *k, const RertVolume *dose)
{
    enum { MAX_ASSIGN = 256 };
    RertAbAssignment assign[MAX_ASSIGN];
    RertBiodoseOptions o = rert_biodose_options_default();
    o.n_fractions = (unsigned)k->fractions;
    o.model = assess_model(a);
    o.default_ab_gy = rert_case_alpha_beta(a->c)->default_gy;
    size_t n = k->structures != NULL
                   ? course_assignments(a, k, assign, MAX_ASSIGN)
                   : 0;
    if (n == 0) {
        o.ab_gy = o.default_ab_gy;
        if (k->structures == NULL) {
            assess_warn(a,
                        "course '%s' has no RTSTRUCT: its EQD2 map uses the "
                        "default alpha/beta %g Gy everywhere (constraint "
                        "checks use each constraint's own alpha/beta)",
                        k->spec->name, o.ab_gy);
        }
    }
    o.assignments = assign;
    o.assignment_count = n;
    RertBiodoseReport report;
    RertVolume *own =
        rert_biodose_compute(err, dose, k->structures, &o, &report);
    if (own == NULL) {
        rert_error_prefix(err, "course '%s'", k->spec->name);
        return false;
    }
    (void)snprintf(k->ab_note, sizeof k->ab_note, "%s", report.comment);
    rert_biodose_report_clear(&report);
    k->eqd2_map = map_to_reference(err, a, k, own);
    rert_volume_destroy(own);
    return k->eqd2_map != NULL;
}

/* Which reference voxels map outside the course's dose grid: a grid of
 * ones resampled with 0 outside (1 inside: trilinear of a constant). */
static RertVolume *coverage(RertError *err, RertAssessment *a, Course *k)
{
    RertVolume *ones = rert_volume_create(
        err, rert_volume_geometry(rert_dose_volume(k->dose)));
    if (ones == NULL) {
        return NULL;
    }
    float *d = rert_volume_data(ones);
    size_t n = rert_grid_voxel_count(rert_volume_geometry(ones));
    for (size_t i = 0; i < n; i++) {
        d[i] = 1.0f;
    }
    RertVolume *v =
        rert_volume_resample(err, ones, &a->ref, k->to_course, 0.0f, NULL);
    rert_volume_destroy(ones);
    return v;
}

/* Per organ: the part of each planned ROI that lies outside the course's
 * dose grid takes 0 Gy prior dose there (not conservative). */
static bool warn_outside_rois(RertError *err, RertAssessment *a, Course *k)
{
    RertVolume *cov = coverage(err, a, k);
    if (cov == NULL) {
        return false;
    }
    const float *in = rert_volume_data_const(cov);
    size_t n = rert_grid_voxel_count(&a->ref);
    for (size_t r = 0; r < a->roi_count; r++) {
        const Roi *roi = &a->rois[r];
        if (roi->organ == NULL && !roi->is_target) {
            continue; /* body outline, helper structures */
        }
        size_t total = 0;
        size_t outside = 0;
        for (size_t i = 0; i < n; i++) {
            if ((double)roi->occupancy[i] >= ASSESS_INSIDE_FRAC) {
                total++;
                outside += in[i] < 0.5f ? 1U : 0U;
            }
        }
        if (outside == 0) {
            continue;
        }
        double pct = 100.0 * (double)outside / (double)total;
        assess_warn(a,
                    "%s: %.*f %% of its volume lies outside %s's dose grid "
                    "(%s dose 0 there: NOT conservative)",
                    roi->name, pct < 1.0 ? 1 : 0, pct, k->spec->name,
                    k->is_planned ? "planned" : "prior");
    }
    rert_volume_destroy(cov);
    return true;
}

bool assess_map_doses(RertError *err, RertAssessment *a)
{
    for (size_t i = 0; i < a->course_count; i++) {
        Course *k = &a->courses[i];
        assess_progress(a, "converting and mapping doses",
                        (double)i / (double)a->course_count);
        if (!k->has_voxels) {
            continue;
        }
        /* the per-ROI map uses the default alpha/beta for a LET-based RBE
         * (docs/assessment.md); the uniform slots use their own */
        RertVolume *dose =
            effective_dose(err, k, rert_case_alpha_beta(a->c)->default_gy);
        bool ok = dose != NULL && course_map(err, a, k, dose);
        for (size_t s = 0; ok && s < a->ab_count; s++) {
            RertVolume *own = dose;
            if (k->rbe_model != NULL) {
                own = effective_dose(err, k, a->ab[s]);
                ok = own != NULL;
            }
            ok = ok && course_uniform(err, a, k, own, s);
            if (own != dose) {
                rert_volume_destroy(own);
            }
        }
        rert_volume_destroy(dose);
        if (!ok) {
            return false;
        }
        if (k->outside_voxels > 0) {
            assess_warn(a,
                        "%zu of %zu reference voxels (%.0f %%) lie outside "
                        "the dose grid of course '%s' and take 0 Gy from it: "
                        "check that its dose grid covers every organ "
                        "evaluated",
                        k->outside_voxels, rert_grid_voxel_count(&a->ref),
                        100.0 * (double)k->outside_voxels /
                            (double)rert_grid_voxel_count(&a->ref),
                        k->spec->name);
            if (!warn_outside_rois(err, a, k)) {
                return false;
            }
        }
    }
    return true;
}
