/* Fuzz target: case files (YAML text -> strict document -> case model,
 * docs/case-file.md), from memory, without touching the file system. */
#include <stddef.h>
#include <stdint.h>

#include <rert/casefile.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Case files are small; larger inputs add run time, not coverage. */
#define MAX_INPUT_BYTES ((size_t)256 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT_BYTES) {
        return 0;
    }
    RertCaseLoadOptions opts = rert_case_load_options_default();
    opts.check_files = false;
    RertError err;
    RertCase *c =
        rert_case_parse(&err, (const char *)data, size, "fuzz", "base", &opts);
    if (c == NULL) {
        return 0;
    }
    /* Touch the model the way the pipeline does. */
    double sum = 0.0;
    for (size_t i = 0; i < rert_case_course_count(c); i++) {
        const RertCaseCourse *k = rert_case_course(c, i);
        sum += (double)k->fractions;
        for (size_t j = 0; j < k->dvh_entry_count; j++) {
            sum += k->dvh_entries[j].dose_gy;
        }
        for (size_t j = 0; j < k->target_count; j++) {
            sum += rert_case_alpha_beta_for(c, k->targets[j], NULL);
            sum += (double)rert_case_recovery_for(c, k->targets[j])->kind;
        }
    }
    (void)sum;
    rert_case_destroy(c);
    return 0;
}
