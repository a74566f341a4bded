/* Registration checks per prior course (docs/assessment.md,
 * docs/deformable-registration.md): the inverse consistency of an
 * automatic deformable mapping (the registration run in reverse) and the
 * landmark target registration error (TRE) of the mapping actually used,
 * with the TRE of its rigid part alone, next to the AAPM TG-132
 * tolerances. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* What the report says next to the inverse-consistency figures. */
/* Finest voxel size (mm) of the reverse registration. */
#define ASSESS_IC_MIN_SPACING_MM 3.0

#define TG132_DIR_CRITERION                                                    \
    "TG-132 criterion for deformable registration (mean <= 2, max <= 5 mm)"

#define IC_TOLERANCE_NOTE                                                      \
    "no published numeric tolerance: AAPM TG-132 lists inverse consistency "   \
    "among the DIR QA tests without a limit; shown for review, no pass/fail"

bool assess_inverse_consistency(RertError *err,
                                const RertAssessment *a,
                                Course *k,
                                const RertVectorField *forward)
{
    if (k->spec->registration.is_inverse_consistency_skipped) {
        (void)snprintf(k->inverse_consistency_note,
                       sizeof k->inverse_consistency_note,
                       "not computed (case file: inverse_consistency: "
                       "false)");
        return true;
    }
    const Course *p = &a->courses[a->planned];
    /* The reverse run is coarser than the forward one (finest voxels of
     * ASSESS_IC_MIN_SPACING_MM instead of 2 mm): about a third of the run
     * time; the resolution difference adds to the figure, so it errs on
     * the high side (docs/deformable-registration.md). */
    RertDeformableOptions o = rert_deformable_options_default();
    o.min_spacing_mm = fmax(o.min_spacing_mm, ASSESS_IC_MIN_SPACING_MM);
    RertError local;
    rert_error_clear(&local);
    if (!rert_deformable_inverse_consistency_compute(
            &local, rert_image_series_volume(p->ct),
            rert_image_series_volume(k->ct), &o, forward,
            k->deformable.rigid_fixed_to_moving, NULL, &k->inverse_consistency,
            &k->inverse_consistency_seconds)) {
        if (local.code == RERT_ERR_NOMEM) {
            if (err != NULL) {
                *err = local;
            }
            return false;
        }
        /* A reverse run that fails is a finding, not a failed assessment. */
        (void)snprintf(k->inverse_consistency_note,
                       sizeof k->inverse_consistency_note,
                       "not available: %.120s", local.message);
        return true;
    }
    k->has_inverse_consistency = true;
    return true;
}

void assess_regqa_clear(Course *k)
{
    rert_landmark_set_destroy(k->landmarks);
    rert_free(k->tre_mm);
    rert_free(k->rigid_tre_mm);
}

static const RertRegistrationTolerance *tolerance(const char *quantity)
{
    for (size_t i = 0; i < rert_tg132_tolerance_count(); i++) {
        const RertRegistrationTolerance *t = rert_tg132_tolerance(i);
        if (strcmp(t->quantity, quantity) == 0) {
            return t;
        }
    }
    return NULL;
}

/* Within the TG-132 DIR TRE tolerances (mean and maximum). */
static bool passes(const RertLandmarkStats *s, bool *mean_ok, bool *max_ok)
{
    const RertRegistrationTolerance *mean = tolerance("dir_tre_mean_mm");
    const RertRegistrationTolerance *max = tolerance("dir_tre_max_mm");
    *mean_ok = mean == NULL || s->mean_mm <= mean->limit;
    *max_ok = max == NULL || s->max_mm <= max->limit;
    return *mean_ok && *max_ok;
}

bool assess_landmarks_load(RertError *err, const RertAssessment *a, Course *k)
{
    const char *path = k->spec->registration.landmarks;
    if (path == NULL || k->is_planned || !k->has_voxels) {
        return true;
    }
    k->landmarks = rert_landmark_set_load(err, path);
    if (k->landmarks == NULL ||
        !rert_landmark_set_check_inside(err, k->landmarks, &a->ref,
                                        "the reference grid (the planned "
                                        "course's grid)")) {
        rert_error_prefix(err, "course '%s': landmarks", k->spec->name);
        return false;
    }
    return true;
}

