// `reduce --k-anonymity K` checked from outside: every printed record's quasi-identifier (its
// network, agent, agent_version, country, referrer_host and vhost as printed, within its day,
// hour or the whole run) must be shared by records of at least K distinct full client
// addresses. logsift prints no address, so each input line's request is rewritten to
// `/line/N` and the printed resource leads back to the raw line, whose address this test reads
// itself (tests/privacy/linkage.cpp). The generalized spellings are logsift's business: a class
// is whatever the six printed strings are.
//
// Until reduce has the option, the cases that need it skip; the checker's own cases run now.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <iomanip>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "harness.hpp"
#include "linkage.hpp"
#include "skip.hpp"

using namespace e2e;
using linkage::Family;
using linkage::Period;
using linkage::Prepared;
using linkage::Row;

namespace {

bool has_k_anonymity() {
    static const bool found =
        logsift({"reduce", "--help"}).out.find("--k-anonymity") != std::string::npos;
    return found;
}

bool skipped_without_k_anonymity() {
    if (has_k_anonymity()) return false;
    const std::string reason =
        "`logsift reduce --help` does not mention --k-anonymity: the option is not there yet";
    MESSAGE(reason);
    logsift_test::skip(reason);
    return true;
}

// A prepared log in a file, and what a run without k-anonymity printed for it.
struct Input {
    std::string name;
    const Family* family = nullptr;
    Prepared prepared;
    fs::path path;
    std::vector<Row> plain;
};

Result reduce(const Input& input, const std::vector<std::string>& extra) {
    return logsift(linkage::reduce_arguments(*input.family, input.path.string(), extra));
}

std::string first_problems(const std::vector<std::string>& problems) {
    std::string text;
    for (std::size_t i = 0; i < problems.size() && i < 5; ++i)
        text += problems[i] + "\n";
    return text;
}

// The statistics line logsift ends a run with: lines read and parsed.
std::pair<std::size_t, std::size_t> read_and_parsed(const std::string& err) {
    static const std::regex stats(R"((\d+) lines read, (\d+) parsed)");
    std::smatch match;
    if (!std::regex_search(err, match, stats)) return {0, 0};
    return {std::stoul(match[1]), std::stoul(match[2])};
}

Input prepare(const TempDir& dir, const std::string& name, const std::string& raw,
              const Family& family) {
    Input input;
    input.name = name;
    input.family = &family;
    input.prepared = linkage::prepare(raw, family);
    input.path = dir / (name + ".prepared");
    write_file(input.path, input.prepared.text);
    // Threads change no output (ARCHITECTURE.md), and one starts faster on a small log.
    Result plain = reduce(input, {"--threads", "1"});
    CAPTURE(name);
    CAPTURE(plain.err);
    REQUIRE(plain.status == 0);
    linkage::Joined joined = linkage::join(plain.out, input.prepared);
    // A resource the rules rewrote would break the join for every later check.
    CHECK_MESSAGE(joined.problems.empty(), first_problems(joined.problems));
    const auto [read, parsed] = read_and_parsed(plain.err);
    CHECK(read == input.prepared.kept);
    CHECK(joined.rows.size() == parsed);
    input.plain = std::move(joined.rows);
    return input;
}

// Runs reduce with --k-anonymity k and checks the promise on what it printed.
void check_k_anonymous(const Input& input, std::size_t k, Period period) {
    const std::string period_name = linkage::period_name(period);
    CAPTURE(input.name);
    CAPTURE(k);
    CAPTURE(period_name);
    Result result = reduce(input, {"--k-anonymity", std::to_string(k), "--k-period", period_name});
    CAPTURE(result.err);
    REQUIRE(result.status == 0);
    linkage::Joined joined = linkage::join(result.out, input.prepared);
    // Each line at most once, and only lines that were in the input.
    CHECK_MESSAGE(joined.problems.empty(), first_problems(joined.problems));
    CHECK(joined.rows.size() <= input.plain.size());

    linkage::ClassCheck classes = linkage::check_classes(joined.rows, input.prepared, period,
                                                         linkage::Key::quasi_identifier, k);
    std::string samples;
    for (const std::string& sample : classes.below_samples)
        samples += sample + "\n";
    CHECK_MESSAGE(classes.below == 0, classes.below << " of " << classes.classes
                                                    << " classes below k:\n"
                                                    << samples);

    // The periods are read from the time column, so it must be the plain run's, not coarsened.
    std::map<std::size_t, const Row*> plain_by_line;
    for (const Row& row : input.plain)
        plain_by_line.emplace(row.line, &row);
    std::size_t time_changed = 0;
    std::set<std::size_t> printed;
    for (const Row& row : joined.rows) {
        printed.insert(row.line);
        auto found = plain_by_line.find(row.line);
        if (found == plain_by_line.end() || found->second->time != row.time) ++time_changed;
    }
    CHECK(time_changed == 0);

    // A record whose class already holds k addresses reaches k as it is: suppressing it would
    // break "records that cannot reach K are suppressed".
    std::size_t crowded_missing = 0;
    for (std::size_t line : linkage::crowded_lines(input.plain, input.prepared, period, k))
        if (!printed.contains(line)) ++crowded_missing;
    CHECK(crowded_missing == 0);
}

// ---- generated logs

// A group of clients that share what a record shows of them, or not.
struct Group {
    std::vector<std::string> addresses;
    std::vector<std::string> agents;  // one per address, or one for all
    std::string referrer;
    std::string vhost;
    int requests = 0;            // per address
    bool busy_hours = false;     // only at 09 and 14 UTC, so that hours are crowded too
    bool vhost_each = false;     // a vhost of its own per address
    bool referrer_each = false;  // a referrer of its own per address
};

std::vector<Group> groups() {
    std::vector<Group> all;
    const std::string firefox =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0";
    const std::string chrome =
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/119.0.6045.105 Safari/537.36";
    // Crowded: many addresses of one /24 or /48, one agent and version.
    Group office{{}, {firefox}, "https://www.google.com/", "www.example.com", 6, true};
    for (int i = 10; i < 50; ++i)
        office.addresses.push_back("83.149.9." + std::to_string(i));
    all.push_back(office);
    Group campus{{}, {chrome}, "-", "www.example.com", 6, true};
    for (int i = 1; i <= 30; ++i)
        campus.addresses.push_back("2001:db8:1234:" + std::to_string(i) + "::1");
    all.push_back(campus);
    Group mirror{{}, {"curl/8.4.0"}, "-", "downloads.example.com", 8, true};
    for (int i = 1; i <= 12; ++i)
        mirror.addresses.push_back("66.249.73." + std::to_string(i * 7));
    all.push_back(mirror);
    // Lonely, but alike once generalized: one address per /24 of one /16, one major version.
    Group neighbours{{}, {}, "https://news.example.net/", "www.example.com", 10, false};
    for (int i = 1; i <= 8; ++i) {
        neighbours.addresses.push_back("45.33." + std::to_string(i) + ".7");
        neighbours.agents.push_back(
            "Mozilla/5.0 (X11; Linux x86_64; rv:97.0) Gecko/20100101 Firefox/97." +
            std::to_string(i));
    }
    all.push_back(neighbours);
    // Lonely for good: a /8 each, an agent version each, a referrer and vhost each, and many
    // requests at all hours.
    Group loners{{}, {}, "https://blog.example.org/", "www.example.com", 25, false, true, true};
    const int eights[] = {23, 31, 37, 46,  62,  77,  78,  80,  85,  89,
                          91, 93, 95, 109, 151, 176, 178, 185, 188, 193};
    for (int i = 0; i < 20; ++i) {
        loners.addresses.push_back(std::to_string(eights[i]) + "." + std::to_string(i + 3) + "." +
                                   std::to_string(i * 11 % 250 + 1) + ".77");
        loners.agents.push_back("Wget/1." + std::to_string(i + 5) + ".3");
    }
    all.push_back(loners);
    Group loners6{{}, {}, "-", "www.example.com", 15, false};
    for (int i = 1; i <= 10; ++i) {
        loners6.addresses.push_back("2a01:4f8:" + std::to_string(i) + ":" + std::to_string(i) +
                                    "::2");
        loners6.agents.push_back("curl/7." + std::to_string(50 + i) + ".0");
    }
    all.push_back(loners6);
    return all;
}

// The addresses of the lonely groups above: 8 + 20 + 10.
constexpr std::size_t lonely_addresses = 38;

// Requests of the groups above over three days, in time order, as combined lines or (vhosts)
// as vhost_combined_noport lines. Same seed, same bytes.
std::string generated_log(bool vhosts, std::uint32_t seed) {
    std::mt19937 random(seed);
    std::vector<std::pair<long, std::string>> lines;
    for (const Group& group : groups()) {
        for (std::size_t a = 0; a < group.addresses.size(); ++a) {
            const std::string& agent = group.agents.size() == 1 ? group.agents[0] : group.agents[a];
            std::string referrer = group.referrer;
            if (group.referrer_each && referrer != "-")
                referrer = "https://ref" + std::to_string(a) + ".example.org/";
            std::string vhost = group.vhost;
            if (group.vhost_each) vhost = "site" + std::to_string(a) + ".example.com";
            for (int r = 0; r < group.requests; ++r) {
                const long day = random() % 3;
                const long hour = group.busy_hours ? (random() % 2 ? 14 : 9) : random() % 24;
                const long second = random() % 3600;
                const long at = ((day * 24 + hour) * 3600) + second;
                std::ostringstream line;
                if (vhosts) line << vhost << ' ';
                line << group.addresses[a] << " - - [" << std::setfill('0') << std::setw(2)
                     << 8 + day << "/Oct/2026:" << std::setw(2) << hour << ':' << std::setw(2)
                     << second / 60 << ':' << std::setw(2) << second % 60
                     << " +0000] \"GET /index.html HTTP/1.1\" 200 " << 100 + r << " \"" << referrer
                     << "\" \"" << agent << "\"";
                lines.emplace_back(at, line.str());
            }
        }
    }
    std::stable_sort(lines.begin(), lines.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string text;
    for (const auto& [at, line] : lines)
        text += line + "\n";
    return text;
}

std::vector<Input> generated_inputs(const TempDir& dir) {
    std::vector<Input> inputs;
    inputs.push_back(prepare(dir, "generated-combined", generated_log(false, 7),
                             *linkage::find_family("combined")));
    inputs.push_back(prepare(dir, "generated-vhosts", generated_log(true, 11),
                             *linkage::find_family("vhost_combined_noport")));
    return inputs;
}

// ---- real logs

// The family of each log in tests/data/real (SOURCES.md there): the one `--format auto` picks,
// or the server's own format string, or for a log that mixes formats the family most of its
// lines have (the lines of other shapes are left out).
struct RealLog {
    const char* file;
    const char* family;
};

const RealLog real_logs[] = {
    {"apache-combined-basjes-hackers.log", "combined"},
    {"apache-combined-broken-referer-bitfield.log", "common"},
    {"apache-combined-elastic-examples.log", "combined"},
    {"apache-combined-gpxe-lnav.log", "combined"},
    {"apache-combined-ipv6doc-mtail.log", "combined"},
    {"apache-combined-rla.log", "combined"},
    {"apache-combined-tls-handshake-crowdsec.log", "combined"},
    {"apache-common-darwin-beats.log", "common"},
    {"apache-common-misc-crowdsec.log", "common"},
    {"apache-common-nasa-aug95-head.log", "common"},
    {"apache-common-nikto-probing-crowdsec.log", "common"},
    {"apache-common-rla.log", "common"},
    {"apache-custom-D-mtail.log", "apache_D"},
    // %v:%p %h %{JSESSIONID}C %u %t ...: the session id sits where %l would.
    {"apache-custom-vhostport-session-lnav.log", "vhost_combined"},
    {"apache-mixed-common-combined-beats.log", "common"},
    {"apache-mixed-plaso.log", "combined"},
    {"apache-ssl-request-beats.log", "ssl_request"},
    {"apache-vhost-combined-beats.log", "vhost_combined_noport"},
    {"combined-attack-probes-crowdsec.log", "combined"},
    {"lighttpd-custom-mtail.log", "lighttpd"},
    {"nginx-combined-elastic-examples-head.log", "combined"},
    {"nginx-combined-empty-request-400-lnav.log", "combined"},
    {"nginx-combined-malformed-binary-crowdsec.log", "combined"},
    {"nginx-combined-sigwait-gromnitsky.log", "combined"},
    {"nginx-combined-silverbullets-ployt0.log", "combined"},
    {"nginx-combined-xff-misc-crowdsec.log", "main"},
    {"nginx-combined-xff-variants-beats.log", "combined"},
    {"nginx-host-prefixed-beats.log", "vhost_combined_noport"},
    {"nginx-ingress-controller-upstream-beats.log", "combined"},
    {"nginx-main-fxa-heka.log", "main"},
    {"nginx-mixed-access-error-crowdsec.log", "combined"},
    // Its first 25 lines are Traefik's CLF (combined and three fields more), the rest JSON.
    {"traefik-clf-then-json-geraldcroes.log", "combined"},
    {"vhost-combined-misc-crowdsec.log", "vhost_combined_noport"},
};

// Logs no family describes, with the reason.
const std::pair<const char*, const char*> unreadable_logs[] = {
    {"traefik-json-maborak.log", "Traefik 2 JSON lines: no preset or format string reads JSON"},
};

std::vector<std::string> logs_in_directory() {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(data("real")))
        if (entry.path().extension() == ".log") files.push_back(entry.path().filename().string());
    std::sort(files.begin(), files.end());
    return files;
}

Input prepare_real(const TempDir& dir, const RealLog& log) {
    const Family* family = linkage::find_family(log.family);
    REQUIRE(family != nullptr);
    Input input = prepare(dir, log.file, read_file(data(std::string("real/") + log.file)), *family);
    // Built as a string: doctest would print a const char* as a pointer.
    const std::string note =
        std::string(log.file) + ": " + std::to_string(input.prepared.lines - input.prepared.kept) +
        " of " + std::to_string(input.prepared.lines) + " lines left out (not " + log.family +
        "-shaped), " + std::to_string(input.plain.size()) + " reduced";
    MESSAGE(note);
    return input;
}

}  // namespace

