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
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "logsift/base/record.hpp"
#include "logsift/base/text_memo.hpp"
#include "logsift/reduce/k_chain.hpp"
#include "logsift/reduce/k_storage.hpp"

namespace logsift {

enum class KPeriod : std::uint8_t { day, hour, all };
inline constexpr std::size_t k_period_count = 3;
std::string_view k_period_name(KPeriod period);

inline constexpr unsigned k_anonymity_max = 1000;
inline constexpr unsigned k_anonymity_in_place = 5;  // --in-place without --k-anonymity

struct KSettings {
    unsigned k = 1;
    KPeriod period = KPeriod::day;
    bool utc = false;      // periods in UTC rather than in the offset each time was logged in
    unsigned threads = 1;  // for deciding levels
};

// The period of a record without a time (day and hour periods): one of its own.
inline constexpr std::int32_t k_no_period = INT32_MIN;
// The number of a record's period: its day or hour since the epoch in its logged offset (or
// UTC), 0 for KPeriod::all.
std::int32_t k_period_of(const Record& record, const KSettings& settings);

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

// One thread's memo of generalized values, for records generalized after KClasses::seal: most
// records repeat the IPv6 networks and referrers of recent ones.
class KForms {
  public:
    // value (of part) at form (form_at), valid until the next call for the same part.
    std::string_view form(QiPart part, std::uint8_t form, std::string_view value);

  private:
    std::array<TextMemo<48, 48, 2048>, qi_form_count> networks_;
    std::array<std::array<char, 64>, qi_form_count> network_buffers_{};
    TextMemo<64, 64, 1024> referrers_;
    std::array<char, 64> referrer_buffer_{};
};

struct KStore;

// One thread's counting: its records are counted together, up to capacity at a time. Their keys
// are computed as they come; their slots and classes are then fetched from memory all at once,
// rather than one miss after another per record. It keeps copies of their quasi-identifier
// values for the classes that turn out to be new, and numbers those values itself, without a
// lock; the numbers become the run's when levels are decided.
class KCounter {
  public:
    static constexpr std::size_t capacity = 64;

  private:
    friend class KClasses;
    struct Item {
        KKey key;
        std::uint64_t token = 0;
        std::uint32_t start = 0;  // of its values in text_, one after another
        std::array<std::uint32_t, qi_part_count> sizes{};
    };
    std::uint8_t index_ = 0;  // among the run's counters
    std::array<Item, capacity> items_;
    std::string text_;
    std::size_t size_ = 0;
    QiValues values_;
};

class KClasses {
  public:
    explicit KClasses(const KSettings& settings);
    ~KClasses();
    KClasses(const KClasses&) = delete;
    KClasses& operator=(const KClasses&) = delete;

    const KSettings& settings() const { return settings_; }

    // A counter for one thread, kept here until levels are decided (at most 256).
    KCounter& counter();
    // Counts the record's address (record.client->k_anonymity; a record without tokens counts
    // as one address shared by all such records) into its class, with the other records of the
    // counter: when it is full, or at flush. Thread-safe, with one counter per thread.
    void count(const Record& record, KCounter& counter) {
        add(record, counter);
        if (counter.size_ == KCounter::capacity) flush(counter);
    }
    void flush(KCounter& counter);
    // The same for one record at once, with a counter of its own: for records held by their
    // class's number. Not thread-safe.
    KClassRef count(const Record& record);

    // Gives every class counted so far its level. Not thread-safe; counting is over.
    void decide();
    // After decide, when records are to be found by their values only (a second reading of
    // files): keeps each class's level in the slots that find it, and frees the classes.
    void seal();

    // The record as it may be printed: its quasi-identifier columns at its class's level. False
    // when it must not be printed (suppressed, or in no class). After seal; thread-safe, with
    // one KForms per thread.
    bool generalize(Record& record, KForms& forms, KTally& tally) const {
        return generalize(record, key(record), forms, tally);
    }
    // The same in two steps, for records taken in batches: their keys, each slot asked for from
    // memory (prefetch), then each record generalized once its slot has come.
    KKey key(const Record& record) const { return key_of(record); }
    void prefetch(const KKey& key) const;
    bool generalize(Record& record, const KKey& key, KForms& forms, KTally& tally) const;
    // The same for a record held with its class's number (after decide, before seal), whose
    // quasi-identifier columns are filled from the class, pointing into this object.
    bool generalize(KClassRef ref, Record& record, KTally& tally) const;

    std::size_t classes() const;
    // Forgets every class and value: the next period starts afresh.
    void clear();

  private:
    KKey key_of(const Record& record) const;
    void add(const Record& record, KCounter& counter) const;
    // A new class for key (its shard locked), its values numbered by counter.
    KClassRef add_class(KShard& shard, const KKey& key, std::uint64_t token,
                        const std::array<std::string_view, qi_part_count>& values,
                        KCounter& counter);
    // The counters' numbers of values made the run's (values_), in every class.
    void number_classes();

    KSettings settings_;
    std::uint64_t seed_ = 0;  // random: no one can make two quasi-identifiers collide at will
    std::unique_ptr<KStore> store_;
    std::size_t sealed_classes_ = 0;  // how many there were, once sealed
    std::mutex counters_lock_;
    std::vector<std::unique_ptr<KCounter>> counters_;
    KCounter* own_counter_ = nullptr;  // count(record)'s
    QiValues values_;                  // the run's numbers, once levels are decided
};

}  // namespace logsift
