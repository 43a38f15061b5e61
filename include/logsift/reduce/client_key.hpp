// Client key: the secret under which a client's full address becomes tokens (base/record.hpp's
// ClientTokens). Distinct clients are counted by these tokens, so two people behind one /24
// count as two, while nothing written holds the address or a value anyone without the key
// could recompute from a guessed address.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "logsift/base/error.hpp"
#include "logsift/base/record.hpp"

namespace logsift {

struct DownloadTokens {
    std::uint64_t client;   // (address, agent, version): what a download counts
    std::uint64_t address;  // the address alone: what a threshold counts
};

class ClientKey {
  public:
    // Bytes of the master key; a key file holds them as hexadecimal.
    static constexpr std::size_t size = 32;
    using Bytes = std::array<unsigned char, size>;

    // source_dimensions: how many of ClientTokens::source a run fills (the others stay 0);
    // every token costs a keyed hash per new client.
    ClientKey(const Bytes& master, std::size_t source_dimensions);
    // A key of fresh random bytes, held in memory only: for counting within one run.
    static ClientKey ephemeral(std::size_t source_dimensions);

    // Names the key without revealing it: 16 hexadecimal digits derived from it one way.
    // Summaries record it, and merge only summaries made under the same key.
    const std::string& id() const { return id_; }

    // The tokens of one client. identity is the full address (see Reducer) or, when the log
    // holds no address, the client field as written.
    void tokens(std::string_view identity, ClientTokens& out) const;

    // The tokens of a download of product (or of the resource, when its rule names no
    // product) by client with agent (its family and version): keyed hashes under the client's
    // download key, so they cannot be recomputed without the key either. They cover the
    // product, so that one person's downloads of two products hold no value in common, while
    // the rows of one product (its versions, its files) union into exact per-product counts.
    static DownloadTokens download_tokens(const ClientTokens& client, std::string_view product,
                                          std::string_view agent, std::string& scratch);

  private:
    using Subkey = std::array<unsigned char, 16>;  // SipHash-2-4's key
    std::array<Subkey, ClientTokens::source_slots> source_keys_{};
    Subkey download_keys_[2]{};
    Subkey k_anonymity_key_{};
    std::size_t source_dimensions_ = 0;
    std::string id_;
};

}  // namespace logsift
