// A test case that cannot check what it is for (a tool, a permission or a kernel feature is
// missing) calls skip() and returns: doctest has no skip status, so the runner (test_main.cpp)
// exits 77 when every test case it ran skipped and none failed, which CTest reports as skipped
// (SKIP_RETURN_CODE) instead of passed.
#pragma once

#include <string>

namespace logsift_test {

// Records why the current test case was skipped and says so on standard error.
void skip(const std::string& reason);

}  // namespace logsift_test