TEST_CASE("k-anonymity check: the checker finds the lonely clients of a plain reduce") {
    TempDir dir;
    for (const Input& input : generated_inputs(dir)) {
        CAPTURE(input.name);
        REQUIRE(input.prepared.kept == input.prepared.lines);
        // Without k-anonymity every lonely address sits alone in its class, and only they do.
        linkage::ClassCheck classes = linkage::check_classes(
            input.plain, input.prepared, Period::day, linkage::Key::quasi_identifier, 2);
        CHECK(classes.below > 0);
        CHECK(classes.smallest == 1);
        linkage::Linkability day = linkage::measure(input.plain, input.prepared, Period::day,
                                                    linkage::Key::quasi_identifier);
        CHECK(day.lonely_addresses == lonely_addresses);
        CHECK(day.lonely_classes_2_hours > 0);
        // The crowded groups: 40, 30 and 12 addresses, so a class of at least 10 exists.
        CHECK(!linkage::crowded_lines(input.plain, input.prepared, Period::day, 10).empty());

        if (has_k_anonymity()) {
            // K = 1 is off: the plain records, byte for byte.
            Result plain = reduce(input, {});
            Result one = reduce(input, {"--k-anonymity", "1"});
            CHECK(one.status == 0);
            CHECK(one.out == plain.out);
        }
    }
}