static bool course_tre(RertError *err, RertAssessment *a, Course *k)
{
    if (k->has_domain &&
        !rert_landmark_set_check_inside(err, k->landmarks, &k->domain,
                                        "the grid of the course's "
                                        "displacement field")) {
        return false;
    }
    size_t n = rert_landmark_set_count(k->landmarks);
    const RertVec3 *ref = rert_landmark_set_reference_mm(k->landmarks);
    const RertVec3 *prior = rert_landmark_set_moving_mm(k->landmarks);
    k->tre_mm = rert_calloc(err, n, sizeof *k->tre_mm);
    if (k->tre_mm == NULL ||
        !rert_landmark_error_compute(err, k->to_course, ref, prior, n,
                                     k->tre_mm, &k->tre)) {
        return false;
    }
    if (k->has_rigid_part) {
        RertTransform *t = rert_transform_create_matrix(err, k->rigid_part);
        k->rigid_tre_mm = rert_calloc(err, n, sizeof *k->rigid_tre_mm);
        bool ok = t != NULL && k->rigid_tre_mm != NULL &&
                  rert_landmark_error_compute(err, t, ref, prior, n,
                                              k->rigid_tre_mm, &k->rigid_tre);
        rert_transform_destroy(t);
        if (!ok) {
            return false;
        }
    }
    bool mean_ok = true;
    bool max_ok = true;
    if (!passes(&k->tre, &mean_ok, &max_ok)) {
        assess_warn(a,
                    "course '%s': landmark TRE mean %.2f mm, max %.2f mm "
                    "(landmark '%s') exceeds the %s%s: review the "
                    "registration",
                    k->spec->name, k->tre.mean_mm, k->tre.max_mm,
                    rert_landmark_set_label(k->landmarks, k->tre.worst_index),
                    TG132_DIR_CRITERION,
                    k->is_deformable ? ""
                                     : " (used as a reference for this rigid "
                                       "mapping)");
    }
    return true;
}

bool assess_landmarks(RertError *err, RertAssessment *a)
{
    for (size_t i = 0; i < a->course_count; i++) {
        Course *k = &a->courses[i];
        if (k->is_planned || !k->has_voxels) {
            continue;
        }
        if (k->inverse_consistency_note[0] != '\0' &&
            !k->spec->registration.is_inverse_consistency_skipped) {
            assess_warn(a, "course '%s': inverse consistency %s", k->spec->name,
                        k->inverse_consistency_note);
        }
        if (k->landmarks == NULL) {
            continue;
        }
        if (!course_tre(err, a, k)) {
            rert_error_prefix(err, "course '%s': landmarks %s", k->spec->name,
                              k->spec->registration.landmarks);
            return false;
        }
    }
    return true;
}

/* ---- report */

static void
json_inverse_consistency(RertError *err, RertJsonWriter *w, const Course *k)
{
    (void)rert_json_write_key(err, w, "inverse_consistency");
    if (!k->has_inverse_consistency) {
        (void)rert_json_write_null(err, w);
        return;
    }
    const RertFieldErrorStats *s = &k->inverse_consistency;
    (void)rert_json_object_begin(err, w);
    (void)rert_json_write_key_number(err, w, "mean_mm", s->mean_mm);
    (void)rert_json_write_key_number(err, w, "p95_mm", s->p95_mm);
    (void)rert_json_write_key_number(err, w, "max_mm", s->max_mm);
    (void)rert_json_write_key_int(err, w, "voxels", (int64_t)s->count);
    (void)rert_json_write_key_number(err, w, "reverse_seconds",
                                     k->inverse_consistency_seconds);
    (void)rert_json_write_key_number(
        err, w, "reverse_min_spacing_mm",
        fmax(RERT_DEFORMABLE_DEFAULT_MIN_SPACING_MM, ASSESS_IC_MIN_SPACING_MM));
    (void)rert_json_write_key(err, w, "tolerance_mm");
    (void)rert_json_write_null(err, w);
    (void)rert_json_write_key_string(err, w, "tolerance_note",
                                     IC_TOLERANCE_NOTE);
    (void)rert_json_object_end(err, w);
}

