#include "core/policy/Origin.h"

namespace l402::policy {

std::optional<Origin> Origin::fromUrl(const QUrl& url)
{
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || (scheme != QLatin1String("http") && scheme != QLatin1String("https")) ||
        url.host().isEmpty()) {
        return std::nullopt;
    }
    Origin origin;
    origin.scheme = scheme;
    origin.host = url.host(QUrl::FullyEncoded).toLower();
    origin.port = url.port(scheme == QLatin1String("https") ? 443 : 80);
    if (origin.port <= 0 || origin.port > 65535) {
        return std::nullopt;
    }
    return origin;
}

std::optional<Origin> Origin::parse(const QString& text)
{
    return fromUrl(QUrl(text, QUrl::StrictMode));
}

bool Origin::isDefaultPort() const
{
    return port == (scheme == QLatin1String("https") ? 443 : 80);
}

QString Origin::toString() const
{
    const QString hostPart = host.contains(u':') ? u'[' + host + u']' : host;
    if (isDefaultPort()) {
        return scheme + QLatin1String("://") + hostPart;
    }
    return scheme + QLatin1String("://") + hostPart + u':' + QString::number(port);
}

} // namespace l402::policy
