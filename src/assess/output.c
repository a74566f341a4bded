/* Assessment outputs: report.json, dvh.csv, cumulative_eqd2.dcm,
 * budget_<n>fx.dcm, report.html, written into a temporary folder and moved
 * into place (docs/assessment.md, "Outputs"). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rert/report.h>

#include "internal.h"
#include "rert_config.h"

bool assess_path(
    RertError *err, char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size) {
        return rert_error_set(err, RERT_ERR_IO, "path %s/%s is too long", dir,
                              name);
    }
    return true;
}

static bool write_text(RertError *err,
                       const char *dir,
                       const char *name,
                       const RertStrbuf *sb)
{
    char path[4096];
    return assess_path(err, path, sizeof path, dir, name) &&
           rert_file_save_atomic(err, path, sb->data != NULL ? sb->data : "",
                                 sb->len);
}

/* A dose or volume computed from float32 grids (dose samples, EQD2 maps,
 * occupancies), printed at the float's own precision: 7 significant
 * digits. Interpolating or summing float data in double adds digits, not
 * precision. */
static double fl(double v)
{
    if (!isfinite(v) || v == 0.0) {
        return v;
    }
    double scale = pow(10.0, 6.0 - floor(log10(fabs(v))));
    double r = round(v * scale) / scale;
    return isfinite(r) ? r : v;
}

/* A value derived from float data (e.g. limit - value): rounded at the
 * precision of a float of magnitude @p ref. */
static double fl_at(double v, double ref)
{
    if (!isfinite(v) || !isfinite(ref) || ref == 0.0) {
        return fl(v);
    }
    double scale = pow(10.0, 6.0 - floor(log10(fabs(ref))));
    return round(v * scale) / scale;
}

static void
json_toxicity(RertError *err, RertJsonWriter *w, const RertCaseCourse *s)
{
    (void)rert_json_write_key_string(err, w, "ctcae_version", s->ctcae_version);
    (void)rert_json_write_key(err, w, "toxicity");
    if (!s->has_toxicity) {
        (void)rert_json_write_null(err, w);
        return;
    }
    (void)rert_json_array_begin(err, w);
    for (size_t i = 0; i < s->toxicity_count; i++) {
        const RertCaseToxicityEvent *e = &s->toxicity[i];
        (void)rert_json_object_begin(err, w);
        (void)rert_json_write_key_string(err, w, "term", e->term);
        (void)rert_json_write_key_int(err, w, "grade", e->grade);
        (void)rert_json_write_key_string(
            err, w, "phase", e->phase == RERT_CASE_TOX_LATE ? "late" : "acute");
        (void)rert_json_object_end(err, w);
    }
    (void)rert_json_array_end(err, w);
}

static void
json_course_reporting(RertError *err, RertJsonWriter *w, const Course *k)
{
    const RertCaseCourse *s = k->spec;
    (void)rert_json_write_key_string(err, w, "technique", s->technique);
    (void)rert_json_write_key_string(err, w, "intent",
                                     rert_case_intent_name(s->intent));
    (void)rert_json_write_key_number(err, w, "dose_per_fraction_gy",
                                     k->fractions > 0 ? s->prescription_gy /
                                                            (double)k->fractions
                                                      : (double)NAN);
    (void)rert_json_write_key_string(err, w, "concurrent_systemic_therapy",
                                     s->concurrent_systemic_therapy);
    (void)rert_json_write_key(err, w, "targets");
    (void)rert_json_array_begin(err, w);
    for (size_t i = 0; i < s->target_count; i++) {
        (void)rert_json_write_string(err, w, s->targets[i]);
    }
    (void)rert_json_array_end(err, w);
    json_toxicity(err, w, s);
}

