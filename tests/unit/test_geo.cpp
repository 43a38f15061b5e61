// Unit tests for geo: Debian's legacy country database, MaxMind's test .mmdb checked against
// the JSON it was built from, the special-purpose ranges, open errors, lookups from several
// threads, and (skipped unless asked for with --no-skip) a measure of lookups per second.
#include <doctest/doctest.h>

#include "skip.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "logsift/reduce/geo.hpp"

using namespace logsift;

namespace {

const std::string debian_dir = "/usr/share/GeoIP";
const std::string test_mmdb = std::string(LOGSIFT_TEST_DATA) + "/geoip/GeoIP2-Country-Test.mmdb";
const std::string lite_mmdb = std::string(LOGSIFT_TEST_DATA) + "/geoip/GeoLite2-Country-Test.mmdb";
const std::string test_json = std::string(LOGSIFT_TEST_DATA) + "/geoip/GeoIP2-Country-Test.json";

IpAddress ip(std::string_view text) {
    auto parsed = parse_ip(text);
    REQUIRE_MESSAGE(parsed, text);
    return *parsed;
}

// An IPv6 address whose last four bytes are a.b.c.d, after the given 12-byte prefix.
IpAddress v6_with_v4(std::array<std::uint8_t, 12> prefix, std::uint8_t a, std::uint8_t b,
                     std::uint8_t c, std::uint8_t d) {
    IpAddress address;
    address.v6 = true;
    std::copy(prefix.begin(), prefix.end(), address.bytes.begin());
    address.bytes[12] = a;
    address.bytes[13] = b;
    address.bytes[14] = c;
    address.bytes[15] = d;
    return address;
}
constexpr std::array<std::uint8_t, 12> mapped_prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr std::array<std::uint8_t, 12> nat64_prefix{0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};

bool have_debian_database() {
    return std::filesystem::exists(debian_dir + "/GeoIP.dat") &&
           std::filesystem::exists(debian_dir + "/GeoIPv6.dat");
}

std::unique_ptr<CountryLookup> open_or_fail(const std::string& mmdb,
                                            CountryCache cache = CountryCache::on) {
    auto lookup = CountryLookup::open(mmdb, {debian_dir, cache});
    REQUIRE_MESSAGE(lookup, (lookup ? std::string() : lookup.error().reason));
    return std::move(*lookup);
}

// The middle address of network/prefix: the first one with the bit after the prefix set.
IpAddress middle_of(IpAddress network, unsigned prefix) {
    const unsigned length = network.v6 ? 128 : 32;
    if (prefix < length) network.bytes[prefix / 8] |= std::uint8_t(0x80u >> (prefix % 8));
    return network;
}

struct Expected {
    std::string network;
    IpAddress address;
    std::string country;
};

// Every network of the JSON source of GeoIP2-Country-Test.mmdb, by its first and middle
// address, with record.country.iso_code ("" when the record has no country).
std::vector<Expected> expected_from_json() {
    std::ifstream in(test_json);
    REQUIRE(in);
    const auto records = nlohmann::json::parse(in);
    std::vector<Expected> expected;
    for (const auto& item : records) {
        for (const auto& [network, record] : item.items()) {
            auto cidr = parse_cidr(network);
            REQUIRE_MESSAGE(cidr, network);
            std::string country;
            if (record.contains("country") && record["country"].contains("iso_code")) {
                country = record["country"]["iso_code"].get<std::string>();
            }
            expected.push_back({network, cidr->network, country});
            expected.push_back({network, middle_of(cidr->network, cidr->prefix), country});
        }
    }
    return expected;
}

}  // namespace

