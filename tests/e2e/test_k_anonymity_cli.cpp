// `logsift reduce --k-anonymity K` end to end: the options and their defaults (K 5 with
// --in-place), which records are written at which level, the closing statistics, files read
// twice on threads or not, and standard input held a period at a time, in memory or spilled.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include "harness.hpp"

using namespace e2e;

namespace {

std::string line(const std::string& address, const std::string& time, const std::string& agent,
                 const std::string& referrer = "https://news.example.co.uk/story") {
    return address + " - - [08/Oct/2026:" + time + " +0000] \"GET / HTTP/1.1\" 200 512 \"" +
           referrer + "\" \"" + agent + "\"\n";
}

std::string firefox(const std::string& version) {
    return "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/" + version;
}

// Three addresses share Firefox 120.0 (written as they are with K 3); one has 120.1 and two
// others 120.2 (three together at level 1, as "120"); one curl is alone at every level.
const std::string small_log = line("198.51.100.1", "10:15:01", firefox("120.0")) +
                              line("198.51.100.2", "10:15:02", firefox("120.0")) +
                              line("198.51.100.3", "10:15:03", firefox("120.0")) +
                              line("198.51.100.1", "10:15:04", firefox("120.0")) +
                              line("198.51.100.4", "10:15:05", firefox("120.1")) +
                              line("198.51.100.5", "10:15:06", firefox("120.2")) +
                              line("198.51.100.6", "10:15:07", firefox("120.2")) +
                              line("203.0.113.9", "10:15:08", "curl/8.4.0", "-");

const std::vector<std::string> small_args = {
    "reduce",     "--format", "combined",
    "--no-geoip", "--fields", "time,network,agent,agent_version,referrer_host"};

const std::string level0 =
    "2026-10-08T10:00:00+00:00\t198.51.100.0/24\tFirefox\t120.0\tnews.example.co.uk\n";
const std::string level1 =
    "2026-10-08T10:00:00+00:00\t198.51.100.0/24\tFirefox\t120\tnews.example.co.uk\n";

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::string quoted(const std::string& text) {
    return "'" + text + "'";
}

}  // namespace

TEST_CASE("k-anonymity: each record at the least level K addresses share, in input order") {
    TempDir dir;
    const std::string log = (dir / "access.log").string();
    write_file(log, small_log);
    Result result = logsift(with(small_args, {"--k-anonymity", "3", log}));
    CHECK(result.status == 0);
    CHECK(result.out == level0 + level0 + level0 + level0 + level1 + level1 + level1);
    CHECK(contains(result.err,
                   "logsift: k-anonymity 3 per day: 87.5% of records kept their network, 50.0% "
                   "their full version, 12.5% suppressed (1 of 8 records)\n"));
    // The same from standard input, where the records wait for the end of their day.
    Result streamed = logsift(with(small_args, {"--k-anonymity", "3"}), small_log);
    CHECK(streamed.status == 0);
    CHECK(streamed.out == result.out);
    CHECK(streamed.err == result.err);

    Result quiet = logsift(with(small_args, {"--k-anonymity", "3", "--quiet", log}));
    CHECK(quiet.out == result.out);
    CHECK(quiet.err.empty());
    Result verbose = logsift(with(small_args, {"--k-anonymity", "3", "--verbose", log}));
    CHECK(contains(verbose.err,
                   "logsift: k-anonymity records per level: 0: 4, 1: 3, 2: 0, 3: 0, "
                   "4: 0, 5: 0, 6: 0, 7: 0, 8: 0, 9: 0, suppressed: 1\n"));

    Result jsonl =
        logsift(with(small_args, {"--k-anonymity", "3", "--output-format", "jsonl", log}));
    CHECK(contains(jsonl.out, "\"agent_version\":\"120\""));
    CHECK(split_lines(jsonl.out).size() == 7);
}

TEST_CASE("k-anonymity: the quasi-identifier is all six columns, whatever --fields prints") {
    // Two addresses of one /24 with two agents: they share nothing until the agent goes (level
    // 6), where the network is a /8.
    const std::string log = line("198.51.100.1", "10:00:00", firefox("120.0")) +
                            line("198.51.100.2", "10:00:01", "curl/8.4.0");
    Result result = logsift({"reduce", "--format", "combined", "--no-geoip", "--fields", "network",
                             "--k-anonymity", "2"},
                            log);
    CHECK(result.status == 0);
    CHECK(result.out == "198.0.0.0/8\n198.0.0.0/8\n");
}

