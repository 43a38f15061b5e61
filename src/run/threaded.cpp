// The threaded run: one reader thread cuts each input into chunks of whole lines (mapped from a
// plain file, else copied out of the read buffer); worker threads run each chunk through their
// line loop into their own ChunkWorker; the calling thread commits the chunks' results in input
// order, and numbers their lines then. So output order, line numbers and counts are those of
// the sequential run (line_loop.cpp).
#include "logsift/run/threaded.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "logsift/base/memory.hpp"
#include "logsift/base/signals.hpp"
#include "logsift/run/progress.hpp"

namespace logsift {
namespace {

// Each chunk wakes the committer and the reader: a mapped chunk of 2 MiB keeps that (and its
// mapping) under a percent of a run, its page cache shared. A copied chunk is memory of its
// own, held up to eight times over: 1 MiB.
constexpr std::size_t mapped_chunk_bytes = std::size_t{1} << 21;
constexpr std::size_t chunk_bytes = std::size_t{1} << 20;
constexpr std::uint64_t reading_done_marker = UINT64_MAX;

struct Chunk {
    std::uint64_t sequence = 0;
    const std::string* name = nullptr;
    const LogFormat* format = nullptr;
    std::string text;                     // whole lines, each ending in '\n'
    std::optional<MappedLines> mapped;    // or these, instead of text
    std::vector<std::uint32_t> overlong;  // indexes of lines too long to copy (empty in text)
    // Said before the warnings about its lines, but for the first few: overlong lines at the
    // top of an input are met while its format is chosen, before the note naming it.
    std::vector<Message> messages;
    std::size_t bad_lines_before_messages = 0;
};

struct ChunkResult {
    std::uint64_t sequence = 0;
    const std::string* name = nullptr;  // of the input; its bad lines are numbered from 1
    bool cut_short = false;             // mapped from the input, which then got shorter
    std::string output;
    RunState state;
    std::vector<Message> messages;
    std::size_t bad_lines_before_messages = 0;
};

template <typename T>
class WorkQueue {
  public:
    void push(T item) {
        {
            std::lock_guard lock(mutex_);
            items_.push_back(std::move(item));
        }
        ready_.notify_one();
    }
    // Blocks until an item or close(); nullopt once closed and empty.
    std::optional<T> pop() {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return !items_.empty() || closed_; });
        if (items_.empty()) return std::nullopt;
        T item = std::move(items_.front());
        items_.pop_front();
        return item;
    }
    void close() {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
        }
        ready_.notify_all();
    }

  private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<T> items_;
    bool closed_ = false;
};

// Bounds the chunks between the reader and the committer, so memory stays flat however slow
// the output is.
class Slots {
  public:
    explicit Slots(std::size_t count) : free_(count) {}
    bool acquire(const std::atomic<bool>& stop) {
        std::unique_lock lock(mutex_);
        freed_.wait(lock, [&] { return free_ > 0 || stop.load(); });
        if (stop.load()) return false;
        --free_;
        return true;
    }
    void release() {
        {
            std::lock_guard lock(mutex_);
            ++free_;
        }
        freed_.notify_one();
    }
    void wake() { freed_.notify_all(); }

  private:
    std::mutex mutex_;
    std::condition_variable freed_;
    std::size_t free_;
};

struct ParallelRun {
    const InputConfig& config;
    const RecordFilter& filter;
    Progress* progress = nullptr;
    std::vector<std::string> names;
    WorkQueue<Chunk> chunks;
    WorkQueue<ChunkResult> results;
    Slots slots;
    std::atomic<bool> stop{false};
    std::atomic<bool> input_failed{false};
    std::atomic<bool> usage_failed{false};
    std::atomic<std::uint64_t> chunk_count{0};      // set by the reader when it is done
    std::atomic<std::uint64_t> lines_committed{0};  // for the progress line
    std::atomic<bool> cut_short_seen{false};
    std::atomic<bool> reading_done{false};

    ParallelRun(const InputConfig& run_config, const RecordFilter& run_filter,
                std::size_t slots_count)
        : config(run_config), filter(run_filter), slots(slots_count) {}
};