TEST_CASE("k-anonymity check: each rewritten real log keeps its /line/N resources" *
          doctest::test_suite("slow")) {
    // The join depends on it; it needs no k-anonymity, so it runs before the option exists.
    TempDir dir;
    std::set<std::string> listed;
    for (const RealLog& log : real_logs)
        listed.insert(log.file);
    for (const auto& [file, reason] : unreadable_logs)
        listed.insert(file);
    for (const std::string& file : logs_in_directory()) {
        CAPTURE(file);
        CHECK_MESSAGE(listed.contains(file), "add it to real_logs with its family");
    }
    for (const RealLog& log : real_logs) {
        Input input = prepare_real(dir, log);
        CHECK(input.prepared.kept > 0);
        CHECK(!input.plain.empty());
    }
}

TEST_CASE("k-anonymity: generated logs, K = 2, 5 and 10 per day") {
    if (skipped_without_k_anonymity()) return;
    TempDir dir;
    for (const Input& input : generated_inputs(dir))
        for (std::size_t k : {2, 5, 10})
            check_k_anonymous(input, k, Period::day);
}

TEST_CASE("k-anonymity: generated logs, per hour and over the whole run") {
    if (skipped_without_k_anonymity()) return;
    TempDir dir;
    for (const Input& input : generated_inputs(dir)) {
        check_k_anonymous(input, 2, Period::hour);
        check_k_anonymous(input, 5, Period::hour);
        check_k_anonymous(input, 5, Period::all);
        check_k_anonymous(input, 10, Period::all);
    }
}

