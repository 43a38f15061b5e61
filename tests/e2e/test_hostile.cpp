// Hostile input: what an attacker can put in a log line, a compressed file or a summary, and
// where output can fail. Each case asserts the documented status and message (man page, EXIT
// STATUS and DIAGNOSTICS), that memory and time stay bounded, and that no raw value of the input
// appears in any message.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace e2e;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

const std::string sample = data("codecs/sample.log").string();
const std::string expected_sample = read_file(data("codecs/sample.expected.tsv"));
const std::string canary = "hostileCANARY4711";

// Memory a run may take whatever its input holds: the 1 MiB read buffer, one --max-line of
// pending line, the user-agent and country tables.
constexpr long rss_bound_kib = 100 * 1024;

void check_rss(const Result& result) {
    if (sanitized) {
        MESSAGE("peak RSS " << result.peak_rss_kib / 1024
                            << " MiB not checked: AddressSanitizer's shadow memory and "
                               "quarantine are not logsift's");
        return;
    }
    CHECK(result.peak_rss_kib < rss_bound_kib);
}

// Appends count bytes of byte to the file, in blocks, so the test never holds them at once.
void append_bytes(const fs::path& path, std::size_t count, char byte) {
    std::ofstream out(path, std::ios::binary | std::ios::app);
    const std::string block(1 << 20, byte);
    for (; count >= block.size(); count -= block.size())
        out.write(block.data(), static_cast<std::streamsize>(block.size()));
    out.write(block.data(), static_cast<std::streamsize>(count));
}

void append_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::app);
    out << text;
}

std::vector<std::string> sample_lines() {
    return split_lines(read_file(sample));
}

std::string quoted(const std::string& path) {
    return "'" + path + "'";
}

// The caret line of a format error sits under the given byte of the format string.
void check_caret(const Result& result, const std::string& format, std::size_t offset) {
    CHECK(result.status == 2);
    CHECK(result.out == "");
    std::vector<std::string> lines = split_lines(result.err);
    REQUIRE(lines.size() >= 3);
    CHECK(contains(lines[0], "logsift: error: --format: "));
    std::size_t column = lines[1].find(format);
    REQUIRE(column != std::string::npos);
    CHECK(lines[2].find('^') == column + offset);
    CHECK(lines[2].find_first_not_of(" ") == column + offset);
}

}  // namespace

TEST_CASE("hostile: a 200 MiB line without a newline is skipped in bounded memory") {
    TempDir dir;
    const fs::path log = dir / "huge.log";
    std::vector<std::string> lines = sample_lines();
    append_text(log, lines[0] + "\n" + lines[1] + "\n" + canary);
    append_bytes(log, std::size_t{200} << 20, 'A');
    append_text(log, "\n" + lines[2] + "\n" + lines[3] + "\n" + lines[4] + "\n" + canary);
    // The last line has no newline either: it ends the input, and is just as overlong.
    append_bytes(log, std::size_t{20} << 20, 'B');

    for (std::string threads : {"1", "2"}) {
        CAPTURE(threads);
        Result result = logsift({"reduce", "--threads", threads, "--max-bad", "50", log.string()});
        CHECK(result.status == 0);
        CHECK(result.out == expected_sample);
        CHECK(contains(result.err, "logsift: 7 lines read, 5 parsed, 2 skipped\n"));
        CHECK(contains(result.err, "huge.log: line 3: line is longer than --max-line"));
        CHECK(contains(result.err, "huge.log: line 7: line is longer than --max-line"));
        CHECK_FALSE(contains(result.err, canary));
        check_rss(result);
    }
    // The same from standard input, with the default --max-bad: 2 of 7 lines is too many.
    Result piped = logsift_stdin_file({"reduce", "--format", "combined"}, log);
    CHECK(piped.status == 1);
    CHECK(piped.out == expected_sample);
    CHECK(contains(piped.err, "<stdin>: line 3: line is longer than --max-line"));
    CHECK(contains(piped.err, "more than --max-bad 1.0%"));
    CHECK_FALSE(contains(piped.err, canary));
    check_rss(piped);
}

