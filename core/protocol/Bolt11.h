#pragma once

#include "core/util/Result.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <cstdint>
#include <optional>

namespace l402::protocol {

enum class Network { Bitcoin, Testnet, Signet, Regtest };

QString networkName(Network network); // "bitcoin", "testnet", "signet", "regtest"
std::optional<Network> networkFromName(QStringView name);

struct RouteHintHop {
    QByteArray pubkey; // 33 bytes
    uint64_t shortChannelId = 0;
    uint32_t feeBaseMsat = 0;
    uint32_t feeProportionalMillionths = 0;
    uint16_t cltvExpiryDelta = 0;

    QString shortChannelIdText() const; // "BLOCKxTXxOUTPUT"
    friend bool operator==(const RouteHintHop&, const RouteHintHop&) = default;
};
using RouteHint = QList<RouteHintHop>;

struct FallbackAddress {
    int version = 0; // 0..16 witness version, 17 P2PKH, 18 P2SH
    QByteArray program;
    QString address; // rendered for the invoice's network
    friend bool operator==(const FallbackAddress&, const FallbackAddress&) = default;
};

// Error codes of decodeInvoice (Error::code). Stable: they reach `decode --json`.
namespace invoice_error {
inline constexpr auto kBadEncoding = "invalid_bech32";   // checksum, case, characters
inline constexpr auto kUnknownPrefix = "unknown_prefix"; // not ln + bc|tb|tbs|bcrt
inline constexpr auto kBadAmount = "invalid_amount";     // non-digit, bad multiplier...
inline constexpr auto kSubMsatPrecision = "sub_msat_precision";
inline constexpr auto kTooShort = "too_short";
inline constexpr auto kBadField = "invalid_field"; // malformed r, d not UTF-8...
inline constexpr auto kInvalidSignature = "invalid_signature";
inline constexpr auto kUnknownRequiredFeature = "unknown_required_feature";
inline constexpr auto kMissingFeatureDependency = "missing_feature_dependency";
inline constexpr auto kMissingPaymentHash = "missing_payment_hash";
inline constexpr auto kMissingPaymentSecret = "missing_payment_secret";
} // namespace invoice_error

// A decoded and signature-checked BOLT 11 invoice. Amounts are integer millisatoshis.
struct Invoice {
    QString text; // normalised: lower case, no "lightning:" prefix
    QString humanReadablePart;
    Network network = Network::Bitcoin;
    std::optional<uint64_t> amountMsat;
    int64_t timestamp = 0;
    int64_t expirySeconds = 3600;
    QByteArray paymentHash;   // 32 bytes, always present after a successful decode
    QByteArray paymentSecret; // 32 bytes or empty
    std::optional<QString> description;
    QByteArray descriptionHash; // 32 bytes or empty
    QByteArray payee;           // 33 bytes: from `n` or recovered from the signature
    bool payeeFromField = false;
    uint64_t minFinalCltvExpiry = 18;
    QList<int> features; // set bit numbers, ascending
    QList<RouteHint> routeHints;
    QList<FallbackAddress> fallbackAddresses;
    QByteArray metadata;
    QByteArray signature; // 64 bytes r||s
    int recoveryId = 0;

    int64_t expiresAt() const { return timestamp + expirySeconds; }
    bool hasFeature(int bit) const { return features.contains(bit); }
};

// Decodes and verifies an invoice: bech32 (no length limit), prefix and amount, every tagged
// field with the spec's skipping rules, unknown even feature bits, and the signature
// (checked against `n` with the low-S rule when `n` is valid, recovered otherwise).
Result<Invoice> decodeInvoice(QStringView text);

// What an invoice writer puts in. Used by the demo node and by tests; the encoder signs with
// the given key and sets `n` only when includePayeeField is true.
struct InvoiceDraft {
    Network network = Network::Bitcoin;
    std::optional<uint64_t> amountMsat;
    int64_t timestamp = 0;
    std::optional<int64_t> expirySeconds;
    QByteArray paymentHash;
    QByteArray paymentSecret;
    std::optional<QString> description;
    QByteArray descriptionHash;
    std::optional<uint64_t> minFinalCltvExpiry;
    QList<int> features;
    QList<RouteHint> routeHints;
    QList<FallbackAddress> fallbackAddresses; // version + program; address is ignored
    QByteArray metadata;
    bool includePayeeField = false;
};

Result<QString> encodeInvoice(const InvoiceDraft& draft, QByteArrayView privateKey);

// The shortest human-readable amount for msat ("2500u", "9678785340p", "" when absent).
QString formatInvoiceAmount(uint64_t amountMsat);

} // namespace l402::protocol