TEST_CASE("k-anonymity: K 1 is plain reduce, and --k-period needs K") {
    TempDir dir;
    const std::string log = (dir / "access.log").string();
    write_file(log, small_log);
    Result plain = logsift(with(small_args, {log}));
    Result one = logsift(with(small_args, {"--k-anonymity", "1", log}));
    CHECK(plain.status == 0);
    CHECK(split_lines(plain.out).size() == 8);
    CHECK(one.out == plain.out);
    CHECK(one.err == plain.err);
    CHECK_FALSE(contains(plain.err, "k-anonymity"));

    for (const std::vector<std::string>& bad :
         std::vector<std::vector<std::string>>{{"--k-anonymity", "0"},
                                               {"--k-anonymity", "1001"},
                                               {"--k-anonymity", "-3"},
                                               {"--k-anonymity", "five"},
                                               {"--k-anonymity", "2", "--k-period", "week"},
                                               {"--k-period", "hour"},
                                               {"--k-anonymity", "1", "--k-period", "day"}}) {
        CAPTURE(bad.front());
        CAPTURE(bad.back());
        Result result = logsift(with(with(small_args, bad), {log}));
        CHECK(result.status == 2);
        CHECK(result.out.empty());
        CHECK(contains(result.err, "logsift: error: "));
        CHECK(contains(result.err, "--k-"));
    }
    CHECK(contains(logsift(with(small_args, {"--k-anonymity", "0", log})).err,
                   "--k-anonymity must be between 1 (off) and 1000"));
    // Only reduce writes records.
    CHECK(logsift({"sources", "--k-anonymity", "5", log}).status == 2);

    const std::string bad_memory = "LOGSIFT_K_MEMORY=lots " + quoted(LOGSIFT_BINARY) +
                                   " reduce --k-anonymity 2 " + quoted(log);
    Result memory = shell(bad_memory);
    CHECK(memory.status == 2);
    CHECK(contains(memory.err, "LOGSIFT_K_MEMORY"));
}

TEST_CASE("k-anonymity: --in-place makes each file 5-anonymous unless told otherwise") {
    TempDir dir;
    std::string five;
    for (int i = 1; i <= 5; ++i)
        five += line("198.51.100." + std::to_string(i), "10:00:0" + std::to_string(i),
                     firefox("120.0"));
    const std::string log = five + line("203.0.113.9", "10:00:09", "curl/8.4.0", "-");
    const std::string a = (dir / "a.log").string();
    const std::string b = (dir / "b.log").string();
    write_file(a, log);
    write_file(b, log);
    const std::vector<std::string> fields = {"--no-geoip", "--fields", "network,agent_version"};
    Result result = logsift(with(with({"reduce", "--in-place"}, fields), {a}));
    CHECK(result.status == 0);
    CHECK(read_file(a) == [] {
        std::string expected;
        for (int i = 0; i < 5; ++i)
            expected += "198.51.100.0/24\t120.0\n";
        return expected;
    }());
    CHECK(contains(result.err, "k-anonymity 5 per day"));
    CHECK(contains(result.err, "(1 of 6 records)"));

    Result kept = logsift(with(with({"reduce", "--in-place", "--k-anonymity", "1"}, fields), {b}));
    CHECK(kept.status == 0);
    CHECK(split_lines(read_file(b)).size() == 6);
    CHECK_FALSE(contains(kept.err, "k-anonymity"));

    // Each file on its own: two files of three addresses each are not 5-anonymous together.
    std::string three;
    for (int i = 1; i <= 3; ++i)
        three += line("198.51.100." + std::to_string(i), "10:00:0" + std::to_string(i),
                      firefox("120.0"));
    write_file(a, three);
    write_file(b, three);
    Result apart = logsift(with(with({"reduce", "--in-place", "--quiet"}, fields), {a, b}));
    CHECK(apart.status == 0);
    CHECK(read_file(a).empty());
    CHECK(read_file(b).empty());
}

TEST_CASE("k-anonymity: the threads and the sequential run write the same, and so does stdin") {
    const std::string log = data("real/apache-combined-elastic-examples.log").string();
    const std::vector<std::string> args = {"reduce", "--k-anonymity", "5", "--max-bad",
                                           "1",      "--quiet"};
    Result one = logsift(with(args, {"--threads", "1", log}));
    Result two = logsift(with(args, {"--threads", "2", log}));
    CHECK(one.status == 0);
    CHECK(two.status == 0);
    CHECK(split_lines(one.out).size() > 9000);
    CHECK(one.out == two.out);
    // The whole run is one period from standard input too: the same classes, the same records.
    Result whole = logsift(with(args, {"--k-period", "all", log}));
    Result streamed = logsift_stdin_file(with(args, {"--k-period", "all"}), log);
    CHECK(whole.status == 0);
    CHECK(streamed.status == 0);
    CHECK(streamed.out == whole.out);
}

