/* Private declarations shared by the files of src/selection. */
#ifndef RERT_SELECTION_INTERNAL_H
#define RERT_SELECTION_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <rert/selection.h>

/* Canonical text of a set value of @p info ("70", "yes", "steroids", or
 * the text given) into @p buf; always NUL-terminated. */
void selection_value_format(const RertSelectionFieldInfo *info,
                            const RertSelectionValue *value,
                            char *buf,
                            size_t size);

/* Append @p piece to the NUL-terminated @p buf of @p size bytes; when it
 * does not fit, end @p buf with "..." and return false. */
bool selection_append(char *buf, size_t size, const char *piece);

#endif
