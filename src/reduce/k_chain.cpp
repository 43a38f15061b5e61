// The generalization chain: each quasi-identifier column's forms, and the numbered values of a
// run. A form is computed once per distinct value, after counting, so the Public Suffix List
// and the address parser are asked a few thousand times per run, not once per record.
#include "logsift/reduce/k_chain.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>

#include "logsift/reduce/anonymize.hpp"
#include "logsift/reduce/hosts.hpp"

namespace logsift {
namespace {

// form_at, level by level (rows: the parts in QiPart's order; columns: levels 0 to 9).
constexpr std::uint8_t forms[qi_part_count][k_top_level + 1] = {
    {0, 0, 1, 1, 2, 2, 2, 3, 3, 3},  // network: /16 at 2, /8 at 4, /0 at 7
    {0, 0, 0, 0, 0, 0, 1, 1, 1, 1},  // agent: (other) at 6
    {0, 1, 1, 1, 1, 1, 2, 2, 2, 2},  // agent_version: major at 1, empty at 6
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 1},  // country: (other) at 9
    {0, 0, 0, 1, 1, 2, 2, 2, 2, 2},  // referrer_host: registrable domain at 3, (other) at 5
    {0, 0, 0, 0, 0, 0, 0, 0, 1, 1},  // vhost: (other) at 8
};

std::size_t copy_to(std::string_view value, char* out) {
    if (!value.empty()) std::memcpy(out, value.data(), value.size());
    return value.size();
}

}  // namespace

std::uint8_t form_at(QiPart part, unsigned level) {
    return forms[static_cast<std::size_t>(part)][std::min<unsigned>(level, k_top_level)];
}

std::string_view qi_value(const Record& record, QiPart part) {
    switch (part) {
        case QiPart::network:
            return record.network;
        case QiPart::agent:
            return record.agent;
        case QiPart::agent_version:
            return record.agent_version;
        case QiPart::country:
            return record.country;
        case QiPart::referrer_host:
            return record.referrer_host;
        case QiPart::vhost:
            return record.vhost;
    }
    return {};
}

void set_qi_value(Record& record, QiPart part, std::string_view value) {
    switch (part) {
        case QiPart::network:
            record.network = value;
            return;
        case QiPart::agent:
            record.agent = value;
            return;
        case QiPart::agent_version:
            record.agent_version = value;
            return;
        case QiPart::country:
            record.country = value;
            return;
        case QiPart::referrer_host:
            record.referrer_host = value;
            return;
        case QiPart::vhost:
            record.vhost = value;
            return;
    }
}

std::string_view version_major(std::string_view version) {
    return version.substr(0, version.find('.'));
}

namespace {

// An IPv4 network as format_network writes it ("203.0.113.0/24") widened to a whole number of
// octets, without parsing it as an address: most networks are IPv4, and a run widens millions.
// False when network is not that.
bool widen_ipv4_octets(std::string_view network, unsigned bits, char* out, std::size_t& size) {
    const std::size_t slash = network.find('/');
    if (slash == std::string_view::npos || bits % 8 != 0 || bits > 32) return false;
    unsigned prefix = 0;
    auto [end, error] =
        std::from_chars(network.data() + slash + 1, network.data() + network.size(), prefix);
    if (error != std::errc{} || end != network.data() + network.size() || prefix > 32) return false;
    std::size_t dots = 0;
    for (std::size_t i = 0; i < slash; ++i) {
        const char c = network[i];
        if (c == '.') {
            ++dots;
        } else if (c < '0' || c > '9') {
            return false;
        }
    }
    if (dots != 3) return false;
    if (prefix <= bits) {  // never narrowed
        size = copy_to(network, out);
        return true;
    }
    // The first bits / 8 octets as written (up to the dot after them), then zeros.
    std::size_t at = 0;
    for (unsigned dots_seen = 0; bits > 0 && at < slash; ++at) {
        if (network[at] == '.' && ++dots_seen == bits / 8) break;
    }
    size = copy_to(network.substr(0, at), out);
    for (unsigned octet = bits / 8; octet < 4; ++octet) {
        if (octet > 0) out[size++] = '.';
        out[size++] = '0';
    }
    out[size++] = '/';
    auto written = std::to_chars(out + size, out + 64, bits);
    size = static_cast<std::size_t>(written.ptr - out);
    return true;
}

}  // namespace