TEST_CASE("k-anonymity: standard input beyond LOGSIFT_K_MEMORY spills to a temporary file") {
    TempDir dir;
    const std::string log = data("real/apache-combined-elastic-examples.log").string();
    const std::string command = quoted(LOGSIFT_BINARY) +
                                " reduce --k-anonymity 5 --max-bad 1 --quiet --output-format "
                                "jsonl < " +
                                quoted(log);
    Result in_memory = shell(command);
    CHECK(in_memory.status == 0);
    CHECK(split_lines(in_memory.out).size() > 9000);
    Result spilled = shell("LOGSIFT_K_MEMORY=4k " + command);
    CHECK(spilled.status == 0);
    CHECK(spilled.out == in_memory.out);
    // Proof that it spilled: with nowhere to spill, the same run fails, naming the directory.
    const std::string nowhere = (dir / "missing").string();
    Result failed = shell("LOGSIFT_K_MEMORY=4k TMPDIR=" + quoted(nowhere) + " " + command);
    CHECK(failed.status == 1);
    CHECK(contains(failed.err, "cannot write temporary rows in " + nowhere));
    Result fits = shell("TMPDIR=" + quoted(nowhere) + " " + command);
    CHECK(fits.status == 0);
    CHECK(fits.out == in_memory.out);
}

TEST_CASE("k-anonymity: from standard input, a late record is judged with its own period's") {
    // K 2 per hour: 10:xx has two addresses, then 11:xx begins; a late 10:xx record of a third
    // address comes after that, alone among the records counted with it.
    const std::string log = line("198.51.100.1", "10:59:58", firefox("120.0")) +
                            line("198.51.100.2", "10:59:59", firefox("120.0")) +
                            line("198.51.100.3", "11:00:00", firefox("120.0")) +
                            line("198.51.100.4", "10:59:59", firefox("120.0")) +
                            line("198.51.100.5", "11:00:01", firefox("120.0"));
    const std::vector<std::string> args = {
        "reduce",        "--format", "combined",   "--no-geoip", "--fields", "time,network",
        "--k-anonymity", "2",        "--k-period", "hour",       "--quiet"};
    Result streamed = logsift(args, log);
    CHECK(streamed.status == 0);
    CHECK(streamed.out ==
          "2026-10-08T10:00:00+00:00\t198.51.100.0/24\n"
          "2026-10-08T10:00:00+00:00\t198.51.100.0/24\n"
          "2026-10-08T11:00:00+00:00\t198.51.100.0/24\n"
          "2026-10-08T11:00:00+00:00\t198.51.100.0/24\n");
    // Read as a file, the late record joins the other two of its hour.
    TempDir dir;
    const std::string file = (dir / "access.log").string();
    write_file(file, log);
    Result twice = logsift(with(args, {file}));
    CHECK(split_lines(twice.out).size() == 5);
}

TEST_CASE("k-anonymity: a pipe's records of an hour are written once the next hour begins") {
    TempDir dir;
    const std::string fifo = (dir / "access.fifo").string();
    const std::string out = (dir / "out.tsv").string();
    const std::string ten = (dir / "ten").string();
    const std::string eleven = (dir / "eleven").string();
    write_file(ten, line("198.51.100.1", "10:10:00", firefox("120.0")) +
                        line("198.51.100.2", "10:20:00", firefox("120.0")));
    write_file(eleven, line("198.51.100.3", "11:00:00", firefox("120.0")));
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // The output's lines, 0 while logsift has not opened it yet (a sanitized or loaded
    // machine takes a while to start); the second count waits as long as such a machine needs.
    const std::string lines = "cat " + quoted(out) + " 2>/dev/null | wc -l";
    Result result =
        shell(quoted(LOGSIFT_BINARY) +
              " reduce --format combined --no-geoip --quiet --fields time --k-anonymity 2 "
              "--k-period hour -o " +
              quoted(out) + " <" + quoted(fifo) + " & pid=$!; exec 3>" + quoted(fifo) + "; cat " +
              quoted(ten) + " >&3; sleep 1; " + lines + "; cat " + quoted(eleven) +
              " >&3; i=0; while [ \"$(" + lines + ")\" -lt 2 ] && [ $i -lt 600 ]; do sleep 0.1; " +
              "i=$((i + 1)); done; " + lines + "; exec 3>&-; wait $pid; echo \"status=$?\"");
    CHECK(result.out == "0\n2\nstatus=0\n");
    // 11:00 had one address only when the input ended.
    CHECK(read_file(out) == "2026-10-08T10:00:00+00:00\n2026-10-08T10:00:00+00:00\n");
}

TEST_CASE("k-anonymity: --strict meeting a bad line writes nothing") {
    TempDir dir;
    const std::string log = (dir / "access.log").string();
    write_file(log, small_log + "not a log line\n" + small_log);
    Result result = logsift(with(small_args, {"--k-anonymity", "3", "--strict", log}));
    CHECK(result.status == 1);
    CHECK(result.out.empty());
    CHECK(contains(result.err, "line 9"));
}
