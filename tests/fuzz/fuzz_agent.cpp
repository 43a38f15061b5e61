// libFuzzer target: user-agent parsing with the real rules (uap-core's regexes.yaml and
// patterns/agents.yaml), loaded once. A user agent is whatever the client sends; RE2 keeps each
// rule linear, and this checks that the code around it (literal prefilter, capture
// substitution, version assembly) survives any bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "logsift/reduce/useragent.hpp"

namespace {

logsift::AgentParser* parser = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    auto loaded = logsift::AgentParser::load(logsift::find_ua_regexes(""),
                                             std::string(LOGSIFT_PATTERNS_DIR) + "/agents.yaml");
    if (!loaded) {
        std::fprintf(stderr, "fuzz_agent: %s\n", loaded.error().message().c_str());
        std::abort();
    }
    parser = loaded->release();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view agent(reinterpret_cast<const char*>(data), size);
    logsift::AgentInfo info = parser->parse(agent);
    if (info.family.empty()) std::abort();  // "Other" when nothing matches, never empty
    // The version is major.minor.patch as far as they go, nothing else.
    std::string version = info.major;
    if (!info.major.empty() && !info.minor.empty()) version += "." + info.minor;
    if (!info.major.empty() && !info.minor.empty() && !info.patch.empty())
        version += "." + info.patch;
    if (info.version != version) std::abort();
    // The cache must give the same answer as the parser.
    static logsift::AgentCache cache(*parser, 64);
    const logsift::AgentInfo& cached = cache.lookup(agent);
    if (cached.family != info.family || cached.version != info.version ||
        cached.agent_class != info.agent_class) {
        std::abort();
    }
    return 0;
}