void read_chunks(ParallelRun& run) {
    const InputConfig& config = run.config;
    std::uint64_t sequence = 0;
    // What the reader has to say goes with the next chunk it ships, or alone in an empty one.
    std::vector<Message> pending;
    const Say say = [&](Message message) { pending.push_back(std::move(message)); };
    auto ship = [&](Chunk& chunk) {
        if (!run.slots.acquire(run.stop)) return false;
        chunk.sequence = sequence++;
        chunk.messages = std::move(pending);
        pending.clear();
        run.chunks.push(std::move(chunk));
        return true;
    };
    auto ship_pending = [&](const std::string& name) {
        if (pending.empty()) return;
        Chunk said;
        said.name = &name;
        ship(said);
    };
    for (std::size_t index = 0; index < config.inputs.size() && !run.stop; ++index) {
        const std::string& name = run.names[index];
        Expected<std::unique_ptr<LineReader>> opened =
            LineReader::open(config.inputs[index], config.max_line);
        if (!opened) {
            say({Message::Kind::error, opened.error().message()});
            run.input_failed = true;
            ship_pending(name);
            continue;
        }
        std::unique_ptr<LineReader>& reader = *opened;
        Chunk chunk;
        Line line;
        auto start_chunk = [&] {
            chunk = Chunk{};
            chunk.name = &name;
        };
        start_chunk();
        std::uint32_t in_chunk = 0;
        auto add_overlong = [&](const ScanError&) {
            chunk.overlong.push_back(in_chunk++);
            chunk.text.push_back('\n');
            return true;
        };
        auto chosen = choose_format(config, *reader, name, line, nullptr, add_overlong, say, true);
        chunk.bad_lines_before_messages = chunk.overlong.size();
        if (auto* outcome = std::get_if<InputOutcome>(&chosen)) {
            if (*outcome == InputOutcome::stop_usage) {
                run.usage_failed = true;
                ship_pending(name);
                break;
            }
            say({Message::Kind::error, name + ": " + reader->error()});
            run.input_failed = true;
            ship_pending(name);
            continue;
        }
        chunk.format = std::get<const LogFormat*>(chosen);
        const LogFormat* format = chunk.format;
        run.progress->start_input(name, progress_total(config.inputs[index], *reader));
        auto ship_full = [&] {
            if (!ship(chunk)) return false;
            start_chunk();
            chunk.format = format;
            in_chunk = 0;
            return true;
        };
        for (;;) {
            // A plain file is mapped a chunk at a time: no copy at all. The lines of other
            // inputs move in bulk, a buffer's worth at a time; next() reads on, and takes the
            // lines that end past the buffer, overlong ones and the last one.
            if (in_chunk == 0) {
                if (std::optional<MappedLines> mapped = reader->map_lines(mapped_chunk_bytes)) {
                    chunk.mapped = std::move(mapped);
                    run.progress->update_block(reader->bytes_read(), run.lines_committed);
                    if (!ship_full() || run.stop) break;
                    continue;
                }
                if (chunk.text.capacity() < chunk_bytes) {
                    chunk.text.reserve(chunk_bytes + config.max_line + 2);
                }
            }
            std::uint64_t taken = 0;
            std::string_view lines =
                reader->take_lines(chunk_bytes - std::min(chunk.text.size(), chunk_bytes), taken);
            if (!lines.empty()) {
                chunk.text.append(lines);
                in_chunk += static_cast<std::uint32_t>(taken);
                run.progress->update(reader->bytes_read(), run.lines_committed, taken);
                if (chunk.text.size() >= chunk_bytes && !ship_full()) break;
                if (run.stop) break;
                continue;
            }
            if (!reader->next(line)) break;
            run.progress->update(reader->bytes_read(), run.lines_committed);
            if (line.overlong) {
                chunk.overlong.push_back(in_chunk);
            } else {
                // Workers take one '\r' off every line, as next() did off this one: a line of
                // its own that still ends in '\r' must reach the scanner with it.
                chunk.text.append(line.text).push_back('\r');
            }
            chunk.text.push_back('\n');
            ++in_chunk;
            if (chunk.text.size() >= chunk_bytes && !ship_full()) break;
            if (run.stop) break;
        }
        if (in_chunk > 0 && !run.stop) ship(chunk);
        if (!reader->error().empty()) {
            say({Message::Kind::error, name + ": " + reader->error()});
            run.input_failed = true;
            if (reader->error() == cut_short_reason) run.cut_short_seen = true;
        }
        ship_pending(name);
    }
    run.chunk_count = sequence;
    run.reading_done = true;
    run.chunks.close();
    // Wakes the committer, which may be waiting for a result that will never come (no chunks,
    // or the last result arrived before reading_done was set).
    ChunkResult done;
    done.sequence = reading_done_marker;
    run.results.push(std::move(done));
}

void work_chunks(ParallelRun& run, ChunkWorker& worker) {
    std::unique_ptr<AgentCache> agents;
    if (run.config.agents) agents = std::make_unique<AgentCache>(*run.config.agents);
    LineLoop loop(run.config, run.filter, agents.get());
    while (std::optional<Chunk> chunk = run.chunks.pop()) {
        ChunkResult result;
        result.sequence = chunk->sequence;
        result.name = chunk->name;
        result.messages = std::move(chunk->messages);
        result.bad_lines_before_messages = chunk->bad_lines_before_messages;
        if (!run.stop && chunk->format) {
            worker.begin(result.output);
            const std::uint64_t faults_before = mapped_read_faults();
            std::string_view text = chunk->mapped ? chunk->mapped->text() : chunk->text;
            loop.read_chunk(text, chunk->overlong, *chunk->format, *chunk->name, worker,
                            result.state);
            worker.end();
            if (chunk->mapped && mapped_read_faults() != faults_before &&
                chunk->mapped->cut_short()) {
                result.cut_short = true;
                run.cut_short_seen = true;
            }
        }
        run.results.push(std::move(result));
    }
    worker.finish();
}

}  // namespace

