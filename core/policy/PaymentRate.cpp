#include "core/policy/PaymentRate.h"

#include <array>
#include <limits>

namespace l402::policy {
namespace {

struct Unit {
    const char* suffix;
    int64_t seconds;
    const char* name;
};
constexpr std::array<Unit, 3> kUnits{{
    {"min", 60, "minute"},
    {"h", 3600, "hour"},
    {"day", 86400, "day"},
}};

Error invalid(QStringView text)
{
    return Error{QStringLiteral("invalid_rate"),
                 QStringLiteral("\"%1\" is not a payment rate: use N/min, N/h or N/day with N a "
                                "whole number from 1 to %2.")
                     .arg(text.toString(), QString::number(std::numeric_limits<int64_t>::max()))};
}

} // namespace

Result<PaymentRate> PaymentRate::parse(QStringView text)
{
    using R = Result<PaymentRate>;
    const qsizetype slash = text.indexOf(u'/');
    if (slash <= 0) {
        return R(invalid(text));
    }
    const QStringView digits = text.first(slash);
    const QStringView unit = text.sliced(slash + 1);
    int64_t count = 0;
    for (const QChar c : digits) {
        if (c < u'0' || c > u'9') {
            return R(invalid(text));
        }
        if (__builtin_mul_overflow(count, int64_t{10}, &count) ||
            __builtin_add_overflow(count, int64_t{c.unicode() - u'0'}, &count)) {
            return R(invalid(text));
        }
    }
    if (count <= 0) {
        return R(invalid(text));
    }
    for (const Unit& known : kUnits) {
        if (unit == QLatin1StringView(known.suffix)) {
            return PaymentRate{count, known.seconds};
        }
    }
    return R(invalid(text));
}

bool PaymentRate::valid() const
{
    if (count <= 0) {
        return false;
    }
    for (const Unit& known : kUnits) {
        if (known.seconds == periodSeconds) {
            return true;
        }
    }
    return false;
}

QString PaymentRate::toString() const
{
    for (const Unit& known : kUnits) {
        if (known.seconds == periodSeconds) {
            return QString::number(count) + u'/' + QLatin1StringView(known.suffix);
        }
    }
    return QStringLiteral("%1/%2s").arg(count).arg(periodSeconds);
}

QString PaymentRate::periodName() const
{
    for (const Unit& known : kUnits) {
        if (known.seconds == periodSeconds) {
            return QLatin1StringView(known.name);
        }
    }
    return QStringLiteral("%1 seconds").arg(periodSeconds);
}

} // namespace l402::policy
