// User agents: the full user-agent string -> product family, version and class, by uap-core's
// regexes.yaml (plus logsift's own patterns/agents.yaml, tried first). The parser's rules are
// immutable and shared by threads, with one table of answers for all of them; each thread keeps
// its own bounded cache in front of it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "logsift/base/error.hpp"
#include "logsift/base/string_map.hpp"

namespace logsift {

enum class AgentClass : std::uint8_t { browser, bot, tool, other };

// "browser", "bot", "tool", "other"
std::string_view agent_class_name(AgentClass agent_class);

struct AgentInfo {
    std::string family;  // "Firefox", "curl", "Other" when no rule matches
    std::string major, minor, patch;
    std::string version;  // major.minor.patch, stopping at the first missing part
    AgentClass agent_class = AgentClass::other;
    // Made once per distinct agent rather than for every line: the agent row's value in
    // summaries ("Firefox 120.0"), and the agent's part of the key that tells clients apart
    // ("\0Firefox\0120.0").
    std::string with_version;
    std::string client_part;
};

// The keys summaries count an agent by: its row's value ("Firefox 120.0", or the family alone
// when there is no version) and its part of the key that tells clients apart
// ("\0Firefox\0120.0"). Into the strings given, which keep their memory from call to call.
void make_agent_keys(std::string_view family, std::string_view version, std::string& with_version,
                     std::string& client_part);

class AgentParser {
  public:
    // Only this many leading bytes of a user agent are parsed; the rest is ignored. Real agents
    // are far shorter (the longest of uap-core's 18 000 test cases has 492 bytes); a hostile
    // megabyte-long one then costs what a real one does.
    static constexpr std::size_t max_agent_bytes = 1024;

    // Loads uap-core's regexes.yaml (user_agent_parsers, and the device_parsers needed to tell
    // the `Spider` device family) and, when extra_path is not empty, logsift's agents.yaml:
    // its user_agent_parsers are tried before uap-core's, its `samples` are checked, and its
    // `tool_families` list names the families of class `tool`.
    static Expected<std::unique_ptr<AgentParser>> load(const std::string& regexes_path,
                                                       const std::string& extra_path);

    // Parses one user agent (its first max_agent_bytes), uncached. Thread-safe. A user agent of
    // "-" or "" gives "Other".
    AgentInfo parse(std::string_view user_agent) const;
    // The same answer, remembered for every thread (up to a bound): with N threads each
    // distinct agent is parsed once, not N times. Locks only around the table, never while
    // parsing, so threads missing different agents do not wait for each other.
    AgentInfo parse_shared(std::string_view user_agent) const;

    // Patterns that RE2 cannot compile, skipped at load: "FILE:LINE: RE2 error" each.
    const std::vector<std::string>& skipped_patterns() const;

    ~AgentParser();

    struct Impl;

  private:
    explicit AgentParser(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// One per thread: remembers the answers for the most recent distinct user agents. A log has
// few distinct agents, so nearly every lookup is a hit; a miss costs one parse.
class AgentCache {
  public:
    explicit AgentCache(const AgentParser& parser, std::size_t capacity = 16384);
    // The answer stays valid until the next lookup (a miss on a full cache clears it). A hit
    // allocates nothing. Keys are cut to AgentParser::max_agent_bytes, so memory stays bounded.
    const AgentInfo& lookup(std::string_view user_agent);
    std::size_t size() const { return entries_.size(); }
    std::uint64_t hits() const { return hits_; }
    std::uint64_t misses() const { return misses_; }

  private:
    const AgentParser& parser_;
    std::size_t capacity_;
    // Every line looks an agent up: the key bytes sit beside the answer, one cache miss away.
    StringMap<AgentInfo> entries_;
    std::uint64_t hits_ = 0;
    std::uint64_t misses_ = 0;
};

// Where regexes.yaml is: the option, else $LOGSIFT_UA_REGEXES, else
// /usr/share/uap-core/regexes.yaml (Debian package uap-core).
std::string find_ua_regexes(const std::string& option);

}  // namespace logsift