static void
json_point(RertError *err, RertJsonWriter *w, const char *key, RertVec3 p)
{
    (void)rert_json_write_key(err, w, key);
    (void)rert_json_array_begin(err, w);
    (void)rert_json_write_number(err, w, p.x);
    (void)rert_json_write_number(err, w, p.y);
    (void)rert_json_write_number(err, w, p.z);
    (void)rert_json_array_end(err, w);
}

static void
json_landmark_list(RertError *err, RertJsonWriter *w, const Course *k)
{
    const RertVec3 *ref = rert_landmark_set_reference_mm(k->landmarks);
    const RertVec3 *prior = rert_landmark_set_moving_mm(k->landmarks);
    (void)rert_json_write_key(err, w, "landmarks");
    (void)rert_json_array_begin(err, w);
    for (size_t i = 0; i < k->tre.count; i++) {
        (void)rert_json_object_begin(err, w);
        (void)rert_json_write_key_string(
            err, w, "label", rert_landmark_set_label(k->landmarks, i));
        json_point(err, w, "reference_mm", ref[i]);
        json_point(err, w, "prior_mm", prior[i]);
        (void)rert_json_write_key_number(err, w, "error_mm", k->tre_mm[i]);
        (void)rert_json_write_key_number(
            err, w, "rigid_error_mm",
            k->rigid_tre_mm != NULL ? k->rigid_tre_mm[i] : (double)NAN);
        (void)rert_json_object_end(err, w);
    }
    (void)rert_json_array_end(err, w);
}

static void
json_stats(RertError *err, RertJsonWriter *w, const RertLandmarkStats *s)
{
    bool mean_ok = true;
    bool max_ok = true;
    bool ok = passes(s, &mean_ok, &max_ok);
    (void)rert_json_write_key_number(err, w, "mean_mm", s->mean_mm);
    (void)rert_json_write_key_number(err, w, "sd_mm", s->sd_mm);
    (void)rert_json_write_key_number(err, w, "max_mm", s->max_mm);
    (void)rert_json_write_key_bool(err, w, "passes_mean", mean_ok);
    (void)rert_json_write_key_bool(err, w, "passes_max", max_ok);
    (void)rert_json_write_key_bool(err, w, "passes_tg132", ok);
}

static void json_tre(RertError *err, RertJsonWriter *w, const Course *k)
{
    (void)rert_json_write_key(err, w, "landmark_tre");
    if (k->landmarks == NULL || k->tre_mm == NULL) {
        (void)rert_json_write_null(err, w);
        return;
    }
    const RertRegistrationTolerance *mean = tolerance("dir_tre_mean_mm");
    const RertRegistrationTolerance *max = tolerance("dir_tre_max_mm");
    (void)rert_json_object_begin(err, w);
    (void)rert_json_write_key_string(err, w, "file",
                                     k->spec->registration.landmarks);
    (void)rert_json_write_key_int(err, w, "count", (int64_t)k->tre.count);
    json_stats(err, w, &k->tre);
    (void)rert_json_write_key_string(
        err, w, "worst_label",
        rert_landmark_set_label(k->landmarks, k->tre.worst_index));
    (void)rert_json_write_key_number(err, w, "tolerance_mean_mm",
                                     mean != NULL ? mean->limit : (double)NAN);
    (void)rert_json_write_key_number(err, w, "tolerance_max_mm",
                                     max != NULL ? max->limit : (double)NAN);
    (void)rert_json_write_key_string(err, w, "tolerance_evidence",
                                     mean != NULL ? mean->evidence : NULL);
    (void)rert_json_write_key_string(err, w, "tolerance_source",
                                     mean != NULL ? mean->source : NULL);
    (void)rert_json_write_key_string(err, w, "criterion", TG132_DIR_CRITERION);
    (void)rert_json_write_key_bool(err, w, "mapping_is_deformable",
                                   k->is_deformable);
    (void)rert_json_write_key(err, w, "rigid_only");
    if (k->rigid_tre_mm != NULL) {
        (void)rert_json_object_begin(err, w);
        (void)rert_json_write_key_number(err, w, "mean_mm",
                                         k->rigid_tre.mean_mm);
        (void)rert_json_write_key_number(err, w, "sd_mm", k->rigid_tre.sd_mm);
        (void)rert_json_write_key_number(err, w, "max_mm", k->rigid_tre.max_mm);
        (void)rert_json_write_key_string(
            err, w, "note",
            "rigid start of the deformable mapping, for comparison only: no "
            "pass/fail (the mapping used is judged)");
        (void)rert_json_object_end(err, w);
    } else {
        (void)rert_json_write_null(err, w);
    }
    json_landmark_list(err, w, k);
    (void)rert_json_object_end(err, w);
}

