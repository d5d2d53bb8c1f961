#!/usr/bin/env bash
# The house style, checked: clang-format (.clang-format) on every C and C++ file of the project,
# and clang-tidy's naming rules (.clang-tidy) on everything the build compiles. CTest runs it in the
# ci preset (tests `style_format` and `style_naming`), so a violation fails CI.
#
#   tools/check-style.sh format <source dir>
#   tools/check-style.sh naming <source dir> <build dir with compile_commands.json>
set -euo pipefail

CLANG_FORMAT=${CLANG_FORMAT:-clang-format-15}  # 15: the first with InsertBraces
CLANG_TIDY=${CLANG_TIDY:-clang-tidy}
RUN_CLANG_TIDY=${RUN_CLANG_TIDY:-run-clang-tidy}

what=${1:?format or naming}
src=$(cd "${2:?source dir}" && pwd)

# The project's own C and C++ files: what git tracks, else (an unpacked source tarball) what is there.
sources() {
    if git -C "$src" rev-parse --show-toplevel >/dev/null 2>&1; then
        git -C "$src" ls-files -z -- '*.c' '*.cpp' '*.h'
    else
        (cd "$src" && find . -path ./build -prune -o \( -name '*.c' -o -name '*.cpp' -o -name '*.h' \) -print0)
    fi
}

case $what in
format)
    # --Werror turns every place that differs into an error naming file:line:col.
    cd "$src"
    sources | xargs -0 "$CLANG_FORMAT" --style=file --dry-run --Werror
    echo "format: $(sources | tr -cd '\0' | wc -c) files follow .clang-format"
    ;;
naming)
    build=$(cd "${3:?build dir}" && pwd)
    [[ -f $build/compile_commands.json ]] || { echo "no compile_commands.json in $build" >&2; exit 2; }
    # The folders that hold the project's code; generated code (moc, rcc) in the build tree is not ours.
    dirs=$(sources | tr '\0' '\n' | grep / | cut -d/ -f1 | sort -u | paste -sd'|')
    # The compile commands are GCC's (the ci preset's -Werror included): a GCC-only warning flag
    # must not become clang's "unknown warning option" error.
    "$RUN_CLANG_TIDY" -clang-tidy-binary "$CLANG_TIDY" -p "$build" -j "$(nproc)" -quiet -header-filter="^$src/($dirs)/" \
        -extra-arg=-Wno-unknown-warning-option \
        "^$src/($dirs)/|/Unity/unity_" >"$build/check-naming.log" 2>&1 || {
        # run-clang-tidy always colours its output: plain text for the CI log.
        sed -E 's/\x1b\[[0-9;]*m//g' "$build/check-naming.log" | grep -E "(^$src/($dirs)/.*(warning|error)|^error):" |
            sort -u >&2 || true
        echo "naming: violations above (full log: $build/check-naming.log)" >&2
        exit 1
    }
    echo "naming: every name the build compiles follows .clang-tidy"
    ;;
*)
    echo "usage: $0 format <source dir> | naming <source dir> <build dir>" >&2
    exit 2
    ;;
esac
