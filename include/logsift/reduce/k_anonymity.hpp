// k-anonymity for `reduce --k-anonymity K`: records are counted into classes of one period and
// one quasi-identifier (k_chain.hpp), each class holding the keyed tokens of the distinct full
// addresses among its records; then each class is given the least level of the chain at which
// it, together with the other classes still left at that level, is shared by K addresses. This
// is the privacy boundary's last step: the tokens stay in memory, and only levels leave.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "logsift/base/record.hpp"
#include "logsift/reduce/k_chain.hpp"

namespace logsift {

enum class KPeriod : std::uint8_t { day, hour, all };
inline constexpr std::size_t k_period_count = 3;
std::string_view k_period_name(KPeriod period);

inline constexpr unsigned k_anonymity_max = 1000;
inline constexpr unsigned k_anonymity_in_place = 5;  // --in-place without --k-anonymity

struct KSettings {
    unsigned k = 1;
    KPeriod period = KPeriod::day;
    bool utc = false;  // periods in UTC rather than in the offset each time was logged in
};

// The period of a record without a time (day and hour periods): one of its own.
inline constexpr std::int32_t k_no_period = INT32_MIN;
// The number of a record's period: its day or hour since the epoch in its logged offset (or
// UTC), 0 for KPeriod::all.
std::int32_t k_period_of(const Record& record, const KSettings& settings);

// Where a class is; valid until KClasses::clear.
using KClassRef = std::uint32_t;
inline constexpr KClassRef k_no_class = UINT32_MAX;

// What happened to the records that went through KClasses::generalize.
struct KTally {
    std::uint64_t records = 0;
    std::uint64_t suppressed = 0;
    std::uint64_t unknown = 0;  // of those suppressed: in no class (changed between passes)
    std::uint64_t network_kept = 0;
    std::uint64_t version_kept = 0;
    std::array<std::uint64_t, k_top_level + 1> at_level{};
    KTally& operator+=(const KTally& other);
};

class KClasses {
  public:
    explicit KClasses(const KSettings& settings);
    ~KClasses();
    KClasses(const KClasses&) = delete;
    KClasses& operator=(const KClasses&) = delete;

    const KSettings& settings() const { return settings_; }

    // Counts the record's address (record.client->k_anonymity; a record without tokens counts
    // as one address shared by all such records) into its class. Thread-safe.
    KClassRef count(const Record& record);

    // Gives every class counted so far its level. Not thread-safe; counting is over.
    void decide();

    // The record as it may be printed: its quasi-identifier columns at its class's level,
    // pointing into this object. False when it must not be printed (suppressed, or in no
    // class). Thread-safe after decide(): only reads.
    bool generalize(Record& record, KTally& tally) const;
    bool generalize(KClassRef ref, Record& record, KTally& tally) const;

    std::size_t classes() const;
    // Forgets every class and value: the next period starts afresh.
    void clear();

  private:
    struct Class;
    struct Shard;
    struct Key {
        std::uint64_t low = 0, high = 0;
        std::int32_t period = 0;
    };
    Key key_of(const Record& record) const;
    const Class* find(const Key& key) const;
    Class& at(KClassRef ref) const;
    // fill: the quasi-identifier from the class even at level 0 (a held record has none).
    bool print_as(const Class& found, Record& record, KTally& tally, bool fill) const;
    // One level of the chain over the classes left (entries), which it shortens to the ones
    // still left.
    struct Entry;
    void decide_level(std::vector<Entry>& entries, std::uint8_t level);

    KSettings settings_;
    std::uint64_t seed_ = 0;  // random: no one can make two quasi-identifiers collide at will
    std::vector<std::unique_ptr<Shard>> shards_;
    QiValues values_;
};

}  // namespace logsift
