/* Assessment inputs: the constraint library and organ names, every course's
 * DICOM objects, fractions, RBE, interval and registration to the planned
 * course (docs/assessment.md, "Inputs"). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

bool assess_load_library(RertError *err, RertAssessment *a)
{
    char path[4096];
    const RertCaseConstraints *cc = rert_case_constraints(a->c);
    if (cc != NULL && !cc->is_builtin && cc->set != NULL) {
        (void)snprintf(path, sizeof path, "%s", cc->set);
    } else {
        (void)snprintf(path, sizeof path, "%s/constraints.yaml",
                       a->options.data_dir);
    }
    a->library = rert_constraint_library_load(err, path);
    if (a->library == NULL) {
        return false;
    }
    (void)snprintf(path, sizeof path, "%s/organ_synonyms.yaml",
                   a->options.data_dir);
    a->organs = rert_organ_table_load(err, path);
    if (a->organs == NULL ||
        !rert_constraint_library_check_organs(err, a->library, a->organs)) {
        return false;
    }
    for (size_t i = 0; cc != NULL && i < cc->override_count; i++) {
        const RertCaseConstraintOverride *o = &cc->overrides[i];
        RertConstraint spec;
        memset(&spec, 0, sizeof spec);
        spec.id = o->id;
        spec.organ = o->organ;
        spec.metric = o->metric;
        spec.limit = o->limit;
        spec.alpha_beta_gy = o->alpha_beta_gy;
        spec.min_interval_months = (double)NAN;
        spec.source = o->source;
        spec.site = "any";
        spec.evidence = RERT_EVIDENCE_P;
        if (!rert_constraint_unit_parse(err, "override unit", o->unit,
                                        &spec.unit) ||
            !rert_constraint_scope_parse(
                err, "override scope",
                o->scope != NULL ? o->scope : "cumulative", &spec.scope) ||
            !rert_constraint_comparison_parse(
                err, "override comparison",
                o->comparison != NULL ? o->comparison : "<=",
                &spec.comparison) ||
            !rert_constraint_library_override(err, a->library, &spec,
                                              o->replaces)) {
            rert_error_prefix(err, "%s:%zu: constraint override",
                              rert_case_name(a->c), o->line);
            return false;
        }
    }
    return true;
}

/* Patient ID of every object must match the case unless allowed. */
static bool check_patient(RertError *err,
                          const RertAssessment *a,
                          const RertRtMeta *meta,
                          const char *what)
{
    const char *want = rert_case_patient(a->c)->id;
    if (meta->patient_id[0] == '\0' || strcmp(meta->patient_id, want) == 0 ||
        rert_case_options(a->c)->allow_patient_id_mismatch) {
        return true;
    }
    return rert_error_set(err, RERT_ERR_INVALID_ARG,
                          "%s has PatientID '%s' but the case is patient "
                          "'%s' (set options: allow_patient_id_mismatch: "
                          "true if this is intended)",
                          what, meta->patient_id, want);
}

static bool load_objects(RertError *err, RertAssessment *a, Course *k)
{
    const RertCaseDicom *d = &k->spec->dicom;
    if (d->rtdose != NULL) {
        k->dose = rert_dose_load(err, d->rtdose, NULL);
        if (k->dose == NULL ||
            !check_patient(err, a, rert_dose_meta(k->dose), d->rtdose)) {
            return false;
        }
        if (rert_dose_type(k->dose) == RERT_DOSE_TYPE_ERROR) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "%s: DoseType ERROR is not a dose",
                                  d->rtdose);
        }
    }
    if (d->rtstruct != NULL) {
        k->structures = rert_structure_set_load(err, d->rtstruct, NULL);
        if (k->structures == NULL ||
            !check_patient(err, a, rert_structure_set_meta(k->structures),
                           d->rtstruct)) {
            return false;
        }
    }
    if (d->rtplan != NULL) {
        k->plan = rert_plan_load(err, d->rtplan, NULL);
        if (k->plan == NULL ||
            !check_patient(err, a, rert_plan_meta(k->plan), d->rtplan)) {
            return false;
        }
    }
    RertCaseRegistrationMethod method = k->spec->registration.method;
    bool need_ct = k->is_planned || method == RERT_CASE_REG_RIGID_AUTO ||
                   method == RERT_CASE_REG_DEFORMABLE_AUTO;
    if (d->ct_dir != NULL && need_ct) {
        k->ct = rert_image_series_load(err, d->ct_dir, NULL, NULL);
        if (k->ct == NULL ||
            !check_patient(err, a, rert_image_series_meta(k->ct), d->ct_dir)) {
            return false;
        }
    }
    return true;
}

