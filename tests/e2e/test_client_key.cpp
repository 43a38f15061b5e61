// The client key end to end: where it comes from (--key-file, $LOGSIFT_KEY_FILE, a config file,
// the default file made on first use), what a summary says of it (its id, never the key), that
// summaries made under different keys never merge, and that no value in a summary joins the
// rows of two dimensions.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "harness.hpp"
#include "skip.hpp"

using namespace e2e;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

unsigned mode_of(const fs::path& path) {
    struct stat status {};
    REQUIRE(::stat(path.c_str(), &status) == 0);
    return status.st_mode & 07777;
}

// The 8-byte values of an exact sketch ("e:" + base64); none for a HyperLogLog ("h:").
std::vector<std::string> exact_values(const std::string& sketch) {
    std::vector<std::string> values;
    if (!sketch.starts_with("e:")) return values;
    static const std::string alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string bytes;
    unsigned buffer = 0;
    int bits = 0;
    for (char c : sketch.substr(2)) {
        if (c == '=') break;
        const std::size_t digit = alphabet.find(c);
        REQUIRE(digit != std::string::npos);
        buffer = buffer << 6 | static_cast<unsigned>(digit);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bytes += static_cast<char>(buffer >> bits & 0xff);
        }
    }
    REQUIRE(bytes.size() % 8 == 0);
    for (std::size_t at = 0; at < bytes.size(); at += 8)
        values.push_back(bytes.substr(at, 8));
    return values;
}

std::vector<fs::path> real_logs() {
    std::vector<fs::path> logs;
    for (const auto& entry : fs::directory_iterator(data("real"))) {
        if (entry.path().extension() == ".log") logs.push_back(entry.path());
    }
    std::sort(logs.begin(), logs.end());
    return logs;
}

Result summary_under(const fs::path& key, const fs::path& log) {
    return logsift({"summary", "--quiet", "--max-bad", "100", "--output-format", "json",
                    "--key-file", key.string(), log.string()});
}

}  // namespace

TEST_CASE("the key file is made on first use, 0600 in a 0700 directory, and reused") {
    TempDir dir;
    const fs::path key = dir / "state" / "logsift" / "key";
    const std::string log = data("aggregate/downloads.log").string();
    Result first =
        logsift({"summary", "-q", "--output-format", "json", "--key-file", key.string(), log});
    REQUIRE(first.status == 0);
    CHECK(mode_of(key) == 0600);
    CHECK(mode_of(dir / "state" / "logsift") == 0700);
    const std::string text = read_file(key);
    CHECK(text.size() == 65);
    CHECK(text.find_first_not_of("0123456789abcdef\n") == std::string::npos);
    // The id names the key and does not reveal it.
    const std::string id = nlohmann::json::parse(first.out)["settings"]["key_id"];
    CHECK(id.size() == 16);
    CHECK_FALSE(contains(text, id));
    CHECK_FALSE(contains(first.out + first.err, text.substr(0, 16)));
    Result again =
        logsift({"summary", "-q", "--output-format", "json", "--key-file", key.string(), log});
    CHECK(again.out == first.out);
    CHECK(read_file(key) == text);
}

TEST_CASE("the default key file lives in the user's state directory") {
    TempDir dir;
    fs::permissions(dir.path(), fs::perms::all);
    const std::string log = data("aggregate/downloads.log").string();
    // As root the default is /var/lib/logsift; the suite checks the user's place as nobody,
    // who must be able to reach the binary, the log and the patterns.
    const std::string user = ::geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 "
                                                "--clear-groups "
                                              : "";
    const char* patterns = std::getenv("LOGSIFT_PATTERNS_DIR");
    if (!user.empty() &&
        shell("cd / && " + user + "test -x '" + std::string(LOGSIFT_BINARY) + "' -a -r '" + log +
              "' -a -r '" + (patterns ? std::string(patterns) : std::string(".")) + "/formats'")
                .status != 0) {
        logsift_test::skip(
            "user nobody cannot reach the build tree (it lies in a private "
            "directory): the default key file is not checked");
        return;
    }
    Result result = shell("cd / && " + user + "env -u LOGSIFT_KEY_FILE HOME=/nonexistent " +
                          "XDG_STATE_HOME='" + dir.path().string() + "' '" + LOGSIFT_BINARY +
                          "' summary -q '" + log + "'");
    REQUIRE_MESSAGE(result.status == 0, result.err);
    CHECK(mode_of(dir / "logsift" / "key") == 0600);
    CHECK(mode_of(dir / "logsift") == 0700);
}

TEST_CASE("a key file others can read, or that holds no key, is refused") {
    TempDir dir;
    const std::string log = data("aggregate/downloads.log").string();
    const fs::path key = dir / "key";
    write_file(key, std::string(64, 'a') + "\n");
    fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    Result shared = logsift({"summary", "--key-file", key.string(), log});
    CHECK(shared.status == 2);
    CHECK(contains(shared.err, key.string() + ": others than its owner may read or write it"));
    CHECK(shared.out == "");

    fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);
    write_file(key, "not a key\n");
    Result garbage = logsift({"summary", "--key-file", key.string(), log});
    CHECK(garbage.status == 2);
    CHECK(contains(garbage.err, "not a key: 64 hexadecimal digits expected"));
    CHECK_FALSE(contains(garbage.err, "not a key\n"));
    write_file(key, std::string(62, 'a') + "\n");
    CHECK(logsift({"summary", "--key-file", key.string(), log}).status == 2);
    write_file(key, "  " + std::string(64, 'B') + "  \n");
    CHECK(logsift({"summary", "-q", "--key-file", key.string(), log}).status == 0);

    // A summary read back was made under its own key: --key-file shapes nothing there.
    Result json = logsift({"summary", "-q", "--output-format", "json", log});
    write_file(dir / "s.json", json.out);
    CHECK(logsift({"sources", "--from", (dir / "s.json").string(), "--key-file", key.string()})
              .status == 2);
}

