/**
 * @file rert.h
 * Umbrella header for librert, the reirradiation dose library.
 */
#ifndef RERT_RERT_H
#define RERT_RERT_H

#include <rert/assess.h>
#include <rert/biodose.h>
#include <rert/casefile.h>
#include <rert/constraints.h>
#include <rert/core.h>
#include <rert/dicom.h>
#include <rert/dvh.h>
#include <rert/error.h>
#include <rert/evaluate.h>
#include <rert/geometry.h>
#include <rert/io.h>
#include <rert/pet.h>
#include <rert/phantom.h>
#include <rert/radbio.h>
#include <rert/registration.h>
#include <rert/report.h>
#include <rert/rt.h>
#include <rert/selection.h>
#include <rert/yamldoc.h>

#endif
