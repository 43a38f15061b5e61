// Unit tests for k-anonymity: each step of the generalization chain, and the classes: which
// level each gets, counted only among the classes still left at that level, by distinct
// addresses, per period; suppression; the tallies; counting from several threads at once.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "logsift/reduce/anonymize.hpp"
#include "logsift/reduce/k_anonymity.hpp"

using namespace logsift;

namespace {

// One request as reduce leaves it, and the address it came from (a token stands for it).
struct Line {
    std::string network = "198.51.100.0/24";
    std::string agent = "Firefox";
    std::string version = "120.0";
    std::string country = "DE";
    std::string referrer = "news.example.co.uk";
    std::string vhost = "www.example.com";
    std::uint64_t address = 1;
    std::int64_t seconds = days_from_civil(2026, 10, 8) * 86400 + 10 * 3600;
    std::int32_t offset_minutes = 0;
    bool timed = true;
};

// A record with views into line, as the reducer would hand it on.
struct Made {
    ClientTokens tokens;
    Record record;
};

Made make(const Line& line) {
    Made made;
    made.tokens.k_anonymity = line.address;
    Record& record = made.record;
    record.network = line.network;
    record.agent = line.agent;
    record.agent_version = line.version;
    record.agent_class = "browser";
    record.country = line.country;
    record.referrer_host = line.referrer;
    record.vhost = line.vhost;
    record.resource = "/";
    if (line.timed) record.logged_time = Timestamp{line.seconds, line.offset_minutes};
    return made;
}

KClassRef count(KClasses& classes, const Line& line) {
    Made made = make(line);
    made.record.client = &made.tokens;
    return classes.count(made.record);
}

std::string columns(const Record& record) {
    return std::string(record.network) + "|" + std::string(record.agent) + "|" +
           std::string(record.agent_version) + "|" + std::string(record.country) + "|" +
           std::string(record.referrer_host) + "|" + std::string(record.vhost);
}

// The record as printed after the classes were decided and sealed (a file read again): its
// six quasi-identifier columns joined by '|', or "suppressed".
std::string printed(const KClasses& classes, const Line& line, KTally* tally = nullptr) {
    Made made = make(line);
    KTally local;
    KForms forms;
    if (!classes.generalize(made.record, forms, tally ? *tally : local)) return "suppressed";
    return columns(made.record);
}

// The same for a record held with its class's number (decided, not sealed).
std::string held(const KClasses& classes, KClassRef ref, KTally* tally = nullptr) {
    Record record;
    KTally local;
    if (!classes.generalize(ref, record, tally ? *tally : local)) return "suppressed";
    return columns(record);
}

void decide(KClasses& classes) {
    classes.decide();
    classes.seal();
}

KSettings settings(unsigned k, KPeriod period = KPeriod::day) {
    KSettings settings;
    settings.k = k;
    settings.period = period;
    return settings;
}

std::string form(QiPart part, unsigned level, std::string_view value) {
    char buffer[64];
    return std::string(qi_form(part, form_at(part, level), value, buffer));
}

}  // namespace

TEST_CASE("k chain: versions give their major, networks widen but never narrow") {
    CHECK(version_major("120.0.6099.71") == "120");
    CHECK(version_major("8") == "8");
    CHECK(version_major("") == "");
    char out[64];
    auto widen = [&](std::string_view network, unsigned v4, unsigned v6) {
        return std::string(out, widen_network(network, v4, v6, out));
    };
    CHECK(widen("198.51.100.0/24", 16, 32) == "198.51.0.0/16");
    CHECK(widen("198.51.100.0/24", 8, 0) == "198.0.0.0/8");
    CHECK(widen("198.51.100.0/24", 0, 0) == "0.0.0.0/0");
    CHECK(widen("2001:db8:cafe::/48", 16, 32) == "2001:db8::/32");
    CHECK(widen("2001:db8:cafe::/48", 8, 0) == "::/0");
    CHECK(widen("10.0.0.0/8", 16, 32) == "10.0.0.0/8");  // a run with --ipv4-prefix 8
    CHECK(widen("2001:db8::/29", 16, 32) == "2001:db8::/29");
    CHECK(widen("dyndns.org", 16, 32) == "dyndns.org");  // a host name client
    CHECK(widen("invalid", 0, 0) == "invalid");
}

