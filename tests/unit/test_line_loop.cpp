// The line loop, on both paths: records reach the sink in input order, bad lines are counted
// and numbered, --strict stops at the first, overlong lines are bad, and the threaded run gives
// what the sequential one gives, chunk boundaries and several inputs included.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "logsift/base/signals.hpp"
#include "logsift/output/output.hpp"
#include "logsift/run/line_loop.hpp"
#include "logsift/run/progress.hpp"
#include "logsift/run/run_inputs.hpp"
#include "logsift/run/threaded.hpp"

using namespace logsift;

namespace {

// A temporary file removed at the end of the test.
class TempFile {
  public:
    explicit TempFile(const std::string& bytes) {
        char name[] = "/tmp/logsift-line-loop-XXXXXX";
        const int fd = ::mkstemp(name);
        REQUIRE(fd >= 0);
        ::close(fd);
        path_ = name;
        std::ofstream(path_, std::ios::binary) << bytes;
    }
    ~TempFile() { ::unlink(path_.c_str()); }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

// Line i's client is 10.A.B.1 with a network of its own (10.A.B.0/24) for i < 65536, so the
// records tell which line they came from.
std::string network_of(int i) {
    return "10." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256) + ".0/24";
}
std::string line_of(int i) {
    return "10." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256) + ".1 200\n";
}

InputConfig config_for(std::vector<std::string> inputs) {
    InputConfig config;
    auto compiled = LogFormat::compile("$remote_addr $status");
    REQUIRE(compiled);
    config.format = std::move(*compiled);
    config.inputs = std::move(inputs);
    config.quiet = true;
    config.max_bad_fraction = 1.0;
    return config;
}

// Keeps the networks of the records it is given, in order.
class Networks final : public RunSink {
  public:
    void add(const Record& record) override { seen.emplace_back(record.network); }
    std::vector<std::string> seen;
};

// As a worker of the threaded run: one line of text per record, into the chunk's output.
class NetworkWorker final : public ChunkWorker {
  public:
    void begin(std::string& output) override { output_ = &output; }
    void add(const Record& record) override { output_->append(record.network).push_back('\n'); }
    void end() override {}

  private:
    std::string* output_ = nullptr;
};

// Threaded: the chunks' outputs, committed in input order, split back into networks.
class ThreadedNetworks final : public RunSink {
  public:
    explicit ThreadedNetworks(unsigned workers) : workers_(workers) {}
    void add(const Record& record) override { seen.emplace_back(record.network); }
    std::vector<std::unique_ptr<ChunkWorker>> workers(unsigned) override {
        std::vector<std::unique_ptr<ChunkWorker>> made;
        for (unsigned i = 0; i < workers_; ++i)
            made.push_back(std::make_unique<NetworkWorker>());
        return made;
    }
    void commit(std::string& output) override {
        std::size_t start = 0;
        for (std::size_t end = output.find('\n'); end != std::string::npos;
             start = end + 1, end = output.find('\n', start)) {
            seen.push_back(output.substr(start, end - start));
        }
    }
    std::vector<std::string> seen;

  private:
    unsigned workers_;
};

}  // namespace

TEST_CASE("line loop: records reach the sink in input order; bad lines are counted by number") {
    std::string log;
    std::vector<std::string> expected;
    for (int i = 0; i < 10; ++i) {
        if (i == 3 || i == 7) {
            log += "garbage\n";
            continue;
        }
        log += line_of(i);
        expected.push_back(network_of(i));
    }
    TempFile file(log);
    InputConfig config = config_for({file.path()});

    SUBCASE("one input, line by line") {
        LineLoop loop(config, config.filter, nullptr);
        Networks sink;
        RunState state;
        Progress progress(false);
        CHECK(loop.read_input(file.path(), sink, state, progress) == InputOutcome::done);
        CHECK(sink.seen == expected);
        CHECK(state.lines == 10);
        CHECK(state.parsed == 8);
        CHECK(state.skipped == 2);
        REQUIRE(state.first_bad.size() == 2);
        CHECK(state.first_bad[0].file == file.path());
        CHECK(state.first_bad[0].line == 4);
        CHECK(state.first_bad[1].line == 8);
        CHECK_FALSE(state.input_failed);
    }
    SUBCASE("a chunk of whole lines, numbered within it") {
        LineLoop loop(config, config.filter, nullptr);
        Networks sink;
        RunState state;
        const std::string name = "chunk.log";
        loop.read_chunk(log, {}, *config.format, name, sink, state);
        CHECK(sink.seen == expected);
        CHECK(state.lines == 10);
        CHECK(state.parsed == 8);
        CHECK(state.skipped == 2);
        REQUIRE(state.first_bad.size() == 2);
        CHECK(state.first_bad[0].file == "chunk.log");
        CHECK(state.first_bad[0].line == 4);
    }
    SUBCASE("run_inputs, sequential and threaded, give the same records and totals") {
        Networks sequential;
        RunResult one = run_inputs(config, sequential);
        ThreadedNetworks threaded(3);
        RunResult three = run_inputs(config, threaded);
        CHECK_FALSE(one.fault);
        CHECK_FALSE(three.fault);
        CHECK(sequential.seen == expected);
        CHECK(threaded.seen == expected);
        CHECK(three.totals.lines == 10);
        CHECK(three.totals.skipped == 2);
        REQUIRE(three.totals.first_bad.size() == 2);
        CHECK(three.totals.first_bad[1].line == 8);
    }
}

