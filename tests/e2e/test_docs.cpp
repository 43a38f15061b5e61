// The man page and the install: every long option that --help prints is documented in
// man/logsift.1, mandoc finds nothing to warn about, and `cmake --install` gives a logsift that
// finds its own patterns from another directory, with or without DESTDIR.
#include <doctest/doctest.h>

#include <cctype>
#include <set>

#include "harness.hpp"
#include "skip.hpp"

using namespace e2e;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

const fs::path man_page = fs::path(LOGSIFT_SOURCE_DIR) / "man" / "logsift.1";
const std::string sample = data("codecs/sample.log").string();

// Single-quotes a word for /bin/sh.
std::string sh_quote(const std::string& word) {
    std::string quoted = "'";
    for (char c : word) {
        if (c == '\'') {
            quoted += "'\\''";
        } else {
            quoted += c;
        }
    }
    return quoted + "'";
}

bool option_char(char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '-';
}

// Every `--name` token of a help text, whether it names an option or mentions one.
std::set<std::string> long_options(const std::string& help) {
    std::set<std::string> options;
    for (std::size_t at = help.find("--"); at != std::string::npos; at = help.find("--", at + 2)) {
        if (at > 0 && option_char(help[at - 1])) continue;
        std::size_t end = at + 2;
        while (end < help.size() && option_char(help[end]))
            ++end;
        if (end > at + 2 && help[at + 2] != '-') options.insert(help.substr(at + 2, end - at - 2));
    }
    return options;
}

// The CMake build tree of the binary under test: the nearest directory above it that holds
// CMakeCache.txt.
fs::path build_dir() {
    for (fs::path dir = fs::path(LOGSIFT_BINARY).parent_path(); !dir.empty();
         dir = dir.parent_path()) {
        if (fs::exists(dir / "CMakeCache.txt")) return dir;
        if (dir == dir.root_path()) break;
    }
    return fs::path(LOGSIFT_BINARY).parent_path();
}

bool have_program(const std::string& name) {
    return shell("command -v " + sh_quote(name) + " >/dev/null").status == 0;
}

}  // namespace

TEST_CASE("docs: every long option printed by --help appears in the man page") {
    std::string page = read_file(man_page);
    REQUIRE(!page.empty());

    const std::vector<std::string> commands = {"",        "reduce", "downloads", "sources",
                                               "summary", "merge",  "formats"};
    for (const std::string& command : commands) {
        CAPTURE(command);
        std::vector<std::string> args;
        if (!command.empty()) args.push_back(command);
        args.push_back("--help");
        Result help = logsift(args);
        REQUIRE(help.status == 0);
        std::set<std::string> options = long_options(help.out);
        // Every help has --help; a parser that found nothing would make this test vacuous.
        CHECK(options.count("help") == 1);
        for (const std::string& option : options) {
            CAPTURE(option);
            CHECK(contains(page, "\\-\\-" + option));
        }
        if (!command.empty()) CHECK(contains(page, ".B logsift " + command + "\n"));
    }
}

TEST_CASE("docs: the option scan finds what the help lists") {
    Result help = logsift({"reduce", "--help"});
    std::set<std::string> options = long_options(help.out);
    for (const char* option : {"format", "max-line", "ipv4-prefix", "trusted-proxy", "since",
                               "until", "fields", "output", "output-format", "no-geoip"}) {
        CAPTURE(option);
        CHECK(options.count(option) == 1);
    }
}

TEST_CASE("docs: mandoc -Tlint finds nothing to warn about in the man page") {
    if (!have_program("mandoc")) {
        logsift_test::skip("mandoc is not installed (scripts/setup --tests installs it)");
        return;
    }
    Result lint = shell("mandoc -Tlint -W warning " + sh_quote(man_page.string()) + " 2>&1");
    CHECK(lint.out == "");
    CHECK(lint.status == 0);
}