TEST_CASE("k-anonymity: every real log, K = 2 and 10 per day" * doctest::test_suite("slow")) {
    if (skipped_without_k_anonymity()) return;
    TempDir dir;
    for (const RealLog& log : real_logs) {
        SUBCASE(log.file) {
            Input input = prepare_real(dir, log);
            check_k_anonymous(input, 2, Period::day);
            check_k_anonymous(input, 10, Period::day);
            // Past one chunk (2 MiB), worker threads each see part of a day: the records must
            // be those of one thread all the same (ARCHITECTURE.md).
            if (input.prepared.text.size() > (std::size_t{2} << 20)) {
                Result one = reduce(input, {"--k-anonymity", "5", "--threads", "1"});
                Result three = reduce(input, {"--k-anonymity", "5", "--threads", "3"});
                CHECK(three.status == 0);
                CHECK(three.out == one.out);
            }
        }
    }
}

TEST_CASE("k-anonymity: every real log, K = 5 per hour and over the whole run" *
          doctest::test_suite("slow")) {
    if (skipped_without_k_anonymity()) return;
    TempDir dir;
    for (const RealLog& log : real_logs) {
        SUBCASE(log.file) {
            Input input = prepare_real(dir, log);
            check_k_anonymous(input, 5, Period::hour);
            check_k_anonymous(input, 5, Period::all);
        }
    }
}

TEST_CASE("k-anonymity: a real log no format of logsift reads is skipped, saying why") {
    std::string reasons;
    for (const auto& [file, reason] : unreadable_logs) {
        CAPTURE(file);
        // Should logsift learn to read it, this fails, and the log moves to real_logs.
        Result result = logsift({"reduce", data(std::string("real/") + file).string()});
        CHECK(result.status == 2);
        reasons += std::string(file) + ": " + reason + "; ";
    }
    logsift_test::skip("not checked for k-anonymity: " + reasons);
}
