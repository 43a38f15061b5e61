// The nightly job (scripts/examples/logsift-nightly) over logs rotated as logrotate's daily,
// compress and delaycompress rotate them, several nights in a row; and its systemd units, as
// `cmake --install` installs them, checked by systemd-analyze.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <set>

#include "harness.hpp"
#include "skip.hpp"

using namespace e2e;

namespace {

const std::string nightly_script =
    std::string(LOGSIFT_SOURCE_DIR) + "/scripts/examples/logsift-nightly";

std::string quoted(const std::string& text) {
    return "'" + text + "'";
}

// Runs the nightly job with the built logsift first on PATH, as the day's job for day.
Result run_nightly(const fs::path& log_dir, const fs::path& summary_dir, const std::string& day) {
    const std::string bin_dir = fs::path(LOGSIFT_BINARY).parent_path().string();
    return shell("PATH=" + quoted(bin_dir) + ":\"$PATH\" LOGSIFT_NIGHTLY_DAY=" + day + " sh " +
                 quoted(nightly_script) + " " + quoted(log_dir.string()) + " " +
                 quoted(summary_dir.string()));
}

// logrotate's daily rotation with compress and delaycompress: access.log.N.gz moves up one,
// access.log.1 is compressed into access.log.2.gz, access.log becomes access.log.1, and the
// server starts a new access.log.
void rotate(const fs::path& dir, const std::string& base) {
    for (int n = 8; n >= 2; --n) {
        const fs::path from = dir / (base + "." + std::to_string(n) + ".gz");
        if (fs::exists(from)) fs::rename(from, dir / (base + "." + std::to_string(n + 1) + ".gz"));
    }
    const fs::path one = dir / (base + ".1");
    if (fs::exists(one)) {
        REQUIRE(shell("gzip " + quoted(one.string())).status == 0);
        fs::rename(dir / (base + ".1.gz"), dir / (base + ".2.gz"));
    }
    fs::rename(dir / base, one);
}

// Night k's canaries: a whole client address of each family, a user name and a query token.
struct Canaries {
    std::string v4, v6, user, token;
};
Canaries canaries_of(int night) {
    const std::string k = std::to_string(night);
    return {"203.0.113.1" + k + "7", "2001:db8:" + k + ":77::beef", "cnryuser" + k,
            "CNRYTOKEN" + k};
}

// lines combined-format lines of 2026-10-0D, spread over the day, with night's canaries.
std::string day_log(int day_of_month, int night, int lines) {
    const Canaries canary = canaries_of(night);
    std::string log;
    for (int i = 0; i < lines; ++i) {
        const int hour = i * 23 / std::max(lines - 1, 1);
        char time[64];
        std::snprintf(time, sizeof time, "%02d/Oct/2026:%02d:%02d:07 +0000", day_of_month, hour,
                      i % 60);
        log += (i % 2 ? canary.v4 : canary.v6) + " - " + canary.user + " [" + time +
               "] \"GET /downloads/tool-1." + std::to_string(night) +
               ".tar.gz?key=" + canary.token +
               " HTTP/1.1\" 200 1234 \"https://www.example.com/\" \"curl/8.5.0\"\n";
    }
    return log;
}

std::string day_of(int day_of_month) {
    char text[32];
    std::snprintf(text, sizeof text, "2026-10-%02d", day_of_month);
    return text;
}

// The summary the job wrote for day (HOST-DAY.json; the host name is the machine's).
std::optional<fs::path> summary_for(const fs::path& summary_dir, const std::string& day) {
    for (const auto& entry : fs::directory_iterator(summary_dir)) {
        if (entry.path().filename().string().ends_with("-" + day + ".json")) return entry.path();
    }
    return std::nullopt;
}

// Every file of dir but the live log, decompressed, as one text.
std::string rotated_text(const fs::path& dir, const std::string& live) {
    std::string text;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().filename() == live) continue;
        if (entry.path().extension() == ".gz") {
            Result unzipped = shell("gzip -dc " + quoted(entry.path().string()));
            REQUIRE(unzipped.status == 0);
            text += unzipped.out;
        } else {
            text += read_file(entry.path());
        }
    }
    return text;
}

}  // namespace