TEST_CASE("country from Debian's geoip-database") {
    if (!have_debian_database()) {
        logsift_test::skip(debian_dir +
                           " has no GeoIP.dat/GeoIPv6.dat (scripts/setup installs "
                           "geoip-database)");
        return;
    }
    for (CountryCache cache : {CountryCache::on, CountryCache::off}) {
        auto lookup = open_or_fail("", cache);
        CHECK(lookup->description() == debian_dir + "/GeoIP.dat + " + debian_dir + "/GeoIPv6.dat");
        // Google Public DNS: Google's own allocation, US in every edition.
        CHECK(lookup->country(ip("8.8.8.8")) == "US");
        CHECK(lookup->country(ip("2001:4860:4860::8888")) == "US");
        // 1.1.1.0/24 is registered to APNIC Labs (whois: netname APNIC-LABS, country AU) and
        // lent to Cloudflare; the package's 2019 snapshot places it by registration.
        CHECK(lookup->country(ip("1.1.1.1")) == "AU");
        // RIPE NCC's own network in Amsterdam.
        CHECK(lookup->country(ip("193.0.6.139")) == "NL");
        // M-root, run by the WIDE Project in Tokyo, over both families.
        CHECK(lookup->country(ip("202.12.27.33")) == "JP");
        CHECK(lookup->country(ip("2001:dc3::35")) == "JP");
        // The same addresses in IPv6 clothing.
        CHECK(lookup->country(v6_with_v4(mapped_prefix, 8, 8, 8, 8)) == "US");
        CHECK(lookup->country(v6_with_v4(nat64_prefix, 193, 0, 6, 139)) == "NL");
        // K-root (RIPE NCC anycast) is "EU" in legacy GeoIP: a continent, so unknown.
        CHECK(lookup->country(ip("2001:7fd::1")) == "");
        for (const char* special :
             {"10.1.2.3", "192.168.0.1", "172.16.5.4", "127.0.0.1", "100.64.0.1", "169.254.1.1",
              "192.0.2.1", "224.0.0.1", "255.255.255.255", "::1", "fe80::1", "fd00::1",
              "2001:db8::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "ff02::1"}) {
            CHECK_MESSAGE(lookup->country(ip(special)) == "", special);
        }
        CHECK(lookup->country(v6_with_v4(nat64_prefix, 10, 0, 0, 1)) == "");
        // Twice: the second answer may come from the cache and must not differ.
        CHECK(lookup->country(ip("8.8.4.4")) == "US");
        CHECK(lookup->country(ip("8.8.4.4")) == "US");
    }
}

TEST_CASE("country from GeoIP2-Country-Test.mmdb agrees with its JSON source") {
    const auto expected = expected_from_json();
    REQUIRE(expected.size() > 600);
    for (CountryCache cache : {CountryCache::on, CountryCache::off}) {
        auto lookup = open_or_fail(test_mmdb, cache);
        CHECK(lookup->description() == test_mmdb);
        std::size_t checked = 0;
        // Twice, the second pass backwards, so that cached answers meet other neighbours.
        for (int pass = 0; pass < 2; ++pass) {
            for (std::size_t i = 0; i < expected.size(); ++i) {
                const auto& e = pass == 0 ? expected[i] : expected[expected.size() - 1 - i];
                if (is_special_purpose(e.address)) {
                    CHECK_MESSAGE(lookup->country(e.address) == "", e.network);
                    continue;
                }
                CHECK_MESSAGE(lookup->country(e.address) == e.country, e.network);
                ++checked;
            }
        }
        CHECK(checked > 600);
    }
    auto lookup = open_or_fail(test_mmdb);
    CHECK(lookup->country(ip("2001:218::1")) == "JP");
    // Its record carries registered_country (US) but no country: unknown, not US.
    CHECK(lookup->country(ip("214.1.1.1")) == "");
    // Not in the database at all.
    CHECK(lookup->country(ip("8.8.8.8")) == "");
    CHECK(lookup->country(ip("81.2.69.142")) == "GB");
    CHECK(lookup->country(v6_with_v4(mapped_prefix, 81, 2, 69, 142)) == "GB");
}

TEST_CASE("country from GeoLite2-Country-Test.mmdb") {
    auto lookup = open_or_fail(lite_mmdb);
    CHECK(lookup->country(ip("2001:218::1")) == "JP");
    CHECK(lookup->country(ip("81.2.69.160")) == "GB");
    CHECK(lookup->country(ip("192.168.1.1")) == "");
}

TEST_CASE("special-purpose ranges") {
    struct Case {
        const char* address;
        bool special;
    };
    const Case cases[] = {
        {"0.0.0.0", true},
        {"0.255.255.255", true},
        {"1.0.0.0", false},
        {"9.255.255.255", false},
        {"10.0.0.0", true},
        {"10.255.255.255", true},
        {"11.0.0.0", false},
        {"100.63.255.255", false},
        {"100.64.0.0", true},
        {"100.127.255.255", true},
        {"100.128.0.0", false},
        {"127.0.0.1", true},
        {"169.254.0.1", true},
        {"169.255.0.1", false},
        {"172.15.255.255", false},
        {"172.16.0.0", true},
        {"172.31.255.255", true},
        {"172.32.0.0", false},
        {"192.0.0.9", true},
        {"192.0.1.1", false},
        {"192.0.2.200", true},
        {"192.88.99.1", true},
        {"192.167.255.255", false},
        {"192.168.0.0", true},
        {"192.169.0.0", false},
        {"198.17.255.255", false},
        {"198.18.0.0", true},
        {"198.19.255.255", true},
        {"198.20.0.0", false},
        {"198.51.100.7", true},
        {"203.0.113.7", true},
        {"203.0.114.7", false},
        {"223.255.255.255", false},
        {"224.0.0.0", true},
        {"239.255.255.255", true},
        {"240.0.0.1", true},
        {"255.255.255.255", true},
        {"8.8.8.8", false},
        {"::", true},
        {"::1", true},
        {"::2", false},
        {"64:ff9b:1::1", true},
        {"64:ff9b:2::1", false},
        {"100::1", true},
        {"100:0:0:1::1", false},
        {"2001::1", true},           // Teredo
        {"2001:2::1", true},         // benchmarking
        {"2001:1ff:ffff::1", true},  // end of 2001::/23
        {"2001:200::1", false},      // WIDE, just after it
        {"2001:db8:ffff::1", true},
        {"2001:db9::1", false},
        {"2002:808:808::1", false},  // 6to4: left to the database
        {"3fff:fff::1", true},
        {"3fff:1000::1", false},
        {"2a00:1450::1", false},
        {"fbff:ffff::1", false},
        {"fc00::1", true},
        {"fdff:ffff::1", true},
        {"fe00::1", false},
        {"fe80::1", true},
        {"febf:ffff::1", true},
        {"fec0::1", true},
        {"feff:ffff::1", true},
        {"ff00::1", true},
        {"ff02::1", true},
    };
    for (const Case& c : cases) {
        CHECK_MESSAGE(is_special_purpose(ip(c.address)) == c.special, c.address);
    }
    // IPv4 carried in IPv6 is judged as IPv4.
    CHECK(is_special_purpose(v6_with_v4(mapped_prefix, 192, 168, 1, 1)));
    CHECK_FALSE(is_special_purpose(v6_with_v4(mapped_prefix, 8, 8, 8, 8)));
    CHECK(is_special_purpose(v6_with_v4(nat64_prefix, 127, 0, 0, 1)));
    CHECK_FALSE(is_special_purpose(v6_with_v4(nat64_prefix, 8, 8, 8, 8)));
}

TEST_CASE("country database open errors") {
    const auto dir =
        std::filesystem::temp_directory_path() / ("logsift-geo-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    // The reason a lookup could not be opened; empty when it opened.
    auto error = [](const logsift::Expected<std::unique_ptr<CountryLookup>>& lookup) {
        return lookup ? std::string() : lookup.error().reason;
    };

    SUBCASE("missing .mmdb") {
        const std::string path = (dir / "missing.mmdb").string();
        CHECK(error(CountryLookup::open(path)) ==
              "cannot open country database " + path +
                  ": Error opening the specified MaxMind DB file (No such file or "
                  "directory)");
    }
    SUBCASE("garbage .mmdb") {
        const std::string path = (dir / "garbage.mmdb").string();
        std::ofstream(path) << std::string(4096, 'x');
        CHECK(error(CountryLookup::open(path)) ==
              "cannot open country database " + path +
                  ": The MaxMind DB file contains invalid metadata");
    }
    SUBCASE("no legacy database") {
        CHECK(error(CountryLookup::open("", {dir.string()})) ==
              "no country database: install Debian's geoip-database (apt-get install "
              "geoip-database) or pass --geoip FILE.mmdb");
    }
    SUBCASE("a .mmdb where a legacy GeoIP.dat belongs") {
        std::filesystem::copy_file(test_mmdb, dir / "GeoIP.dat");
        CHECK(error(CountryLookup::open("", {dir.string()})) ==
              "cannot open country database " + (dir / "GeoIP.dat").string() +
                  ": not a GeoIP Country database");
    }
    SUBCASE("only GeoIPv6.dat") {
        if (!have_debian_database()) return;
        std::filesystem::copy_file(debian_dir + "/GeoIPv6.dat", dir / "GeoIPv6.dat");
        auto opened = CountryLookup::open("", {dir.string()});
        REQUIRE_MESSAGE(opened, error(opened));
        const auto& lookup = *opened;
        CHECK(lookup->description() == (dir / "GeoIPv6.dat").string());
        CHECK(lookup->country(ip("8.8.8.8")) == "");
        CHECK(lookup->country(ip("2001:4860:4860::8888")) == "US");
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("country lookups from two threads agree") {
    std::vector<IpAddress> addresses;
    std::mt19937_64 random(5);
    for (int i = 0; i < 20000; ++i) {
        IpAddress a;
        a.v6 = i % 4 == 0;
        for (auto& byte : a.bytes)
            byte = static_cast<std::uint8_t>(random());
        if (a.v6) a.bytes[0] = 0x20;  // inside 2000::/3, where the networks are
        addresses.push_back(a);
    }
    for (const auto& e : expected_from_json())
        addresses.push_back(e.address);

    std::vector<std::string> sources = {test_mmdb};
    if (have_debian_database()) sources.push_back("");
    for (const std::string& source : sources) {
        auto lookup = open_or_fail(source);
        auto reference = open_or_fail(source, CountryCache::off);
        std::vector<std::string_view> expected;
        for (const auto& a : addresses)
            expected.push_back(reference->country(a));
        std::vector<std::size_t> mismatches(2, 0);
        auto run = [&](std::size_t index) {
            for (int round = 0; round < 3; ++round) {
                for (std::size_t i = 0; i < addresses.size(); ++i) {
                    if (lookup->country(addresses[i]) != expected[i]) ++mismatches[index];
                }
            }
        };
        std::thread first(run, 0);
        std::thread second(run, 1);
        first.join();
        second.join();
        CHECK_MESSAGE(mismatches[0] == 0, source);
        CHECK_MESSAGE(mismatches[1] == 0, source);
    }
}

// A measure, not a test: run with
//   logsift_unit -tc='country lookup speed' --no-skip
TEST_CASE("country lookup speed" * doctest::skip()) {
    // Clients of a busy site: few addresses make most requests. log-uniform ranks over a pool
    // of public addresses approximate that.
    std::mt19937_64 random(7);
    auto public_pool = [&](bool v6_share, std::size_t size) {
        std::vector<IpAddress> pool;
        while (pool.size() < size) {
            IpAddress a;
            a.v6 = v6_share && pool.size() % 5 == 0;
            for (auto& byte : a.bytes)
                byte = static_cast<std::uint8_t>(random());
            if (a.v6) a.bytes[0] = 0x2a;
            if (!is_special_purpose(a)) pool.push_back(a);
        }
        return pool;
    };
    auto skewed = [&](const std::vector<IpAddress>& pool, std::size_t count) {
        std::vector<IpAddress> stream;
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        for (std::size_t i = 0; i < count; ++i) {
            auto rank = static_cast<std::size_t>(std::pow(double(pool.size()), unit(random)));
            stream.push_back(pool[std::min(rank, pool.size()) - 1]);
        }
        return stream;
    };
    auto measure = [](const CountryLookup& lookup, const std::vector<IpAddress>& stream) {
        std::size_t known = 0;
        const auto start = std::chrono::steady_clock::now();
        for (const auto& a : stream)
            known += lookup.country(a).empty() ? 0 : 1;
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
        return std::pair{double(stream.size()) / took.count(), known};
    };

    const std::size_t lines = 2'000'000;
    const auto pool = public_pool(true, 100'000);
    const auto skewed_stream = skewed(pool, lines);
    std::vector<IpAddress> uniform_stream;
    for (std::size_t i = 0; i < lines; ++i)
        uniform_stream.push_back(pool[random() % pool.size()]);
    std::vector<IpAddress> mmdb_stream;
    {
        std::vector<IpAddress> found;
        for (const auto& e : expected_from_json()) {
            if (!is_special_purpose(e.address)) found.push_back(e.address);
        }
        mmdb_stream = skewed(found, lines);
    }

    std::vector<std::pair<std::string, std::string>> sources = {{"test .mmdb", test_mmdb}};
    if (have_debian_database()) sources.insert(sources.begin(), {"Debian GeoIP.dat", ""});
    for (const auto& [name, source] : sources) {
        for (CountryCache cache : {CountryCache::off, CountryCache::on}) {
            auto lookup = open_or_fail(source, cache);
            const std::string label = cache == CountryCache::on ? "cache on" : "cache off";
            const auto& stream = source.empty() ? skewed_stream : mmdb_stream;
            auto [skewed_rate, skewed_known] = measure(*lookup, stream);
            auto [uniform_rate, uniform_known] = measure(*lookup, uniform_stream);
            MESSAGE(name << ", " << label << ": skewed " << skewed_rate / 1e6 << " M/s ("
                         << skewed_known << " known), uniform " << uniform_rate / 1e6 << " M/s ("
                         << uniform_known << " known)");
        }
    }
}
