// libFuzzer target: client address parsing, truncation and printing (anonymize.hpp), plus the
// other pure reductions of that header (client fields, CIDRs, X-Forwarded-For lists, referrers,
// resources). The first byte picks the prefix lengths; the rest is the text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "logsift/anonymize.hpp"

namespace {

bool same(const logsift::IpAddress& a, const logsift::IpAddress& b) {
    return a.v6 == b.v6 && std::memcmp(a.bytes.data(), b.bytes.data(), a.v6 ? 16 : 4) == 0;
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

    std::size_t referrer = logsift::reduce_referrer(text, out);
    if (referrer > sizeof out) std::abort();

    // A view into the target, or the constant "/" for an absolute form without a path.
    std::string_view resource = logsift::reduce_resource(text, prefix & 1);
    bool inside = resource.data() >= text.data() &&
                  resource.data() + resource.size() <= text.data() + text.size();
    if (!resource.empty() && !inside && resource != "/") std::abort();
    return 0;
}
