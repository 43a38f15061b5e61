// Geo: the country of a client, looked up from the full address inside reduce, before the
// address is truncated and forgotten. Only the two-letter code leaves this stage.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "logsift/base/error.hpp"
#include "logsift/reduce/anonymize.hpp"

namespace logsift {

// Whether country() keeps, per thread, the networks its recent answers hold for. The answer
// is the same either way (see CountryLookup::country); `off` exists to measure the cache.
enum class CountryCache { on, off };

struct CountryLookupOptions {
    // Where Debian's geoip-database puts GeoIP.dat and GeoIPv6.dat.
    std::string geoip_dir = "/usr/share/GeoIP";
    CountryCache cache = CountryCache::on;
};

class CountryLookup {
  public:
    // Opens a MaxMind DB file (GeoLite2-Country, DB-IP Lite, any .mmdb whose records carry
    // country.iso_code) with libmaxminddb, or, when mmdb_path is empty, Debian's
    // geoip-database (/usr/share/GeoIP/GeoIP.dat and GeoIPv6.dat) with libgeoip; either of
    // the two .dat files is enough (the other family then stays unknown). A failure is a usage
    // error with a one-line reason that names the file, or, when there is no database at all,
    // says how to get one. The reason never contains an address.
    static Expected<std::unique_ptr<CountryLookup>> open(const std::string& mmdb_path,
                                                         const CountryLookupOptions& options = {});

    virtual ~CountryLookup() = default;

    // ISO 3166-1 alpha-2 code ("DE"), or empty when unknown; always empty for private,
    // loopback, link-local, documentation and other reserved ranges. Thread-safe; allocates
    // nothing. The view stays valid as long as the lookup object.
    //
    // Unknown also covers: a .mmdb record without `country` (GeoLite2 leaves it out for
    // anycast and satellite networks; `registered_country` says where the block is
    // registered, not where its traffic comes from, so it is not used as a fallback); a code
    // that is not two letters A-Z; and legacy GeoIP's pseudo-countries ("--", "AP", "EU",
    // "A1" anonymous proxy, "A2" satellite, "O1" other). IPv4-mapped (::ffff:0:0/96) and
    // NAT64 (64:ff9b::/96, RFC 6052) addresses are looked up as the IPv4 address they carry.
    virtual std::string_view country(const IpAddress& address) const = 0;

    // "FILE.mmdb", or the .dat files opened, joined by " + ", for --verbose.
    virtual std::string description() const = 0;
};

// True for addresses no database should place (IANA IPv4 and IPv6 special-purpose
// registries): this network (0/8), RFC 1918, CGNAT (100.64/10), loopback, link-local, IETF
// protocol assignments (192.0.0/24), documentation (192.0.2.0/24, 198.51.100.0/24,
// 203.0.113.0/24, 2001:db8::/32, 3fff::/20), benchmarking (198.18/15), the old 6to4 relay
// anycast (192.88.99/24), multicast, 240/4, broadcast; ::, ::1, local-use NAT64
// (64:ff9b:1::/48), discard-only (100::/64), all of 2001::/23 (IETF protocol assignments:
// Teredo, whose embedded client address libraries decode differently or not at all, ORCHID,
// benchmarking, and anycast service addresses), ULA (fc00::/7), link-local (fe80::/10),
// deprecated site-local (fec0::/10) and multicast (ff00::/8). An IPv4-mapped or NAT64
// (64:ff9b::/96) address is judged by the IPv4 address it carries.
bool is_special_purpose(const IpAddress& address);

}  // namespace logsift
