#include "core/policy/HostPattern.h"

#include <QRegularExpression>

namespace l402::policy {
namespace {

bool validHostName(const QString& host)
{
    // Letters, digits, hyphens and dots (IDNs arrive punycoded), or an IPv6 literal.
    static const QRegularExpression name(QStringLiteral("^[a-z0-9]([a-z0-9-]*[a-z0-9])?"
                                                        "(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$"));
    static const QRegularExpression ipv6(QStringLiteral("^[0-9a-f:.]+$"));
    return name.match(host).hasMatch() || (host.contains(u':') && ipv6.match(host).hasMatch());
}

} // namespace

Result<HostPattern> HostPattern::parse(const QString& input)
{
    const QString text = input.trimmed().toLower();
    auto invalid = [&input] {
        return Result<HostPattern>::failure(
            QStringLiteral("invalid_pattern"),
            QStringLiteral("\"%1\" is not a site pattern; use api.example.com, "
                           "api.example.com:8443, *.example.com or *.")
                .arg(input));
    };
    HostPattern pattern;
    pattern.m_text = text;
    if (text == QLatin1String("*")) {
        pattern.m_kind = Kind::Any;
        return pattern;
    }
    if (text.startsWith(QLatin1String("*."))) {
        const QString suffix = text.mid(2);
        if (!validHostName(suffix) || suffix.contains(u':')) {
            return invalid();
        }
        pattern.m_kind = Kind::Suffix;
        pattern.m_host = u'.' + suffix;
        return pattern;
    }
    QString host = text;
    int port = 0;
    if (host.startsWith(u'[')) { // [::1] or [::1]:8443
        const qsizetype close = host.indexOf(u']');
        if (close < 0) {
            return invalid();
        }
        const QString rest = host.mid(close + 1);
        host = host.mid(1, close - 1);
        if (!rest.isEmpty()) {
            if (!rest.startsWith(u':')) {
                return invalid();
            }
            bool ok = false;
            port = rest.mid(1).toInt(&ok);
            if (!ok) {
                return invalid();
            }
        }
    } else if (const qsizetype colon = host.lastIndexOf(u':'); colon >= 0) {
        bool ok = false;
        port = host.mid(colon + 1).toInt(&ok);
        if (!ok) {
            return invalid();
        }
        host = host.left(colon);
    }
    if (!validHostName(host) || (text.contains(u':') && port == 0 && !host.contains(u':')) ||
        port < 0 || port > 65535) {
        return invalid();
    }
    pattern.m_host = host;
    pattern.m_port = port;
    pattern.m_kind = port == 0 ? Kind::Host : Kind::HostPort;
    return pattern;
}

bool HostPattern::matches(const Origin& origin) const
{
    switch (m_kind) {
    case Kind::Any:
        return true;
    case Kind::Suffix:
        return origin.host.endsWith(m_host) && origin.host.size() > m_host.size();
    case Kind::Host:
        return origin.host == m_host;
    case Kind::HostPort:
        return origin.host == m_host && origin.port == m_port;
    }
    return false;
}

int HostPattern::specificity() const
{
    switch (m_kind) {
    case Kind::Any:
        return 0;
    case Kind::Suffix:
        return 1 + static_cast<int>(m_host.size());
    case Kind::Host:
        return 100'000;
    case Kind::HostPort:
        return 200'000;
    }
    return 0;
}

} // namespace l402::policy