static bool course_fractions(RertError *err, Course *k)
{
    k->fractions = k->spec->fractions;
    if (k->fractions == 0 && k->plan != NULL &&
        !rert_plan_fractions(err, k->plan, k->spec->fraction_group,
                             &k->fractions)) {
        return false;
    }
    if (k->fractions < 1) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "course '%s' (line %zu): the number of "
                              "fractions is neither given nor in an RTPLAN",
                              k->spec->name, k->spec->line);
    }
    return true;
}

/* Whether @p s ends with @p suffix, ignoring ASCII case (".NII.GZ"). */
static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s);
    size_t m = strlen(suffix);
    return n >= m && assess_name_equal(s + n - m, suffix);
}

/* A LETd map (keV/um): a MetaImage (.mha/.mhd) or NIfTI-1 (.nii/.nii.gz)
 * scalar image, or an RTDOSE-like grid whose values are LETd. */
static RertVolume *load_let(RertError *err, const char *path)
{
    if (ends_with(path, ".mha") || ends_with(path, ".mhd") ||
        ends_with(path, ".nii") || ends_with(path, ".nii.gz")) {
        RertLimits limits = rert_limits_default();
        return rert_volume_load_image(err, path, &limits);
    }
    RertDoseLoadOptions o = rert_dose_load_options_default();
    o.relative_normalisation_gy = 1.0; /* LET grids carry no dose units */
    RertDose *dose = rert_dose_load(err, path, &o);
    if (dose == NULL) {
        return NULL;
    }
    RertVolume *v = rert_volume_clone(err, rert_dose_volume(dose));
    rert_dose_destroy(dose);
    return v;
}

/* LET-based RBE: the LETd map (an RTDOSE-like grid whose values are LETd
 * in keV/um) is resampled onto the course's dose grid; a dose already
 * RBE-weighted with a constant by the planning system is divided by that
 * constant first. */
static bool let_model(RertError *err, Course *k, bool weighted)
{
    const RertCaseRbe *r = &k->spec->rbe;
    k->rbe_model = rert_rbe_model_find(rert_case_rbe_model_name(r->model));
    if (k->rbe_model == NULL || k->dose == NULL || r->let_map == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "course '%s' (line %zu): LET-based RBE needs the "
                              "model, an RTDOSE and a let_map",
                              k->spec->name, r->line);
    }
    k->rbe_divisor = 1.0;
    if (weighted) {
        if (!(isfinite(r->value) && r->value > 0.0)) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "course '%s' (line %zu): the dose is "
                                  "RBE-weighted: give the constant RBE the "
                                  "planning system used (rbe: value) to "
                                  "recover the physical dose",
                                  k->spec->name, r->line);
        }
        k->rbe_divisor = r->value;
    }
    RertVolume *let = load_let(err, r->let_map);
    if (let == NULL) {
        if (err == NULL) {
            return false;
        }
        RertError inner = *err;
        return rert_error_set(err, inner.code,
                              "let_map (line %zu): %s (expected an "
                              "RTDOSE-like DICOM grid, .mha, .mhd, .nii or "
                              ".nii.gz)",
                              r->line, inner.message);
    }
    k->let = rert_volume_resample(
        err, let, rert_volume_geometry(rert_dose_volume(k->dose)), NULL, 0.0f,
        NULL);
    rert_volume_destroy(let);
    (void)snprintf(k->rbe_note, sizeof k->rbe_note,
                   "variable RBE per voxel: %s from LETd map %s%s",
                   k->rbe_model->name, r->let_map,
                   weighted ? " (planning RBE divided out)" : "");
    return k->let != NULL;
}