TEST_CASE("docs: cmake --install gives a logsift that runs from its prefix") {
    TempDir prefix;
    fs::path build = build_dir();
    Result install = shell("cmake --install " + sh_quote(build.string()) + " --prefix " +
                           sh_quote(prefix.path().string()) + " 2>&1");
    INFO(install.out);
    REQUIRE(install.status == 0);

    fs::path binary = prefix / "bin/logsift";
    CHECK(fs::exists(binary));
    CHECK(fs::exists(prefix / "share/man/man1/logsift.1"));
    CHECK(read_file(prefix / "share/man/man1/logsift.1") == read_file(man_page));
    CHECK(fs::exists(prefix / "share/logsift/patterns/formats"));
    CHECK(fs::exists(prefix / "share/logsift/patterns/downloads"));
    CHECK(fs::exists(prefix / "share/logsift/patterns/agents.yaml"));

    // From / and without LOGSIFT_PATTERNS_DIR, only the prefix can supply the patterns.
    Result installed = shell("cd / && env -u LOGSIFT_PATTERNS_DIR " + sh_quote(binary.string()) +
                             " summary --quiet " + sh_quote(sample));
    Result built = logsift({"summary", "--quiet", sample});
    INFO(installed.err);
    CHECK(installed.status == 0);
    CHECK(built.status == 0);
    CHECK(!installed.out.empty());
    CHECK(installed.out == built.out);

    Result formats =
        shell("cd / && env -u LOGSIFT_PATTERNS_DIR " + sh_quote(binary.string()) + " formats");
    CHECK(formats.status == 0);
    CHECK(formats.out == logsift({"formats"}).out);
}

TEST_CASE("docs: cmake --install honours DESTDIR") {
    TempDir destdir;
    Result install = shell("DESTDIR=" + sh_quote(destdir.path().string()) + " cmake --install " +
                           sh_quote(build_dir().string()) + " --prefix /usr/local 2>&1");
    INFO(install.out);
    REQUIRE(install.status == 0);
    CHECK(fs::exists(destdir / "usr/local/bin/logsift"));
    CHECK(fs::exists(destdir / "usr/local/share/man/man1/logsift.1"));
    CHECK(fs::exists(destdir / "usr/local/share/logsift/patterns/formats"));
}

TEST_CASE("docs: the example scripts parse, and bash completion offers commands and options") {
    const std::string examples = std::string(LOGSIFT_SOURCE_DIR) + "/scripts/examples/";
    CHECK(run_program("/bin/sh", {"-n", examples + "logsift-nightly"}).status == 0);
    CHECK(run_program("/bin/bash", {"-n", examples + "logsift.bash-completion"}).status == 0);

    const std::string framework = "/usr/share/bash-completion/bash_completion";
    if (!fs::exists(framework)) {
        logsift_test::skip(
            "bash-completion is not installed (scripts/setup --tests installs it): "
            "completion not exercised");
        return;
    }
    const std::string bin_dir = fs::path(LOGSIFT_BINARY).parent_path().string();
    auto complete = [&](const std::string& line) {
        std::string script =
            "source '" + framework + "'; PATH='" + bin_dir + "':$PATH; source '" + examples +
            "logsift.bash-completion'; COMP_LINE='" + line +
            "'; COMP_POINT=${#COMP_LINE}; read -ra COMP_WORDS <<< \"$COMP_LINE\"; " +
            "[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=(''); " +
            "COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _logsift; " +
            "printf '%s\\n' \"${COMPREPLY[@]}\"";
        return run_program("/bin/bash", {"-c", script}).out;
    };
    CHECK(complete("logsift sou") == "sources\n");
    CHECK(complete("logsift sources --dim") == "--dimension\n");
    CHECK(complete("logsift summary --period ") == "day\nweek\nmonth\nall\n");
    CHECK(complete("logsift reduce --format com").find("combined\n") != std::string::npos);
}