TEST_CASE("the nightly job reduces each rotated day once, and summarizes only that day") {
    if (shell("command -v gzip").status != 0) {
        logsift_test::skip("gzip is missing (scripts/setup --tests installs it)");
        return;
    }
    TempDir dir;
    const fs::path logs = dir / "log";
    const fs::path summaries = dir / "summaries";
    fs::create_directories(logs);
    const int lines_of_night[] = {0, 12, 7, 9, 5};

    // Day 10's log is live when the first night comes.
    write_file(logs / "access.log", day_log(10, 1, lines_of_night[1]));
    std::map<std::string, std::string> written;  // summary path -> its bytes, once written
    for (int night = 1; night <= 3; ++night) {
        CAPTURE(night);
        rotate(logs, "access.log");
        // The server goes on writing the next day, with the next night's canaries.
        write_file(logs / "access.log", day_log(10 + night, night + 1, lines_of_night[night + 1]));

        const std::string day = day_of(9 + night);
        Result result = run_nightly(logs, summaries, day);
        CHECK_MESSAGE(result.status == 0, result.err);

        // No raw line survives anywhere but in the live log.
        const std::string rotated = rotated_text(logs, "access.log");
        for (int k = 1; k <= night; ++k) {
            const Canaries canary = canaries_of(k);
            for (const std::string& raw : {canary.v4, canary.v6, canary.user, canary.token})
                CHECK_MESSAGE(rotated.find(raw) == std::string::npos, raw);
        }
        // The live log is the server's: untouched.
        CHECK(read_file(logs / "access.log") ==
              day_log(10 + night, night + 1, lines_of_night[night + 1]));

        // This night's summary counts this day's lines, in this day's period, and nothing else.
        std::optional<fs::path> summary = summary_for(summaries, day);
        REQUIRE(summary);
        const nlohmann::json json = nlohmann::json::parse(read_file(*summary));
        CHECK(json["lines"]["parsed"] == lines_of_night[night]);
        CHECK(json["lines"]["read"] == lines_of_night[night]);
        std::set<std::string> periods;
        for (const auto& row : json["sources"])
            periods.insert(row["period"].get<std::string>());
        for (const auto& row : json["downloads"])
            periods.insert(row["period"].get<std::string>());
        CHECK(periods == std::set<std::string>{day});
        const std::string text = read_file(*summary);
        for (int k = 1; k <= 4; ++k) {
            const Canaries canary = canaries_of(k);
            for (const std::string& raw : {canary.v4, canary.v6, canary.user, canary.token})
                CHECK_MESSAGE(text.find(raw) == std::string::npos, raw);
        }

        // Earlier nights' summaries are never written again.
        for (const auto& [path, bytes] : written)
            CHECK_MESSAGE(read_file(path) == bytes, path);
        written[summary->string()] = read_file(*summary);
        std::size_t summary_count = 0;
        for ([[maybe_unused]] const auto& entry : fs::directory_iterator(summaries))
            ++summary_count;
        CHECK(summary_count == static_cast<std::size_t>(night));
    }
    // Three nights: the live log, access.log.1 (plain, reduced), .2.gz and .3.gz (reduced).
    CHECK(fs::exists(logs / "access.log.1"));
    CHECK(fs::exists(logs / "access.log.2.gz"));
    CHECK(fs::exists(logs / "access.log.3.gz"));
}

TEST_CASE("a night the job missed is summarized as its own day the next night") {
    TempDir dir;
    const fs::path logs = dir / "log";
    const fs::path summaries = dir / "summaries";
    fs::create_directories(logs);
    write_file(logs / "access.log", day_log(10, 1, 6));
    rotate(logs, "access.log");
    write_file(logs / "access.log", day_log(11, 2, 4));
    rotate(logs, "access.log");  // no job ran: access.log.2.gz is raw
    write_file(logs / "access.log", day_log(12, 3, 3));

    Result result = run_nightly(logs, summaries, "2026-10-11");
    CHECK_MESSAGE(result.status == 0, result.err);
    for (auto [day, lines] : {std::pair{std::string("2026-10-10"), 6}, {"2026-10-11", 4}}) {
        CAPTURE(day);
        std::optional<fs::path> summary = summary_for(summaries, day);
        REQUIRE(summary);
        const nlohmann::json json = nlohmann::json::parse(read_file(*summary));
        CHECK(json["lines"]["parsed"] == lines);
        CHECK(json["sources"].at(0)["period"] == day);
    }
    const std::string rotated = rotated_text(logs, "access.log");
    for (int k = 1; k <= 2; ++k)
        CHECK(rotated.find(canaries_of(k).v4) == std::string::npos);
}

