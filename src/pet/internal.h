/* Private declarations shared by the PET files. Never installed. */
#ifndef RERT_PET_INTERNAL_H
#define RERT_PET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <rert/pet.h>

/* DICOM dates and times as seconds since 1970-01-01 00:00:00 (no time
 * zone: every time of one series is taken in the same local zone). */

/* DA "YYYYMMDD" (also "YYYY.MM.DD") -> days; false when malformed. */
bool pet_parse_da(const char *text, long *days);
/* TM "HH[MM[SS[.F{1,6}]]]" (also "HH:MM:SS") -> seconds of the day. */
bool pet_parse_tm(const char *text, double *seconds);
/* DT "YYYYMMDD[HH[MM[SS[.F]]]][&ZZXX]" -> seconds; *has_offset tells
 * whether a UTC offset suffix was present (it is ignored). */
bool pet_parse_dt(const char *text, double *seconds, bool *has_offset);
/* "YYYY-MM-DD hh:mm:ss" of @p seconds into @p buf. */
void pet_format_datetime(double seconds, char *buf, size_t size);

/* Per-voxel occupancy of @p polygons on @p grid (new array of voxel count
 * floats, rert_free()). */
float *pet_occupancy(RertError *err,
                     const RertGridGeometry *grid,
                     const RertPolygon *polygons,
                     size_t count,
                     const RertRasterOptions *raster);

#endif
