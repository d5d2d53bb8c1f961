# Project-wide compile settings, applied per target so third-party code is left alone.
set(BERTH_SANITIZER_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)

if(BERTH_SANITIZE)
    add_compile_options(${BERTH_SANITIZER_FLAGS})
    add_link_options(-fsanitize=address,undefined)
endif()

function(berth_target_defaults target)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
    if(BERTH_WERROR)
        target_compile_options(${target} PRIVATE -Werror)
    endif()
    # The hardening Debian expects of packaged binaries: checked libc calls where the optimizer can
    # check them (not under the sanitizers, which intercept the same calls), and immediate binding.
    if(NOT BERTH_SANITIZE)
        target_compile_definitions(${target} PRIVATE $<$<CONFIG:Release,RelWithDebInfo,MinSizeRel>:_FORTIFY_SOURCE=2>)
    endif()
    target_link_options(${target} PRIVATE LINKER:-z,relro,-z,now)
endfunction()

# berth_combine_sources(<targets...>): the target's sources compile as a few combined units
# (CMake's unity build). Each file pulls in the same heavy headers (Qt, nlohmann/json, spdlog),
# so this halves the library's build time. Names private to a file must then be unique within
# the target, which also keeps one helper from being written twice.
function(berth_combine_sources)
    set_target_properties(${ARGN} PROPERTIES UNITY_BUILD ON)
endfunction()

# berth_add_library(<name> SOURCES <files...> [PUBLIC <targets...>] [PRIVATE <targets...>]): one of
# Berth's Qt libraries, berth_<name> (alias Berth::<name>), whose folder's include/ is its public
# interface; the house defaults and a combined build.
function(berth_add_library name)
    cmake_parse_arguments(L "" "" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
    add_library(berth_${name} ${L_SOURCES})
    add_library(Berth::${name} ALIAS berth_${name})
    set_target_properties(berth_${name} PROPERTIES AUTOMOC ON OUTPUT_NAME berth_${name})
    target_include_directories(berth_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_link_libraries(berth_${name} PUBLIC ${L_PUBLIC} PRIVATE ${L_PRIVATE})
    berth_target_defaults(berth_${name})
    berth_combine_sources(berth_${name})
endfunction()
