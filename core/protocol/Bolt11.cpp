#include "core/protocol/Bolt11.h"

#include "core/crypto/Digest.h"
#include "core/crypto/Secp256k1.h"
#include "core/protocol/Bech32.h"

#include <QStringDecoder>

#include <algorithm>
#include <array>
#include <cstring>

namespace l402::protocol {
namespace {

constexpr size_t kTimestampWords = 7;
constexpr size_t kSignatureWords = 104;
constexpr uint64_t kMsatPerBitcoin = 100'000'000'000ULL;
constexpr uint64_t kMaxMsat = 21'000'000ULL * kMsatPerBitcoin;

// Tagged field types (the bech32 value of the letter).
enum FieldType : uint8_t {
    kPaymentHash = 1,      // p
    kRouteHint = 3,        // r
    kFeatures = 5,         // 9
    kExpiry = 6,           // x
    kFallback = 9,         // f
    kDescription = 13,     // d
    kPaymentSecret = 16,   // s
    kPayee = 19,           // n
    kDescriptionHash = 23, // h
    kMinFinalCltv = 24,    // c
    kMetadata = 27,        // m
};

// Even feature bits of BOLT 9 that may appear in an invoice (context "9"): var_onion_optin,
// payment_secret, basic_mpp, option_route_blinding, option_payment_metadata. Any other even
// bit is one we do not understand, and the spec says to fail the payment.
constexpr std::array<int, 5> kKnownEvenFeatures = {8, 14, 16, 24, 48};

struct Currency {
    const char* prefix;
    Network network;
    const char* segwitHrp;
    uint8_t p2pkhVersion;
    uint8_t p2shVersion;
};
// Longer prefixes first so "bcrt" is not read as "bc" + amount "rt".
constexpr std::array<Currency, 4> kCurrencies = {{
    {"bcrt", Network::Regtest, "bcrt", 0x6f, 0xc4},
    {"bc", Network::Bitcoin, "bc", 0x00, 0x05},
    {"tbs", Network::Signet, "tb", 0x6f, 0xc4},
    {"tb", Network::Testnet, "tb", 0x6f, 0xc4},
}};

const Currency& currencyFor(Network network)
{
    return *std::find_if(kCurrencies.begin(), kCurrencies.end(),
                         [network](const Currency& c) { return c.network == network; });
}

Result<Invoice> fail(const char* code, const QString& message)
{
    return Result<Invoice>::failure(QLatin1String(code), message);
}

uint64_t readUint(const std::vector<uint8_t>& words, size_t begin, size_t end)
{
    uint64_t value = 0;
    for (size_t i = begin; i < end; ++i) {
        value = (value << 5) | words[i];
    }
    return value;
}

void appendUint(std::vector<uint8_t>& words, uint64_t value, size_t count)
{
    for (size_t i = count; i-- > 0;) {
        words.push_back(static_cast<uint8_t>((value >> (5 * i)) & 31));
    }
}

// Parses the amount that follows the currency prefix into msat, exactly (no floating point).
Result<std::optional<uint64_t>> parseAmount(QStringView amount)
{
    using R = Result<std::optional<uint64_t>>;
    if (amount.isEmpty()) {
        return std::optional<uint64_t>();
    }
    QChar multiplier;
    QStringView digits = amount;
    if (!amount.back().isDigit()) {
        multiplier = amount.back();
        digits.chop(1);
    }
    if (digits.isEmpty()) {
        return R::failure(QLatin1String(invoice_error::kBadAmount),
                          QStringLiteral("The invoice amount has no digits."));
    }
    for (const QChar c : digits) {
        if (c < QLatin1Char('0') || c > QLatin1Char('9')) {
            return R::failure(QLatin1String(invoice_error::kBadAmount),
                              QStringLiteral("The invoice amount contains a non-digit or an "
                                             "unknown multiplier."));
        }
    }
    // Pico-bitcoin: the last digit is tenths of a msat and must be 0. Dropping it before
    // converting keeps amounts up to 21M BTC (2.1e19 pico) inside 64 bits.
    const bool pico = multiplier == QLatin1Char('p');
    if (pico && digits.back() != QLatin1Char('0')) {
        return R::failure(QLatin1String(invoice_error::kSubMsatPrecision),
                          QStringLiteral("The invoice amount in pico-bitcoin does not end in 0, "
                                         "so it is not a whole millisatoshi."));
    }
    const QStringView significant = pico ? digits.chopped(1) : digits;
    bool converted = significant.size() <= 20;
    const uint64_t value =
        converted && !significant.isEmpty() ? significant.toULongLong(&converted) : 0;
    if (!converted) {
        return R::failure(QLatin1String(invoice_error::kBadAmount),
                          QStringLiteral("The invoice amount exceeds 21 million bitcoin."));
    }
    // msat = value * (msat per unit); p gives tenths of a msat. Overflow means "too large".
    uint64_t factor = 0;
    switch (multiplier.unicode()) {
    case 0:
        factor = kMsatPerBitcoin;
        break;
    case 'm':
        factor = 100'000'000ULL;
        break;
    case 'u':
        factor = 100'000ULL;
        break;
    case 'n':
        factor = 100ULL;
        break;
    case 'p':
        factor = 1; // `value` is already in msat
        break;
    default:
        return R::failure(
            QLatin1String(invoice_error::kBadAmount),
            QStringLiteral("The invoice amount has the unknown multiplier '%1'.").arg(multiplier));
    }
    uint64_t msat = 0;
    if (__builtin_mul_overflow(value, factor, &msat)) {
        msat = kMaxMsat + 1;
    }
    if (msat == 0) {
        return R::failure(QLatin1String(invoice_error::kBadAmount),
                          QStringLiteral("The invoice amount is zero."));
    }
    if (msat > kMaxMsat) {
        return R::failure(QLatin1String(invoice_error::kBadAmount),
                          QStringLiteral("The invoice amount exceeds 21 million bitcoin."));
    }
    return std::optional<uint64_t>(static_cast<uint64_t>(msat));
}

// Returns nullopt for a version the spec says to skip, an error for a known version whose
// program has an impossible length.
Result<std::optional<FallbackAddress>> decodeFallback(const std::vector<uint8_t>& words,
                                                      size_t begin, size_t end,
                                                      const Currency& currency)
{
    using R = Result<std::optional<FallbackAddress>>;
    const auto invalid = [] {
        return R::failure(QLatin1String(invoice_error::kBadField),
                          QStringLiteral("A fallback address of the invoice has an invalid "
                                         "length for its version."));
    };
    if (end <= begin) {
        return invalid();
    }
    FallbackAddress out;
    out.version = words[begin];
    out.program = fromWords(words, begin + 1, end, TrailingBits::Discard).value();
    if (out.version == 17 || out.version == 18) {
        if (out.program.size() != 20) {
            return invalid();
        }
        QByteArray payload;
        payload.append(
            static_cast<char>(out.version == 17 ? currency.p2pkhVersion : currency.p2shVersion));
        payload.append(out.program);
        out.address = base58CheckEncode(payload);
        return std::optional(out);
    }
    if (out.version > 18) {
        return std::optional<FallbackAddress>(); // unknown version: the spec says skip
    }
    if (out.program.size() < 2 || out.program.size() > 40 ||
        (out.version == 0 && out.program.size() != 20 && out.program.size() != 32)) {
        return invalid();
    }
    out.address = segwitAddress(QString::fromLatin1(currency.segwitHrp), out.version, out.program);
    return std::optional(out);
}

} // namespace

QString networkName(Network network)
{
    switch (network) {
    case Network::Bitcoin:
        return QStringLiteral("bitcoin");
    case Network::Testnet:
        return QStringLiteral("testnet");
    case Network::Signet:
        return QStringLiteral("signet");
    case Network::Regtest:
        return QStringLiteral("regtest");
    }
    return {};
}

std::optional<Network> networkFromName(QStringView name)
{
    for (const Network network :
         {Network::Bitcoin, Network::Testnet, Network::Signet, Network::Regtest}) {
        if (name.compare(networkName(network), Qt::CaseInsensitive) == 0) {
            return network;
        }
    }
    if (name.compare(QLatin1String("mainnet"), Qt::CaseInsensitive) == 0) {
        return Network::Bitcoin;
    }
    // testnet3 and testnet4 (LND's getinfo, phoenixd's chain names) share BOLT 11's `lntb`
    // prefix and bech32's `tb`: for invoices they are one network.
    if (name.compare(QLatin1String("testnet3"), Qt::CaseInsensitive) == 0 ||
        name.compare(QLatin1String("testnet4"), Qt::CaseInsensitive) == 0) {
        return Network::Testnet;
    }
    return std::nullopt;
}

QString RouteHintHop::shortChannelIdText() const
{
    return QStringLiteral("%1x%2x%3")
        .arg(shortChannelId >> 40)
        .arg((shortChannelId >> 16) & 0xffffff)
        .arg(shortChannelId & 0xffff);
}

Result<Invoice> decodeInvoice(QStringView text)
{
    text = text.trimmed();
    if (text.startsWith(QLatin1String("lightning:"), Qt::CaseInsensitive)) {
        text = text.mid(10);
    }
    // 7089 characters is the most a BOLT 11 string can usefully hold (1023-word fields are
    // the cap per field); anything far longer is not an invoice and is refused before work.
    constexpr qsizetype kMaxInvoiceLength = 8192;
    if (text.size() > kMaxInvoiceLength) {
        return fail(invoice_error::kBadEncoding, QStringLiteral("The invoice is too long."));
    }
    auto bech = bech32Decode(text, 0);
    if (!bech) {
        return fail(invoice_error::kBadEncoding, bech.error().message);
    }
    if (bech->variant != Bech32Variant::Bech32) {
        return fail(invoice_error::kBadEncoding,
                    QStringLiteral("The invoice uses a bech32m checksum; BOLT 11 uses bech32."));
    }
    Invoice invoice;
    invoice.humanReadablePart = bech->hrp;
    invoice.text = text.toString().toLower();
    const QString& hrp = bech->hrp;
    if (!hrp.startsWith(QLatin1String("ln"))) {
        return fail(invoice_error::kUnknownPrefix,
                    QStringLiteral("The invoice does not start with 'ln'."));
    }
    const Currency* currency = nullptr;
    for (const Currency& candidate : kCurrencies) {
        const QLatin1String prefix(candidate.prefix);
        if (QStringView(hrp).mid(2).startsWith(prefix)) {
            const QStringView rest = QStringView(hrp).mid(2 + prefix.size());
            if (rest.isEmpty() || rest.front().isDigit()) {
                currency = &candidate;
                break;
            }
        }
    }
    if (!currency) {
        return fail(invoice_error::kUnknownPrefix,
                    QStringLiteral("The invoice prefix '%1' names no known network.").arg(hrp));
    }
    invoice.network = currency->network;
    auto amount = parseAmount(QStringView(hrp).mid(2 + qsizetype(strlen(currency->prefix))));
    if (!amount) {
        return Result<Invoice>(amount.error());
    }
    invoice.amountMsat = amount.value();

    const std::vector<uint8_t>& words = bech->words;
    if (words.size() < kTimestampWords + kSignatureWords) {
        return fail(invoice_error::kTooShort,
                    QStringLiteral("The invoice is too short to hold a timestamp and signature."));
    }
    const size_t signatureStart = words.size() - kSignatureWords;
    invoice.timestamp = static_cast<int64_t>(readUint(words, 0, kTimestampWords));

    bool sawExpiry = false;
    bool sawCltv = false;
    bool sawFeatures = false;
    size_t position = kTimestampWords;
    while (position < signatureStart) {
        if (signatureStart - position < 3) {
            return fail(invoice_error::kBadField,
                        QStringLiteral("The invoice ends inside a field header."));
        }
        const uint8_t type = words[position];
        const size_t length = static_cast<size_t>(readUint(words, position + 1, position + 3));
        const size_t begin = position + 3;
        const size_t end = begin + length;
        if (end > signatureStart) {
            return fail(invoice_error::kBadField,
                        QStringLiteral("A field of the invoice runs past its end."));
        }
        position = end;
        auto bytes = [&]() {
            return fromWords(words, begin, end, TrailingBits::Discard).value();
        };

        switch (type) {
        case kPaymentHash:
            if (length == 52 && invoice.paymentHash.isEmpty()) {
                invoice.paymentHash = bytes();
            }
            break;
        case kPaymentSecret:
            if (length == 52 && invoice.paymentSecret.isEmpty()) {
                invoice.paymentSecret = bytes();
            }
            break;
        case kDescriptionHash:
            if (length == 52 && invoice.descriptionHash.isEmpty()) {
                invoice.descriptionHash = bytes();
            }
            break;
        case kPayee:
            if (length == 53 && invoice.payee.isEmpty()) {
                const QByteArray key = bytes();
                if (crypto::isValidPublicKey(key)) {
                    invoice.payee = key;
                    invoice.payeeFromField = true;
                }
            }
            break;
        case kDescription:
            if (!invoice.description) {
                const QByteArray utf8 = bytes();
                QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
                QString description = decoder.decode(utf8);
                if (decoder.hasError()) {
                    return fail(invoice_error::kBadField,
                                QStringLiteral("The invoice description is not valid UTF-8."));
                }
                invoice.description = description;
            }
            break;
        case kExpiry:
        case kMinFinalCltv: {
            if (length > 12) {
                return fail(invoice_error::kBadField,
                            QStringLiteral("An expiry or CLTV field of the invoice is too large."));
            }
            const uint64_t value = readUint(words, begin, end);
            if (type == kExpiry && !sawExpiry) {
                invoice.expirySeconds = static_cast<int64_t>(value);
                sawExpiry = true;
            } else if (type == kMinFinalCltv && !sawCltv) {
                invoice.minFinalCltvExpiry = value;
                sawCltv = true;
            }
            break;
        }
        case kFeatures:
            if (!sawFeatures) {
                sawFeatures = true;
                for (size_t i = 0; i < length; ++i) {
                    const uint8_t word = words[end - 1 - i];
                    for (int bit = 0; bit < 5; ++bit) {
                        if (word & (1u << bit)) {
                            invoice.features.append(static_cast<int>(i * 5) + bit);
                        }
                    }
                }
            }
            break;
        case kRouteHint: {
            const QByteArray data = bytes();
            constexpr qsizetype kHopSize = 33 + 8 + 4 + 4 + 2;
            if (data.isEmpty() || data.size() % kHopSize != 0) {
                return fail(invoice_error::kBadField,
                            QStringLiteral("A route hint of the invoice is malformed."));
            }
            RouteHint hint;
            for (qsizetype offset = 0; offset < data.size(); offset += kHopSize) {
                const auto* p = reinterpret_cast<const uint8_t*>(data.constData() + offset);
                auto be = [p](int at, int count) {
                    uint64_t v = 0;
                    for (int i = 0; i < count; ++i) {
                        v = (v << 8) | p[at + i];
                    }
                    return v;
                };
                RouteHintHop hop;
                hop.pubkey = data.mid(offset, 33);
                hop.shortChannelId = be(33, 8);
                hop.feeBaseMsat = static_cast<uint32_t>(be(41, 4));
                hop.feeProportionalMillionths = static_cast<uint32_t>(be(45, 4));
                hop.cltvExpiryDelta = static_cast<uint16_t>(be(49, 2));
                hint.append(hop);
            }
            invoice.routeHints.append(hint);
            break;
        }
        case kFallback: {
            auto fallback = decodeFallback(words, begin, end, *currency);
            if (!fallback) {
                return Result<Invoice>(fallback.error());
            }
            if (fallback.value()) {
                invoice.fallbackAddresses.append(*fallback.value());
            }
        } break;
        case kMetadata:
            if (invoice.metadata.isEmpty()) {
                invoice.metadata = bytes();
            }
            break;
        default:
            break; // unknown fields are skipped, as the spec requires
        }
    }

    if (invoice.paymentHash.isEmpty()) {
        return fail(invoice_error::kMissingPaymentHash,
                    QStringLiteral("The invoice has no payment hash."));
    }
    if (invoice.paymentSecret.isEmpty()) {
        return fail(invoice_error::kMissingPaymentSecret,
                    QStringLiteral("The invoice has no payment secret (s field), which the "
                                   "spec requires."));
    }
    for (const int bit : std::as_const(invoice.features)) {
        if (bit % 2 == 0 && std::find(kKnownEvenFeatures.begin(), kKnownEvenFeatures.end(), bit) ==
                                kKnownEvenFeatures.end()) {
            return fail(invoice_error::kUnknownRequiredFeature,
                        QStringLiteral("The invoice requires feature bit %1, which this wallet "
                                       "does not understand.")
                            .arg(bit));
        }
    }

    // BOLT 9 dependencies among invoice features: payment_secret needs var_onion_optin and
    // basic_mpp needs payment_secret. "MUST NOT attempt the payment" when one is missing.
    const auto has = [&invoice](int even) {
        return invoice.hasFeature(even) || invoice.hasFeature(even + 1);
    };
    if ((has(14) && !has(8)) || (has(16) && !has(14))) {
        return fail(invoice_error::kMissingFeatureDependency,
                    QStringLiteral("The invoice sets a feature without the feature it depends on "
                                   "(payment_secret needs var_onion_optin, basic_mpp needs "
                                   "payment_secret)."));
    }

    const QByteArray signatureBytes =
        fromWords(words, signatureStart, words.size(), TrailingBits::Discard).value();
    invoice.signature = signatureBytes.left(64);
    invoice.recoveryId = static_cast<uint8_t>(signatureBytes.at(64));
    QByteArray signed_ = hrp.toUtf8();
    signed_ += fromWords(words, 0, signatureStart, TrailingBits::PadToByte).value();
    const QByteArray digest = crypto::sha256(signed_);
    if (invoice.payeeFromField) {
        if (!crypto::verifySignature(digest, invoice.signature, invoice.payee)) {
            return fail(invoice_error::kInvalidSignature,
                        QStringLiteral("The invoice signature does not match its payee."));
        }
    } else {
        auto recovered = crypto::recoverPublicKey(digest, invoice.signature, invoice.recoveryId);
        if (!recovered) {
            return fail(invoice_error::kInvalidSignature,
                        QStringLiteral("The invoice signature is not recoverable."));
        }
        invoice.payee = recovered.value();
    }
    return invoice;
}

QString formatInvoiceAmount(uint64_t amountMsat)
{
    if (amountMsat == 0) {
        return {};
    }
    // Largest multiplier that represents the amount exactly.
    struct Unit {
        uint64_t msatPerUnit;
        const char* suffix;
    };
    constexpr std::array<Unit, 4> units = {
        {{kMsatPerBitcoin, ""}, {100'000'000ULL, "m"}, {100'000ULL, "u"}, {100ULL, "n"}}};
    for (const Unit& unit : units) {
        if (amountMsat % unit.msatPerUnit == 0) {
            return QString::number(amountMsat / unit.msatPerUnit) + QLatin1String(unit.suffix);
        }
    }
    // Appending the 0 as text: amountMsat * 10 can exceed 64 bits near the 21M BTC cap.
    return QString::number(amountMsat) + QStringLiteral("0p");
}

Result<QString> encodeInvoice(const InvoiceDraft& draft, QByteArrayView privateKey)
{
    using R = Result<QString>;
    if (draft.paymentHash.size() != 32 ||
        (!draft.paymentSecret.isEmpty() && draft.paymentSecret.size() != 32) ||
        (!draft.descriptionHash.isEmpty() && draft.descriptionHash.size() != 32)) {
        return R::failure(QLatin1String(invoice_error::kBadField),
                          QStringLiteral("A hash or secret of the draft is not 32 bytes."));
    }
    if (draft.timestamp < 0 || draft.timestamp >= (int64_t(1) << 35)) {
        return R::failure(QLatin1String(invoice_error::kBadField),
                          QStringLiteral("The timestamp does not fit in 35 bits."));
    }
    if (draft.amountMsat && (*draft.amountMsat == 0 || *draft.amountMsat > kMaxMsat)) {
        return R::failure(QLatin1String(invoice_error::kBadAmount),
                          QStringLiteral("The amount is out of range."));
    }
    const Currency& currency = currencyFor(draft.network);
    const QString hrp = QLatin1String("ln") + QLatin1String(currency.prefix) +
                        (draft.amountMsat ? formatInvoiceAmount(*draft.amountMsat) : QString());

    std::vector<uint8_t> words;
    appendUint(words, static_cast<uint64_t>(draft.timestamp), kTimestampWords);
    bool tooLong = false;
    auto addField = [&words, &tooLong](uint8_t type, const std::vector<uint8_t>& data) {
        if (data.size() >= 1024) {
            tooLong = true;
            return;
        }
        words.push_back(type);
        appendUint(words, data.size(), 2);
        words.insert(words.end(), data.begin(), data.end());
    };
    auto minimalWords = [](uint64_t value) {
        std::vector<uint8_t> out;
        do {
            out.insert(out.begin(), static_cast<uint8_t>(value & 31));
            value >>= 5;
        } while (value > 0);
        return out;
    };

    addField(kPaymentHash, toWords(draft.paymentHash));
    if (!draft.paymentSecret.isEmpty()) {
        addField(kPaymentSecret, toWords(draft.paymentSecret));
    }
    if (draft.description) {
        addField(kDescription, toWords(draft.description->toUtf8()));
    }
    if (!draft.descriptionHash.isEmpty()) {
        addField(kDescriptionHash, toWords(draft.descriptionHash));
    }
    if (draft.expirySeconds) {
        addField(kExpiry, minimalWords(static_cast<uint64_t>(*draft.expirySeconds)));
    }
    if (draft.minFinalCltvExpiry) {
        addField(kMinFinalCltv, minimalWords(*draft.minFinalCltvExpiry));
    }
    if (draft.includePayeeField) {
        auto payee = crypto::publicKeyFromPrivate(privateKey);
        if (!payee) {
            return R(payee.error());
        }
        addField(kPayee, toWords(payee.value()));
    }
    for (const FallbackAddress& fallback : draft.fallbackAddresses) {
        std::vector<uint8_t> data{static_cast<uint8_t>(fallback.version)};
        const std::vector<uint8_t> program = toWords(fallback.program);
        data.insert(data.end(), program.begin(), program.end());
        addField(kFallback, data);
    }
    for (const RouteHint& hint : draft.routeHints) {
        QByteArray data;
        for (const RouteHintHop& hop : hint) {
            auto appendBe = [&data](uint64_t value, int count) {
                for (int i = count - 1; i >= 0; --i) {
                    data.append(static_cast<char>((value >> (8 * i)) & 0xff));
                }
            };
            data.append(hop.pubkey);
            appendBe(hop.shortChannelId, 8);
            appendBe(hop.feeBaseMsat, 4);
            appendBe(hop.feeProportionalMillionths, 4);
            appendBe(hop.cltvExpiryDelta, 2);
        }
        addField(kRouteHint, toWords(data));
    }
    if (!draft.features.isEmpty()) {
        const int highest = *std::max_element(draft.features.begin(), draft.features.end());
        std::vector<uint8_t> data(static_cast<size_t>(highest / 5 + 1), 0);
        for (const int bit : draft.features) {
            if (bit < 0) {
                continue;
            }
            data[data.size() - 1 - static_cast<size_t>(bit / 5)] |=
                static_cast<uint8_t>(1u << (bit % 5));
        }
        addField(kFeatures, data);
    }
    if (!draft.metadata.isEmpty()) {
        addField(kMetadata, toWords(draft.metadata));
    }
    if (tooLong) {
        return R::failure(QLatin1String(invoice_error::kBadField),
                          QStringLiteral("A field of the draft is longer than 1023 words."));
    }

    QByteArray signed_ = hrp.toUtf8();
    signed_ += fromWords(words, TrailingBits::PadToByte).value();
    auto signature = crypto::signRecoverable(privateKey, crypto::sha256(signed_));
    if (!signature) {
        return R(signature.error());
    }
    QByteArray signatureBytes = signature->compact;
    signatureBytes.append(static_cast<char>(signature->recoveryId));
    const std::vector<uint8_t> signatureWords = toWords(signatureBytes);
    words.insert(words.end(), signatureWords.begin(), signatureWords.end());
    return bech32Encode(hrp, words, Bech32Variant::Bech32);
}

} // namespace l402::protocol
