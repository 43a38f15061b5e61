// libFuzzer target: client address parsing, truncation and printing (anonymize.hpp), plus the
// other pure reductions of the reduce stage (client fields, CIDRs, X-Forwarded-For lists,
// referrers, virtual hosts, methods, resources and their paths, reduced columns read back). The
// first byte picks the prefix lengths; the rest is the text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "logsift/reduce/anonymize.hpp"
#include "logsift/reduce/hosts.hpp"
#include "logsift/reduce/method.hpp"
#include "logsift/reduce/reread.hpp"
#include "logsift/reduce/resource.hpp"

namespace {

bool same(const logsift::IpAddress& a, const logsift::IpAddress& b) {
    return a.v6 == b.v6 && std::memcmp(a.bytes.data(), b.bytes.data(), a.v6 ? 16 : 4) == 0;
}

// A host column never carries bytes of a URL's other parts, spaces or control bytes.
void check_host_column(std::string_view value) {
    for (char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= ' ' || byte >= 0x7f || c == '@' || c == '?' || c == '#' || c == '=') {
            std::abort();
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    // Prefixes beyond the family's length are clamped by truncate_ip, so values up to 255 are
    // fair game.
    unsigned prefix = data[0];
    std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

    if (std::optional<logsift::IpAddress> address = logsift::parse_ip(text)) {
        logsift::IpAddress network = logsift::truncate_ip(*address, prefix);
        unsigned bits = std::min(prefix, address->v6 ? 128u : 32u);
        if (!logsift::ip_in_network(*address, network, bits)) std::abort();
        if (!same(logsift::truncate_ip(network, prefix), network)) std::abort();  // idempotent
        char out[64];
        std::memset(out, 0x7f, sizeof out);
        std::size_t length = logsift::format_network(network, bits, out);
        if (length == 0 || length >= sizeof out) std::abort();
        // What is printed parses back to the same network.
        std::optional<logsift::Cidr> back = logsift::parse_cidr(std::string_view(out, length));
        if (!back || back->prefix != bits || !same(back->network, network)) std::abort();
    }
    if (std::optional<logsift::Cidr> cidr = logsift::parse_cidr(text)) {
        if (cidr->prefix > (cidr->network.v6 ? 128u : 32u)) std::abort();
    }

    char out[256];
    std::size_t client = logsift::reduce_client(text, prefix % 33, prefix % 129, out);
    if (client > sizeof out) std::abort();

    static const logsift::Cidr trusted[] = {*logsift::parse_cidr("10.0.0.0/8"),
                                            *logsift::parse_cidr("2001:db8::/32")};
    (void)logsift::forwarded_client(text, trusted, 2);

    std::size_t referrer = logsift::reduce_referrer(text, prefix % 33, prefix % 129, out);
    if (referrer > sizeof out) std::abort();
    check_host_column({out, referrer});
    std::size_t reread = logsift::reread_referrer_host(text, prefix % 33, prefix % 129, out);
    if (reread > sizeof out) std::abort();
    check_host_column({out, reread});

    static const std::vector<std::string> no_sites;
    std::size_t vhost = logsift::reduce_vhost(text, no_sites, out);
    if (vhost > sizeof out) std::abort();
    check_host_column({out, vhost});

    std::string_view method = logsift::reduce_method(text);
    if (!method.empty() && method != "OTHER" && method != logsift::registered_method(text)) {
        std::abort();
    }

    // Path parameters never survive, with or without the segment rules.
    char path_out[512];
    for (bool keep_tokens : {false, true}) {
        std::string_view path =
            logsift::reduce_path(text, logsift::PathRules{keep_tokens, nullptr}, path_out);
        if (path.find(';') != std::string_view::npos) std::abort();
    }

    // A view into the target, or the constant "/" for an absolute form without a path.
    std::string_view resource = logsift::reduce_resource(text, prefix & 1);
    bool inside = resource.data() >= text.data() &&
                  resource.data() + resource.size() <= text.data() + text.size();
    if (!resource.empty() && !inside && resource != "/") std::abort();
    return 0;
}