/* RBE: photons, electrons and brachytherapy 1; particle courses need a
 * stated handling (never guessed). */
static bool course_rbe(RertError *err, Course *k)
{
    const RertCaseCourse *s = k->spec;
    k->rbe = 1.0;
    bool particle = s->modality == RERT_CASE_MODALITY_PROTON ||
                    s->modality == RERT_CASE_MODALITY_CARBON;
    if (!particle) {
        (void)snprintf(k->rbe_note, sizeof k->rbe_note, "none (%s)",
                       rert_case_modality_name(s->modality));
        return true;
    }
    bool weighted = s->dose_type == RERT_CASE_DOSE_RBE_WEIGHTED ||
                    (k->dose != NULL &&
                     rert_dose_type(k->dose) == RERT_DOSE_TYPE_EFFECTIVE);
    if (weighted && (s->rbe.model == RERT_CASE_RBE_AS_PLANNED ||
                     s->rbe.model == RERT_CASE_RBE_NONE)) {
        (void)snprintf(k->rbe_note, sizeof k->rbe_note,
                       "dose already RBE-weighted (used as is)");
        return true;
    }
    if (!weighted && s->rbe.model == RERT_CASE_RBE_CONSTANT &&
        isfinite(s->rbe.value) && s->rbe.value > 0.0) {
        k->rbe = s->rbe.value;
        (void)snprintf(k->rbe_note, sizeof k->rbe_note,
                       "physical dose x constant RBE %g", s->rbe.value);
        return true;
    }
    if (s->rbe.model == RERT_CASE_RBE_MCNAMARA2015 ||
        s->rbe.model == RERT_CASE_RBE_WEDENBERG2013 ||
        s->rbe.model == RERT_CASE_RBE_CARABE2012) {
        return let_model(err, k, weighted);
    }
    return rert_error_set(err, RERT_ERR_INVALID_ARG,
                          "course '%s' (line %zu): a %s course with a %s "
                          "dose needs an explicit RBE handling",
                          s->name, s->line,
                          rert_case_modality_name(s->modality),
                          weighted ? "RBE-weighted" : "physical");
}

static bool rigid_auto(RertError *err, const RertAssessment *a, Course *k)
{
    const Course *p = &a->courses[a->planned];
    if (k->ct == NULL || p->ct == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "course '%s': rigid_auto registration needs "
                              "the CT series of this course and of the "
                              "planned course",
                              k->spec->name);
    }
    RertRigidOptions o = rert_rigid_options_default();
    if (!rert_rigid_register(err, rert_image_series_volume(p->ct),
                             rert_image_series_volume(k->ct), &o, &k->rigid)) {
        rert_error_prefix(err, "registering course '%s' to '%s'", k->spec->name,
                          p->spec->name);
        return false;
    }
    k->has_rigid = true;
    k->to_course = rert_transform_create_matrix(err, k->rigid.fixed_to_moving);
    (void)snprintf(k->registration, sizeof k->registration,
                   "rigid, automatic (mutual information): rotation %.2f "
                   "%.2f %.2f deg, translation %.2f %.2f %.2f mm",
                   k->rigid.rotation_deg[0], k->rigid.rotation_deg[1],
                   k->rigid.rotation_deg[2], k->rigid.translation_mm[0],
                   k->rigid.translation_mm[1], k->rigid.translation_mm[2]);
    return k->to_course != NULL;
}

static const char *frame_of(const Course *k)
{
    if (k->dose != NULL) {
        return rert_dose_meta(k->dose)->frame_of_reference_uid;
    }
    if (k->ct != NULL) {
        return rert_image_series_meta(k->ct)->frame_of_reference_uid;
    }
    return "";
}

