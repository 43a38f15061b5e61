// The generalization chain of `reduce --k-anonymity`: what each of the six quasi-identifier
// columns becomes at each level, from the reduced value (level 0) to a fixed token, and the
// tables that give every value seen in a run a number, so that a class of records costs six
// numbers instead of six strings and each distinct value is generalized once.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "logsift/base/record.hpp"
#include "logsift/base/string_map.hpp"

namespace logsift {

// The quasi-identifier: the columns that, together, can single a person out across records.
// Always all six, whatever --fields prints: an unprinted column still splits no class.
enum class QiPart : std::uint8_t { network, agent, agent_version, country, referrer_host, vhost };
inline constexpr std::size_t qi_part_count = 6;

// Levels 0 to 9 are printed; a record no level makes anonymous enough is suppressed.
inline constexpr std::uint8_t k_top_level = 9;
inline constexpr std::uint8_t k_suppressed = k_top_level + 1;

// The token a value becomes when nothing of it may be kept.
inline constexpr std::string_view k_other = "(other)";

// The chain, one step per level (the man page lists it under --k-anonymity):
//   1 agent_version -> its major      2 network -> /16 (IPv6 /32)
//   3 referrer_host -> its ICANN registrable domain
//   4 network -> /8 (IPv6 ::/0)       5 referrer_host -> (other)
//   6 agent -> (other), agent_version -> empty
//   7 network -> 0.0.0.0/0 (IPv6 ::/0)
//   8 vhost -> (other)                9 country -> (other)
// A part takes a few forms only; form_at says which one it has at a level (0: as reduced).
inline constexpr std::size_t qi_form_count = 4;
std::uint8_t form_at(QiPart part, unsigned level);

// The record's value of part.
std::string_view qi_value(const Record& record, QiPart part);
// Sets the record's value of part.
void set_qi_value(Record& record, QiPart part, std::string_view value);

// The version before its first '.': "120" of "120.0.1"; the version itself without a dot.
std::string_view version_major(std::string_view version);

// A network as reduce prints it ("203.0.113.0/24", "2001:db8:cafe::/48"), widened to at most
// ipv4_bits (IPv4) or ipv6_bits (IPv6); never narrowed. Anything that is not a network (a host
// name client's domain, "invalid") is copied as it is. out must hold at least 64 bytes, and
// network fit in it; returns the length written.
std::size_t widen_network(std::string_view network, unsigned ipv4_bits, unsigned ipv6_bits,
                          char* out);

// A referrer host's ICANN registrable domain ("news.example.co.uk" -> "example.co.uk"); a value
// that is no host name (a network, "(internal)", a scheme word) or has no registrable domain
// stays as it is. A view into host.
std::string_view referrer_site(std::string_view host);

// The value of part at form (form_at), from its value as reduced. Empty stays empty at every
// form. out must hold at least 64 bytes; the result may be a view into value, out or a
// constant.
std::string_view qi_form(QiPart part, std::uint8_t form, std::string_view value, char* out);

// Every value of each part seen by a thread or a run, numbered, with the numbers of its forms
// (computed once counting is over). Not thread-safe: each counting thread numbers on its own,
// and the run's numbers are made from theirs.
class QiValues {
  public:
    QiValues();
    QiValues(const QiValues&) = delete;
    QiValues& operator=(const QiValues&) = delete;
    QiValues(QiValues&&) = default;
    QiValues& operator=(QiValues&&) = default;

    // The numbers of a new class's six values, in QiPart's order.
    void number(const std::array<std::string_view, qi_part_count>& values,
                std::array<std::uint32_t, qi_part_count>& numbers) {
        for (std::size_t part = 0; part < qi_part_count; ++part)
            numbers[part] = number_in(parts_[part], values[part]);
    }
    std::uint32_t number(QiPart part, std::string_view value) {
        return number_in(parts_[static_cast<std::size_t>(part)], value);
    }
    // How many values of part are numbered.
    std::size_t size(QiPart part) const {
        return parts_[static_cast<std::size_t>(part)].texts.size();
    }
    // Numbers the forms of every value numbered so far. Not thread-safe.
    void compute_forms();
    // The number of value's form at level (compute_forms first).
    std::uint32_t at_level(QiPart part, std::uint32_t value, unsigned level) const {
        const Part& each = parts_[static_cast<std::size_t>(part)];
        return each.forms[value][form_at(part, level)];
    }
    std::string_view text(QiPart part, std::uint32_t value) const {
        return parts_[static_cast<std::size_t>(part)].texts[value];
    }
    void clear();

  private:
    struct Part {
        StringMap<std::uint32_t> numbers;
        std::vector<std::string_view> texts;  // views into numbers' keys, which never move
        std::vector<std::array<std::uint32_t, qi_form_count>> forms;
    };
    static std::uint32_t number_in(Part& part, std::string_view value);
    std::array<Part, qi_part_count> parts_;
};

}  // namespace logsift