TEST_CASE("hostile: NUL bytes and invalid UTF-8 in bad lines never reach a message") {
    std::string bad = "192.0.2.1 - - [08/Oct/2026:10:00:00 +0000] \"GET /" + canary;
    bad += std::string(1, '\0') + "\xff\xfe\xc3 HTTP/1.1\" 2" + std::string(1, '\0') + "0 5\n";
    std::string input = read_file(sample) + bad + bad;
    for (const std::vector<std::string>& extra :
         std::vector<std::vector<std::string>>{{"--verbose"}, {"--strict"}, {"--threads", "2"}}) {
        std::vector<std::string> args = {"reduce", "--format", "combined"};
        args.insert(args.end(), extra.begin(), extra.end());
        CAPTURE(extra[0]);
        Result result = logsift(args, input);
        CHECK(result.status == 1);
        CHECK(result.out == expected_sample);
        CHECK(contains(result.err, "<stdin>: line 6: status is not a number at column "));
        CHECK_FALSE(contains(result.err, canary));
        CHECK(result.err.find('\0') == std::string::npos);
        CHECK(result.err.find('\xff') == std::string::npos);
    }
    // Kept values with such bytes (the resource) leave as valid JSON in a summary, which
    // merges again.
    std::string kept = "192.0.2.1 - - [08/Oct/2026:10:00:00 +0000] \"GET /a" +
                       std::string(1, '\0') + "\xff\xfe.tar.gz HTTP/1.1\" 200 5 \"-\" \"-\"\n";
    TempDir dir;
    Result summary = logsift({"summary", "--quiet", "--format", "combined", "--output-format",
                              "json", "-o", (dir / "s.json").string()},
                             kept + read_file(sample));
    CHECK(summary.status == 0);
    CHECK(nlohmann::json::accept(read_file(dir / "s.json")));
    CHECK(logsift({"merge", (dir / "s.json").string(), (dir / "s.json").string()}).status == 0);
}

TEST_CASE("hostile: \\r alone does not end a line; such a log is reported, never half read") {
    // Only "\n" ends a line (a "\r" right before it is dropped). A log written with "\r" line
    // ends alone is one long line: it is never taken for records.
    std::string input;
    for (const std::string& line : sample_lines())
        input += line + "\r";
    Result given = logsift({"reduce", "--format", "combined"}, input);
    CHECK(given.status == 1);
    CHECK(given.out == "");
    CHECK(contains(given.err, "logsift: 1 lines read, 0 parsed, 1 skipped\n"));
    CHECK(contains(given.err, "<stdin>: line 1: carriage return inside the line at column 148"));

    Result detected = logsift({"reduce"}, input);
    CHECK(detected.status == 2);
    CHECK(detected.out == "");
    CHECK(contains(detected.err, "no preset format fits its first 1 lines"));

    // A long log of them is an overlong line, reported as such.
    std::string many;
    while (many.size() < 70000)
        many += input;
    Result overlong = logsift({"reduce", "--format", "combined"}, many);
    CHECK(overlong.status == 1);
    CHECK(overlong.out == "");
    CHECK(contains(overlong.err, "<stdin>: line 1: line is longer than --max-line"));

    // CRLF and a stray "\r" before the final newline are still fine.
    std::string crlf;
    for (const std::string& line : sample_lines())
        crlf += line + "\r\n";
    CHECK(logsift({"reduce", "--quiet"}, crlf).out == expected_sample);
}