static bool json_course(RertError *err,
                        RertJsonWriter *w,
                        const RertAssessment *a,
                        const Course *k)
{
    const RertCaseCourse *s = k->spec;
    (void)(rert_json_object_begin(err, w));
    (void)(rert_json_write_key_string(err, w, "name", s->name));
    (void)(rert_json_write_key_string(err, w, "role",
                                      rert_case_role_name(s->role)));
    (void)(rert_json_write_key_string(err, w, "start_date", s->start_date));
    (void)(rert_json_write_key_string(err, w, "end_date", s->end_date));
    (void)(rert_json_write_key_string(err, w, "modality",
                                      rert_case_modality_name(s->modality)));
    (void)(rert_json_write_key_string(
        err, w, "data_quality", rert_case_data_quality_name(s->data_quality)));
    (void)(rert_json_write_key_int(err, w, "fractions", k->fractions));
    (void)(rert_json_write_key_number(err, w, "prescription_gy",
                                      s->prescription_gy));
    (void)(rert_json_write_key_string(err, w, "rbe", k->rbe_note));
    json_course_reporting(err, w, k);
    (void)(rert_json_write_key_number(err, w, "interval_months",
                                      k->interval_months));
    (void)(rert_json_write_key_bool(err, w, "voxel_dose", k->has_voxels));
    (void)(rert_json_write_key_string(err, w, "registration", k->registration));
    if (k->has_rigid) {
        (void)(rert_json_write_key_number(err, w, "registration_metric",
                                          k->rigid.final_metric));
        (void)(rert_json_write_key(err, w, "reference_to_course_matrix"));
        (void)(rert_json_array_begin(err, w));
        for (size_t r = 0; r < 4; r++) {
            (void)(rert_json_array_begin(err, w));
            for (size_t c = 0; c < 4; c++) {
                (void)(rert_json_write_number(
                    err, w, k->rigid.fixed_to_moving.m[r][c]));
            }
            (void)(rert_json_array_end(err, w));
        }
        (void)(rert_json_array_end(err, w));
    }
    if (k->has_deformable) {
        const RertJacobianStats *j = &k->deformable.jacobian;
        (void)rert_json_write_key_number(err, w, "jacobian_min", j->min);
        (void)rert_json_write_key_number(err, w, "jacobian_max", j->max);
        (void)rert_json_write_key_number(err, w, "folded_fraction",
                                         j->folded_frac);
        (void)rert_json_write_key_number(err, w, "deformation_mean_mm",
                                         k->deformable.deformation_mean_mm);
        (void)rert_json_write_key_number(err, w, "deformation_max_mm",
                                         k->deformable.deformation_max_mm);
    }
    (void)(rert_json_write_key_string(err, w, "eqd2_alpha_beta", k->ab_note));
    (void)(rert_json_write_key_int(err, w, "voxels_outside_dose_grid",
                                   (int64_t)k->outside_voxels));
    (void)a;
    (void)rert_json_object_end(err, w);
    return !w->has_failed;
}

static bool
json_rois(RertError *err, RertJsonWriter *w, const RertAssessment *a)
{
    (void)(rert_json_write_key(err, w, "structures") &&
           rert_json_array_begin(err, w));
    for (size_t r = 0; r < a->roi_count; r++) {
        const Roi *roi = &a->rois[r];
        (void)(rert_json_object_begin(err, w));
        (void)(rert_json_write_key_string(err, w, "name", roi->name));
        (void)(rert_json_write_key_string(err, w, "organ", roi->organ));
        (void)(rert_json_write_key_number(err, w, "volume_cc", roi->volume_cc));
        (void)(rert_json_write_key_number(err, w, "alpha_beta_gy", roi->ab_gy));
        (void)(rert_json_write_key_bool(err, w, "is_target", roi->is_target));
        (void)(rert_json_write_key(err, w, "recovery_frac_per_course"));
        (void)(rert_json_array_begin(err, w));
        for (size_t c = 0; c < a->course_count; c++) {
            (void)(rert_json_write_number(err, w, roi->recovery[c]));
        }
        (void)(rert_json_array_end(err, w));
        char t[1024];
        assess_recovery_text(a, roi, t, sizeof t);
        (void)rert_json_write_key_string(err, w, "recovery_model", t);
        (void)(rert_json_object_end(err, w));
    }
    (void)rert_json_array_end(err, w);
    return !w->has_failed;
}

