// Unit tests for the pattern-file reader shared by patterns/formats and patterns/downloads: how a
// text splits into sections and entries, and the line and reason of each syntax mistake.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "logsift/base/patterns.hpp"

using logsift::key_argument;
using logsift::PatternFile;
using logsift::read_pattern_sections;

TEST_CASE("sections keep their entries, lines and trimmed views into the text") {
    std::string text =
        "# comment\n"
        "\n"
        "[ first ]\r\n"
        "  key = some value  \n"
        "expect  product=x\n"
        "empty =\n"
        "\t[second-2.b_c]\n"
        "a = b = c\n";
    PatternFile file = read_pattern_sections(text, "rules", "rule");
    REQUIRE_FALSE(file.error.has_value());
    REQUIRE(file.sections.size() == 2);

    const auto& first = file.sections[0];
    CHECK(first.name == "first");
    CHECK(first.line == 3);
    REQUIRE(first.entries.size() == 3);
    CHECK(first.entries[0].key == "key");
    CHECK(first.entries[0].value == "some value");
    CHECK(first.entries[0].has_value);
    CHECK(first.entries[0].line == 4);
    CHECK(first.entries[0].key.data() == text.data() + text.find("key"));
    CHECK(first.entries[1].key == "expect  product");
    CHECK(first.entries[1].value == "x");
    CHECK(first.entries[2].key == "empty");
    CHECK(first.entries[2].value.empty());
    CHECK(first.entries[2].has_value);

    const auto& second = file.sections[1];
    CHECK(second.name == "second-2.b_c");
    CHECK(second.line == 7);
    REQUIRE(second.entries.size() == 1);
    CHECK(second.entries[0].key == "a");
    CHECK(second.entries[0].value == "b = c");  // only the first '=' splits
}

TEST_CASE("the allowed bare key stands alone however its words are spaced") {
    PatternFile file =
        read_pattern_sections("[r]\nexpect none\nexpect \t none\n", "rules", "rule", "expect none");
    REQUIRE_FALSE(file.error.has_value());
    REQUIRE(file.sections.size() == 1);
    REQUIRE(file.sections[0].entries.size() == 2);
    CHECK(file.sections[0].entries[0].key == "expect none");
    CHECK_FALSE(file.sections[0].entries[0].has_value);
    CHECK(file.sections[0].entries[1].key == "expect \t none");
    CHECK(file.sections[0].entries[1].line == 3);
}

TEST_CASE("syntax mistakes name the line and the reason, with the caller's noun") {
    struct Case {
        std::string text;
        std::string_view bare_key;
        std::size_t line;
        std::string reason;
    };
    for (const Case& c : std::vector<Case>{
             {"", "", 0, "no presets in the file"},
             {"# only a comment\n\n", "", 0, "no presets in the file"},
             {"[p\n", "", 1, "a section header ends with ']'"},
             {"[]\n", "", 1, "a preset name uses letters, digits, '_', '-' and '.'"},
             {"[a b]\n", "", 1, "a preset name uses letters, digits, '_', '-' and '.'"},
             {"[a]\nk = v\n[ a ]\n", "", 3, "duplicate preset 'a' (first at line 1)"},
             {"key = v\n", "", 1, "a [name] line must come before 'key'"},
             {"[a]\njust words\n", "", 2, "expected 'key = value'"},
             {"[a]\nexpect none\n", "", 2, "expected 'key = value'"},
             {"[a]\njust words\n", "expect none", 2, "expected 'key = value' or 'expect none'"},
             {"[a]\nexpectnone\n", "expect none", 2, "expected 'key = value' or 'expect none'"},
             {"expect none\n", "expect none", 1, "a [name] line must come before 'expect none'"},
         }) {
        CAPTURE(c.text);
        PatternFile file = read_pattern_sections(c.text, "formats", "preset", c.bare_key);
        REQUIRE(file.error.has_value());
        CHECK(file.error->fault == logsift::Fault::usage);
        CHECK(file.error->file == "formats");
        CHECK(file.error->line == c.line);
        CHECK(file.error->reason == c.reason);
    }
}

TEST_CASE("the sections before a syntax mistake come back with it") {
    PatternFile file =
        read_pattern_sections("[a]\nk = 1\n[b]\nl = 2\noops\nm = 3\n", "rules", "rule");
    REQUIRE(file.error.has_value());
    CHECK(file.error->line == 5);
    REQUIRE(file.sections.size() == 2);
    CHECK(file.sections[0].entries.size() == 1);
    REQUIRE(file.sections[1].entries.size() == 1);
    CHECK(file.sections[1].entries[0].key == "l");
}

TEST_CASE("key_argument gives what follows a key's first word") {
    CHECK(key_argument("expect product", "expect") == "product");
    CHECK(key_argument("expect \t user_agent", "expect") == "user_agent");
    CHECK_FALSE(key_argument("expect", "expect").has_value());
    CHECK_FALSE(key_argument("expected value", "expect").has_value());
    CHECK_FALSE(key_argument("sample", "expect").has_value());
}
