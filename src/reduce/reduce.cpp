// Reduce: the one place where personal fields are read. Each is turned into its coarse form
// (network, host, path, time bucket) in a buffer owned by the Reducer; the rest is dropped.
#include "logsift/reduce/reduce.hpp"

#include "logsift/reduce/hosts.hpp"
#include "logsift/reduce/reread.hpp"

#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace logsift {
namespace {

template <typename Number>
std::optional<Number> parse_number(std::string_view text) {
    Number value{};
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// A target worth keeping names a resource: origin-form, absolute-form or asterisk-form (RFC
// 9112 3.2). Anything else (scanner junk after a valid-looking method, a CONNECT authority) is
// dropped.
bool is_resource_target(std::string_view target) {
    if (target.empty()) return false;
    if (target.front() == '/' || target == "*") return true;
    return target.starts_with("http://") || target.starts_with("https://") ||
           target.starts_with("HTTP://") || target.starts_with("HTTPS://");
}

std::string_view dash_as_empty(std::string_view value) {
    return value == "-" ? std::string_view{} : value;
}

}  // namespace

RequestLine split_request(std::string_view request) {
    RequestLine parts;
    // The method is a few bytes long: a plain loop finds its end sooner than a memchr call.
    std::size_t first_space = 0;
    while (first_space < request.size() && request[first_space] != ' ')
        ++first_space;
    if (first_space == request.size()) {
        parts.method = request;
        return parts;
    }
    parts.method = request.substr(0, first_space);
    std::string_view rest = request.substr(first_space + 1);
    std::size_t last_space = rest.rfind(' ');
    if (last_space != std::string_view::npos && rest.substr(last_space + 1).starts_with("HTTP/")) {
        parts.target = rest.substr(0, last_space);
        parts.protocol = rest.substr(last_space + 1);
    } else {
        parts.target = rest;  // HTTP/0.9 ("GET /index.html") or a target with spaces
    }
    return parts;
}

Reducer::Reducer(const ReduceOptions& options, const LogFormat& format, AgentCache* agents)
    : options_(options),
      agents_(agents),
      path_rules_{options.keep_path_tokens, options.resource_templates.get()},
      time_syntax_(format.time_syntax()),
      time_pattern_(format.time_pattern()) {}

std::string_view Reducer::reduce_time(std::string_view text, Timestamp& logged) {
    if (last_time_valid_ && text.size() == last_time_size_ &&
        std::memcmp(text.data(), last_time_text_.data(), text.size()) == 0) {
        logged = last_logged_;
        return {time_buffer_.data(), time_size_};
    }
    std::optional<Timestamp> parsed = parse_timestamp(text, time_syntax_, time_pattern_);
    if (!parsed) return {};
    logged = last_logged_ = *parsed;
    // A new second is most often still in the bucket of the last one: its text stands.
    Timestamp bucket = truncate_timestamp(*parsed, options_.resolution, options_.utc);
    if (time_size_ == 0 || bucket.seconds != last_bucket_.seconds ||
        bucket.offset_minutes != last_bucket_.offset_minutes) {
        time_size_ = format_timestamp(bucket, options_.utc, time_buffer_.data());
        last_bucket_ = bucket;
    }
    last_time_valid_ = text.size() <= last_time_text_.size();
    if (last_time_valid_) {
        std::memcpy(last_time_text_.data(), text.data(), text.size());
        last_time_size_ = text.size();
    }
    return {time_buffer_.data(), time_size_};
}

std::size_t Reducer::reduce_network(const Fields& fields, Record& record) {
    // The memo holds answers that depend on the written address alone.
    const bool memo_applies = options_.client_source == ClientSource::remote &&
                              fields.has(FieldKind::client) &&
                              fields.get(FieldKind::client).size() <= client_memo_text_size;
    ClientMemo* memo = nullptr;
    if (memo_applies) {
        std::string_view text = fields.get(FieldKind::client);
        if (client_memo_.empty()) client_memo_.resize(client_memo_size);
        memo = &client_memo_[XXH3_64bits(text.data(), text.size()) % client_memo_size];
        if (memo->valid && memo->text_size == text.size() &&
            std::memcmp(memo->text.data(), text.data(), text.size()) == 0) {
            record.client_selected = memo->selected;
            record.country = memo->country;
            if (options_.client_key) record.client = &memo->tokens;
            std::memcpy(network_buffer_.data(), memo->network.data(), memo->network_size);
            return memo->network_size;
        }
    }
    const std::size_t size = reduce_network_uncached(fields, record);
    if (memo) {
        std::string_view text = fields.get(FieldKind::client);
        memo->valid = size <= memo->network.size();
        std::memcpy(memo->text.data(), text.data(), text.size());
        memo->text_size = static_cast<std::uint8_t>(text.size());
        memo->selected = record.client_selected;
        memo->country = record.country;
        if (record.client) memo->tokens = *record.client;
        memo->network_size = static_cast<std::uint8_t>(std::min(size, memo->network.size()));
        std::memcpy(memo->network.data(), network_buffer_.data(), memo->network_size);
    }
    return size;
}

std::size_t Reducer::reduce_network_uncached(const Fields& fields, Record& record) {
    if (fields.has(FieldKind::network)) {
        bool selected = true;
        const std::size_t size = reread_network(
            fields.get(FieldKind::network), options_.ipv4_prefix, options_.ipv6_prefix,
            options_.client_filter, selected, network_buffer_.data());
        record.client_selected = selected;
        // A reduced record: the address is gone, so its network stands for it.
        identify_client('n', fields.get(FieldKind::network), record);
        return size;
    }
    std::optional<IpAddress> address;
    if (options_.client_source == ClientSource::forwarded && fields.has(FieldKind::forwarded_for)) {
        address =
            forwarded_client(fields.get(FieldKind::forwarded_for), options_.trusted_proxies.data(),
                             options_.trusted_proxies.size());
    }
    std::string_view client = fields.get(FieldKind::client);
    if (!address && fields.has(FieldKind::client)) address = parse_ip(client);

    // The full address is used here, and only here: for --client and the country.
    // A 6to4, Teredo or NAT64 client is also the IPv4 client it carries: its network is printed
    // as that one's, so --client and the country judge it as that one too.
    const std::optional<IpAddress> carried = address ? embedded_ipv4(*address) : std::nullopt;
    if (!options_.client_filter.empty()) {
        record.client_selected =
            address &&
            std::any_of(options_.client_filter.begin(), options_.client_filter.end(),
                        [&](const Cidr& cidr) {
                            return ip_in_network(*address, cidr.network, cidr.prefix) ||
                                   (carried && ip_in_network(*carried, cidr.network, cidr.prefix));
                        });
    }
    if (address && options_.countries)
        record.country = options_.countries->country(carried.value_or(*address));

    if (address) {
        // The address as parsed, so that every way of writing it is one client.
        char identity[1 + sizeof address->bytes];
        identity[0] = address->v6 ? '6' : '4';
        std::memcpy(identity + 1, address->bytes.data(), address->bytes.size());
        identify_client(0, {identity, address->v6 ? sizeof identity : 5}, record);
        return format_client_network(*address, options_.ipv4_prefix, options_.ipv6_prefix,
                                     network_buffer_.data());
    }
    if (!fields.has(FieldKind::client)) return 0;
    // Not an address: a host name (HostnameLookups On) or garbage.
    identify_client('h', client, record);
    return reduce_client(client, options_.ipv4_prefix, options_.ipv6_prefix,
                         network_buffer_.data());
}

void Reducer::identify_client(char kind, std::string_view identity, Record& record) {
    if (!options_.client_key) return;
    if (kind != 0) {
        // Kinds apart: a host name can never give the tokens of an address's bytes.
        std::array<char, 256> buffer;
        identity = identity.substr(0, buffer.size() - 1);
        buffer[0] = kind;
        std::memcpy(buffer.data() + 1, identity.data(), identity.size());
        options_.client_key->tokens({buffer.data(), identity.size() + 1}, client_tokens_);
    } else {
        options_.client_key->tokens(identity, client_tokens_);
    }
    record.client = &client_tokens_;
}

std::string_view Reducer::reduce_resource_path(std::string_view path, std::string_view query) {
    std::string_view reduced = path_memo_.recall_or(path, [&](std::string_view text) {
        return reduce_path(text, path_rules_, resource_buffer_);
    });
    if (query.empty()) return reduced;
    // Path and query as logged, side by side: one view over both, nothing copied.
    if (reduced.data() == path.data() && path.data() + path.size() + 1 == query.data()) {
        return {path.data(), path.size() + 1 + query.size()};
    }
    if (reduced.size() + 1 + query.size() > resource_buffer_.size()) return reduced;
    char* out = resource_buffer_.data();
    if (reduced.data() != out) std::memmove(out, reduced.data(), reduced.size());
    out[reduced.size()] = '?';
    std::memcpy(out + reduced.size() + 1, query.data(), query.size());
    return {out, reduced.size() + 1 + query.size()};
}

std::optional<ScanError> Reducer::reduce(std::string_view line, const Fields& fields,
                                         Record& record) {
    auto column_of = [&](std::string_view field) {
        return static_cast<std::size_t>(field.data() - line.data()) + 1;
    };
    record = Record{};

    if (fields.has(FieldKind::time)) {
        std::string_view text = fields.get(FieldKind::time);
        Timestamp logged;
        record.time = reduce_time(text, logged);
        if (record.time.empty())
            return ScanError{"time does not match the format", column_of(text)};
        record.logged_time = logged;
    }

    record.network = {network_buffer_.data(), reduce_network(fields, record)};

    std::string_view target;
    std::string_view method;
    if (fields.has(FieldKind::request)) {
        RequestLine request = split_request(fields.get(FieldKind::request));
        method = request.method;
        target = request.target;
    }
    if (fields.has(FieldKind::method)) method = fields.get(FieldKind::method);
    record.method = reduce_method(method);
    if (record.method.empty()) target = {};
    if (fields.has(FieldKind::target)) {
        target = fields.get(FieldKind::target);
    }
    // A CONNECT target is a host and port, not a resource of this server: it names where the
    // client went, so it is dropped.
    if (record.method == "CONNECT" || !options_.resources) {
        // Nothing: the resource stays empty.
    } else if (!target.empty()) {
        if (is_resource_target(target)) {
            std::string_view path = reduce_resource(target, false);
            std::string_view query;
            if (options_.keep_query) {
                std::string_view with_query = reduce_resource(target, true);
                if (with_query.size() > path.size()) query = with_query.substr(path.size() + 1);
            }
            record.resource = reduce_resource_path(path, query);
        }
    } else if (fields.has(FieldKind::path)) {
        std::string_view path = dash_as_empty(fields.get(FieldKind::path));
        std::string_view query = dash_as_empty(fields.get(FieldKind::query));
        if (!query.empty() && query.front() == '?') query.remove_prefix(1);
        record.resource =
            reduce_resource_path(path, options_.keep_query ? query : std::string_view{});
    }

    if (fields.has(FieldKind::status)) {
        record.status = parse_number<std::uint16_t>(fields.get(FieldKind::status));
    }
    if (fields.has(FieldKind::bytes)) {
        std::string_view bytes = fields.get(FieldKind::bytes);
        record.bytes =
            bytes == "-" ? std::optional<std::uint64_t>(0) : parse_number<std::uint64_t>(bytes);
    }
    if (fields.has(FieldKind::referrer)) {
        record.referrer_host =
            referrer_memo_.recall_or(fields.get(FieldKind::referrer), [&](std::string_view text) {
                return std::string_view(
                    referrer_buffer_.data(),
                    reduce_referrer(text, options_.ipv4_prefix, options_.ipv6_prefix,
                                    referrer_buffer_.data()));
            });
    }
    if (fields.has(FieldKind::vhost)) {
        record.vhost =
            vhost_memo_.recall_or(fields.get(FieldKind::vhost), [&](std::string_view text) {
                return std::string_view(
                    vhost_buffer_.data(),
                    reduce_vhost(text, options_.site_hosts, vhost_buffer_.data()));
            });
    }
    if (agents_ && fields.has(FieldKind::user_agent)) {
        const AgentInfo& agent = agents_->lookup(fields.get(FieldKind::user_agent));
        record.agent = agent.family;
        record.agent_version = agent.version;
        record.agent_class = agent_class_name(agent.agent_class);
        record.agent_with_version = agent.with_version;
        record.agent_client_part = agent.client_part;
    }
    if (fields.has(FieldKind::agent)) {
        // Reduced already: uap-core would not know "Firefox" alone.
        record.agent = reread_agent_family(fields.get(FieldKind::agent));
        record.agent_version = reread_agent_version(fields.get(FieldKind::agent_version));
        record.agent_class = reread_agent_class(fields.get(FieldKind::agent_class));
    }
    if (fields.has(FieldKind::referrer_host)) {
        record.referrer_host = {
            referrer_buffer_.data(),
            reread_referrer_host(fields.get(FieldKind::referrer_host), options_.ipv4_prefix,
                                 options_.ipv6_prefix, referrer_buffer_.data())};
    }
    if (fields.has(FieldKind::country))
        record.country = reread_country(fields.get(FieldKind::country));
    return std::nullopt;
}

}  // namespace logsift