static void json_organ_metric(RertError *err,
                              RertJsonWriter *w,
                              const RertAssessment *a,
                              const Measure *m)
{
    (void)rert_json_write_key(err, w, m->metric.name);
    (void)rert_json_object_begin(err, w);
    (void)rert_json_write_key_number(err, w, "prior_eqd2_gy", fl(m->prior));
    (void)rert_json_write_key_number(err, w, "prior_discounted_eqd2_gy",
                                     fl(m->prior_discounted));
    (void)rert_json_write_key_number(err, w, "planned_eqd2_gy",
                                     fl(m->per_course[a->planned]));
    (void)rert_json_write_key_number(err, w, "cumulative_eqd2_gy",
                                     fl(m->cumulative));
    (void)rert_json_write_key_number(err, w, "cumulative_discounted_eqd2_gy",
                                     fl(m->cumulative_discounted));
    (void)rert_json_object_end(err, w);
}

static bool has_constraint(const RertAssessment *a, const Roi *roi)
{
    for (size_t i = 0; i < a->result_count; i++) {
        if (a->results[i].status != RERT_CONSTRAINT_NOT_EVALUATED &&
            strcmp(a->results[i].roi_name, roi->name) == 0) {
            return true;
        }
    }
    return false;
}

/* Reporting item 8: every non-target organ ROI, constrained or not. */
static bool
json_organs(RertError *err, RertJsonWriter *w, const RertAssessment *a)
{
    (void)(rert_json_write_key(err, w, "organ_doses") &&
           rert_json_array_begin(err, w));
    for (size_t r = 0; r < a->roi_count; r++) {
        const Roi *roi = &a->rois[r];
        if (roi->is_target || roi->organ == NULL) {
            continue;
        }
        (void)rert_json_object_begin(err, w);
        (void)rert_json_write_key_string(err, w, "roi", roi->name);
        (void)rert_json_write_key_string(err, w, "organ", roi->organ);
        (void)rert_json_write_key_number(err, w, "alpha_beta_gy", roi->ab_gy);
        (void)rert_json_write_key_number(err, w, "volume_cc",
                                         fl(roi->volume_cc));
        (void)rert_json_write_key_bool(err, w, "has_constraint",
                                       has_constraint(a, roi));
        (void)rert_json_write_key(err, w, "metrics");
        (void)rert_json_object_begin(err, w);
        for (size_t i = 0; assess_organ_metric(i) != NULL; i++) {
            const Measure *m =
                assess_find_measure(a, roi, assess_organ_metric(i), roi->ab_gy);
            if (m != NULL) {
                json_organ_metric(err, w, a, m);
            }
        }
        (void)rert_json_object_end(err, w);
        (void)rert_json_object_end(err, w);
    }
    (void)rert_json_array_end(err, w);
    return !w->has_failed;
}

static void
json_patient(RertError *err, RertJsonWriter *w, const RertAssessment *a)
{
    const RertCasePatient *p = rert_case_patient(a->c);
    const RertCaseReporting *rep = rert_case_reporting(a->c);
    (void)rert_json_write_key(err, w, "patient");
    (void)rert_json_object_begin(err, w);
    (void)rert_json_write_key_number(
        err, w, "age_years", p->has_age ? (double)p->age_years : (double)NAN);
    (void)rert_json_write_key_string(err, w, "sex", rert_case_sex_name(p->sex));
    (void)rert_json_write_key_string(
        err, w, "performance_scale",
        p->ps_scale == RERT_CASE_PS_ECOG
            ? "ECOG"
            : (p->ps_scale == RERT_CASE_PS_KPS ? "KPS" : NULL));
    (void)rert_json_write_key_number(
        err, w, "performance_value",
        p->ps_scale != RERT_CASE_PS_NONE ? (double)p->ps_value : (double)NAN);
    (void)rert_json_write_key(err, w, "organ_function");
    (void)rert_json_array_begin(err, w);
    for (size_t i = 0; i < p->organ_function_count; i++) {
        (void)rert_json_write_string(err, w, p->organ_function[i]);
    }
    (void)rert_json_array_end(err, w);
    (void)rert_json_write_key_string(
        err, w, "recurrence", rert_case_recurrence_name(rep->recurrence));
    (void)rert_json_write_key(err, w, "imaging");
    (void)rert_json_array_begin(err, w);
    for (size_t i = 0; i < rep->imaging_count; i++) {
        (void)rert_json_write_string(err, w, rep->imaging[i]);
    }
    (void)rert_json_array_end(err, w);
    (void)rert_json_object_end(err, w);
}