TEST_CASE("hostile: truncated gzip and zstd write the records before the damage, then status 1") {
    TempDir dir;
    const std::string log = data("real/nginx-combined-elastic-examples-head.log").string();
    Result whole = logsift({"reduce", "--quiet", log});
    REQUIRE(whole.status == 0);
    const std::size_t whole_records = split_lines(whole.out).size();
    for (std::string codec : {"gzip", "zstd"}) {
        const std::string packed = (dir / ("packed." + codec)).string();
        REQUIRE(shell(codec + " -q -c " + quoted(log) + " > " + quoted(packed)).status == 0);
        std::string bytes = read_file(packed);
        const std::string cut = (dir / ("cut." + codec)).string();
        write_file(cut, bytes.substr(0, bytes.size() / 2));
        for (std::string threads : {"1", "2"}) {
            CAPTURE(codec);
            CAPTURE(threads);
            Result result = logsift({"reduce", "--quiet", "--threads", threads, cut});
            CHECK(result.status == 1);
            CHECK(contains(result.err, "logsift: error: " + cut + ": " + codec +
                                           " data is truncated or corrupt\n"));
            // Every whole line before the damage became a record, in order; the line cut in
            // two did not.
            std::size_t records = split_lines(result.out).size();
            CHECK(records > whole_records / 4);
            CHECK(records < whole_records);
            CHECK(whole.out.starts_with(result.out));
            CHECK(result.out.ends_with("\n"));
        }
        // A summary counts the same lines and fails the same way.
        Result summary = logsift({"summary", "--output-format", "json", cut});
        CHECK(summary.status == 1);
        CHECK(contains(summary.err, cut + ": " + codec + " data is truncated or corrupt"));
        CHECK(nlohmann::json::accept(summary.out));
    }
}

TEST_CASE("hostile: a gzip bomb decompresses in bounded memory" * doctest::test_suite("slow")) {
    TempDir dir;
    const std::string bomb = (dir / "bomb.gz").string();
    // Good lines, then 1 GiB of zeros without a newline (about 1 MiB compressed), then the
    // good lines again: one gzip member each.
    REQUIRE(shell("{ gzip -c " + quoted(sample) + "; head -c 1073741824 /dev/zero | gzip -1; " +
                  "printf '\\n' | gzip; gzip -c " + quoted(sample) + "; } > " + quoted(bomb))
                .status == 0);
    REQUIRE(fs::file_size(bomb) < (std::size_t{8} << 20));
    Result result = logsift({"reduce", "--max-bad", "50", bomb});
    CHECK(result.status == 0);
    CHECK(result.out == expected_sample + expected_sample);
    CHECK(contains(result.err, "logsift: 11 lines read, 10 parsed, 1 skipped\n"));
    CHECK(contains(result.err, "bomb.gz: line 6: line is longer than --max-line"));
    check_rss(result);
}

TEST_CASE("hostile: unsupported format directives exit 2 with a caret under the spot") {
    const std::vector<std::pair<std::string, std::size_t>> cases = {
        {"%h %l %u %t \"%r\" %>s %b %{X-Custom}Z", 24},                 // unknown Apache letter
        {"%h %l %u %t \"%r\" %>s %b \"%{Referer", 25},                  // unterminated %{
        {"%h %l %u %t \"%r\" %>s %b %^tx", 24},                         // %^ti and %^to only
        {"$remote_addr [$time_local] ${bad-name} $status", 27},         // not a variable name
        {"$remote_addr [$time_local] \"$request\" $", 38},              // '$' with no name
        {"LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b %Q\" common", 37},  // in a whole directive
        {"log_format main escape=html '$remote_addr';", 23},            // unknown escape
    };
    for (const auto& [format, offset] : cases) {
        CAPTURE(format);
        Result result = logsift({"reduce", "--format", format, sample});
        check_caret(result, format, offset);
    }
}

