# Included by CTest after a binary's discovered tests (TEST_INCLUDE_FILES, tests/CMakeLists.txt):
# gives each of them the label of its part (LABEL) and adds `slow` to those in doctest's test
# suite "slow". One listing per binary, rather than doctest_discover_tests' ADD_LABELS, which
# starts the binary once per test case and passes names with commas unescaped as filters.
# Set by the caller: LABEL, EXECUTABLE, PREFIX, TESTS_VARIABLE.
set(slow_tests "")
if(EXISTS "${EXECUTABLE}")
  execute_process(COMMAND "${EXECUTABLE}" --list-test-cases --test-suite=slow
    OUTPUT_VARIABLE listing RESULT_VARIABLE listing_status)
  if(listing_status EQUAL 0)
    string(REPLACE ";" "\\;" listing "${listing}")
    string(REPLACE "\n" ";" listing "${listing}")
    foreach(line IN LISTS listing)
      if(line STREQUAL "" OR line MATCHES "^====" OR line MATCHES "^\\[doctest\\] ")
        continue()
      endif()
      list(APPEND slow_tests "${PREFIX}${line}")
    endforeach()
  endif()
endif()
foreach(test IN LISTS ${TESTS_VARIABLE})
  set(labels ${LABEL})
  # Not IN_LIST: CTest reads this file without the project's policies.
  list(FIND slow_tests "${test}" slow_at)
  if(NOT slow_at EQUAL -1)
    list(APPEND labels slow)
  endif()
  set_tests_properties("${test}" PROPERTIES LABELS "${labels}")
endforeach()
