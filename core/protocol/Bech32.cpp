#include "core/protocol/Bech32.h"

#include "core/crypto/Digest.h"

#include <array>

namespace l402::protocol {
namespace {

constexpr char kCharset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr uint32_t kBech32Constant = 1;
constexpr uint32_t kBech32mConstant = 0x2bc830a3;

constexpr std::array<int8_t, 128> makeReverseCharset()
{
    std::array<int8_t, 128> table{};
    for (auto& entry : table) {
        entry = -1;
    }
    for (int i = 0; i < 32; ++i) {
        table[static_cast<size_t>(kCharset[i])] = static_cast<int8_t>(i);
    }
    return table;
}
constexpr auto kReverseCharset = makeReverseCharset();

uint32_t polymod(const std::vector<uint8_t>& values)
{
    uint32_t checksum = 1;
    for (const uint8_t value : values) {
        const uint8_t top = static_cast<uint8_t>(checksum >> 25);
        checksum = ((checksum & 0x1ffffff) << 5) ^ value;
        if (top & 1)
            checksum ^= 0x3b6a57b2;
        if (top & 2)
            checksum ^= 0x26508e6d;
        if (top & 4)
            checksum ^= 0x1ea119fa;
        if (top & 8)
            checksum ^= 0x3d4233dd;
        if (top & 16)
            checksum ^= 0x2a1462b3;
    }
    return checksum;
}

std::vector<uint8_t> expandHrp(QStringView hrp)
{
    std::vector<uint8_t> out;
    out.reserve(static_cast<size_t>(hrp.size()) * 2 + 1);
    for (const QChar c : hrp) {
        out.push_back(static_cast<uint8_t>(c.unicode() >> 5));
    }
    out.push_back(0);
    for (const QChar c : hrp) {
        out.push_back(static_cast<uint8_t>(c.unicode() & 31));
    }
    return out;
}

Result<Bech32Data> fail(const QString& message)
{
    return Result<Bech32Data>::failure(QStringLiteral("invalid_bech32"), message);
}

} // namespace

Result<Bech32Data> bech32Decode(QStringView text, qsizetype maxLength)
{
    if (maxLength > 0 && text.size() > maxLength) {
        return fail(
            QStringLiteral("The bech32 string is longer than %1 characters.").arg(maxLength));
    }
    bool hasLower = false;
    bool hasUpper = false;
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        if (u < 33 || u > 126) {
            return fail(
                QStringLiteral("The bech32 string contains a character outside ASCII 33-126."));
        }
        hasLower = hasLower || (u >= 'a' && u <= 'z');
        hasUpper = hasUpper || (u >= 'A' && u <= 'Z');
    }
    if (hasLower && hasUpper) {
        return fail(QStringLiteral("The bech32 string mixes upper and lower case."));
    }
    const QString lower = text.toString().toLower();
    const qsizetype separator = lower.lastIndexOf(QLatin1Char('1'));
    if (separator < 0) {
        return fail(QStringLiteral("The bech32 string has no separator '1'."));
    }
    if (separator == 0) {
        return fail(QStringLiteral("The bech32 string has an empty human-readable part."));
    }
    if (lower.size() - separator - 1 < 6) {
        return fail(QStringLiteral("The bech32 string is too short to hold a checksum."));
    }
    Bech32Data out;
    out.hrp = lower.left(separator);
    std::vector<uint8_t> values = expandHrp(out.hrp);
    const size_t dataStart = values.size();
    for (qsizetype i = separator + 1; i < lower.size(); ++i) {
        const int8_t value = kReverseCharset[lower.at(i).unicode() & 0x7f];
        if (value < 0) {
            return fail(QStringLiteral("The bech32 string contains the invalid character '%1'.")
                            .arg(lower.at(i)));
        }
        values.push_back(static_cast<uint8_t>(value));
    }
    const uint32_t checksum = polymod(values);
    if (checksum == kBech32Constant) {
        out.variant = Bech32Variant::Bech32;
    } else if (checksum == kBech32mConstant) {
        out.variant = Bech32Variant::Bech32m;
    } else {
        return fail(QStringLiteral("The bech32 checksum is wrong."));
    }
    out.words.assign(values.begin() + static_cast<std::ptrdiff_t>(dataStart), values.end() - 6);
    return out;
}

