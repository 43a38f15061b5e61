// Config building fails with Expected values: a usage error naming the option, or the file and
// line of a pattern file, and never a line's content.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "logsift/config/config.hpp"

namespace {

namespace fs = std::filesystem;

// A patterns directory holding one formats file.
fs::path patterns_with_formats(const std::string& text) {
    fs::path dir =
        fs::temp_directory_path() / ("logsift-test-config-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "formats") << text;
    return dir;
}

}  // namespace

TEST_CASE("config: a broken pattern file is an Error with its file and line") {
    fs::path dir = patterns_with_formats("[one]\ndescription = ok\nCANARY-7f3a without a key\n");
    logsift::FormatsCliOptions options;
    options.patterns_dir = dir.string();
    logsift::Expected<logsift::FormatsConfig> config = logsift::build_formats_config(options);
    REQUIRE_FALSE(config);
    const logsift::Error& error = config.error();
    CHECK(error.fault == logsift::Fault::usage);
    CHECK(error.file == (dir / "formats").string());
    CHECK(error.line == 3);
    CHECK(error.message().find("CANARY-7f3a") == std::string::npos);
    CHECK(logsift::exit_status(error.fault) == logsift::ExitCode::usage);
    fs::remove_all(dir);
}

TEST_CASE("config: a bad option value is a usage Error naming the option") {
    logsift::ReduceCliOptions reduce;
    reduce.input.ipv4_prefix = 33;
    auto built = logsift::build_reduce_config(reduce);
    REQUIRE_FALSE(built);
    CHECK(built.error().fault == logsift::Fault::usage);
    CHECK(built.error().file.empty());
    CHECK(built.error().message() == "--ipv4-prefix must be between 0 and 32");

    logsift::ReduceCliOptions in_place;
    in_place.in_place = true;
    in_place.output = "out.tsv";
    in_place.input.inputs = {"a.log"};
    auto refused = logsift::build_reduce_config(in_place);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message().find("--in-place") == 0);

    logsift::AggregateCliOptions from;
    from.from = {"a.json"};
    from.input.inputs = {"a.log"};
    auto both = logsift::build_aggregate_config(from);
    REQUIRE_FALSE(both);
    CHECK(both.error().message().find("--from reads summaries instead of logs") == 0);
}