std::size_t widen_network(std::string_view network, unsigned ipv4_bits, unsigned ipv6_bits,
                          char* out) {
    std::size_t size = 0;
    if (network.find(':') == std::string_view::npos &&
        widen_ipv4_octets(network, ipv4_bits, out, size)) {
        return size;
    }
    // Only what format_network wrote has a '/': a host name client's domain has none.
    std::optional<Cidr> cidr;
    if (network.find('/') != std::string_view::npos) cidr = parse_cidr(network);
    if (!cidr) return copy_to(network.substr(0, 63), out);
    const unsigned bits = std::min(cidr->prefix, cidr->network.v6 ? ipv6_bits : ipv4_bits);
    return format_network(truncate_ip(cidr->network, bits), bits, out);
}

std::string_view referrer_site(std::string_view host) {
    // Networks have a '/', tokens a '(': neither is a name under the Public Suffix List.
    if (host.find_first_of("/(") != std::string_view::npos) return host;
    return icann_registrable_domain(host).value_or(host);
}

std::string_view qi_form(QiPart part, std::uint8_t form, std::string_view value, char* out) {
    if (form == 0 || value.empty()) return value;
    switch (part) {
        case QiPart::network: {
            static constexpr unsigned ipv4_bits[] = {32, 16, 8, 0};
            static constexpr unsigned ipv6_bits[] = {128, 32, 0, 0};
            // Not a network: no bits to drop until the whole value goes.
            if (form == 3 && value.find('/') == std::string_view::npos) return k_other;
            return {out, widen_network(value, ipv4_bits[form], ipv6_bits[form], out)};
        }
        case QiPart::agent_version:
            return form == 1 ? version_major(value) : std::string_view{};
        case QiPart::referrer_host:
            return form == 1 ? referrer_site(value) : k_other;
        case QiPart::agent:
        case QiPart::country:
        case QiPart::vhost:
            return k_other;
    }
    return value;
}

QiValues::QiValues() = default;

std::uint32_t QiValues::number_in(Part& part, std::string_view value) {
    auto [row, added] =
        part.numbers.try_emplace(value, static_cast<std::uint32_t>(part.texts.size()));
    if (added) part.texts.push_back(StringMap<std::uint32_t>::key_of(*row));
    return *row;
}

void QiValues::compute_forms() {
    char buffer[64];
    for (std::size_t index = 0; index < qi_part_count; ++index) {
        const auto part = static_cast<QiPart>(index);
        Part& each = parts_[index];
        // Forms are numbered too, and may be new values: the loop reaches them as well (a
        // form's forms are itself or coarser, which makes no difference to anyone).
        for (std::size_t value = each.forms.size(); value < each.texts.size(); ++value) {
            std::array<std::uint32_t, qi_form_count> numbers{};
            numbers[0] = static_cast<std::uint32_t>(value);
            for (std::uint8_t form = 1; form < qi_form_count; ++form) {
                // texts may grow (and move) while the form is numbered: its view is taken anew.
                const std::string_view text = qi_form(part, form, each.texts[value], buffer);
                numbers[form] = number_in(each, text);
            }
            each.forms.push_back(numbers);
        }
    }
}

void QiValues::clear() {
    for (Part& each : parts_) {
        each.numbers.clear();
        std::vector<std::string_view>().swap(each.texts);
        std::vector<std::array<std::uint32_t, qi_form_count>>().swap(each.forms);
    }
}

}  // namespace logsift