TEST_CASE("hostile: merge input that is not a summary exits 2 and names the file and problem") {
    TempDir dir;
    const std::string good = (dir / "good.json").string();
    REQUIRE(logsift({"summary", "--quiet", "--output-format", "json", "-o", good,
                     data("aggregate/downloads.log").string()})
                .status == 0);
    const nlohmann::json document = nlohmann::json::parse(read_file(good));
    REQUIRE(!document["downloads"].empty());

    // Each case: the bytes, and what the message must say after the file name.
    auto with = [&](auto change) {
        nlohmann::json changed = document;
        // A canary in a value the reader keeps: it must never be quoted back.
        changed["downloads"][0]["resource"] = "/" + canary;
        change(changed);
        return changed.dump();
    };
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", "not valid JSON"},
        {"not json " + canary, "not valid JSON"},
        {read_file(good).substr(0, read_file(good).size() / 2), "not valid JSON"},
        {std::string(100000, '[') + std::string(100000, ']'), "not a logsift summary"},
        {"[\"" + canary + "\"]", "not a logsift summary (not a JSON object)"},
        {with([](nlohmann::json& d) { d.erase("logsift_summary"); }),
         "not a logsift summary (no \"logsift_summary\" version)"},
        {with([](nlohmann::json& d) { d["logsift_summary"] = 1; }),
         "unsupported summary version (this logsift reads version 2)"},
        {with([](nlohmann::json& d) { d["settings"]["key_id"] = canary; }),
         "settings: \"key_id\" is not 16 hexadecimal digits"},
        {with([](nlohmann::json& d) { d["logsift_summary"] = "1"; }),
         "unsupported summary version"},
        {with([](nlohmann::json& d) { d["downloads"][0]["requests"] = -1; }),
         "downloads[0]: \"requests\" must be a whole number from 0 to 2^64-1"},
        {with([](nlohmann::json& d) { d["downloads"][0]["bytes"] = 1.5; }),
         "downloads[0]: \"bytes\" must be a whole number from 0 to 2^64-1"},
        {with([](nlohmann::json& d) { d["lines"]["read"] = -3; }),
         "lines: \"read\" must be a whole number from 0 to 2^64-1"},
        {with([](nlohmann::json& d) { d["downloads"][0]["clients"] = "e:" + canary; }),
         "downloads[0]: \"clients\" is not a valid sketch"},
        {with([](nlohmann::json& d) { d["settings"]["ipv4_prefix"] = 40; }),
         "settings: prefix length out of range"},
        {with([](nlohmann::json& d) { d["settings"]["period"] = canary; }),
         "settings: unknown \"period\""},
        {with([](nlohmann::json& d) { d["sources"][0]["dimension"] = canary; }),
         "sources[0]: unknown \"dimension\""},
        {with([](nlohmann::json& d) { d["downloads"].push_back(d["downloads"][0]); }),
         "downloads[" + std::to_string(document["downloads"].size()) + "]: repeats an earlier row"},
    };
    int index = 0;
    for (const auto& [bytes, message] : cases) {
        CAPTURE(message);
        const std::string path = (dir / ("bad" + std::to_string(index++) + ".json")).string();
        write_file(path, bytes);
        Result merged = logsift({"merge", good, path});
        CHECK(merged.status == 2);
        CHECK(merged.out == "");
        CHECK(contains(merged.err, "logsift: error: " + path + ": " + message));
        CHECK_FALSE(contains(merged.err, canary));
        Result from = logsift({"downloads", "--from", path});
        CHECK(from.status == 2);
        CHECK(from.out == "");
        CHECK(contains(from.err, path + ": " + message));
    }

    // Counts past 2^64 in the JSON text itself, and counts that only overflow once merged.
    std::string text = read_file(good);
    std::string huge = text;
    const std::string requests = "\"requests\":";
    std::size_t at = huge.find(requests) + requests.size();
    huge.replace(at, huge.find_first_of(",}", at) - at, "18446744073709551616");
    write_file(dir / "huge.json", huge);
    Result above = logsift({"merge", (dir / "huge.json").string()});
    CHECK(above.status == 2);
    CHECK(contains(above.err, "\"requests\" must be a whole number from 0 to 2^64-1"));

    nlohmann::json full = document;
    full["lines"]["read"] = UINT64_MAX;
    write_file(dir / "full.json", full.dump());
    Result overflow = logsift({"merge", good, (dir / "full.json").string()});
    CHECK(overflow.status == 2);
    CHECK(contains(overflow.err, (dir / "full.json").string() + ": line counts overflow"));

    // Settings that differ are named.
    const std::string other = (dir / "other.json").string();
    REQUIRE(logsift({"summary", "--quiet", "--output-format", "json", "--ipv6-prefix", "64", "-o",
                     other, data("aggregate/downloads.log").string()})
                .status == 0);
    Result mismatch = logsift({"merge", good, other});
    CHECK(mismatch.status == 2);
    CHECK(contains(mismatch.err, "made with another ipv6_prefix than the summaries before it"));
    CHECK(contains(mismatch.err, "summaries merge only when every setting is equal"));
    // A setting edited alone no longer fits the summary's own networks (/48 under a declared
    // /64, the 2026-10-09 row of 2001:db8:1::5): that is found in the file itself.
    nlohmann::json edited = document;
    edited["settings"]["ipv6_prefix"] = 64;
    write_file(dir / "edited.json", edited.dump());
    Result misfit = logsift({"merge", good, (dir / "edited.json").string()});
    CHECK(misfit.status == 2);
    CHECK(
        contains(misfit.err, (dir / "edited.json").string() +
                                 ": sources, period 2026-10-09: a value of \"network\" is not one "
                                 "logsift writes"));
}

