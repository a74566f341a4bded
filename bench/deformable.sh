#!/usr/bin/env bash
# Deformable registration on a generated CT pair with a known deformation
# (tests/unit/deform_case.h: the phantom anatomy plus tissue texture, a
# rigid offset of 2-3 degrees and 4-5 mm, two Gaussian bumps scaled so
# that the non-rigid displacement peaks at 10 mm inside the body): rert
# (diffeomorphic demons) against plastimatch (demons and B-spline,
# `plastimatch register` command files) and elastix (B-spline,
# transformix -def) on the same pair in the same run. Accuracy: mean, 95th
# percentile and maximum vector error against the true field inside the
# body, Jacobian minimum and folded voxels (bench_deformable eval); CPU
# time (user + system) and wall time from /usr/bin/time; ratios against
# rert. Then the wall time of rert on a 256x256x128 pair.
#
# usage: bench/deformable.sh [BUILD_DIR] [THREADS]   (default build, 2)
# Needs plastimatch and elastix (Debian packages); a missing tool's rows
# say "not installed".
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
threads=${2:-2}
export OMP_NUM_THREADS=$threads ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS=$threads
work=$(mktemp -d /tmp/rert-deformable-XXXXXX)
# KEEP=1 keeps the folder (inputs, fields, logs) for a look afterwards.
if [ "${KEEP:-0}" = 1 ]; then
    echo "keeping $work" >&2
else
    trap 'rm -rf "$work"' EXIT
fi
ninja -C "$build" bench/bench_deformable src/cli/rert >/dev/null
bench="$build/bench/bench_deformable"
rert="$build/src/cli/rert"

# The comparison pair: 160 x 160 x 80 voxels of 1.25 x 1.25 x 2.5 mm; the
# bumps scaled by 1.28 so that the largest non-rigid displacement inside the
# body is 10 mm (the issue's "up to 10 mm"; gen prints it).
pair="$work/pair"
mkdir -p "$pair"
peak=$("$bench" gen "$pair" 160 160 80 1.25 1.25 2.5 1.28)

# timed NAME CMD...: runs CMD, writes "wall cpu" to $work/NAME.time
timed() {
    local name=$1
    shift
    /usr/bin/time -f "%e %U %S" -o "$work/$name.raw" "$@" \
        >"$work/$name.log" 2>&1 || {
        echo "$name failed, see its log:" >&2
        tail -5 "$work/$name.log" >&2
        return 1
    }
    awk '{printf "%.2f %.2f\n", $1, $2 + $3}' "$work/$name.raw" \
        >"$work/$name.time"
}

plastimatch_files() {
    # Stage 1 rigid (ITK versor, MSE) for both; then demons or B-spline.
    # Settings tried on a smaller pair first: demons_std 4 did best of 1
    # (folded), 2 and 4; the B-spline (MSE, L-BFGS-B) did no better with
    # 10 or 20 mm final grids, with or without the body ROI and
    # regularisation.
    local rigid="[STAGE]
xform=rigid
optim=versor
impl=itk
metric=mse
max_its=60
res=2 2 1
"
    cat >"$work/plm_demons.txt" <<EOF
[GLOBAL]
fixed=$pair/fixed.mha
moving=$pair/moving.mha
vf_out=$work/plm_demons.mha

$rigid
[STAGE]
xform=vf
optim=demons
impl=plastimatch
threading=openmp
demons_std=4
max_its=60
res=2 2 1

[STAGE]
max_its=60
res=1 1 1
EOF
    cat >"$work/plm_bspline.txt" <<EOF
[GLOBAL]
fixed=$pair/fixed.mha
moving=$pair/moving.mha
fixed_roi=$pair/mask.mha
vf_out=$work/plm_bspline.mha

$rigid
[STAGE]
xform=bspline
optim=lbfgsb
impl=plastimatch
threading=openmp
metric=mse
regularization_lambda=0.005
max_its=100
grid_spac=30 30 30
res=2 2 1

[STAGE]
max_its=100
grid_spac=15 15 15
res=1 1 1
EOF
}

elastix_files() {
    cat >"$work/el_rigid.txt" <<'EOF'
(FixedInternalImagePixelType "float")
(MovingInternalImagePixelType "float")
(Registration "MultiResolutionRegistration")
(Metric "AdvancedMeanSquares")
(Transform "EulerTransform")
(AutomaticTransformInitialization "true")
(AutomaticTransformInitializationMethod "CenterOfGravity")
(Optimizer "AdaptiveStochasticGradientDescent")
(NumberOfResolutions 3)
(MaximumNumberOfIterations 300)
(ImageSampler "RandomCoordinate")
(NumberOfSpatialSamples 4000)
(NewSamplesEveryIteration "true")
(Interpolator "BSplineInterpolator")
(BSplineInterpolationOrder 1)
(ResampleInterpolator "FinalBSplineInterpolator")
(FinalBSplineInterpolationOrder 1)
(Resampler "DefaultResampler")
(FixedImagePyramid "FixedSmoothingImagePyramid")
(MovingImagePyramid "MovingSmoothingImagePyramid")
(WriteResultImage "false")
(RandomSeed 1234)
EOF
    cat >"$work/el_bspline.txt" <<'EOF'
(FixedInternalImagePixelType "float")
(MovingInternalImagePixelType "float")
(Registration "MultiResolutionRegistration")
(Metric "AdvancedMeanSquares")
(Transform "BSplineTransform")
(FinalGridSpacingInPhysicalUnits 15.0)
(GridSpacingSchedule 4.0 2.0 1.0)
(Optimizer "AdaptiveStochasticGradientDescent")
(NumberOfResolutions 3)
(MaximumNumberOfIterations 500)
(ImageSampler "RandomCoordinate")
(NumberOfSpatialSamples 8000)
(NewSamplesEveryIteration "true")
(Interpolator "BSplineInterpolator")
(BSplineInterpolationOrder 1)
(ResampleInterpolator "FinalBSplineInterpolator")
(FinalBSplineInterpolationOrder 1)
(Resampler "DefaultResampler")
(FixedImagePyramid "FixedSmoothingImagePyramid")
(MovingImagePyramid "MovingSmoothingImagePyramid")
(WriteResultImage "false")
(ResultImageFormat "mha")
(RandomSeed 1234)
EOF
}

