#pragma once

#include <QJsonValue>
#include <QString>
#include <QStringView>

#include <cstdint>
#include <optional>

namespace l402 {

// Every amount that crosses from text (CLI, MCP, control socket, settings) into msat goes
// through these, so no sum or product of amounts can overflow later: 21 million bitcoin is
// 2.1e15 sat or 2.1e18 msat, and four such amounts still fit in int64.
inline constexpr int64_t kMaxSats = 21'000'000LL * 100'000'000LL;
inline constexpr int64_t kMaxMsat = kMaxSats * 1'000;

// sat -> msat for 0..kMaxSats; nullopt outside.
constexpr std::optional<int64_t> satsToMsat(int64_t sats)
{
    if (sats < 0 || sats > kMaxSats) {
        return std::nullopt;
    }
    return sats * 1'000;
}

// "21" -> 21,000 msat: plain ASCII digits only (no sign, space, fraction or exponent), at
// most kMaxSats; nullopt for anything else.
inline std::optional<int64_t> parseSatsToMsat(QStringView text)
{
    if (text.isEmpty() || text.size() > 16) {
        return std::nullopt;
    }
    int64_t sats = 0;
    for (const QChar c : text) {
        if (c < u'0' || c > u'9') {
            return std::nullopt;
        }
        sats = sats * 10 + (c.unicode() - u'0'); // 16 digits stay far below int64's limit
    }
    return satsToMsat(sats);
}

// A JSON number that is a whole amount in 0..`max` (an MCP or control-socket argument);
// nullopt for a fraction, a negative or too large number, or anything but a number.
inline std::optional<int64_t> wholeAmount(const QJsonValue& value, int64_t max)
{
    if (!value.isDouble()) {
        return std::nullopt;
    }
    const qint64 whole = value.toInteger(-1);
    if (whole < 0 || whole > max) {
        return std::nullopt;
    }
    return whole;
}

// "1,234,567" — digits grouped by three with commas, independent of the process locale so
// CLI output and logs read the same everywhere.
inline QString groupThousands(uint64_t value)
{
    QString digits = QString::number(value);
    for (qsizetype at = digits.size() - 3; at > 0; at -= 3) {
        digits.insert(at, QLatin1Char(','));
    }
    return digits;
}

// A millisatoshi amount as people read it: "250,000 sat", or "1,500.5 sat" with msat.
inline QString formatMsatAsSat(uint64_t amountMsat)
{
    const uint64_t sat = amountMsat / 1000;
    const uint64_t remainder = amountMsat % 1000;
    if (remainder == 0) {
        return groupThousands(sat) + QStringLiteral(" sat");
    }
    QString fraction = QString::number(remainder).rightJustified(3, QLatin1Char('0'));
    while (fraction.endsWith(QLatin1Char('0'))) {
        fraction.chop(1);
    }
    return groupThousands(sat) + QLatin1Char('.') + fraction + QStringLiteral(" sat");
}

} // namespace l402