static bool
json_results(RertError *err, RertJsonWriter *w, const RertAssessment *a)
{
    (void)(rert_json_write_key(err, w, "constraints") &&
           rert_json_array_begin(err, w));
    for (size_t i = 0; i < a->result_count; i++) {
        const RertConstraintResult *r = &a->results[i];
        const RertConstraint *c = r->constraint;
        (void)(rert_json_object_begin(err, w));
        (void)(rert_json_write_key_string(err, w, "id", c->id));
        (void)(rert_json_write_key_string(err, w, "organ", c->organ));
        (void)(rert_json_write_key_string(err, w, "roi", r->roi_name));
        (void)(rert_json_write_key_string(err, w, "metric", c->metric));
        (void)(rert_json_write_key_string(
            err, w, "scope", rert_constraint_scope_name(c->scope)));
        (void)(rert_json_write_key_string(err, w, "unit",
                                          rert_constraint_unit_name(c->unit)));
        (void)(rert_json_write_key_number(err, w, "alpha_beta_gy",
                                          c->alpha_beta_gy));
        (void)(rert_json_write_key_number(err, w, "limit", r->limit));
        (void)(rert_json_write_key_number(err, w, "value", fl(r->value)));
        (void)(rert_json_write_key_number(err, w, "value_eqd2_gy",
                                          fl(r->value_eqd2_gy)));
        (void)(rert_json_write_key_number(err, w, "margin",
                                          fl_at(r->margin, r->value)));
        (void)(rert_json_write_key_number(
            err, w, "margin_eqd2_gy",
            fl_at(r->margin_eqd2_gy, r->value_eqd2_gy)));
        (void)(rert_json_write_key_number(err, w, "margin_pct",
                                          fl_at(r->margin_pct, r->margin_pct)));
        (void)(rert_json_write_key_string(
            err, w, "status", rert_constraint_status_name(r->status)));
        (void)(rert_json_write_key_string(err, w, "message", r->message));
        (void)(rert_json_write_key_string(err, w, "evidence",
                                          rert_evidence_tag_name(c->evidence)));
        (void)(rert_json_write_key_string(err, w, "source", c->source));
        (void)(rert_json_write_key_string(err, w, "notes", c->notes));
        (void)(rert_json_write_key_string(err, w, "site", c->site));
        (void)(rert_json_write_key_string(err, w, "condition", c->condition));
        (void)(rert_json_write_key_string(
            err, w, "kind", c->is_observation ? "observation" : "limit"));
        (void)(rert_json_write_key_bool(err, w, "is_override", c->is_override));
        (void)(rert_json_object_end(err, w));
    }
    (void)rert_json_array_end(err, w);
    return !w->has_failed;
}

static bool
json_budgets(RertError *err, RertJsonWriter *w, const RertAssessment *a)
{
    (void)(rert_json_write_key(err, w, "budget") &&
           rert_json_object_begin(err, w));
    (void)(rert_json_write_key_int(err, w, "planned_fractions",
                                   a->courses[a->planned].fractions));
    (void)(rert_json_write_key(err, w, "organs"));
    (void)(rert_json_array_begin(err, w));
    for (size_t i = 0; i < a->budget_count; i++) {
        const Budget *b = &a->budgets[i];
        (void)(rert_json_object_begin(err, w));
        (void)(rert_json_write_key_string(err, w, "constraint",
                                          b->constraint->id));
        (void)(rert_json_write_key_string(err, w, "roi", b->roi->name));
        (void)(rert_json_write_key_string(err, w, "metric",
                                          b->constraint->metric));
        (void)(rert_json_write_key_string(err, w, "basis", b->basis));
        (void)(rert_json_write_key_number(err, w, "alpha_beta_gy",
                                          b->constraint->alpha_beta_gy));
        (void)(rert_json_write_key_number(err, w, "prior_eqd2_gy",
                                          fl(b->prior_eqd2_gy)));
        (void)(rert_json_write_key_number(err, w, "allowed_eqd2_gy",
                                          fl(b->result.allowed_eqd2_gy)));
        (void)(rert_json_write_key_number(err, w, "remaining_eqd2_gy",
                                          fl(b->result.remaining_eqd2_gy)));
        (void)(rert_json_write_key_bool(err, w, "has_budget",
                                        b->result.has_budget));
        (void)(rert_json_write_key_number(
            err, w, "max_total_dose_gy", fl(b->result.max_dose.total_dose_gy)));
        (void)(rert_json_write_key_number(
            err, w, "max_dose_per_fraction_gy",
            fl(b->result.max_dose.dose_per_fraction_gy)));
        if (b->has_band) {
            (void)rert_json_write_key_number(
                err, w, "max_total_dose_gy_uncertainty_band",
                fl(b->band.max_dose.total_dose_gy));
        }
        (void)(rert_json_object_end(err, w));
    }
    (void)(rert_json_array_end(err, w));
    (void)(rert_json_write_key_int(err, w, "map_constrained_voxels",
                                   (int64_t)a->budget_stats.constrained_count));
    (void)(rert_json_write_key_int(err, w, "map_no_budget_voxels",
                                   (int64_t)a->budget_stats.no_budget_count));
    (void)(rert_json_write_key_number(err, w, "map_unconstrained_value_gy",
                                      RERT_BUDGET_UNCONSTRAINED_DEFAULT_GY));
    (void)rert_json_object_end(err, w);
    return !w->has_failed;
}