/* A deformable DICOM REG: the field is sampled on the reference grid. */
static bool dicom_dreg(RertError *err, const RertAssessment *a, Course *k)
{
    RertDeformableRegistration *reg =
        rert_dreg_load(err, k->spec->registration.file, NULL);
    if (reg == NULL) {
        return false;
    }
    k->to_course = rert_dreg_transform_create(
        err, reg, frame_of(&a->courses[a->planned]), frame_of(k), &a->ref);
    rert_dreg_destroy(reg);
    k->is_deformable = true;
    (void)snprintf(k->registration, sizeof k->registration,
                   "deformable, DICOM Deformable Spatial Registration %s",
                   k->spec->registration.file);
    return k->to_course != NULL;
}

static bool is_deformable_reg(const char *path)
{
    RertDicomParseOptions po = rert_dicom_parse_options_default();
    po.stop_before_pixel_data = true;
    RertDataset *ds = rert_dicom_load(NULL, path, &po, NULL);
    char uid[RERT_UID_SIZE] = "";
    (void)rert_dataset_get_string(NULL, ds, RERT_TAG(0x0008, 0x0016), 0, uid,
                                  sizeof uid);
    rert_dataset_destroy(ds);
    return strcmp(uid, RERT_DREG_SOP_CLASS_UID) == 0;
}

static bool dicom_reg(RertError *err, const RertAssessment *a, Course *k)
{
    if (is_deformable_reg(k->spec->registration.file)) {
        return dicom_dreg(err, a, k);
    }
    RertSpatialRegistration reg;
    RertMat4 m;
    if (!rert_reg_load(err, k->spec->registration.file, NULL, &reg) ||
        !rert_reg_matrix(err, &reg, frame_of(&a->courses[a->planned]),
                         frame_of(k), &m)) {
        return false;
    }
    k->to_course = rert_transform_create_matrix(err, m);
    (void)snprintf(k->registration, sizeof k->registration,
                   "rigid, DICOM Spatial Registration %s",
                   k->spec->registration.file);
    return k->to_course != NULL;
}

static bool deformable_auto(RertError *err, const RertAssessment *a, Course *k)
{
    const Course *p = &a->courses[a->planned];
    if (k->ct == NULL || p->ct == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "course '%s': deformable_auto registration "
                              "needs the CT series of this course and of the "
                              "planned course",
                              k->spec->name);
    }
    RertDeformableOptions o = rert_deformable_options_default();
    RertVectorField *f = rert_deformable_register(
        err, rert_image_series_volume(p->ct), rert_image_series_volume(k->ct),
        &o, &k->deformable);
    if (f == NULL) {
        rert_error_prefix(err, "deformable registration of course '%s'",
                          k->spec->name);
        return false;
    }
    k->to_course = rert_vector_field_transform(err, f);
    k->has_deformable = true;
    k->is_deformable = true;
    k->has_domain = true;
    k->domain = *rert_vector_field_geometry(f);
    k->has_rigid_part = true;
    k->rigid_part = k->deformable.rigid_fixed_to_moving;
    bool ok = k->to_course != NULL && assess_inverse_consistency(err, a, k, f);
    rert_vector_field_destroy(f);
    if (!ok) {
        return false;
    }
    const RertJacobianStats *j = &k->deformable.jacobian;
    (void)snprintf(k->registration, sizeof k->registration,
                   "deformable, automatic (demons after rigid): deformation "
                   "mean %.2f max %.2f mm; Jacobian %.3f..%.3f, %zu folded",
                   k->deformable.deformation_mean_mm,
                   k->deformable.deformation_max_mm, j->min, j->max, j->folded);
    return k->to_course != NULL;
}

/* An external displacement field (ITK/plastimatch convention, on a grid in
 * the planned course's frame, pointing to this course). */
static bool vector_field(RertError *err, Course *k)
{
    RertLimits limits = rert_limits_default();
    RertVectorField *f =
        rert_vector_field_load(err, k->spec->registration.file, &limits);
    if (f == NULL) {
        return false;
    }
    k->to_course = rert_vector_field_transform(err, f);
    k->has_domain = true;
    k->domain = *rert_vector_field_geometry(f);
    rert_vector_field_destroy(f);
    k->is_deformable = true;
    (void)snprintf(k->registration, sizeof k->registration,
                   "deformable, external vector field %s",
                   k->spec->registration.file);
    return k->to_course != NULL;
}