run_rert() {
    timed rert "$rert" register --fixed "$pair/fixed.mha" \
        --moving "$pair/moving.mha" --method deformable \
        --vector-field "$work/rert.mha"
    echo "$work/rert.mha"
}

run_plastimatch() {
    local kind=$1
    timed "plm_$kind" plastimatch register "$work/plm_$kind.txt"
    echo "$work/plm_$kind.mha"
}

run_elastix() {
    mkdir -p "$work/elastix"
    timed elastix_reg elastix -f "$pair/fixed.mha" -m "$pair/moving.mha" \
        -fMask "$pair/mask.mha" -p "$work/el_rigid.txt" \
        -p "$work/el_bspline.txt" -out "$work/elastix" \
        -threads "$threads"
    timed elastix_def transformix -def all -out "$work/elastix" \
        -tp "$work/elastix/TransformParameters.1.txt" -threads "$threads"
    # Registration and field output together.
    paste "$work/elastix_reg.time" "$work/elastix_def.time" |
        awk '{printf "%.2f %.2f\n", $1 + $3, $2 + $4}' >"$work/elastix.time"
    local f
    f=$(ls "$work"/elastix/deformationField.* | grep -v '\.raw$' | head -1)
    echo "$f"
}

# row NAME LABEL FIELD: one Markdown row (and "cpu mean" for ratios)
declare -A cpu_of mean_of
row() {
    local name=$1 label=$2 field=$3
    local e wall cpu
    e=$("$bench" eval "$pair" "$field")
    read -r wall cpu <"$work/$name.time"
    read -r mean p95 max jmin jmax folded voxels <<<"$e"
    cpu_of[$name]=$cpu
    mean_of[$name]=$mean
    printf '| %s | %.3f | %.3f | %.3f | %.3f | %s | %s | %s |' "$label" \
        "$mean" "$p95" "$max" "$jmin" "$folded" "$cpu" "$wall"
    if [ "$name" = rert ]; then
        printf ' 1 | 1 |\n'
    else
        awk -v m="$mean" -v r="${mean_of[rert]}" -v c="$cpu" \
            -v rc="${cpu_of[rert]}" \
            'BEGIN {printf " %.2f | %.2f |\n", m / r, c / rc}'
    fi
}

plastimatch_files
elastix_files
echo "pair: 160 x 160 x 80 voxels, 1.25 x 1.25 x 2.5 mm, $peak;" \
    "$threads threads; $(nproc) cores; $(uname -m)"
echo
echo "| method | mean mm | p95 mm | max mm | min Jacobian | folded voxels |" \
    "CPU s | wall s | error ratio | CPU ratio |"
echo "|---|---|---|---|---|---|---|---|---|---|"
field=$(run_rert)
row rert "rert demons (rigid + 3 levels)" "$field"
for tool in plastimatch elastix; do
    if ! command -v "$tool" >/dev/null; then
        echo "| $tool | not installed | | | | | | | | |"
        continue
    fi
    if [ "$tool" = plastimatch ]; then
        field=$(run_plastimatch demons) &&
            row plm_demons "plastimatch demons (rigid + 2 stages, std 4)" "$field"
        field=$(run_plastimatch bspline) &&
            row plm_bspline "plastimatch B-spline (rigid + 30/15 mm grids)" "$field"
    else
        field=$(run_elastix) &&
            row elastix "elastix B-spline (Euler + B-spline, 3 levels)" "$field"
    fi
done

# The 256 x 256 x 128 timing (0.8 x 0.8 x 1.6 mm), rert only.
big="$work/big"
mkdir -p "$big"
"$bench" gen "$big" 256 256 128 0.8 0.8 1.6 1.28 >/dev/null
pair=$big
timed rert_big "$rert" register --fixed "$big/fixed.mha" \
    --moving "$big/moving.mha" --method deformable \
    --vector-field "$work/rert_big.mha"
read -r wall cpu <"$work/rert_big.time"
e=$("$bench" eval "$big" "$work/rert_big.mha")
read -r mean p95 max jmin jmax folded voxels <<<"$e"
echo
echo "256 x 256 x 128 pair (0.8 x 0.8 x 1.6 mm), rert register --method" \
    "deformable, $threads threads: wall $wall s, CPU $cpu s (including" \
    "reading and writing the .mha files); error mean $mean mm, p95 $p95 mm," \
    "max $max mm; min Jacobian $jmin, folded $folded of $voxels voxels"