QString bech32Encode(QStringView hrp, const std::vector<uint8_t>& words, Bech32Variant variant)
{
    const QString lowerHrp = hrp.toString().toLower();
    std::vector<uint8_t> values = expandHrp(lowerHrp);
    values.insert(values.end(), words.begin(), words.end());
    values.insert(values.end(), 6, 0);
    const uint32_t constant = variant == Bech32Variant::Bech32 ? kBech32Constant : kBech32mConstant;
    const uint32_t checksum = polymod(values) ^ constant;
    QString out;
    out.reserve(lowerHrp.size() + 1 + static_cast<qsizetype>(words.size()) + 6);
    out += lowerHrp;
    out += QLatin1Char('1');
    for (const uint8_t word : words) {
        out += QLatin1Char(kCharset[word & 31]);
    }
    for (int i = 0; i < 6; ++i) {
        out += QLatin1Char(kCharset[(checksum >> (5 * (5 - i))) & 31]);
    }
    return out;
}

std::vector<uint8_t> toWords(QByteArrayView bytes)
{
    std::vector<uint8_t> out;
    out.reserve(static_cast<size_t>((bytes.size() * 8 + 4) / 5));
    uint32_t accumulator = 0;
    int bits = 0;
    for (const char byte : bytes) {
        accumulator = (accumulator << 8) | static_cast<uint8_t>(byte);
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out.push_back(static_cast<uint8_t>((accumulator >> bits) & 31));
        }
    }
    if (bits > 0) {
        out.push_back(static_cast<uint8_t>((accumulator << (5 - bits)) & 31));
    }
    return out;
}

Result<QByteArray> fromWords(const std::vector<uint8_t>& words, TrailingBits trailing)
{
    return fromWords(words, 0, words.size(), trailing);
}

Result<QByteArray> fromWords(const std::vector<uint8_t>& words, size_t begin, size_t end,
                             TrailingBits trailing)
{
    QByteArray out;
    out.reserve(static_cast<qsizetype>((end - begin) * 5 / 8 + 1));
    uint32_t accumulator = 0;
    int bits = 0;
    for (size_t i = begin; i < end; ++i) {
        accumulator = ((accumulator << 5) | (words[i] & 31)) & 0xfff;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out.append(static_cast<char>((accumulator >> bits) & 0xff));
        }
    }
    const uint32_t leftover = (accumulator << (8 - bits)) & 0xff;
    switch (trailing) {
    case TrailingBits::Discard:
        break;
    case TrailingBits::PadToByte:
        if (bits > 0) {
            out.append(static_cast<char>(leftover));
        }
        break;
    case TrailingBits::MustBeZero:
        if (bits >= 5 || leftover != 0) {
            return Result<QByteArray>::failure(
                QStringLiteral("invalid_bech32"),
                QStringLiteral("The data has invalid padding bits."));
        }
        break;
    }
    return out;
}

QString segwitAddress(QStringView hrp, int witnessVersion, QByteArrayView program)
{
    std::vector<uint8_t> words{static_cast<uint8_t>(witnessVersion)};
    const std::vector<uint8_t> programWords = toWords(program);
    words.insert(words.end(), programWords.begin(), programWords.end());
    return bech32Encode(hrp, words,
                        witnessVersion == 0 ? Bech32Variant::Bech32 : Bech32Variant::Bech32m);
}

QString base58CheckEncode(QByteArrayView payloadWithVersion)
{
    static constexpr char kAlphabet[] =
        "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    QByteArray data = payloadWithVersion.toByteArray();
    data += crypto::sha256(crypto::sha256(data)).left(4);

    qsizetype leadingZeros = 0;
    while (leadingZeros < data.size() && data.at(leadingZeros) == 0) {
        ++leadingZeros;
    }
    // Repeated division of the big-endian number by 58; inputs are at most 25 bytes.
    std::vector<uint8_t> digits;
    for (qsizetype i = leadingZeros; i < data.size(); ++i) {
        uint32_t carry = static_cast<uint8_t>(data.at(i));
        for (uint8_t& digit : digits) {
            carry += static_cast<uint32_t>(digit) << 8;
            digit = static_cast<uint8_t>(carry % 58);
            carry /= 58;
        }
        while (carry > 0) {
            digits.push_back(static_cast<uint8_t>(carry % 58));
            carry /= 58;
        }
    }
    QString out(leadingZeros, QLatin1Char('1'));
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        out += QLatin1Char(kAlphabet[*it]);
    }
    return out;
}

} // namespace l402::protocol