static bool json_answer(RertError *err,
                        RertJsonWriter *w,
                        const char *key,
                        const RertAnswer *q)
{
    static const char *const values[] = {"unknown", "no", "yes"};
    (void)(rert_json_write_key(err, w, key) && rert_json_object_begin(err, w));
    (void)(rert_json_write_key_string(err, w, "answer", values[q->value]));
    (void)(rert_json_write_key_string(err, w, "source",
                                      rert_answer_source_name(q->source)));
    (void)(rert_json_write_key_string(err, w, "note", q->note));
    (void)rert_json_object_end(err, w);
    return !w->has_failed;
}

static bool
json_classification(RertError *err, RertJsonWriter *w, const RertAssessment *a)
{
    (void)(rert_json_write_key(err, w, "classification") &&
           rert_json_object_begin(err, w));
    (void)(rert_json_write_key_string(
        err, w, "category",
        rert_reirradiation_category_name(a->category.category)));
    (void)(rert_json_write_key_string(
        err, w, "description",
        rert_reirradiation_category_description(a->category.category)));
    (void)(rert_json_write_key_bool(err, w, "is_reirradiation",
                                    a->category.is_reirradiation));
    if (a->has_overlap) {
        (void)(rert_json_write_key_number(err, w, "overlap_threshold_gy_eqd2",
                                          a->overlap.threshold_gy));
        (void)(rert_json_write_key_string(err, w, "overlap_threshold_source",
                                          a->overlap.threshold_source));
        (void)(rert_json_write_key_number(err, w, "overlap_cc",
                                          a->overlap.overlap_cc));
        (void)(rert_json_write_key_number(err, w, "target_overlap_cc",
                                          a->overlap.target_overlap_cc));
    }
    (void)(rert_json_write_key(err, w, "courses"));
    (void)(rert_json_array_begin(err, w));
    for (size_t i = 0; i + 1 < a->course_count; i++) {
        const RertClassifyCourse *q = &a->answers[i];
        (void)(rert_json_object_begin(err, w));
        (void)(rert_json_write_key_string(err, w, "course", q->course_name));
        (void)(json_answer(err, w, "q1_overlap", &q->overlap));
        (void)(json_answer(err, w, "q2_cumulative_concern",
                           &q->cumulative_concern));
        (void)(json_answer(err, w, "q3_same_organ", &q->same_organ));
        (void)(rert_json_object_end(err, w));
    }
    (void)(rert_json_array_end(err, w));
    const RertSummationLevelInfo *li = rert_summation_level_info(a->level);
    (void)(rert_json_write_key_string(err, w, "summation_level", li->key));
    (void)(rert_json_write_key_string(err, w, "summation_description",
                                      li->description));
    (void)rert_json_object_end(err, w);
    return !w->has_failed;
}

