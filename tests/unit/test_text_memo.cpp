#include <doctest/doctest.h>

#include <string>

#include "logsift/base/text_memo.hpp"

using namespace logsift;

TEST_CASE("text memo: a remembered text is recalled with its value, others are not") {
    TextMemo<16, 8, 4> memo;
    CHECK_FALSE(memo.recall("/index.html"));  // nothing allocated yet
    memo.remember("/index.html", "same");
    REQUIRE(memo.recall("/index.html"));
    CHECK(*memo.recall("/index.html") == "same");
    CHECK_FALSE(memo.recall("/index.htm"));    // a prefix is another text
    CHECK_FALSE(memo.recall("/index.html/"));  // so is a longer one
    memo.remember("/a", "");
    REQUIRE(memo.recall("/a"));
    CHECK(memo.recall("/a")->empty());  // an empty value is remembered too
}

TEST_CASE("text memo: texts and values longer than a slot are never remembered") {
    TextMemo<4, 4, 4> memo;
    memo.remember("/long", "v");
    CHECK_FALSE(memo.recall("/long"));
    memo.remember("/ab", "value");
    CHECK_FALSE(memo.recall("/ab"));
}

TEST_CASE("text memo: with one slot, a new text takes the place of the old") {
    TextMemo<8, 8, 1> memo;
    memo.remember("/a", "1");
    memo.remember("/b", "2");
    CHECK_FALSE(memo.recall("/a"));
    REQUIRE(memo.recall("/b"));
    CHECK(*memo.recall("/b") == "2");
}

TEST_CASE("text memo: recall_or asks the rules once per remembered text") {
    TextMemo<16, 16, 8> memo;
    int asked = 0;
    auto upper = [&](std::string_view text) {
        ++asked;
        return text == "/a" ? std::string_view("/A") : text;
    };
    CHECK(memo.recall_or("/a", upper) == "/A");
    CHECK(memo.recall_or("/a", upper) == "/A");
    CHECK(asked == 1);
    CHECK(memo.recall_or("/b", upper) == "/b");
    CHECK(asked == 2);
}
