// What the build gives beyond the code: a binary that finds its pattern files wherever its
// build tree is, and wherever the binary is copied to, without LOGSIFT_PATTERNS_DIR (the
// source tree's patterns/ compiled in as the last place to look).
#include <doctest/doctest.h>

#include "harness.hpp"
#include "skip.hpp"

using namespace e2e;

TEST_CASE("build: a copy of the binary outside any tree finds the source tree's patterns") {
    const fs::path installed = fs::path(LOGSIFT_INSTALL_DATADIR) / "logsift/patterns/formats";
    if (fs::exists(installed)) {
        // An installed copy comes before the source tree: it would answer instead.
        logsift_test::skip(installed.string() + " exists: the source tree's would not be used");
        return;
    }
    TempDir dir;
    // Neither ../share/logsift/patterns nor ../patterns exists beside the copy.
    const fs::path copy = dir / "bin" / "logsift";
    fs::create_directories(copy.parent_path());
    fs::copy_file(LOGSIFT_BINARY, copy);
    const std::string log = data("codecs/sample.log").string();
    // --format auto needs patterns/formats, and the agent columns patterns/agents.yaml.
    const std::vector<std::string> args = {"reduce", "--fields", "resource,agent,agent_class", log};

    Result reference = logsift(args);
    std::vector<std::string> without_env = {"-u", "LOGSIFT_PATTERNS_DIR", copy.string()};
    without_env.insert(without_env.end(), args.begin(), args.end());
    Result copied = run_program("/usr/bin/env", without_env);

    CHECK_MESSAGE(reference.status == 0, reference.err);
    CHECK_MESSAGE(copied.status == 0, copied.err);
    CHECK(!copied.out.empty());
    CHECK(copied.out == reference.out);
    CHECK(copied.err == reference.err);
}