/* Transform reference -> course (voxel courses only). */
static bool course_transform(RertError *err, const RertAssessment *a, Course *k)
{
    const char *ref_frame = frame_of(&a->courses[a->planned]);
    RertCaseRegistrationMethod m = k->spec->registration.method;
    if (k->is_planned || m == RERT_CASE_REG_IDENTITY ||
        (m == RERT_CASE_REG_NONE && strcmp(frame_of(k), ref_frame) == 0)) {
        if (!k->is_planned && strcmp(frame_of(k), ref_frame) != 0) {
            return rert_error_set(err, RERT_ERR_INVALID_ARG,
                                  "course '%s': registration 'identity' but "
                                  "its frame of reference %s differs from the "
                                  "planned course's %s",
                                  k->spec->name, frame_of(k), ref_frame);
        }
        (void)snprintf(k->registration, sizeof k->registration, "%s",
                       k->is_planned ? "reference (planned course)"
                                     : "identity (same frame of reference)");
        k->to_course = rert_transform_create_identity(err);
        return k->to_course != NULL;
    }
    switch (m) {
    case RERT_CASE_REG_DICOM_REG:
        return dicom_reg(err, a, k);
    case RERT_CASE_REG_RIGID_AUTO:
        return rigid_auto(err, a, k);
    case RERT_CASE_REG_DEFORMABLE_AUTO:
        return deformable_auto(err, a, k);
    case RERT_CASE_REG_VECTOR_FIELD:
        return vector_field(err, k);
    default:
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "course '%s': frame of reference %s differs "
                              "from the planned course's %s and no "
                              "registration is given (identity, dicom_reg, "
                              "rigid_auto)",
                              k->spec->name, frame_of(k), ref_frame);
    }
}

static void course_interval(RertAssessment *a, Course *k)
{
    k->interval_months = (double)NAN;
    const RertCaseCourse *p = rert_case_planned_course(a->c);
    if (!k->is_planned && k->spec->has_end) {
        k->interval_months =
            (double)(p->start_days - k->spec->end_days) / RERT_DAYS_PER_MONTH;
    }
}

static bool load_course(RertError *err, RertAssessment *a, size_t i)
{
    Course *k = &a->courses[i];
    if (!load_objects(err, a, k) || !course_fractions(err, k) ||
        !course_rbe(err, k)) {
        rert_error_prefix(err, "course '%s'", k->spec->name);
        return false;
    }
    course_interval(a, k);
    k->has_voxels = k->dose != NULL;
    return true;
}

bool assess_load_courses(RertError *err, RertAssessment *a)
{
    a->course_count = rert_case_course_count(a->c);
    a->courses = rert_calloc(err, a->course_count, sizeof *a->courses);
    if (a->courses == NULL) {
        return false;
    }
    a->planned = a->course_count - 1;
    for (size_t i = 0; i < a->course_count; i++) {
        a->courses[i].spec = rert_case_course(a->c, i);
        a->courses[i].is_planned = i == a->planned;
    }
    /* planned first: it is the reference of every registration */
    if (!load_course(err, a, a->planned)) {
        return false;
    }
    const Course *p = &a->courses[a->planned];
    if (p->ct == NULL || p->structures == NULL) {
        return rert_error_set(err, RERT_ERR_INVALID_ARG,
                              "planned course '%s': the CT series and the "
                              "RTSTRUCT are needed (the reference anatomy)",
                              p->spec->name);
    }
    if (!assess_reference_grid(err, a)) {
        return false;
    }
    for (size_t i = 0; i < a->course_count; i++) {
        assess_progress(a, "loading courses",
                        (double)i / (double)a->course_count);
        if ((i != a->planned && !load_course(err, a, i)) ||
            !assess_landmarks_load(err, a, &a->courses[i]) ||
            (a->courses[i].has_voxels &&
             !course_transform(err, a, &a->courses[i]))) {
            return false;
        }
    }
    return true;
}
