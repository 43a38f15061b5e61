// Reduce: fields of one scanned line -> Record. This is the privacy boundary: the client
// address, query string, referrer path and user name are read here and go no further.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "logsift/base/record.hpp"
#include "logsift/base/text_memo.hpp"
#include "logsift/base/timestamp.hpp"
#include "logsift/format/format.hpp"
#include "logsift/reduce/anonymize.hpp"
#include "logsift/reduce/client_key.hpp"
#include "logsift/reduce/geo.hpp"
#include "logsift/reduce/method.hpp"
#include "logsift/reduce/resource.hpp"
#include "logsift/reduce/useragent.hpp"

namespace logsift {

enum class ClientSource { remote, forwarded };

struct ReduceOptions {
    unsigned ipv4_prefix = 24;
    unsigned ipv6_prefix = 48;
    TimeResolution resolution = TimeResolution::hour;
    bool utc = false;
    bool keep_query = false;
    bool keep_path_tokens = false;  // --keep-path-tokens: no e-mail, UUID or token segments
    // False when nothing reads the resource column (reduce --k-anonymity's counting pass): it
    // then stays empty, and its rules are not run.
    bool resources = true;
    // patterns/resources; null or empty: no templates.
    std::shared_ptr<const ResourceTemplates> resource_templates;
    ClientSource client_source = ClientSource::remote;
    std::vector<Cidr> trusted_proxies;
    // --site-host, lower-case: when not empty, any other valid vhost is written "(other)".
    std::vector<std::string> site_hosts;
    // --client: when not empty, Record::client_selected tells whether the full client address
    // lies in one of these networks. Only this flag leaves the stage, never the address.
    std::vector<Cidr> client_filter;
    // When set, Record::country is looked up from the full address (never from the network).
    const CountryLookup* countries = nullptr;
    // When set, Record::client holds the tokens of the full address under this key.
    const ClientKey* client_key = nullptr;
};

// The request line split as servers write it: "METHOD TARGET PROTOCOL", or "METHOD TARGET" for
// HTTP/0.9. A target with spaces (sent by scanners) stays whole. Views into request.
struct RequestLine {
    std::string_view method;
    std::string_view target;
    std::string_view protocol;
};
RequestLine split_request(std::string_view request);

// One reducer per thread: it owns the buffers the Record's views point into.
class Reducer {
  public:
    // agents may be null: the agent columns then stay empty.
    Reducer(const ReduceOptions& options, const LogFormat& format, AgentCache* agents);

    // Fills record from fields (scanned from line). Returns a ScanError when a field the
    // format promises cannot be understood (an unreadable time), so the line counts as bad.
    std::optional<ScanError> reduce(std::string_view line, const Fields& fields, Record& record);

  private:
    std::string_view reduce_time(std::string_view text, Timestamp& logged);
    std::size_t reduce_network(const Fields& fields, Record& record);
    std::size_t reduce_network_uncached(const Fields& fields, Record& record);
    // Points record.client at the tokens of identity (a parsed address when kind is 0; else
    // the text of that kind), when the run has a client key.
    void identify_client(char kind, std::string_view identity, Record& record);
    // The path through the resource rules, then "?query" when query is not empty.
    std::string_view reduce_resource_path(std::string_view path, std::string_view query);

    const ReduceOptions& options_;
    AgentCache* agents_;
    PathRules path_rules_;
    TimeSyntax time_syntax_;
    std::string_view time_pattern_;
    // Lines in one second share their time text: parsing it once per distinct text saves
    // most of the time work. The cache key is the raw text, so it can never give a wrong answer.
    std::array<char, 64> last_time_text_{};
    std::size_t last_time_size_ = 0;
    bool last_time_valid_ = false;
    Timestamp last_logged_{};
    Timestamp last_bucket_{};  // what time_buffer_ holds, once time_size_ is not 0
    std::array<char, 32> time_buffer_{};
    std::size_t time_size_ = 0;
    std::array<char, 256> network_buffer_{};
    ClientTokens client_tokens_;
    // What reduce_network made of the recent client addresses, keyed by the address as
    // written: a few clients make most requests, and parsing, truncating, formatting and the
    // country lookup cost several times more than this check. Direct-mapped and in memory
    // only, like the line buffer the address came from.
    static constexpr std::size_t client_memo_text_size = 46;  // the longest IPv6 text form
    struct ClientMemo {
        std::array<char, client_memo_text_size> text{};
        std::uint8_t text_size = 0;
        std::uint8_t network_size = 0;
        bool valid = false;
        bool selected = true;
        std::string_view country;
        std::array<char, 48> network{};
        ClientTokens tokens;
    };
    static constexpr std::size_t client_memo_size = 4096;
    std::vector<ClientMemo> client_memo_;
    std::array<char, 256> referrer_buffer_{};
    std::array<char, 256> vhost_buffer_{};
    std::array<char, 4096> resource_buffer_{};
    // What the rules made of recent paths, referrers and virtual hosts, keyed by the text as
    // logged: most requests go to a few paths from a few referrers on a few hosts.
    TextMemo<64, 64, 512> path_memo_;
    TextMemo<128, 64, 512> referrer_memo_;
    TextMemo<64, 64, 64> vhost_memo_;
};

}  // namespace logsift
