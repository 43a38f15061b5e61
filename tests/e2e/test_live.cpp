// Live input: a pipe or FIFO that keeps delivering lines (`tail -f access.log | logsift
// reduce`). The format is detected from the first burst, and each record is written before
// logsift waits for the next line.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include "harness.hpp"

using namespace e2e;

TEST_CASE("live: records of a FIFO are written while it stays open") {
    TempDir dir;
    std::string fifo = (dir / "access.fifo").string();
    std::string out = (dir / "out.tsv").string();
    std::string sample = data("codecs/sample.log").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // The writer keeps the FIFO open between bursts; `wc -l` looks at what was written while
    // it is still open, one second after each burst.
    Result result =
        shell("'" + std::string(LOGSIFT_BINARY) + "' reduce --quiet --fields network -o '" + out +
              "' <'" + fifo + "' & pid=$!; exec 3>'" + fifo + "'; head -n 3 '" + sample +
              "' >&3; sleep 1; wc -l <'" + out + "'; tail -n 2 '" + sample +
              "' >&3; sleep 1; wc -l <'" + out + "'; exec 3>&-; wait $pid; echo \"status=$?\"");
    CHECK(result.out == "3\n5\nstatus=0\n");
    CHECK(read_file(out) ==
          "192.0.2.0/24\n192.0.2.0/24\n198.51.100.0/24\n2001:db8:4::/48\n203.0.113.0/24\n");
}

TEST_CASE("live: SIGHUP reopens the -o file after it was moved; SIGTERM ends with status 0") {
    TempDir dir;
    std::string fifo = (dir / "access.fifo").string();
    std::string out = (dir / "anon.tsv").string();
    std::string sample = data("codecs/sample.log").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // As logrotate would: move the file, send SIGHUP, and later stop the logger with SIGTERM
    // while the writer still holds the pipe open.
    Result result = shell(
        "'" + std::string(LOGSIFT_BINARY) + "' reduce --quiet --fields network -o '" + out +
        "' <'" + fifo + "' & pid=$!; exec 3>'" + fifo + "'; head -n 2 '" + sample +
        "' >&3; sleep 1; mv '" + out + "' '" + out + ".1'; kill -HUP $pid; sleep 0.3; tail -n 3 '" +
        sample + "' >&3; sleep 1; kill -TERM $pid; wait $pid; echo \"status=$?\"; exec 3>&-");
    CHECK(result.out == "status=0\n");
    CHECK(read_file(out + ".1") == "192.0.2.0/24\n192.0.2.0/24\n");
    CHECK(read_file(out) == "198.51.100.0/24\n2001:db8:4::/48\n203.0.113.0/24\n");
}
