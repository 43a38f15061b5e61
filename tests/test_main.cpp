// doctest's runner for the unit and end-to-end binaries, with one addition: skips. CTest runs
// one test case per process (doctest_discover_tests), so "every test case run called skip() and
// nothing failed" means the test was skipped: the process exits 77. A failed assertion keeps
// doctest's failing status, whether or not the test case also skipped.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "skip.hpp"

#include <iostream>
#include <mutex>
#include <set>
#include <string>

namespace {

struct Skips {
    std::mutex mutex;
    std::string current;
    std::set<std::string> started;
    std::set<std::string> skipped;
};

Skips& skips() {
    static Skips instance;
    return instance;
}

// Learns which test case is running; everything else a reporter may hear is ignored.
class SkipListener : public doctest::IReporter {
  public:
    explicit SkipListener(const doctest::ContextOptions&) {}
    void test_case_start(const doctest::TestCaseData& test) override {
        std::lock_guard lock(skips().mutex);
        skips().current = test.m_name;
        skips().started.insert(test.m_name);
    }
    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats&) override {}
    void test_case_reenter(const doctest::TestCaseData&) override {}
    void test_case_end(const doctest::CurrentTestCaseStats&) override {}
    void test_case_exception(const doctest::TestCaseException&) override {}
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData&) override {}
    void log_message(const doctest::MessageData&) override {}
    void test_case_skipped(const doctest::TestCaseData&) override {}
};

REGISTER_LISTENER("logsift-skips", 1, SkipListener);

}  // namespace

namespace logsift_test {

void skip(const std::string& reason) {
    std::lock_guard lock(skips().mutex);
    skips().skipped.insert(skips().current);
    std::cerr << "SKIPPED: " << skips().current << ": " << reason << '\n';
}

}  // namespace logsift_test

int main(int argc, char** argv) {
    doctest::Context context(argc, argv);
    int status = context.run();
    if (context.shouldExit() || status != 0) return status;
    const Skips& state = skips();
    if (!state.started.empty() && state.skipped == state.started) return 77;
    return status;
}
