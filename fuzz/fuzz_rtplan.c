/* Fuzz target: RT Plan / RT Ion Plan reading (Part 10 bytes -> data set ->
 * fraction groups, beams, prescription), from memory. */
#include <stddef.h>
#include <stdint.h>

#include <rert/dicom.h>
#include <rert/rt.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs past this size add run time without new coverage. */
#define MAX_INPUT_BYTES ((size_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT_BYTES) {
        return 0;
    }
    RertDicomParseOptions po = rert_dicom_parse_options_default();
    po.limits.max_inflated_bytes = (size_t)16 << 20;
    po.limits.max_elements = 100000;
    RertError err;
    RertDataset *ds = rert_dicom_parse(&err, data, size, "fuzz", &po, NULL);
    if (ds == NULL) {
        return 0;
    }
    RertPlan *plan = rert_plan_from_dataset(&err, ds);
    if (plan != NULL) {
        long fractions = 0;
        double rx = 0.0;
        (void)rert_plan_fractions(&err, plan, 0, &fractions);
        (void)rert_plan_prescription_gy(plan, &rx);
        for (size_t i = 0; i < rert_plan_fraction_group_count(plan); i++) {
            const RertFractionGroup *g = rert_plan_fraction_group_at(plan, i);
            (void)rert_plan_fractions(&err, plan, g->number, &fractions);
            for (size_t b = 0; b < g->beam_count; b++) {
                rx += g->beams[b].beam_dose_gy;
            }
        }
        for (size_t i = 0; i < rert_plan_beam_count(plan); i++) {
            (void)rert_radiation_type_name(
                rert_plan_beam_at(plan, i)->radiation_type);
        }
    }
    rert_plan_destroy(plan);
    rert_dataset_destroy(ds);
    return 0;
}