static bool
json_warnings(RertError *err, RertJsonWriter *w, const RertAssessment *a)
{
    (void)(rert_json_write_key(err, w, "warnings") &&
           rert_json_array_begin(err, w));
    const char *p = a->warnings.data;
    while (p != NULL && *p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        char line[600];
        (void)snprintf(line, sizeof line, "%.*s", (int)len, p);
        (void)(rert_json_write_string(err, w, line));
        p = nl != NULL ? nl + 1 : p + len;
    }
    (void)rert_json_array_end(err, w);
    return !w->has_failed;
}

static bool
json_items(RertError *err, RertJsonWriter *w, const RertAssessment *a)
{
    static const char *const names[10] = {
        "demographics",       "performance_status",
        "organ_function",     "recurrence_classification",
        "target_volume",      "technique_and_dose",
        "interval_since_rt1", "cumulative_oar_doses",
        "summation_method",   "toxicity_ctcae"};
    bool present[10];
    (void)assess_report_items(a, present);
    (void)(rert_json_write_key(err, w, "mandatory_reporting_items") &&
           rert_json_object_begin(err, w));
    for (size_t i = 0; i < 10; i++) {
        (void)(rert_json_write_key_string(err, w, names[i],
                                          present[i] ? "present" : "missing"));
    }
    (void)rert_json_object_end(err, w);
    (void)(rert_json_write_key(err, w, "mandatory_reporting_content") &&
           rert_json_object_begin(err, w));
    char t[2048];
    for (size_t i = 0; i < 10; i++) {
        assess_report_item_text(a, i, t, sizeof t);
        (void)rert_json_write_key_string(err, w, names[i], t);
    }
    (void)rert_json_object_end(err, w);
    return !w->has_failed;
}

static bool report_json(RertError *err, const RertAssessment *a, RertStrbuf *sb)
{
    RertJsonWriter w;
    rert_json_writer_init(&w, sb, true);
    const RertCasePatient *p = rert_case_patient(a->c);
    (void)rert_json_object_begin(err, &w);
    (void)(rert_json_write_key_int(err, &w, "schema_version", 1));
    (void)(rert_json_write_key_string(err, &w, "rert_version", RERT_VERSION));
    (void)(rert_json_write_key_string(err, &w, "command_line",
                                      a->options.command_line));
    (void)(rert_json_write_key_string(err, &w, "case_file",
                                      rert_case_name(a->c)));
    (void)(rert_json_write_key_string(err, &w, "patient_id", p->id));
    (void)(rert_json_write_key_string(err, &w, "summary", a->summary));
    (void)(rert_json_write_key_string(err, &w, "recovery_convention",
                                      a->convention));
    RertLqModel model = assess_model(a);
    (void)rert_json_write_key_string(
        err, &w, "model", model.kind == RERT_LQ_MODEL_LQL ? "LQ-L" : "LQ");
    (void)rert_json_write_key_number(err, &w, "registration_uncertainty_mm",
                                     assess_uncertainty_mm(a));
    (void)rert_json_write_key_number(err, &w, "transition_dose_gy",
                                     model.kind == RERT_LQ_MODEL_LQL
                                         ? model.transition_dose_gy
                                         : (double)NAN);
    (void)(rert_json_write_key_number(err, &w, "default_alpha_beta_gy",
                                      rert_case_alpha_beta(a->c)->default_gy));
    (void)rert_json_write_key_string(err, &w, "alpha_beta_source",
                                     rert_case_alpha_beta(a->c)->source);
    json_patient(err, &w, a);
    (void)(rert_json_write_key(err, &w, "courses"));
    (void)(rert_json_array_begin(err, &w));
    for (size_t i = 0; i < a->course_count; i++) {
        (void)(json_course(err, &w, a, &a->courses[i]));
    }
    (void)(rert_json_array_end(err, &w));
    (void)(json_rois(err, &w, a));
    (void)(json_results(err, &w, a));
    (void)json_organs(err, &w, a);
    (void)(json_budgets(err, &w, a));
    (void)(json_classification(err, &w, a));
    (void)(json_items(err, &w, a));
    (void)(assess_selection_json(err, &w, a));
    (void)assess_agreement_json(err, &w, a);
    (void)assess_regqa_json(err, &w, a);
    (void)(json_warnings(err, &w, a));
    (void)(rert_json_object_end(err, &w));
    return rert_json_writer_finish(err, &w);
}

#define J(call) ok = ok && (call)