TEST_CASE("hostile: a full disk is an error with status 1 for every writer, never silent") {
    const std::string big = data("real/apache-combined-elastic-examples.log").string();
    TempDir dir;
    const std::string summary_json = (dir / "s.json").string();
    REQUIRE(logsift({"summary", "--quiet", "--output-format", "json", "-o", summary_json, sample})
                .status == 0);
    const std::vector<std::vector<std::string>> runs = {
        {"reduce", big},
        {"reduce", "--threads", "2", big},
        {"reduce", "--output-format", "jsonl", sample},
        {"summary", sample},
        {"summary", "--output-format", "json", big},
        {"downloads", "--from", summary_json},
        {"sources", "--output-format", "csv", sample},
        {"merge", summary_json, summary_json},
    };
    for (const std::vector<std::string>& args : runs) {
        CAPTURE(args[0]);
        CAPTURE(args[1]);
        std::vector<std::string> to_file = args;
        to_file.insert(to_file.begin() + 1, {"-o", "/dev/full"});
        Result named = logsift(to_file);
        CHECK(named.status == 1);
        CHECK(contains(named.err, "logsift: error: /dev/full: No space left on device"));

        // Standard output on a full disk.
        std::string command = quoted(LOGSIFT_BINARY);
        for (const std::string& arg : args)
            command += " " + quoted(arg);
        Result piped = shell(command + " >/dev/full; echo \"status=$?\" >&2");
        CHECK(contains(piped.err, "No space left on device"));
        CHECK(contains(piped.err, "status=1\n"));
    }
}

TEST_CASE("hostile: a 1 MiB user agent is parsed in well under a second") {
    // Shapes that make many rules candidates (bot words, browser tokens) and none at all.
    std::string bots, tokens, letters(1 << 20, 'a');
    while (bots.size() < (1 << 20))
        bots += "bot crawler spider Googlebot/2.1 ";
    while (tokens.size() < (1 << 20))
        tokens += "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 ";
    std::string baseline_line =
        "192.0.2.1 - - [08/Oct/2026:10:00:00 +0000] \"GET /a HTTP/1.1\" 200 5 \"-\" "
        "\"curl/8.4.0\"\n";
    Result baseline = logsift({"reduce", "--quiet", "--format", "combined"}, baseline_line);
    REQUIRE(baseline.status == 0);
    for (const std::string* agent : {&bots, &tokens, &letters}) {
        std::string line =
            "192.0.2.1 - - [08/Oct/2026:10:00:00 +0000] \"GET /a HTTP/1.1\" 200 5 "
            "\"-\" \"" +
            *agent + "\"\n";
        Result result = logsift({"reduce", "--format", "combined", "--max-line", "4194304"}, line);
        CHECK(result.status == 0);
        CHECK(split_lines(result.out).size() == 1);
        CHECK(result.out.size() < 400);
        CHECK(contains(result.err, "1 lines read, 1 parsed, 0 skipped"));
        // Against a run with a short agent, so start-up (loading uap-core's rules) is not
        // counted.
        if (sanitized) {
            MESSAGE("parse time " << result.seconds - baseline.seconds
                                  << " s not checked: AddressSanitizer slows every step");
        } else {
            CHECK(result.seconds - baseline.seconds < 1.0);
        }
        check_rss(result);
    }
}
