// Benchmark for the user-agent stage: distinct-agent parses per second (every lookup a cache
// miss) and cached lookups per second, over the user agents of uap-core's tests/test_ua.yaml.
// Usage: logsift_bench_agents [REGEXES.yaml [AGENTS.yaml [TEST_UA.yaml]]]
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

#include "logsift/reduce/useragent.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
    const std::string regexes = argc > 1 ? argv[1] : logsift::find_ua_regexes("");
    const std::string extra = argc > 2 ? argv[2] : "";
    const std::string corpus_path = argc > 3 ? argv[3] : "/usr/share/uap-core/tests/test_ua.yaml";

    const Clock::time_point load_start = Clock::now();
    auto loaded = logsift::AgentParser::load(regexes, extra);
    const double load_seconds = seconds_since(load_start);
    if (!loaded) {
        const logsift::Error& error = loaded.error();
        std::fprintf(stderr, "bench-agents: %s:%" PRIu64 ": %s\n", error.file.c_str(), error.line,
                     error.reason.c_str());
        return 2;
    }
    const logsift::AgentParser& parser = **loaded;

    std::vector<std::string> agents;
    for (const YAML::Node& test_case : YAML::LoadFile(corpus_path)["test_cases"]) {
        agents.push_back(test_case["user_agent_string"].as<std::string>(""));
    }
    std::printf("load:   %.0f ms (%s%s%s)\n", load_seconds * 1e3, regexes.c_str(),
                extra.empty() ? "" : " + ", extra.c_str());
    std::printf("corpus: %zu distinct user agents\n", agents.size());

    // Misses. RE2 builds its DFA states lazily, so the first pass over strings it has never
    // seen costs more than later passes; a fresh AgentCache per round makes every lookup a miss.
    std::size_t checksum = 0;
    auto miss_round = [&] {
        logsift::AgentCache cache(parser);
        const Clock::time_point start = Clock::now();
        for (const std::string& agent : agents)
            checksum += cache.lookup(agent).family.size();
        return seconds_since(start);
    };
    const double count = static_cast<double>(agents.size());
    const double cold = miss_round();
    std::printf("miss:   %.0f parses/s (%.1f us each), first pass, RE2 caches cold\n", count / cold,
                cold / count * 1e6);
    constexpr int warm_rounds = 5;
    double warm = 0;
    for (int round = 0; round < warm_rounds; ++round)
        warm += miss_round();
    std::printf("miss:   %.0f parses/s (%.1f us each), later passes, RE2 caches warm\n",
                count * warm_rounds / warm, warm / (count * warm_rounds) * 1e6);

    // Hits: one warm cache, many passes over the same agents.
    logsift::AgentCache cache(parser);
    for (const std::string& agent : agents)
        checksum += cache.lookup(agent).family.size();
    constexpr int hit_rounds = 2000;
    const Clock::time_point hit_start = Clock::now();
    for (int round = 0; round < hit_rounds; ++round) {
        for (const std::string& agent : agents)
            checksum += cache.lookup(agent).family.size();
    }
    const double hit_seconds = seconds_since(hit_start);
    const double hits = static_cast<double>(agents.size()) * hit_rounds;
    std::printf("hit:    %.0f lookups/s (%.0f ns each)\n", hits / hit_seconds,
                hit_seconds / hits * 1e9);
    std::printf("(checksum %zu)\n", checksum);
    return 0;
}