TEST_CASE("a log the nightly job cannot read does not keep the others raw") {
    TempDir dir;
    const fs::path logs = dir / "log";
    const fs::path summaries = dir / "summaries";
    fs::create_directories(logs);
    write_file(logs / "access.log.1", day_log(10, 1, 5));
    const std::string error_log =
        "2026/10/10 06:25:01 [error] 77#77: *1 open() failed, "
        "client: " +
        canaries_of(3).v4 + "\n";
    write_file(logs / "error.log.1", error_log);
    write_file(logs / "other.log.1", day_log(10, 2, 3));

    Result result = run_nightly(logs, summaries, "2026-10-10");
    CHECK(result.status == 1);
    CHECK(result.err.find("error.log.1: no preset format fits") != std::string::npos);
    const std::string rotated = read_file(logs / "access.log.1") + read_file(logs / "other.log.1");
    CHECK(rotated.find(canaries_of(1).v4) == std::string::npos);
    CHECK(rotated.find(canaries_of(2).v4) == std::string::npos);
    CHECK(read_file(logs / "error.log.1") == error_log);  // not logsift's to rewrite
    // The day's summary holds both access logs.
    std::optional<fs::path> summary = summary_for(summaries, "2026-10-10");
    REQUIRE(summary);
    CHECK(nlohmann::json::parse(read_file(*summary))["lines"]["parsed"] == 8);

    // A PATTERN that names the access logs only leaves the error log out, without a failure.
    TempDir again;
    fs::create_directories(again / "log");
    write_file(again / "log" / "access.log.1", day_log(10, 1, 5));
    write_file(again / "log" / "error.log.1", error_log);
    const std::string bin_dir = fs::path(LOGSIFT_BINARY).parent_path().string();
    Result only_access =
        shell("PATH=" + quoted(bin_dir) + ":\"$PATH\" LOGSIFT_NIGHTLY_DAY=" + "2026-10-10 sh " +
              quoted(nightly_script) + " " + quoted((again / "log").string()) + " " +
              quoted((again / "summaries").string()) + " '*access.log'");
    CHECK_MESSAGE(only_access.status == 0, only_access.err);
    CHECK(read_file(again / "log" / "access.log.1").find(canaries_of(1).v4) == std::string::npos);
}

TEST_CASE("the installed systemd units pass systemd-analyze verify") {
    if (shell("command -v systemd-analyze && command -v " + quoted(LOGSIFT_CMAKE)).status != 0) {
        logsift_test::skip(
            "systemd-analyze or cmake is missing (scripts/setup --tests installs them)");
        return;
    }
    TempDir dir;
    const fs::path root = dir / "root";
    Result install = shell("DESTDIR=" + quoted(root.string()) + " " + quoted(LOGSIFT_CMAKE) +
                           " --install " + quoted(LOGSIFT_BUILD_DIR));
    REQUIRE_MESSAGE(install.status == 0, install.err);
    const fs::path examples =
        fs::path(root.string() + LOGSIFT_INSTALL_DATADIR) / "logsift/examples";
    const std::string service = read_file(examples / "logsift-nightly.service");
    // The service runs the script where the install put it.
    const std::string exec =
        std::string("ExecStart=") + LOGSIFT_INSTALL_BINDIR + "/logsift-nightly ";
    CHECK(service.find(exec) != std::string::npos);
    CHECK(fs::exists(fs::path(root.string() + LOGSIFT_INSTALL_BINDIR) / "logsift-nightly"));
    // So does the logrotate snippet.
    CHECK(read_file(examples / "logrotate-logsift")
              .find(std::string(LOGSIFT_INSTALL_BINDIR) + "/logsift-nightly ") !=
          std::string::npos);

    // systemd-analyze resolves the units the service depends on (sysinit.target, ...) under
    // --root: the host's own units stand in for those of the system it is installed on.
    for (const char* units : {"/usr/lib/systemd/system", "/lib/systemd/system"}) {
        if (fs::exists(units)) {
            fs::create_directories(root / "usr/lib/systemd");
            fs::copy(units, root / "usr/lib/systemd/system",
                     fs::copy_options::recursive | fs::copy_options::copy_symlinks |
                         fs::copy_options::skip_existing);
            break;
        }
    }
    // Installed as the operator installs them: copied into /etc/systemd/system.
    const fs::path unit_dir = root / "etc/systemd/system";
    fs::create_directories(unit_dir);
    for (const char* unit : {"logsift-nightly.service", "logsift-nightly.timer"})
        fs::copy_file(examples / unit, unit_dir / unit);
    Result verify = shell("systemd-analyze verify --man=no --root=" + quoted(root.string()) +
                          " /etc/systemd/system/logsift-nightly.service"
                          " /etc/systemd/system/logsift-nightly.timer 2>&1");
    CHECK_MESSAGE(verify.status == 0, verify.out);
}