static bool dvh_csv(RertError *err, const RertAssessment *a, RertStrbuf *sb)
{
    RertCsvWriter w;
    rert_csv_writer_init(&w, sb);
    bool ok = true;
    const char *head[] = {"roi", "organ", "metric", "alpha_beta_gy"};
    for (size_t i = 0; i < 4; i++) {
        J(rert_csv_write_field(err, &w, head[i]));
    }
    for (size_t c = 0; c < a->course_count; c++) {
        char name[128];
        (void)snprintf(name, sizeof name, "eqd2_gy_%s",
                       a->courses[c].spec->name);
        J(rert_csv_write_field(err, &w, name));
    }
    J(rert_csv_write_field(err, &w, "prior_eqd2_gy"));
    J(rert_csv_write_field(err, &w, "prior_recovery_discounted_eqd2_gy"));
    J(rert_csv_write_field(err, &w, "cumulative_eqd2_gy"));
    J(rert_csv_write_field(err, &w, "cumulative_lower_band_gy"));
    J(rert_csv_write_field(err, &w, "cumulative_upper_band_gy"));
    J(rert_csv_end_row(err, &w));
    for (size_t i = 0; ok && i < a->measure_count; i++) {
        const Measure *m = &a->measures[i];
        J(rert_csv_write_field(err, &w, m->roi->name));
        J(rert_csv_write_field(err, &w, m->roi->organ));
        J(rert_csv_write_field(err, &w, m->metric.name));
        J(rert_csv_write_number(err, &w, m->ab_gy));
        for (size_t c = 0; c < a->course_count; c++) {
            J(rert_csv_write_number(err, &w, fl(m->per_course[c])));
        }
        J(rert_csv_write_number(err, &w, fl(m->prior)));
        J(rert_csv_write_number(err, &w, fl(m->prior_discounted)));
        J(rert_csv_write_number(err, &w, fl(m->cumulative)));
        J(rert_csv_write_number(err, &w, fl(m->cumulative_lower)));
        J(rert_csv_write_number(err, &w, fl(m->cumulative_upper)));
        J(rert_csv_end_row(err, &w));
    }
    return ok;
}

/* The RT Plan a course's dose comes from: its RTPLAN, else the plan its
 * RTDOSE references; NULL when neither is known. */
static const char *course_plan_uid(const Course *c)
{
    if (c->plan != NULL) {
        return rert_plan_meta(c->plan)->sop_instance_uid;
    }
    if (c->dose != NULL && rert_dose_referenced_plan_uid(c->dose)[0] != '\0') {
        return rert_dose_referenced_plan_uid(c->dose);
    }
    return NULL;
}

/* DoseSummationType of a derived dose referencing @p count plans: PLAN or
 * MULTI_PLAN (PS3.3 C.8.8.3 then requires the Referenced RT Plan
 * Sequence); RECORD when no plan is known at all (paper-only or plan-less
 * courses; dciodvfy then asks for a treatment record reference). */
static const char *summation_type(size_t count)
{
    return count > 1 ? "MULTI_PLAN" : (count == 1 ? "PLAN" : "RECORD");
}

static bool dose_files(RertError *err, const RertAssessment *a, const char *dir)
{
    const char *plans[RERT_CASE_MAX_COURSES];
    size_t plan_count = 0;
    for (size_t c = 0; c < a->course_count; c++) {
        const char *uid = course_plan_uid(&a->courses[c]);
        if (uid != NULL) {
            plans[plan_count++] = uid;
        }
    }
    char path[4096];
    RertDoseWriteOptions o = rert_dose_write_options_default();
    o.source = a->ref_header;
    o.dose_type = RERT_DOSE_TYPE_EFFECTIVE;
    o.summation_type = summation_type(plan_count);
    o.referenced_plan_uids = plans;
    o.referenced_plan_count = plan_count;
    o.comment = "cumulative EQD2 all courses, no recovery";
    o.series_description = "rert cumulative EQD2 (Gy, per-ROI a/b)";
    if (!assess_path(err, path, sizeof path, dir, "cumulative_eqd2.dcm") ||
        !rert_dose_save(err, a->cumulative_map, path, &o, NULL)) {
        return false;
    }
    const Course *p = &a->courses[a->planned];
    char comment[65];
    (void)snprintf(comment, sizeof comment,
                   "NOT A PLAN DOSE: dose budget (max Gy in %ld fx)",
                   p->fractions);
    o.dose_type = RERT_DOSE_TYPE_PHYSICAL;
    /* the budget is derived from the planned course's plan when there is
     * one, otherwise from the prior courses' plans */
    const char *planned_uid = course_plan_uid(p);
    if (planned_uid != NULL) {
        o.referenced_plan_uids = &planned_uid;
        o.referenced_plan_count = 1;
    }
    o.summation_type = summation_type(o.referenced_plan_count);
    o.comment = comment;
    o.series_description = "rert BUDGET LIMIT - NOT A PLAN DOSE";
    char name[64];
    (void)snprintf(name, sizeof name, "budget_%ldfx.dcm", p->fractions);
    return assess_path(err, path, sizeof path, dir, name) &&
           rert_dose_save(err, a->budget_total, path, &o, NULL);
}