bool assess_regqa_json(RertError *err,
                       RertJsonWriter *w,
                       const RertAssessment *a)
{
    (void)rert_json_write_key(err, w, "registration_checks");
    (void)rert_json_array_begin(err, w);
    for (size_t i = 0; i < a->course_count; i++) {
        const Course *k = &a->courses[i];
        if (k->is_planned || !k->has_voxels) {
            continue;
        }
        (void)rert_json_object_begin(err, w);
        (void)rert_json_write_key_string(err, w, "course", k->spec->name);
        (void)rert_json_write_key_string(err, w, "mapping", k->registration);
        json_inverse_consistency(err, w, k);
        (void)rert_json_write_key_string(
            err, w, "inverse_consistency_note",
            k->inverse_consistency_note[0] != '\0'
                ? k->inverse_consistency_note
                : (k->has_inverse_consistency
                       ? NULL
                       : "only for deformable_auto mappings"));
        json_tre(err, w, k);
        (void)rert_json_object_end(err, w);
    }
    (void)rert_json_array_end(err, w);
    return !w->has_failed;
}

static bool html_ic(RertError *err, RertStrbuf *sb, const Course *k)
{
    if (!k->has_inverse_consistency) {
        return rert_strbuf_puts(err, sb, "<td>") &&
               rert_html_escape_text(err, sb,
                                     k->inverse_consistency_note[0] != '\0'
                                         ? k->inverse_consistency_note
                                         : "only for deformable_auto") &&
               rert_strbuf_puts(err, sb, "</td>");
    }
    const RertFieldErrorStats *s = &k->inverse_consistency;
    return rert_strbuf_printf(err, sb,
                              "<td>mean %.2f, 95th percentile %.2f, max %.2f "
                              "mm over %zu voxels</td>",
                              s->mean_mm, s->p95_mm, s->max_mm, s->count);
}

static bool html_tre(RertError *err,
                     RertStrbuf *sb,
                     const char *what,
                     const RertLandmarkStats *s,
                     bool is_judged)
{
    bool mean_ok = true;
    bool max_ok = true;
    bool ok = passes(s, &mean_ok, &max_ok);
    if (!is_judged) {
        return rert_strbuf_printf(err, sb,
                                  "%s mean %.2f, max %.2f mm (%zu landmarks; "
                                  "for comparison, no pass/fail)",
                                  what, s->mean_mm, s->max_mm, s->count);
    }
    return rert_strbuf_printf(err, sb,
                              "%s mean %.2f, max %.2f mm (%zu landmarks): "
                              "<b>%s</b> the %s",
                              what, s->mean_mm, s->max_mm, s->count,
                              ok ? "within" : "exceeds", TG132_DIR_CRITERION);
}