TEST_CASE("k chain: IPv4 networks widen as the address code would widen them") {
    // widen_network cuts IPv4 text without parsing it; the address code is the reference.
    std::mt19937 random(7);
    char fast[64];
    char slow[64];
    for (int i = 0; i < 20000; ++i) {
        IpAddress address;
        for (int b = 0; b < 4; ++b)
            address.bytes[static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(random());
        const unsigned prefix = random() % 33;
        const std::string network(slow, format_network(truncate_ip(address, prefix), prefix, slow));
        for (unsigned bits : {16u, 8u, 0u}) {
            CAPTURE(network);
            CAPTURE(bits);
            const unsigned kept = std::min(prefix, bits);
            const std::string expected(slow,
                                       format_network(truncate_ip(address, kept), kept, slow));
            CHECK(std::string(fast, widen_network(network, bits, 128, fast)) == expected);
        }
    }
}

TEST_CASE("k chain: referrer hosts give their registrable domain, other values stay") {
    CHECK(referrer_site("news.example.co.uk") == "example.co.uk");
    CHECK(referrer_site("www.example.com") == "example.com");
    CHECK(referrer_site("example.com") == "example.com");
    CHECK(referrer_site("203.0.113.0/24") == "203.0.113.0/24");
    CHECK(referrer_site("(internal)") == "(internal)");
    CHECK(referrer_site("android-app") == "android-app");
    CHECK(referrer_site("co.uk") == "co.uk");  // a public suffix has no registrable domain
}

TEST_CASE("k chain: each level changes what the man page says, and empty stays empty") {
    // level: network agent version country referrer vhost
    const std::vector<std::vector<std::string>> expected = {
        {"198.51.100.0/24", "Firefox", "120.0", "DE", "news.example.co.uk", "www.example.com"},
        {"198.51.100.0/24", "Firefox", "120", "DE", "news.example.co.uk", "www.example.com"},
        {"198.51.0.0/16", "Firefox", "120", "DE", "news.example.co.uk", "www.example.com"},
        {"198.51.0.0/16", "Firefox", "120", "DE", "example.co.uk", "www.example.com"},
        {"198.0.0.0/8", "Firefox", "120", "DE", "example.co.uk", "www.example.com"},
        {"198.0.0.0/8", "Firefox", "120", "DE", "(other)", "www.example.com"},
        {"198.0.0.0/8", "(other)", "", "DE", "(other)", "www.example.com"},
        {"0.0.0.0/0", "(other)", "", "DE", "(other)", "www.example.com"},
        {"0.0.0.0/0", "(other)", "", "DE", "(other)", "(other)"},
        {"0.0.0.0/0", "(other)", "", "(other)", "(other)", "(other)"},
    };
    const std::vector<std::string> value = expected[0];
    for (unsigned level = 0; level <= k_top_level; ++level) {
        CAPTURE(level);
        for (std::size_t part = 0; part < qi_part_count; ++part) {
            CAPTURE(part);
            CHECK(form(static_cast<QiPart>(part), level, value[part]) == expected[level][part]);
            CHECK(form(static_cast<QiPart>(part), level, "") == "");
        }
    }
    CHECK(form(QiPart::network, 4, "2001:db8:cafe::/48") == "::/0");
    CHECK(form(QiPart::network, 2, "2001:db8:cafe::/48") == "2001:db8::/32");
    CHECK(form(QiPart::network, 6, "dyndns.org") == "dyndns.org");
    CHECK(form(QiPart::network, 7, "dyndns.org") == "(other)");
}

TEST_CASE("k classes: a class that K addresses share is printed as it is") {
    KClasses classes(settings(3));
    Line line;
    for (std::uint64_t address : {1, 2, 2, 3, 1})
        count(classes, (line.address = address, line));
    Line other;  // a class of one address, left over: it does not drag the others along
    other.version = "120.1";
    other.address = 9;
    count(classes, other);
    decide(classes);
    KTally tally;
    CHECK(printed(classes, line, &tally) ==
          "198.51.100.0/24|Firefox|120.0|DE|news.example.co.uk|www.example.com");
    CHECK(tally.at_level[0] == 1);
    CHECK(tally.network_kept == 1);
    CHECK(tally.version_kept == 1);
    // 120.1 at level 1 is "120", which the printed class also becomes there; but only classes
    // left over are counted at level 1, and it is alone.
    CHECK(printed(classes, other, &tally) == "suppressed");
    CHECK(tally.records == 2);
    CHECK(tally.suppressed == 1);
}

TEST_CASE("k classes: leftovers merge at level 1 only when their level-1 values agree") {
    SUBCASE("same major version: 1 + 2 addresses make 3 at level 1") {
        KClasses classes(settings(3));
        Line a;
        a.version = "120.0";
        a.address = 1;
        Line b = a;
        b.version = "120.1";
        count(classes, a);
        for (std::uint64_t address : {2, 3, 2})
            count(classes, (b.address = address, b));
        decide(classes);
        KTally tally;
        const std::string both =
            "198.51.100.0/24|Firefox|120|DE|news.example.co.uk|www.example.com";
        CHECK(printed(classes, a, &tally) == both);
        CHECK(printed(classes, b, &tally) == both);
        CHECK(tally.at_level[1] == 2);
        CHECK(tally.network_kept == 2);
        CHECK(tally.version_kept == 0);
    }
    SUBCASE("another major version: they meet only when the version goes, at level 6") {
        KClasses classes(settings(3));
        Line a;
        a.version = "120.0";
        a.address = 1;
        Line b = a;
        b.version = "121.0";
        count(classes, a);
        for (std::uint64_t address : {2, 3})
            count(classes, (b.address = address, b));
        decide(classes);
        KTally tally;
        const std::string both = "198.0.0.0/8|(other)||DE|(other)|www.example.com";
        CHECK(printed(classes, a, &tally) == both);
        CHECK(printed(classes, b, &tally) == both);
        CHECK(tally.at_level[6] == 2);
    }
    SUBCASE("the same address in both counts once") {
        KClasses classes(settings(3));
        Line a;
        a.address = 1;
        Line b = a;
        b.version = "120.1";
        count(classes, a);
        for (std::uint64_t address : {1, 2})
            count(classes, (b.address = address, b));
        decide(classes);
        CHECK(printed(classes, a) == "suppressed");
        CHECK(printed(classes, b) == "suppressed");
    }
}

TEST_CASE("k classes: each class takes the least level, networks widen one step at a time") {
    KClasses classes(settings(2));
    Line near;  // another /24 of the same /16: they meet at level 2
    near.network = "198.51.7.0/24";
    near.address = 1;
    Line here;
    here.address = 2;
    Line far;  // another /8 altogether, and another /16 than its neighbour: they meet at 4
    far.network = "203.0.113.0/24";
    far.address = 3;
    Line farther = far;
    farther.network = "203.7.0.0/24";
    farther.address = 4;
    for (const Line& line : {near, here, far, farther})
        count(classes, line);
    decide(classes);
    KTally tally;
    CHECK(printed(classes, near, &tally) ==
          "198.51.0.0/16|Firefox|120|DE|news.example.co.uk|www.example.com");
    CHECK(printed(classes, here, &tally) ==
          "198.51.0.0/16|Firefox|120|DE|news.example.co.uk|www.example.com");
    CHECK(printed(classes, far, &tally) ==
          "203.0.0.0/8|Firefox|120|DE|example.co.uk|www.example.com");
    CHECK(printed(classes, farther, &tally) ==
          "203.0.0.0/8|Firefox|120|DE|example.co.uk|www.example.com");
    CHECK(tally.at_level[2] == 2);
    CHECK(tally.at_level[4] == 2);
    CHECK(tally.network_kept == 0);
}

TEST_CASE("k classes: what no level makes K-anonymous is suppressed") {
    KClasses classes(settings(2));
    Line alone;
    Line elsewhere;  // another country: shared with nobody until level 9
    elsewhere.country = "FR";
    elsewhere.address = 2;
    count(classes, alone);
    count(classes, elsewhere);
    Line late = alone;  // another day: a period of its own
    late.seconds += 86400;
    late.address = 3;
    count(classes, late);
    decide(classes);
    KTally tally;
    CHECK(printed(classes, alone, &tally) == "0.0.0.0/0|(other)||(other)|(other)|(other)");
    CHECK(printed(classes, elsewhere, &tally) == "0.0.0.0/0|(other)||(other)|(other)|(other)");
    CHECK(printed(classes, late, &tally) == "suppressed");
    CHECK(tally.at_level[9] == 2);
    CHECK(tally.suppressed == 1);
    // A record the count never saw (its input changed meanwhile) is never printed.
    Line unseen;
    unseen.agent = "curl";
    CHECK(printed(classes, unseen, &tally) == "suppressed");
    CHECK(tally.unknown == 1);
    CHECK(tally.suppressed == 2);
}

TEST_CASE("k classes: periods are days or hours in the logged offset, or the whole run") {
    Line evening;
    evening.seconds = days_from_civil(2026, 10, 8) * 86400 + 23 * 3600 + 30 * 60;
    evening.address = 1;
    Line morning = evening;  // 01:30 the next day in UTC, but 23:30 the same day at -02:00
    morning.seconds += 2 * 3600;
    morning.address = 2;
    for (KPeriod period : {KPeriod::day, KPeriod::hour, KPeriod::all}) {
        for (std::int32_t offset : {0, -120}) {
            CAPTURE(k_period_name(period));
            CAPTURE(offset);
            evening.offset_minutes = morning.offset_minutes = offset;
            KClasses classes(settings(2, period));
            count(classes, evening);
            count(classes, morning);
            decide(classes);
            const bool together = period == KPeriod::all || (period == KPeriod::day && offset);
            CHECK((printed(classes, evening) != "suppressed") == together);
            CHECK((printed(classes, morning) != "suppressed") == together);
        }
    }
    KSettings utc = settings(2);
    utc.utc = true;
    evening.offset_minutes = morning.offset_minutes = -120;
    CHECK(k_period_of(make(evening).record, utc) != k_period_of(make(morning).record, utc));
    Line untimed;
    untimed.timed = false;
    CHECK(k_period_of(make(untimed).record, utc) == k_no_period);
    CHECK(k_period_of(make(untimed).record, settings(2, KPeriod::all)) == 0);
}

TEST_CASE("k classes: records without an address count as one address among themselves") {
    KClasses classes(settings(2));
    Line line;
    for (int i = 0; i < 3; ++i) {
        Made made = make(line);  // no client tokens
        classes.count(made.record);
    }
    decide(classes);
    CHECK(printed(classes, line) == "suppressed");
}

TEST_CASE("k classes: a large K keeps every token until it is reached, then drops them") {
    KClasses classes(settings(40));
    Line many;
    for (std::uint64_t address = 1; address <= 39; ++address)
        count(classes, (many.address = address, many));
    for (std::uint64_t address = 1; address <= 39; ++address)
        count(classes, (many.address = address, many));  // all seen before: still 39
    Line one = many;
    one.version = "120.9";
    one.address = 1;  // one of the 39
    count(classes, one);
    Line fortieth = many;
    fortieth.version = "120.5";
    count(classes, (fortieth.address = 40, fortieth));
    Line whole = many;  // a class that reaches K, and is given its tokens back
    whole.agent = "curl";
    for (std::uint64_t address = 100; address < 160; ++address)
        count(classes, (whole.address = address, whole));
    decide(classes);
    KTally tally;
    CHECK(printed(classes, many, &tally) ==
          "198.51.100.0/24|Firefox|120|DE|news.example.co.uk|www.example.com");
    CHECK(printed(classes, one, &tally) == printed(classes, many));
    CHECK(printed(classes, fortieth, &tally) == printed(classes, many));
    CHECK(printed(classes, whole, &tally) ==
          "198.51.100.0/24|curl|120.0|DE|news.example.co.uk|www.example.com");
    CHECK(tally.at_level[1] == 3);
    CHECK(tally.at_level[0] == 1);
}

TEST_CASE("k classes: counted from several threads, the levels are those of one thread") {
    // Many classes (so the shards grow while threads count) of 1 to 3 addresses each.
    auto line_of = [](int i) {
        Line line;
        line.network =
            "10." + std::to_string(i % 200) + "." + std::to_string(i / 200 % 50) + ".0/24";
        line.version = std::to_string(i % 7) + "." + std::to_string(i % 13);
        line.address = static_cast<std::uint64_t>(i % 3000);
        return line;
    };
    constexpr int lines = 60000;
    KClasses alone(settings(3));
    for (int i = 0; i < lines; ++i)
        count(alone, line_of(i));
    KClasses shared(settings(3));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        KCounter* counter = &shared.counter();
        threads.emplace_back([&shared, &line_of, counter, t] {
            for (int i = t; i < lines; i += 4) {
                const Line line = line_of(i);  // the record's views point into it
                Made made = make(line);
                made.record.client = &made.tokens;
                shared.count(made.record, *counter);
            }
            shared.flush(*counter);
        });
    }
    for (std::thread& thread : threads)
        thread.join();
    CHECK(shared.classes() == alone.classes());
    decide(alone);
    decide(shared);
    KTally alone_tally, shared_tally;
    for (int i = 0; i < lines; i += 7)
        REQUIRE(printed(alone, line_of(i), &alone_tally) ==
                printed(shared, line_of(i), &shared_tally));
    CHECK(alone_tally.at_level == shared_tally.at_level);
    CHECK(alone_tally.suppressed == shared_tally.suppressed);

    alone.clear();
    CHECK(alone.classes() == 0);
    count(alone, line_of(1));
    decide(alone);
    CHECK(printed(alone, line_of(1)) == "suppressed");
}

