// Geo: country lookups with libmaxminddb (.mmdb) or libgeoip (Debian's GeoIP.dat/GeoIPv6.dat),
// the special-purpose ranges checked before either, and the per-thread cache of the networks
// recent answers hold for.
#include "logsift/reduce/geo.hpp"

#include <GeoIP.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

namespace logsift {

namespace {

// An address as two 64-bit halves; IPv4 sits in the top 32 bits of hi, so that one masking
// routine serves both families.
struct Bits {
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;
    bool v6 = false;
};

std::uint64_t load_be64(const std::uint8_t* p) {
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i)
        value = (value << 8) | p[i];
    return value;
}

std::uint32_t ipv4_number(const IpAddress& address) {
    const auto& b = address.bytes;
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
           std::uint32_t{b[3]};
}

constexpr std::uint64_t mask_hi(unsigned prefix) {
    if (prefix == 0) return 0;
    return prefix >= 64 ? ~std::uint64_t{0} : ~std::uint64_t{0} << (64 - prefix);
}

constexpr std::uint64_t mask_lo(unsigned prefix) {
    if (prefix <= 64) return 0;
    return prefix >= 128 ? ~std::uint64_t{0} : ~std::uint64_t{0} << (128 - prefix);
}

bool in_network(const Bits& address, const Bits& network, unsigned prefix) {
    return address.v6 == network.v6 && ((address.hi ^ network.hi) & mask_hi(prefix)) == 0 &&
           ((address.lo ^ network.lo) & mask_lo(prefix)) == 0;
}

// IPv4-mapped and NAT64 addresses carry an IPv4 client: judge and look up that one, so that a
// server behind SIIT or a dual-stack socket gets the same answers as one that sees IPv4.
IpAddress unwrap_ipv4(const IpAddress& address) {
    if (!address.v6) return address;
    static constexpr std::array<std::uint8_t, 12> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static constexpr std::array<std::uint8_t, 12> nat64{0, 0x64, 0xff, 0x9b, 0, 0,
                                                        0, 0,    0,    0,    0, 0};
    const auto* b = address.bytes.data();
    if (std::memcmp(b, mapped.data(), 12) != 0 && std::memcmp(b, nat64.data(), 12) != 0) {
        return address;
    }
    IpAddress v4;
    std::memcpy(v4.bytes.data(), b + 12, 4);
    return v4;
}

Bits to_bits(const IpAddress& address) {
    if (!address.v6) return {std::uint64_t{ipv4_number(address)} << 32, 0, false};
    return {load_be64(address.bytes.data()), load_be64(address.bytes.data() + 8), true};
}

// Masks precomputed: the check runs on every line, before the cache.
struct Range {
    std::uint64_t hi;
    std::uint64_t lo;
    std::uint64_t hi_mask;
    std::uint64_t lo_mask;
    bool v6;
};

constexpr Range v4_range(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                         unsigned prefix) {
    return {(std::uint64_t{a} << 56) | (std::uint64_t{b} << 48) | (std::uint64_t{c} << 40) |
                (std::uint64_t{d} << 32),
            0, mask_hi(prefix), 0, false};
}

constexpr Range v6_range(std::uint64_t hi, std::uint64_t lo, unsigned prefix) {
    return {hi, lo, mask_hi(prefix), mask_lo(prefix), true};
}

// IANA IPv4 and IPv6 Special-Purpose Address Registries, plus multicast and site-local.
// IPv4-mapped and 64:ff9b::/96 are absent: embedded_ipv4 unwraps them first.
constexpr std::array special_ranges{
    v4_range(0, 0, 0, 0, 8),
    v4_range(10, 0, 0, 0, 8),
    v4_range(100, 64, 0, 0, 10),
    v4_range(127, 0, 0, 0, 8),
    v4_range(169, 254, 0, 0, 16),
    v4_range(172, 16, 0, 0, 12),
    v4_range(192, 0, 0, 0, 24),
    v4_range(192, 0, 2, 0, 24),
    v4_range(192, 88, 99, 0, 24),
    v4_range(192, 168, 0, 0, 16),
    v4_range(198, 18, 0, 0, 15),
    v4_range(198, 51, 100, 0, 24),
    v4_range(203, 0, 113, 0, 24),
    v4_range(224, 0, 0, 0, 4),
    v4_range(240, 0, 0, 0, 4),  // includes 255.255.255.255
    v6_range(0, 0, 127),        // :: and ::1
    v6_range(0x0064'ff9b'0001'0000, 0, 48),
    v6_range(0x0100'0000'0000'0000, 0, 64),
    v6_range(0x2001'0000'0000'0000, 0, 23),
    v6_range(0x2001'0db8'0000'0000, 0, 32),
    v6_range(0x3fff'0000'0000'0000, 0, 20),
    v6_range(0xfc00'0000'0000'0000, 0, 7),
    v6_range(0xfe80'0000'0000'0000, 0, 10),
    v6_range(0xfec0'0000'0000'0000, 0, 10),
    v6_range(0xff00'0000'0000'0000, 0, 8),
};

bool is_special(const Bits& bits) {
    for (const Range& range : special_ranges) {
        if (range.v6 == bits.v6 && ((bits.hi ^ range.hi) & range.hi_mask) == 0 &&
            ((bits.lo ^ range.lo) & range.lo_mask) == 0) {
            return true;
        }
    }
    return false;
}

bool is_country_code(std::string_view code) {
    return code.size() == 2 && code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' && code[1] <= 'Z';
}

// Ids are never reused, so a thread's cache can never serve one lookup object's answer (or a
// view into its freed data) to another.
std::atomic<std::uint64_t> next_lookup_id{1};

// Per thread, direct-mapped: the slot is chosen by the address's /24 (IPv4) or /48 (IPv6),
// and a hit needs the address inside the stored network, so a slot can only ever answer for
// addresses the database gave that answer for. A network narrower than the slot's block just
// shares (and thrashes) the slot.
struct CachedNetwork {
    std::uint64_t owner = 0;  // 0: empty
    Bits network;
    unsigned prefix = 0;
    std::string_view code;
};

constexpr std::size_t cache_slots = 4096;  // 160 KiB per thread

std::array<CachedNetwork, cache_slots>& thread_cache() {
    thread_local std::array<CachedNetwork, cache_slots> cache{};
    return cache;
}

std::size_t cache_slot(const Bits& bits) {
    std::uint64_t block = bits.v6 ? (bits.hi >> 16) ^ 0x5bd1e995 : bits.hi >> 40;
    return static_cast<std::size_t>((block * 0x9e3779b97f4a7c15ULL) >> 52) % cache_slots;
}

class LookupBase : public CountryLookup {
  public:
    explicit LookupBase(CountryCache cache) : cache_(cache) {}

    std::string_view country(const IpAddress& address) const final {
        const IpAddress unwrapped = unwrap_ipv4(address);
        const Bits bits = to_bits(unwrapped);
        if (is_special(bits)) return {};
        if (cache_ == CountryCache::off) {
            unsigned prefix = 0;
            return find(unwrapped, prefix);
        }
        CachedNetwork& slot = thread_cache()[cache_slot(bits)];
        if (slot.owner == id_ && in_network(bits, slot.network, slot.prefix)) return slot.code;
        unsigned prefix = 0;
        const std::string_view code = find(unwrapped, prefix);
        slot.owner = id_;
        slot.network = bits;
        slot.prefix = prefix;
        slot.code = code;
        return code;
    }

  protected:
    // The database's answer and the prefix length (of the address's own family) that every
    // address sharing it gets the same answer for; the full length when that is unknown.
    virtual std::string_view find(const IpAddress& address, unsigned& prefix) const = 0;

  private:
    CountryCache cache_;
    std::uint64_t id_ = next_lookup_id.fetch_add(1, std::memory_order_relaxed);
};

class MmdbLookup final : public LookupBase {
  public:
    MmdbLookup(std::string path, CountryCache cache) : LookupBase(cache), path_(std::move(path)) {}
    ~MmdbLookup() override {
        if (opened_) MMDB_close(&mmdb_);
    }
    MmdbLookup(const MmdbLookup&) = delete;
    MmdbLookup& operator=(const MmdbLookup&) = delete;

    Expected<void> open() {
        errno = 0;
        const int status = MMDB_open(path_.c_str(), MMDB_MODE_MMAP, &mmdb_);
        if (status != MMDB_SUCCESS) {
            const int saved_errno = errno;
            std::string reason =
                "cannot open country database " + path_ + ": " + MMDB_strerror(status);
            if ((status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR) && saved_errno != 0) {
                reason += std::string(" (") + std::strerror(saved_errno) + ")";
            }
            return usage_error({}, std::move(reason));
        }
        opened_ = true;
        return {};
    }

    std::string description() const override { return path_; }

  protected:
    std::string_view find(const IpAddress& address, unsigned& prefix) const override {
        prefix = address.v6 ? 128 : 32;
        int mmdb_error = MMDB_SUCCESS;
        MMDB_lookup_result_s result;
        if (address.v6) {
            sockaddr_in6 sa{};
            sa.sin6_family = AF_INET6;
            std::memcpy(&sa.sin6_addr, address.bytes.data(), 16);
            result =
                MMDB_lookup_sockaddr(&mmdb_, reinterpret_cast<const sockaddr*>(&sa), &mmdb_error);
        } else {
            sockaddr_in sa{};
            sa.sin_family = AF_INET;
            std::memcpy(&sa.sin_addr, address.bytes.data(), 4);
            result =
                MMDB_lookup_sockaddr(&mmdb_, reinterpret_cast<const sockaddr*>(&sa), &mmdb_error);
        }
        if (mmdb_error != MMDB_SUCCESS || !result.found_entry) return {};
        // An IPv6 database reports IPv4 prefixes as IPv6 ones, under ::/96.
        int length = result.netmask;
        if (!address.v6 && mmdb_.metadata.ip_version == 6) length -= 96;
        prefix = static_cast<unsigned>(std::max(length, 0));

        static constexpr const char* const path[] = {"country", "iso_code", nullptr};
        MMDB_entry_data_s data{};
        if (MMDB_aget_value(&result.entry, &data, path) != MMDB_SUCCESS || !data.has_data ||
            data.type != MMDB_DATA_TYPE_UTF8_STRING) {
            return {};
        }
        // Not NUL-terminated: the string sits inside the mapped data section.
        const std::string_view code(data.utf8_string, data.data_size);
        return is_country_code(code) ? code : std::string_view{};
    }

  private:
    std::string path_;
    // MMDB_lookup_sockaddr takes a const MMDB_s*; MMDB_aget_value only reads through the
    // entry, so lookups from several threads share it safely once open.
    MMDB_s mmdb_{};
    bool opened_ = false;
};

// libgeoip takes any file without the structure-info trailer (three 0xff bytes and a type
// byte, within the last 23 bytes) for a country database and then answers from garbage; this
// catches a wrong file at open instead.
bool has_structure_info(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in.seekg(0, std::ios::end)) return false;
    const auto size = static_cast<std::streamoff>(in.tellg());
    const std::streamoff tail = std::min<std::streamoff>(size, 23);
    std::array<char, 23> bytes{};
    if (!in.seekg(size - tail) || !in.read(bytes.data(), tail)) return false;
    for (std::streamoff i = 0; i + 3 < tail; ++i) {
        if (bytes[i] == '\xff' && bytes[i + 1] == '\xff' && bytes[i + 2] == '\xff') return true;
    }
    return false;
}

struct GeoIPDeleter {
    void operator()(GeoIP* gi) const { GeoIP_delete(gi); }
};
using GeoIPHandle = std::unique_ptr<GeoIP, GeoIPDeleter>;

class LegacyLookup final : public LookupBase {
  public:
    explicit LegacyLookup(CountryCache cache) : LookupBase(cache) {
        // Pseudo-countries are not places: "--" unknown, AP/EU continents, A1 anonymous
        // proxy, A2 satellite, O1 other.
        const unsigned count = GeoIP_num_countries();
        codes_.resize(count);
        for (unsigned id = 0; id < count; ++id) {
            const char* code = GeoIP_code_by_id(static_cast<int>(id));
            if (code == nullptr) continue;
            const std::string_view view(code);
            if (!is_country_code(view) || view == "AP" || view == "EU" || view == "A1" ||
                view == "A2" || view == "O1") {
                continue;
            }
            codes_[id] = view;
        }
    }

    // Empty when the file is absent; an error when it is there but unusable.
    Expected<void> open(const std::filesystem::path& file, int expected_edition,
                        GeoIPHandle& handle) {
        std::error_code ignored;
        if (!std::filesystem::exists(file, ignored)) return {};
        // GEOIP_MMAP_CACHE without GEOIP_CHECK_CACHE: the file is mapped once and never
        // reloaded, so lookups read it without locks, and only the pages lookups touch take
        // memory (the IPv6 database alone is 8 MB). SILENCE: errors come back as values.
        handle.reset(GeoIP_open(file.c_str(), GEOIP_MMAP_CACHE | GEOIP_SILENCE));
        if (!handle) {
            return usage_error(
                {}, "cannot open country database " + file.string() + ": not a readable file");
        }
        if (!has_structure_info(file) || GeoIP_database_edition(handle.get()) != expected_edition) {
            handle.reset();
            return usage_error({}, "cannot open country database " + file.string() +
                                       ": not a GeoIP Country database");
        }
        // Teredo (2001::/32) is special-purpose and never reaches the library; keeping its
        // decoding off also keeps the netmask about the address as given.
        GeoIP_enable_teredo(handle.get(), 0);
        if (!description_.empty()) description_ += " + ";
        description_ += file.string();
        return {};
    }

    Expected<void> open_all(const std::string& directory) {
        const std::filesystem::path dir(directory);
        if (auto opened = open(dir / "GeoIP.dat", GEOIP_COUNTRY_EDITION, v4_); !opened) {
            return opened;
        }
        if (auto opened = open(dir / "GeoIPv6.dat", GEOIP_COUNTRY_EDITION_V6, v6_); !opened) {
            return opened;
        }
        if (!v4_ && !v6_) {
            return usage_error({},
                               "no country database: install Debian's geoip-database (apt-get "
                               "install geoip-database) or pass --geoip FILE.mmdb");
        }
        return {};
    }

    std::string description() const override { return description_; }

  protected:
    std::string_view find(const IpAddress& address, unsigned& prefix) const override {
        prefix = address.v6 ? 128 : 32;
        // The _gl calls report the netmask in gl; they still store it in the shared GeoIP
        // struct as well (libgeoip 1.6.12, _GeoIP_seek_record_gl: gi->netmask = gl->netmask),
        // a data race between threads. Each lookup therefore runs on a stack copy of the
        // handle: the copy shares the read-only memory cache, and the store lands in the copy.
        GeoIPLookup gl{};
        int id = 0;
        if (address.v6) {
            if (!v6_) return {};
            GeoIP local = *v6_;
            geoipv6_t number;
            std::memcpy(&number, address.bytes.data(), 16);
            id = GeoIP_id_by_ipnum_v6_gl(&local, number, &gl);
        } else {
            if (!v4_) return {};
            GeoIP local = *v4_;
            id = GeoIP_id_by_ipnum_gl(&local, ipv4_number(address), &gl);
        }
        if (gl.netmask > 0 && gl.netmask <= static_cast<int>(prefix)) {
            prefix = static_cast<unsigned>(gl.netmask);
        }
        if (id <= 0 || static_cast<std::size_t>(id) >= codes_.size()) return {};
        return codes_[static_cast<std::size_t>(id)];
    }

  private:
    GeoIPHandle v4_;
    GeoIPHandle v6_;
    std::vector<std::string_view> codes_;  // by libgeoip country id; views into its table
    std::string description_;
};

}  // namespace

bool is_special_purpose(const IpAddress& address) {
    return is_special(to_bits(unwrap_ipv4(address)));
}

Expected<std::unique_ptr<CountryLookup>> CountryLookup::open(const std::string& mmdb_path,
                                                             const CountryLookupOptions& options) {
    if (!mmdb_path.empty()) {
        auto lookup = std::make_unique<MmdbLookup>(mmdb_path, options.cache);
        if (auto opened = lookup->open(); !opened) return std::move(opened).error();
        return std::unique_ptr<CountryLookup>(std::move(lookup));
    }
    auto lookup = std::make_unique<LegacyLookup>(options.cache);
    if (auto opened = lookup->open_all(options.geoip_dir); !opened) {
        return std::move(opened).error();
    }
    return std::unique_ptr<CountryLookup>(std::move(lookup));
}

}  // namespace logsift