static bool html_course(RertError *err, RertStrbuf *sb, const Course *k)
{
    bool ok = rert_strbuf_puts(err, sb, "<tr><td>") &&
              rert_html_escape_text(err, sb, k->spec->name) &&
              rert_strbuf_puts(err, sb, "</td>") && html_ic(err, sb, k) &&
              rert_strbuf_puts(err, sb, "<td>");
    if (k->tre_mm == NULL) {
        return ok && rert_strbuf_puts(err, sb, "no landmark file</td></tr>");
    }
    ok = ok && html_tre(err, sb, "mapping used:", &k->tre, true);
    if (k->rigid_tre_mm != NULL) {
        ok = ok && rert_strbuf_puts(err, sb, "<br>") &&
             html_tre(err, sb, "rigid part alone:", &k->rigid_tre, false);
    }
    ok = ok && rert_strbuf_puts(err, sb, "<br>");
    for (size_t i = 0; ok && i < k->tre.count; i++) {
        ok = rert_strbuf_puts(err, sb, i > 0 ? "; " : "") &&
             rert_html_escape_text(err, sb,
                                   rert_landmark_set_label(k->landmarks, i)) &&
             rert_strbuf_printf(err, sb, " %.2f", k->tre_mm[i]) &&
             (k->rigid_tre_mm == NULL ||
              rert_strbuf_printf(err, sb, " (rigid %.2f)", k->rigid_tre_mm[i]));
    }
    return ok && rert_strbuf_puts(err, sb, " mm</td></tr>");
}

/* How to read the agreement figures and the Jacobian (review item 10). */
static bool
html_reading(RertError *err, RertStrbuf *sb, const RertAssessment *a)
{
    bool ok = rert_strbuf_printf(
        err, sb,
        "<p>Surface distances above are measured between voxel centres on "
        "the reference grid (%.2f x %.2f x %.2f mm): they are quantised to "
        "that grid, so differences below about half a voxel are not "
        "resolved.",
        a->ref.spacing_mm[0], a->ref.spacing_mm[1], a->ref.spacing_mm[2]);
    for (size_t i = 0; ok && i < a->course_count; i++) {
        const Course *k = &a->courses[i];
        if (k->has_deformable) {
            const RertJacobianStats *j = &k->deformable.jacobian;
            ok = rert_strbuf_puts(err, sb, " ") &&
                 rert_html_escape_text(err, sb, k->spec->name) &&
                 rert_strbuf_printf(
                     err, sb,
                     ": Jacobian determinant %.2f to %.2f, the local volume "
                     "ratio of the mapping (1 = unchanged, below 1 = "
                     "shrinking, above 1 = expanding; 0 or less = folding, "
                     "physically impossible: %.2g %% of voxels).",
                     j->min, j->max, 100.0 * j->folded_frac);
        }
    }
    return ok && rert_strbuf_puts(err, sb, "</p>");
}

bool assess_regqa_html(RertError *err, RertStrbuf *sb, const RertAssessment *a)
{
    bool ok =
        html_reading(err, sb, a) &&
        rert_strbuf_puts(
            err, sb,
            "<h3>Inverse consistency and landmark error</h3><p>Inverse "
            "consistency: the deformable registration is run again from the "
            "prior CT to the planned CT (finest voxels 3 mm) and "
            "|x + u(x) + v(x + u(x)) - x| is measured over the planned body "
            "(" IC_TOLERANCE_NOTE "). The reverse run is coarser (3 mm) than "
            "the forward mapping, so these figures overstate the forward "
            "mapping's own inverse error, the maximum most. Landmark target "
            "registration error (TRE) of the mapping used, judged against the "
            "TG-132 criterion for deformable registration (mean &lt;= 2, max "
            "&lt;= 5 mm) [V2]; TG-132's rigid tolerance (0.5 voxel) is for "
            "rigid registration. The TRE of the rigid part alone is shown for "
            "comparison, without pass/fail.</p><table><tr><th>course</th><th>"
            "inverse "
            "consistency</th><th>landmark TRE</th></tr>");
    for (size_t i = 0; ok && i < a->course_count; i++) {
        const Course *k = &a->courses[i];
        if (!k->is_planned && k->has_voxels) {
            ok = html_course(err, sb, k);
        }
    }
    return ok && rert_strbuf_puts(err, sb, "</table>");
}
