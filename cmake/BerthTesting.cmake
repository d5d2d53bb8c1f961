# berth_add_test(NAME <name> SOURCES <files...> [LIBS <targets...>] [LABELS <labels...>]
#                [TIMEOUT <seconds>] [ENVIRONMENT <VAR=value...>] [AS_ORDINARY_USER])
# One executable per test, registered with CTest. Qt Test and GoogleTest executables both work;
# labels (unit, integration, e2e, fuzz) select tiers: `ctest -L unit`. AS_ORDINARY_USER runs it
# as a user who is not root, as Berth's users run it (tests/common/as-ordinary-user.sh: a
# throw-away account when the suite runs as root).
set(BERTH_AS_ORDINARY_USER ${PROJECT_SOURCE_DIR}/tests/common/as-ordinary-user.sh)
function(berth_add_test)
    cmake_parse_arguments(T "AS_ORDINARY_USER" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS;ENVIRONMENT" ${ARGN})
    add_executable(${T_NAME} ${T_SOURCES})
    berth_target_defaults(${T_NAME})
    list(LENGTH T_SOURCES source_count)
    if(source_count GREATER 1)
        berth_combine_sources(${T_NAME})
        # Combined, each file's fixtures (in an anonymous namespace, as GoogleTest advises) look
        # to GCC as if a header declared them.
        target_compile_options(${T_NAME} PRIVATE $<$<CXX_COMPILER_ID:GNU>:-Wno-subobject-linkage>)
    endif()
    target_link_libraries(${T_NAME} PRIVATE ${T_LIBS})
    target_include_directories(${T_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/tests/common)
    if(T_AS_ORDINARY_USER)
        add_test(NAME ${T_NAME} COMMAND ${BERTH_AS_ORDINARY_USER} $<TARGET_FILE:${T_NAME}>)
    else()
        add_test(NAME ${T_NAME} COMMAND ${T_NAME})
    endif()
    if(NOT T_TIMEOUT)
        set(T_TIMEOUT 120)
    endif()
    set(env "QT_QPA_PLATFORM=offscreen" "BERTH_TEST_DATA=${PROJECT_SOURCE_DIR}/tests/data" ${T_ENVIRONMENT})
    set_tests_properties(${T_NAME} PROPERTIES
        LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT} ENVIRONMENT "${env}")
    if(T_LABELS MATCHES "unit|fuzz")
        berth_quick_tests_need(${T_NAME})
    endif()
endfunction()

# berth_add_fuzzer(NAME <name> SOURCES <files...> [LIBS <targets...>] [OPTIONS <-flag=value...>]
#                  [SEEDS <dirs...>]): a libFuzzer executable (clang, asan preset) and its short
# CTest smoke `<name>_smoke` (label fuzz, 20 s), growing a corpus in the build tree from the seeds.
function(berth_add_fuzzer)
    cmake_parse_arguments(F "" "NAME" "SOURCES;LIBS;OPTIONS;SEEDS" ${ARGN})
    add_executable(${F_NAME} ${F_SOURCES})
    berth_target_defaults(${F_NAME})
    target_compile_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
    target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
    set_target_properties(${F_NAME} PROPERTIES AUTOMOC OFF)
    set(corpus ${CMAKE_CURRENT_BINARY_DIR}/${F_NAME}-corpus)
    file(MAKE_DIRECTORY ${corpus})
    add_test(NAME ${F_NAME}_smoke
             COMMAND ${F_NAME} -max_total_time=20 -print_final_stats=1 ${F_OPTIONS} ${corpus} ${F_SEEDS})
    set_tests_properties(${F_NAME}_smoke PROPERTIES LABELS fuzz TIMEOUT 120)
    berth_quick_tests_need(${F_NAME})
endfunction()

# berth_quick_tests_need(<targets...>): what the unit and fuzz tests run. Target
# berth_quick_tests builds just these (the asan preset, which runs only those tiers).
function(berth_quick_tests_need)
    set_property(GLOBAL APPEND PROPERTY BERTH_QUICK_TEST_TARGETS ${ARGN})
endfunction()

# Adds each listed subdirectory that exists, so parts of the tree can land independently.
function(berth_add_subdirectories_if_present)
    foreach(dir ${ARGN})
        if(EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/${dir}/CMakeLists.txt")
            add_subdirectory(${dir})
        endif()
    endforeach()
endfunction()