bool assess_write_outputs(RertError *err,
                          const RertAssessment *a,
                          const char *dir)
{
    RertStrbuf sb;
    rert_strbuf_init(&sb, (size_t)256 << 20);
    bool ok =
        report_json(err, a, &sb) && write_text(err, dir, "report.json", &sb);
    rert_strbuf_clear(&sb);
    ok = ok && dvh_csv(err, a, &sb) && write_text(err, dir, "dvh.csv", &sb);
    rert_strbuf_clear(&sb);
    return ok && dose_files(err, a, dir) && assess_write_html(err, a, dir);
}

/* The files rert_assess_write() produces (the budget name varies). */
static size_t output_names(const RertAssessment *a, char names[5][64])
{
    static const char *const fixed[] = {"report.json", "dvh.csv",
                                        "cumulative_eqd2.dcm", "report.html"};
    for (size_t i = 0; i < 4; i++) {
        (void)snprintf(names[i], 64, "%s", fixed[i]);
    }
    (void)snprintf(names[4], 64, "budget_%ldfx.dcm",
                   a->courses[a->planned].fractions);
    return 5;
}

/* Move every file of @p tmp into @p out (each rename atomic). */
static bool move_all(RertError *err,
                     const RertAssessment *a,
                     const char *tmp,
                     const char *out)
{
    char names[5][64];
    size_t n = output_names(a, names);
    char from[4096];
    char to[4096];
    for (size_t i = 0; i < n; i++) {
        if (!assess_path(err, from, sizeof from, tmp, names[i]) ||
            !assess_path(err, to, sizeof to, out, names[i])) {
            return false;
        }
        if (rename(from, to) != 0) {
            return rert_error_set(err, RERT_ERR_IO, "%s: rename to %s: %s",
                                  from, to, strerror(errno));
        }
    }
    return true;
}

static void remove_tree(const char *tmp, const RertAssessment *a)
{
    char names[5][64];
    size_t n = output_names(a, names);
    char path[4096];
    for (size_t i = 0; i < n; i++) {
        if (assess_path(NULL, path, sizeof path, tmp, names[i])) {
            (void)unlink(path);
        }
    }
    (void)rmdir(tmp);
}

bool rert_assess_write(RertError *err,
                       const RertAssessment *a,
                       const char *out_dir)
{
    char tmp[4096];
    if (!assess_path(err, tmp, sizeof tmp - 8, out_dir, "")) {
        return false;
    }
    (void)snprintf(tmp, sizeof tmp, "%.4000s.tmp-XXXXXX", out_dir);
    if (mkdtemp(tmp) == NULL) {
        return rert_error_set(err, RERT_ERR_IO, "%s: cannot create: %s", tmp,
                              strerror(errno));
    }
    bool ok = assess_write_outputs(err, a, tmp);
    if (ok && rmdir(out_dir) != 0 && errno != ENOENT) {
        /* out_dir exists and is not empty: replace our files in it */
        ok = move_all(err, a, tmp, out_dir);
    } else if (ok && rename(tmp, out_dir) != 0) {
        ok = rert_error_set(err, RERT_ERR_IO, "%s: rename to %s: %s", tmp,
                            out_dir, strerror(errno));
    }
    remove_tree(tmp, a);
    return ok;
}