TEST_CASE("line loop: an overlong line is bad, in a chunk as line by line") {
    const std::string log = line_of(1) + std::string(300, 'x') + " 200\n" + line_of(2);
    TempFile file(log);
    InputConfig config = config_for({file.path()});
    config.max_line = 100;
    LineLoop loop(config, config.filter, nullptr);
    Progress progress(false);
    Networks read;
    RunState read_state;
    CHECK(loop.read_input(file.path(), read, read_state, progress) == InputOutcome::done);
    Networks chunked;
    RunState chunk_state;
    const std::string name = "chunk.log";
    loop.read_chunk(log, {}, *config.format, name, chunked, chunk_state);
    for (const RunState* state : {&read_state, &chunk_state}) {
        CHECK(state->lines == 3);
        CHECK(state->skipped == 1);
        REQUIRE(state->first_bad.size() == 1);
        CHECK(state->first_bad[0].line == 2);
        CHECK(std::string_view(state->first_bad[0].error.reason) ==
              "line is longer than --max-line");
        CHECK(state->first_bad[0].error.column == 101);
    }
    CHECK(read.seen == std::vector<std::string>{network_of(1), network_of(2)});
    CHECK(chunked.seen == read.seen);

    // A line the reader marked overlong (its text not copied) is bad whatever its text.
    Networks marked;
    RunState marked_state;
    loop.read_chunk(line_of(1) + "\n" + line_of(2), {1}, *config.format, name, marked,
                    marked_state);
    CHECK(marked_state.skipped == 1);
    CHECK(marked.seen == read.seen);
}

TEST_CASE("line loop: --strict stops at the first bad line, after the records before it") {
    TempFile file(line_of(1) + line_of(2) + "garbage\n" + line_of(4));
    InputConfig config = config_for({file.path()});
    config.strict = true;
    LineLoop loop(config, config.filter, nullptr);
    Networks sink;
    RunState state;
    Progress progress(false);
    CHECK(loop.read_input(file.path(), sink, state, progress) == InputOutcome::stop_strict);
    CHECK(sink.seen == std::vector<std::string>{network_of(1), network_of(2)});
    CHECK(state.lines == 3);
    CHECK(state.skipped == 1);
    // As a run: an input fault, status 1.
    Networks run;
    CHECK(exit_status(run_inputs(config, run)) == ExitCode::input_error);
}

TEST_CASE("line loop: an input that cannot be opened fails alone; the others are read") {
    TempFile file(line_of(5));
    InputConfig config = config_for({"/nonexistent/logsift.log", file.path()});
    for (unsigned workers : {0u, 2u}) {
        CAPTURE(workers);
        ThreadedNetworks sink(workers);
        RunResult result = run_inputs(config, sink);
        CHECK(result.fault == Fault::input);
        CHECK(result.totals.lines == 1);
        CHECK(sink.seen == std::vector<std::string>{network_of(5)});
    }
}

TEST_CASE("line loop: the threaded run keeps input order across chunks and inputs") {
    // About 2.4 MB per input: several chunks of 1 MiB copied or 2 MiB mapped.
    std::string first, second;
    std::vector<std::string> expected;
    for (int i = 0; i < 60000; ++i) {
        (i % 2 ? second : first) += line_of(i) + (i % 1000 == 999 ? "garbage\n" : "");
    }
    for (int i = 0; i < 60000; i += 2)
        expected.push_back(network_of(i));
    for (int i = 1; i < 60000; i += 2)
        expected.push_back(network_of(i));
    TempFile a(first), b(second);
    InputConfig config = config_for({a.path(), b.path()});
    Networks sequential;
    RunResult one = run_inputs(config, sequential);
    ThreadedNetworks threaded(3);
    RunResult three = run_inputs(config, threaded);
    CHECK(sequential.seen == expected);
    CHECK(threaded.seen == expected);
    CHECK(one.totals.lines == three.totals.lines);
    CHECK(three.totals.lines == 60000 + 60);
    CHECK(three.totals.skipped == 60);
    CHECK(one.totals.skipped == 60);
    REQUIRE(three.totals.first_bad.size() == bad_lines_listed);
    for (std::size_t i = 0; i < bad_lines_listed; ++i) {
        CHECK(three.totals.first_bad[i].line == one.totals.first_bad[i].line);
        CHECK(three.totals.first_bad[i].file == one.totals.first_bad[i].file);
    }
}

TEST_CASE("line loop: a closed output ends a threaded run whose reader waits on a pipe") {
    // The reader ships the lines written so far, then waits on the FIFO, which stays open;
    // committing the first chunk meets a closed output. The run must stop its threads and
    // throw BrokenPipe to its caller, which decides the exit status.
    char dir[] = "/tmp/logsift-line-loop-fifo-XXXXXX";
    REQUIRE(::mkdtemp(dir) != nullptr);
    const std::string fifo = std::string(dir) + "/fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    int writer = -1;
    std::thread feeder([&] {
        writer = ::open(fifo.c_str(), O_WRONLY);
        std::string lines;
        for (int i = 0; lines.size() < (std::size_t{3} << 20); ++i)
            lines += line_of(i % 60000);
        for (std::size_t at = 0; at < lines.size();) {
            const ssize_t written = ::write(writer, lines.data() + at, lines.size() - at);
            if (written <= 0) break;
            at += static_cast<std::size_t>(written);
        }
    });
    class ClosedOutput final : public RunSink {
      public:
        void add(const Record&) override {}
        std::vector<std::unique_ptr<ChunkWorker>> workers(unsigned) override {
            std::vector<std::unique_ptr<ChunkWorker>> made;
            made.push_back(std::make_unique<NetworkWorker>());
            return made;
        }
        void commit(std::string&) override { throw BrokenPipe{}; }
    } sink;
    InputConfig config = config_for({fifo});
    CHECK_THROWS_AS(run_inputs(config, sink), BrokenPipe);
    feeder.join();
    ::close(writer);
    terminate_requested = 0;  // end_input_now asked every input of this process to end
    ::unlink(fifo.c_str());
    ::rmdir(dir);
}
