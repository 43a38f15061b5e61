// Countries end to end: Debian's database by default, a MaxMind DB with --geoip, the country
// dimension of sources, and the promise kept with lookups on.
#include <doctest/doctest.h>

#include "harness.hpp"

using namespace e2e;

namespace {

std::string line_from(const std::string& client) {
    return client +
           " - - [08/Oct/2026:10:00:00 +0000] \"GET /x.tar.gz HTTP/1.1\" 200 1 \"-\" "
           "\"curl/8.4.0\"\n";
}

const std::string test_mmdb = data("geoip/GeoIP2-Country-Test.mmdb").string();

}  // namespace

TEST_CASE("geo: Debian's database places well-known public resolvers and registries") {
    // Google Public DNS (US), RIPE NCC's own network in Amsterdam (NL), and reserved ranges.
    std::string input = line_from("8.8.8.8") + line_from("193.0.6.139") +
                        line_from("2001:4860:4860::8888") + line_from("10.1.2.3") +
                        line_from("192.0.2.7") + line_from("[::ffff:8.8.4.4]:5555");
    Result result = logsift({"reduce", "--quiet", "--fields", "network,country"}, input);
    CHECK(result.status == 0);
    CHECK(result.out ==
          "8.8.8.0/24\tUS\n"
          "193.0.6.0/24\tNL\n"
          "2001:4860:4860::/48\tUS\n"
          "10.1.2.0/24\t\n"
          "192.0.2.0/24\t\n"
          "8.8.4.0/24\tUS\n");
}

TEST_CASE("geo: --geoip reads a MaxMind DB; --no-geoip turns lookups off") {
    // Expected codes from GeoIP2-Country-Test.json, the source the database was built from.
    std::string input = line_from("2001:218::1") + line_from("2a02:d180::77") +
                        line_from("2a02:cf40::1") + line_from("214.78.120.5") +
                        line_from("214.1.1.1") + line_from("2a02:d500::1");
    Result result =
        logsift({"reduce", "--quiet", "--geoip", test_mmdb, "--fields", "country"}, input);
    CHECK(result.status == 0);
    // 214.1.1.0/24 has no country in the source, and neither has 2a02:d500::/29.
    CHECK(result.out == "JP\nDE\nNO\nUS\n\n\n");

    Result off = logsift({"reduce", "--no-geoip", "--fields", "network,country"}, input);
    CHECK(off.status == 0);
    CHECK(off.err.find("warning") == std::string::npos);
    CHECK(off.out.find("JP") == std::string::npos);

    Result missing = logsift({"reduce", "--geoip", "/nonexistent/country.mmdb"}, input);
    CHECK(missing.status == 2);
    CHECK(missing.err.find("/nonexistent/country.mmdb") != std::string::npos);
    CHECK(missing.out == "");
}

TEST_CASE("geo: country is a dimension of sources, counted like the others") {
    std::string input = line_from("2a02:d180::1") + line_from("2a02:d180::1") +
                        line_from("2a02:d181::2") + line_from("2a02:d182::3") +
                        line_from("2001:218::5") + line_from("10.0.0.1");
    Result result = logsift(
        {"sources", "--quiet", "--geoip", test_mmdb, "--dimension", "country", "--period", "all"},
        input);
    CHECK(result.status == 0);
    // Three /48 networks in Germany (one of them twice), one in Japan; 10.0.0.1 is private.
    CHECK(result.out ==
          "all\tcountry\tDE\t4\t3\n"
          "all\tcountry\tJP\t1\t1\n");

    TempDir dir;
    std::string summary = (dir / "summary.json").string();
    REQUIRE(logsift({"summary", "--quiet", "--geoip", test_mmdb, "--output-format", "json", "-o",
                     summary},
                    input)
                .status == 0);
    Result merged = logsift({"merge", summary, summary});
    write_file(dir / "merged.json", merged.out);
    Result from =
        logsift({"sources", "--from", (dir / "merged.json").string(), "--dimension", "country"});
    CHECK(from.out ==
          "2026-10-08\tcountry\tDE\t8\t3\n"
          "2026-10-08\tcountry\tJP\t2\t1\n");
}
