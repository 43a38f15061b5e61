// Client key: SipHash-2-4 (libsodium's crypto_shorthash) under subkeys derived from one master
// key (crypto_kdf, BLAKE2b), one subkey per use of the address. A summary holds tokens of
// several uses; with independent subkeys, knowing some tokens of a client tells nothing about
// its tokens of another use.
#include "logsift/reduce/client_key.hpp"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

namespace logsift {
namespace {

// crypto_kdf's context: eight bytes that tie the subkeys to this purpose and version.
constexpr char kdf_context[crypto_kdf_CONTEXTBYTES + 1] = "lsclient";
// Subkey numbers: the source dimensions from 0, the others past every possible dimension.
constexpr std::uint64_t download_subkey = 1000;
constexpr std::uint64_t k_anonymity_subkey = 1002;
constexpr std::uint64_t id_subkey = 1003;

void ensure_sodium() {
    static const bool ready = sodium_init() >= 0;
    if (!ready) throw std::runtime_error("libsodium could not be initialised");
}

template <std::size_t N>
void derive(std::array<unsigned char, N>& out, std::uint64_t number,
            const ClientKey::Bytes& master) {
    static_assert(N >= crypto_kdf_BYTES_MIN && N <= crypto_kdf_BYTES_MAX);
    crypto_kdf_derive_from_key(out.data(), N, number, kdf_context, master.data());
}

std::uint64_t siphash(std::string_view bytes, const std::array<unsigned char, 16>& key) {
    static_assert(crypto_shorthash_KEYBYTES == 16 && crypto_shorthash_BYTES == 8);
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                     key.data());
    std::uint64_t token;
    std::memcpy(&token, out, sizeof token);
    return token;
}

}  // namespace

ClientKey::ClientKey(const Bytes& master, std::size_t source_dimensions)
    : source_dimensions_(std::min(source_dimensions, ClientTokens::source_slots)) {
    ensure_sodium();
    for (std::size_t slot = 0; slot < source_dimensions_; ++slot)
        derive(source_keys_[slot], slot, master);
    derive(download_keys_[0], download_subkey, master);
    derive(download_keys_[1], download_subkey + 1, master);
    derive(k_anonymity_key_, k_anonymity_subkey, master);
    std::array<unsigned char, 16> id_bytes;
    derive(id_bytes, id_subkey, master);
    char id[2 * 8 + 1];
    sodium_bin2hex(id, sizeof id, id_bytes.data(), 8);
    id_ = id;
    sodium_memzero(id_bytes.data(), id_bytes.size());
}

ClientKey ClientKey::ephemeral(std::size_t source_dimensions) {
    ensure_sodium();
    Bytes master;
    crypto_kdf_keygen(master.data());
    ClientKey key(master, source_dimensions);
    sodium_memzero(master.data(), master.size());
    return key;
}

void ClientKey::tokens(std::string_view identity, ClientTokens& out) const {
    for (std::size_t slot = 0; slot < source_dimensions_; ++slot)
        out.source[slot] = siphash(identity, source_keys_[slot]);
    out.download_key[0] = siphash(identity, download_keys_[0]);
    out.download_key[1] = siphash(identity, download_keys_[1]);
    out.k_anonymity = siphash(identity, k_anonymity_key_);
}

DownloadTokens ClientKey::download_tokens(const ClientTokens& client, std::string_view product,
                                          std::string_view agent, std::string& scratch) {
    std::array<unsigned char, 16> key;
    std::memcpy(key.data(), client.download_key.data(), key.size());
    // Kinds apart ('a' and 'c'), and the product ended by a byte no product holds.
    scratch.assign(1, 'a').append(product);
    const std::uint64_t address = siphash(scratch, key);
    scratch[0] = 'c';
    scratch.append(1, '\0').append(agent);
    return {siphash(scratch, key), address};
}

}  // namespace logsift