InputOutcome run_threaded(const InputConfig& config, const RecordFilter& filter,
                          std::vector<std::unique_ptr<ChunkWorker>>& workers,
                          const std::function<void(std::string&)>& commit, RunState& totals,
                          Progress& progress) {
    share_one_heap_arena();
    ParallelRun run(config, filter, 4 * workers.size());
    run.progress = &progress;
    for (const std::string& path : config.inputs)
        run.names.push_back(display_name(path));

    std::vector<std::thread> threads;
    std::atomic<bool> reader_done{false};
    threads.emplace_back([&] {
        read_chunks(run);
        reader_done = true;
    });
    for (auto& worker : workers)
        threads.emplace_back(work_chunks, std::ref(run), std::ref(*worker));
    auto stop_all = [&] {
        run.stop = true;
        run.slots.wake();
        run.chunks.close();
        for (std::thread& thread : threads)
            thread.join();
    };

    std::map<std::uint64_t, ChunkResult> waiting;
    std::uint64_t next = 0;
    const std::uint64_t faults_before = mapped_read_faults();
    // Workers number bad lines within their chunk; the lines of the input's chunks before it
    // give the rest.
    const std::string* input = nullptr;
    std::uint64_t input_lines = 0;
    bool input_cut_short = false;
    try {
        while (!(run.reading_done && next == run.chunk_count)) {
            std::optional<ChunkResult> result = run.results.pop();
            if (!result) break;
            if (result->sequence != reading_done_marker) {
                waiting.emplace(result->sequence, std::move(*result));
            }
            for (auto it = waiting.find(next); it != waiting.end(); it = waiting.find(next)) {
                ChunkResult& done = it->second;
                if (done.name != input) {
                    input = done.name;
                    input_lines = 0;
                    input_cut_short = false;
                }
                if (done.cut_short && !input_cut_short) {
                    input_cut_short = true;
                    done.messages.push_back(
                        {Message::Kind::error, *input + ": " + cut_short_reason});
                    run.input_failed = true;
                }
                for (BadLine& bad : done.state.first_bad)
                    bad.line += input_lines;
                input_lines += done.state.lines;
                totals.lines += done.state.lines;
                run.lines_committed.store(totals.lines, std::memory_order_relaxed);
                totals.parsed += done.state.parsed;
                totals.skipped += done.state.skipped;
                const std::vector<BadLine>& bad_lines = done.state.first_bad;
                auto take_bad_lines = [&](std::size_t from, std::size_t to) {
                    for (std::size_t i = from; i < to; ++i) {
                        const BadLine& bad = bad_lines[i];
                        if (config.verbose) {
                            print_warning(bad_line_text(bad.file, bad.line, bad.error));
                        }
                        if (totals.first_bad.size() < bad_lines_listed) {
                            totals.first_bad.push_back(bad);
                        }
                    }
                };
                const std::size_t before =
                    std::min(done.bad_lines_before_messages, bad_lines.size());
                take_bad_lines(0, before);
                for (Message& message : done.messages)
                    say_now(std::move(message));
                take_bad_lines(before, bad_lines.size());
                commit(done.output);
                waiting.erase(it);
                ++next;
                run.slots.release();
            }
            // The reader may finish after the last result arrived: re-check without blocking.
            if (run.reading_done && next == run.chunk_count) break;
        }
    } catch (const BrokenPipe&) {
        // Nothing is left to write. The reader thread may be blocked on a pipe that stays open
        // (`tail -f | logsift | head`): it is told to end its input and woken until it has;
        // the caller decides what the broken pipe means.
        run.stop = true;
        run.slots.wake();
        end_input_now();
        while (!reader_done) {
            wake_blocked_read(threads.front().native_handle());
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        stop_all();
        throw;
    } catch (...) {
        stop_all();
        throw;
    }
    stop_all();
    if (mapped_read_faults() != faults_before && !run.cut_short_seen) {
        // A page no input's new size explains: a device error under a mapping.
        say_now({Message::Kind::error,
                 "an input could not be read: a page of it failed while "
                 "it was read; the lines there were not counted"});
        run.input_failed = true;
    }
    totals.input_failed = totals.input_failed || run.input_failed;
    return run.usage_failed ? InputOutcome::stop_usage : InputOutcome::done;
}

}  // namespace logsift
