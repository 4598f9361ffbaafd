#pragma once

#include "core/util/Result.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <vector>

namespace l402::protocol {

// BIP-173 bech32 and BIP-350 bech32m. Written here because no Debian library exposes them
// for C++ (libbitcoin is not packaged); the algorithm is short and fully specified.
enum class Bech32Variant { Bech32, Bech32m };

struct Bech32Data {
    QString hrp;                // always lower case
    std::vector<uint8_t> words; // 5-bit groups, checksum removed
    Bech32Variant variant = Bech32Variant::Bech32;
};

// `maxLength` is 90 for addresses (BIP-173); BOLT 11 lifts the limit, so pass 0 for "none".
Result<Bech32Data> bech32Decode(QStringView text, qsizetype maxLength);
QString bech32Encode(QStringView hrp, const std::vector<uint8_t>& words, Bech32Variant variant);

// What to do with bits left over when 5-bit words are regrouped into bytes.
enum class TrailingBits {
    Discard,    // BOLT 11 field data: the writer padded to a multiple of 5 bits
    PadToByte,  // BOLT 11 signing data: pad with zero bits to the next byte
    MustBeZero, // BIP-173 addresses: fewer than 5 leftover bits, all zero
};

// Regroups bits: 8->5 (padding the last word with zeros) and 5->8.
std::vector<uint8_t> toWords(QByteArrayView bytes);
Result<QByteArray> fromWords(const std::vector<uint8_t>& words, TrailingBits trailing);
Result<QByteArray> fromWords(const std::vector<uint8_t>& words, size_t begin, size_t end,
                             TrailingBits trailing);

// Address rendering for BOLT 11 fallback addresses.
QString segwitAddress(QStringView hrp, int witnessVersion, QByteArrayView program);
QString base58CheckEncode(QByteArrayView payloadWithVersion);

} // namespace l402::protocol