TEST_CASE("the key file comes from a config file, and a misspelt setting is refused") {
    TempDir dir;
    const std::string log = data("aggregate/downloads.log").string();
    const fs::path key = dir / "site-key";
    write_file(dir / "logsift.conf", "[summary]\nkey-file = \"" + key.string() + "\"\n");
    Result configured = logsift({"--config", (dir / "logsift.conf").string(), "summary", "-q",
                                 "--output-format", "json", log});
    REQUIRE(configured.status == 0);
    CHECK(fs::exists(key));
    Result direct =
        logsift({"summary", "-q", "--output-format", "json", "--key-file", key.string(), log});
    CHECK(direct.out == configured.out);

    write_file(dir / "bad.conf", "[summary]\nkey-fil = \"" + key.string() + "\"\n");
    Result misspelt = logsift({"--config", (dir / "bad.conf").string(), "summary", log});
    CHECK(misspelt.status == 2);
    CHECK(contains(misspelt.err, "key-fil"));
}

TEST_CASE("summaries under two keys differ in every token but in no count, and never merge" *
          doctest::test_suite("slow")) {
    TempDir dir;
    std::size_t compared = 0;
    for (const fs::path& log : real_logs()) {
        CAPTURE(log);
        Result one = summary_under(dir / "one", log);
        Result two = summary_under(dir / "two", log);
        if (one.status != 0) {
            MESSAGE("not summarized (" << one.status << "): " << log.filename());
            continue;
        }
        REQUIRE(two.status == 0);
        nlohmann::json a = nlohmann::json::parse(one.out);
        nlohmann::json b = nlohmann::json::parse(two.out);
        CHECK(a["settings"]["key_id"] != b["settings"]["key_id"]);
        if (a["sources"].empty()) continue;
        ++compared;
        CHECK(one.out != two.out);
        for (const char* table : {"downloads", "sources"}) {
            REQUIRE(a[table].size() == b[table].size());
            for (std::size_t i = 0; i < a[table].size(); ++i) {
                nlohmann::json row_a = a[table][i], row_b = b[table][i];
                if (row_a["clients"].get<std::string>().starts_with("e:"))
                    CHECK(row_a["clients"] != row_b["clients"]);
                for (const char* sketch : {"clients", "addresses"}) {
                    row_a.erase(sketch);
                    row_b.erase(sketch);
                }
                CHECK(row_a == row_b);  // every value and count but the tokens
            }
        }
    }
    CHECK(compared >= 25);

    const fs::path log = data("real/apache-combined-elastic-examples.log");
    write_file(dir / "a.json", summary_under(dir / "one", log).out);
    write_file(dir / "b.json", summary_under(dir / "two", log).out);
    Result merged = logsift({"merge", (dir / "a.json").string(), (dir / "b.json").string()});
    CHECK(merged.status == 2);
    CHECK(merged.out == "");
    CHECK(contains(merged.err, (dir / "b.json").string() +
                                   ": made with another key_id (the client key, --key-file)"));
    Result from = logsift(
        {"sources", "--from", (dir / "a.json").string(), "--from", (dir / "b.json").string()});
    CHECK(from.status == 2);
    CHECK(logsift({"merge", (dir / "a.json").string(), (dir / "a.json").string()}).status == 0);
}

TEST_CASE("no value in a summary is shared by rows of two dimensions" *
          doctest::test_suite("slow")) {
    TempDir dir;
    std::size_t values_seen = 0, logs_checked = 0;
    for (const fs::path& log : real_logs()) {
        CAPTURE(log);
        Result result = summary_under(dir / "key", log);
        if (result.status != 0) {
            MESSAGE("not summarized (" << result.status << "): " << log.filename());
            continue;
        }
        ++logs_checked;
        const nlohmann::json summary = nlohmann::json::parse(result.out);
        // value -> the dimensions (and "downloads") whose rows hold it
        std::map<std::string, std::set<std::string>> where;
        // A download's tokens cover its product: the rows of two products hold no value in
        // common either.
        for (const nlohmann::json& row : summary["downloads"]) {
            for (const char* sketch : {"clients", "addresses"}) {
                for (const std::string& value : exact_values(row[sketch]))
                    where[value].insert("downloads " + row["product"].get<std::string>());
            }
        }
        for (const nlohmann::json& row : summary["sources"]) {
            for (const std::string& value : exact_values(row["clients"]))
                where[value].insert(row["dimension"].get<std::string>());
        }
        for (const auto& [value, dimensions] : where) {
            ++values_seen;
            CHECK_MESSAGE(dimensions.size() == 1, "a value joins " << *dimensions.begin()
                                                                   << " with "
                                                                   << *dimensions.rbegin());
        }
    }
    CHECK(logs_checked >= 25);
    CHECK(values_seen > 10000);
}