TEST_CASE("k classes: held records, by their class's number, print as records found again") {
    // Values of every density, so that every level takes some records: networks in three /8s,
    // agents with majors and minors, subdomains of a few sites, a few countries, and addresses
    // that mostly make one or two requests.
    auto line_of = [](int i) {
        std::mt19937 random(static_cast<std::uint32_t>(i));
        auto pick = [&](int below) {
            return static_cast<int>(random() % static_cast<unsigned>(below));
        };
        Line line;
        line.network = std::to_string(1 + pick(3)) + "." + std::to_string(pick(1 + pick(40))) +
                       "." + std::to_string(pick(1 + pick(200))) + ".0/24";
        line.agent = pick(6) == 0 ? "curl" : "Firefox";
        line.version = std::to_string(110 + pick(4)) + "." + std::to_string(pick(1 + pick(8)));
        line.referrer = pick(4) == 0 ? ""
                                     : "s" + std::to_string(pick(1 + pick(30))) + ".example" +
                                           std::to_string(pick(3)) + ".co.uk";
        line.country = pick(30) == 0 ? "FR" : "DE";
        line.vhost = pick(50) == 0 ? "other.example.com" : "www.example.com";
        line.address = static_cast<std::uint64_t>(pick(1 + pick(4000)));
        return line;
    };
    constexpr int lines = 5000;
    KClasses by_number(settings(4));
    KClasses by_value(settings(4));
    std::vector<KClassRef> refs;
    for (int i = 0; i < lines; ++i) {
        refs.push_back(count(by_number, line_of(i)));
        count(by_value, line_of(i));
    }
    by_number.decide();
    decide(by_value);
    KTally number_tally, value_tally;
    for (int i = 0; i < lines; ++i) {
        CAPTURE(i);
        REQUIRE(held(by_number, refs[static_cast<std::size_t>(i)], &number_tally) ==
                printed(by_value, line_of(i), &value_tally));
    }
    CHECK(number_tally.at_level == value_tally.at_level);
    CHECK(number_tally.network_kept == value_tally.network_kept);
    CHECK(number_tally.version_kept == value_tally.version_kept);
    // Every level is used by some record: the test covers the whole chain.
    std::size_t levels_used = 0;
    for (std::uint64_t records : value_tally.at_level)
        levels_used += records > 0;
    std::string spread;
    for (std::uint64_t records : value_tally.at_level)
        spread += std::to_string(records) + " ";
    CAPTURE(spread);
    CAPTURE(value_tally.suppressed);
    CHECK(levels_used >= 6);
}
