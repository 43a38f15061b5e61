// TextMemo: what a pure function of one text made of it, for the recent texts. Log lines repeat
// their paths and referrers over and over: a hash and a comparison answer what the rules would
// answer in a pass over every byte. Direct-mapped (a new text takes its slot), in memory only,
// and kept by one reducer, so by one thread.
#pragma once

#include <xxhash.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

namespace logsift {

template <std::size_t KeySize, std::size_t ValueSize, std::size_t Slots>
class TextMemo {
  public:
    static constexpr std::size_t key_size = KeySize;

    // The value remembered for text, when there is one. A view into the memo, valid until the
    // next remember().
    std::optional<std::string_view> recall(std::string_view text) const {
        if (slots_.empty() || text.size() > KeySize) return std::nullopt;
        const Slot& slot = slots_[slot_of(text)];
        if (!slot.valid || slot.key_size != text.size() ||
            std::memcmp(slot.key.data(), text.data(), text.size()) != 0) {
            return std::nullopt;
        }
        return std::string_view(slot.value.data(), slot.value_size);
    }

    // The value for text: the one remembered, else what reduce(text) gives, remembered. The
    // view is valid until the next call: the memo's slot, or whatever reduce's points into.
    template <typename Reduce>
    std::string_view recall_or(std::string_view text, Reduce&& reduce) {
        if (std::optional<std::string_view> known = recall(text)) return *known;
        const std::string_view value = reduce(text);
        remember(text, value);
        return value;
    }

    // Remembers value for text; texts or values too long for a slot are not remembered.
    void remember(std::string_view text, std::string_view value) {
        if (text.size() > KeySize || value.size() > ValueSize) return;
        if (slots_.empty()) slots_.resize(Slots);
        Slot& slot = slots_[slot_of(text)];
        slot.valid = true;
        slot.key_size = static_cast<std::uint16_t>(text.size());
        slot.value_size = static_cast<std::uint16_t>(value.size());
        std::memcpy(slot.key.data(), text.data(), text.size());
        std::memcpy(slot.value.data(), value.data(), value.size());
    }

  private:
    struct Slot {
        std::array<char, KeySize> key{};
        std::array<char, ValueSize> value{};
        std::uint16_t key_size = 0;
        std::uint16_t value_size = 0;
        bool valid = false;
    };

    static std::size_t slot_of(std::string_view text) {
        return XXH3_64bits(text.data(), text.size()) % Slots;
    }

    std::vector<Slot> slots_;  // allocated at the first remember()
};

}  // namespace logsift
