#!/usr/bin/env bash
# Enforce the one-way module dependencies of style guide L2 by reading the
# #include lines of src/<module>/*.{c,h}, include/rert/*.h and fuzz/*.c.
#
#   core     -> (nothing)
#   io       -> core
#   dicom    -> core io
#   geometry -> core
#   radbio   -> core geometry
#   rt       -> core io dicom geometry
#   dvh      -> core geometry
#   biodose  -> core io dicom geometry radbio rt
#   phantom  -> core io dicom geometry radbio rt   (synthetic test cases)
#   registration -> core io dicom geometry        (rigid registration, DICOM REG)
#   config   -> core io   (YAML documents, case files)
#   constraints -> core io geometry dvh config   (constraint library)
#   evaluate -> core radbio   (recovery, budget, classification)
#   report   -> core io geometry   (escaping, JSON/CSV, PNG washes, SVG)
#   selection -> core   (patient-selection scores, decision checklist)
#   pet      -> core io dicom geometry rt config   (SUV, PET statistics and contours)
#   assess   -> every library module below it (the pipeline; not phantom)
#   cli      -> any public <rert/...> header and its own "cli.h"; no src/ headers
#   fuzz     -> any public <rert/...> header only (style guide F1)
#
# A module reaches another through its public header <rert/<name>.h>; the
# internal.h of another module is never allowed. A new module folder or a
# new public header must be added to the tables below, otherwise it is
# reported. Usage: tools/ci/check_includes.sh [REPO_ROOT]; exit 1 on any
# violation.
set -euo pipefail

root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"

# Modules each module may include (besides itself).
allowed_deps() {
    case "$1" in
    core) echo "" ;;
    io) echo "core" ;;
    dicom) echo "core io" ;;
    geometry) echo "core" ;;
    radbio) echo "core geometry" ;;
    rt) echo "core io dicom geometry" ;;
    dvh) echo "core geometry" ;;
    biodose) echo "core io dicom geometry radbio rt" ;;
    phantom) echo "core io dicom geometry radbio rt" ;;
    registration) echo "core io dicom geometry" ;;
    config) echo "core io" ;;
    constraints) echo "core io geometry dvh config" ;;
    evaluate) echo "core radbio" ;;
    report) echo "core io geometry" ;;
    selection) echo "core" ;;
    pet) echo "core io dicom geometry rt config" ;;
    assess) echo "core io dicom geometry radbio rt dvh biodose registration config constraints evaluate report selection" ;;
    cli | fuzz) echo "*" ;;
    *) return 1 ;;
    esac
}

# Module that owns a public header include/rert/<header>.
header_module() {
    case "$1" in
    error.h | core.h) echo core ;;
    io.h) echo io ;;
    dicom.h) echo dicom ;;
    geometry.h) echo geometry ;;
    radbio.h) echo radbio ;;
    rt.h | rtdose.h | rtstruct.h | rtplan.h | rtimage.h | course.h) echo rt ;;
    yamldoc.h | casefile.h) echo config ;;
    rert.h) echo umbrella ;;
    *)
        local base=${1%.h}
        if [ -d "src/$base" ]; then
            echo "$base"
        else
            return 1
        fi
        ;;
    esac
}

violations=0
unknown_modules=""
report() {
    echo "$1:$2: $3"
    violations=$((violations + 1))
}

contains() {
    local word=$1
    shift
    local x
    for x in "$@"; do
        [ "$x" = "$word" ] && return 0
    done
    return 1
}

# check_file FILE MODULE
check_file() {
    local file=$1 module=$2 deps lineno target
    if ! deps=$(allowed_deps "$module"); then
        # Once per module, not once per file.
        case " $unknown_modules " in
        *" $module "*) ;;
        *)
            unknown_modules="$unknown_modules $module"
            report "$file" 1 "module '$module' has no dependency rule: add it to allowed_deps in tools/ci/check_includes.sh (and to docs/architecture.md)"
            ;;
        esac
        return
    fi
    # "lineno<TAB>kind<TAB>target": kind is '<' or '"'.
    while IFS=$'\t' read -r lineno kind target; do
        if [ "$kind" = '<' ]; then
            case "$target" in
            rert/*) ;;
            *) continue ;; # system header
            esac
            local header=${target#rert/} owner
            if ! owner=$(header_module "$header"); then
                report "$file" "$lineno" "<$target> is not a known public header (add it to header_module in tools/ci/check_includes.sh)"
                continue
            fi
            if [ "$owner" = umbrella ]; then
                [ "$deps" = "*" ] || report "$file" "$lineno" "<rert/rert.h> (umbrella) is for the CLI and users only; include the headers of the modules '$module' may use ($deps)"
                continue
            fi
            [ "$owner" = "$module" ] && continue
            [ "$deps" = "*" ] && continue
            # shellcheck disable=SC2086
            contains "$owner" $deps && continue
            report "$file" "$lineno" "'$module' may not include <$target> (module '$owner'); allowed: ${deps:-none}"
        else
            case "$target" in
            rert_config.h) continue ;; # generated build configuration
            esac
            # Quoted includes resolve against the including file's folder.
            local resolved
            resolved=$(realpath -m --relative-to=. "$(dirname "$file")/$target")
            case "$module:$resolved" in
            cli:src/cli/cli.h) continue ;;
            cli:*)
                report "$file" "$lineno" "\"$target\": cli may include only public <rert/...> headers and its own cli.h"
                continue
                ;;
            fuzz:*)
                report "$file" "$lineno" "\"$target\": fuzz targets may include only public <rert/...> headers"
                continue
                ;;
            esac
            case "$resolved" in
            src/"$module"/*) continue ;;
            src/*/*)
                local other=${resolved#src/}
                other=${other%%/*}
                report "$file" "$lineno" "\"$target\" is a private header of module '$other'; use <rert/$other.h>"
                ;;
            *)
                report "$file" "$lineno" "\"$target\" resolves outside src/$module/ ($resolved)"
                ;;
            esac
        fi
    done < <(awk '
        match($0, /^[ \t]*#[ \t]*include[ \t]*[<"][^>"]+[>"]/) {
            s = substr($0, RSTART, RLENGTH)
            sub(/^[ \t]*#[ \t]*include[ \t]*/, "", s)
            kind = substr(s, 1, 1)
            target = substr(s, 2, length(s) - 2)
            printf "%d\t%s\t%s\n", FNR, kind, target
        }' "$file")
}

checked=0
for dir in src/*/; do
    module=$(basename "$dir")
    while IFS= read -r -d '' file; do
        check_file "$file" "$module"
        checked=$((checked + 1))
    done < <(find "$dir" -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z)
done

for file in include/rert/*.h; do
    [ -e "$file" ] || continue
    header=$(basename "$file")
    if ! module=$(header_module "$header"); then
        report "$file" 1 "public header not mapped to a module (add it to header_module in tools/ci/check_includes.sh)"
        continue
    fi
    [ "$module" = umbrella ] && continue
    check_file "$file" "$module"
    checked=$((checked + 1))
done

for file in fuzz/*.c; do
    [ -e "$file" ] || continue
    [ "$(basename "$file")" = replay_main.c ] && continue
    check_file "$file" fuzz
    checked=$((checked + 1))
done

if [ "$violations" -gt 0 ]; then
    echo "check_includes: $violations violation(s) of the module dependency rules (style guide L2) in $checked files"
    exit 1
fi
echo "check_includes: $checked files follow the module dependency rules"
