/* --roi style arguments shared by the commands. */
#include <string.h>

#include <rert/core.h>
#include <rert/rt.h>

#include "cli.h"

const RertRoi *cli_find_roi(const RertStructureSet *ss, const char *key)
{
    long number = 0;
    if (rert_parse_long(NULL, key, strlen(key), -2147483647L, 2147483647L,
                        "ROI number", &number)) {
        const RertRoi *roi = rert_structure_set_roi_by_number(ss, number);
        if (roi != NULL) {
            return roi;
        }
    }
    return rert_structure_set_roi_by_name(ss, key);
}
